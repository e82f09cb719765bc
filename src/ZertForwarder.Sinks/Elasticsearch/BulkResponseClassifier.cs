using System.Text;
using System.Text.Json;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>What to do with a whole bulk request, from its HTTP status (or its failure to get one).</summary>
internal enum BulkRequestVerdict
{
    /// <summary>2xx: the body has one result per action; classify each item.</summary>
    ClassifyItems,

    /// <summary>
    /// 429, 5xx, 408 and 425 (a proxy's or the cluster's "not now"), 404 (an ingress or proxy routing the request
    /// nowhere, e.g. while it is redeployed: <c>_bulk</c> itself always exists), time-out, connection error: every item
    /// again later, until <c>Pipeline:RetryTimeLimit</c>.
    /// </summary>
    RetryAll,

    /// <summary>413: the body is too large for <c>http.max_content_length</c>; send the halves.</summary>
    Split,

    /// <summary>401/403: retrying cannot help; stop the run.</summary>
    Fatal,

    /// <summary>Any other 4xx (400: a malformed body): the request itself is wrong; every item is dead-lettered with the reason.</summary>
    RejectAll,
}

/// <summary>
/// The response-classification concern, after Elasticsearch's bulk semantics (output contract §6, test
/// infrastructure §2): per item 2xx and 409 ("already there", since actions are <c>create</c> with the event id)
/// are delivered, 429 and 5xx are retried, 401/403 (the key may not write to the data stream: Elasticsearch checks index
/// privileges per item) and 404 <c>index_not_found_exception</c> (no data stream, and the cluster may not create it)
/// stop the run, since every later event would meet them too, other 4xx are rejected with Elasticsearch's error type
/// and reason.
/// </summary>
internal static class BulkResponseClassifier
{
    public static BulkRequestVerdict Classify(ElasticsearchCall call) => call.Status switch
    {
        null => BulkRequestVerdict.RetryAll,
        >= 200 and < 300 => BulkRequestVerdict.ClassifyItems,
        401 or 403 => BulkRequestVerdict.Fatal,
        413 => BulkRequestVerdict.Split,
        404 or 408 or 425 or 429 or >= 500 => BulkRequestVerdict.RetryAll,
        _ => BulkRequestVerdict.RejectAll,
    };

    /// <summary>The reason given to every item of a request that was not classified per item.</summary>
    public static string RequestReason(ElasticsearchCall call, TimeSpan requestTimeout) =>
        call.Status is { } status ? $"HTTP {status}: {ErrorText(call.Body)}"
        : call.TimedOut ? $"bulk request timed out after {requestTimeout.TotalSeconds:0.###} s"
        : $"connection error: {call.Failure}";

    /// <summary>
    /// Reads <c>items[j].create.status</c> (and error) for each action sent. Returns null, or why the run must stop:
    /// an item refused for lack of privileges (401/403) or for a missing data stream (404 <c>index_not_found_exception</c>);
    /// the outcome is then incomplete and must not be used.
    /// </summary>
    /// <param name="destination">Where the request went, for the message that stops the run.</param>
    public static string? ApplyItemResults(byte[] responseBody, IReadOnlyList<BulkItem> items, int first, int count, BatchOutcome outcome, string destination)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(responseBody);
        }
        catch (JsonException exception)
        {
            RetryAll(items, first, count, outcome, $"unreadable bulk response: {exception.Message}");
            return null;
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("items", out var results) || results.ValueKind != JsonValueKind.Array ||
                results.GetArrayLength() != count)
            {
                RetryAll(items, first, count, outcome, $"bulk response does not have one result for each of the {count} actions");
                return null;
            }

            var j = first;
            foreach (var result in results.EnumerateArray())
            {
                var item = items[j++];
                var index = item.BatchIndex;
                var operation = result.ValueKind == JsonValueKind.Object ? result.EnumerateObject().FirstOrDefault().Value : default;
                if (operation.ValueKind != JsonValueKind.Object || !operation.TryGetProperty("status", out var statusElement) ||
                    !statusElement.TryGetInt32(out var status))
                {
                    outcome.Retry(index, "bulk response item without a status");
                    continue;
                }

                if (status is >= 200 and < 300 or 409)
                {
                    outcome.Delivered(index);
                }
                else if (status == 429 || status >= 500)
                {
                    outcome.Retry(index, $"item status {status}: {ErrorText(operation)}");
                }
                else if (status is 401 or 403)
                {
                    return $"Elasticsearch at {destination} refused to write to the data stream {item.DataStream} (item status {status}: {ErrorText(operation)}); " +
                           "the credentials need the index privileges create_doc and auto_configure on logs-zos.* " +
                           "(check Outputs:Elasticsearch ApiKey/ApiKeyFile or Username/Password and the role of the key or user).";
                }
                else if (status == 404 && ErrorType(operation) == "index_not_found_exception")
                {
                    return $"Elasticsearch at {destination} has no data stream {item.DataStream} and did not create it (item status 404: {ErrorText(operation)}); " +
                           "install the index templates (zertforwarder setup, or Outputs:Elasticsearch:InstallTemplates=true) and let the cluster " +
                           "create data streams for logs-zos.* (action.auto_create_index).";
                }
                else
                {
                    outcome.Reject(index, $"item status {status}: {ErrorText(operation)}");
                }
            }
        }

        return null;
    }

    public static void RetryAll(IReadOnlyList<BulkItem> items, int first, int count, BatchOutcome outcome, string reason)
    {
        for (var j = first; j < first + count; j++)
        {
            outcome.Retry(items[j].BatchIndex, reason);
        }
    }

    public static void RejectAll(IReadOnlyList<BulkItem> items, int first, int count, BatchOutcome outcome, string reason)
    {
        for (var j = first; j < first + count; j++)
        {
            outcome.Reject(items[j].BatchIndex, reason);
        }
    }

    /// <summary><c>type: reason</c> from an Elasticsearch <c>error</c> (object or string), or a short body excerpt.</summary>
    public static string ErrorText(byte[] responseBody)
    {
        try
        {
            using var document = JsonDocument.Parse(responseBody);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return ErrorText(document.RootElement);
            }
        }
        catch (JsonException)
        {
            // not JSON (a proxy's HTML page, say): fall through to the excerpt
        }

        var text = Encoding.UTF8.GetString(responseBody, 0, Math.Min(responseBody.Length, 200)).ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "no response body" : text;
    }

    private static string? ErrorType(JsonElement holder) =>
        holder.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object &&
        error.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;

    private static string ErrorText(JsonElement holder)
    {
        if (!holder.TryGetProperty("error", out var error))
        {
            return "no error details";
        }

        if (error.ValueKind == JsonValueKind.String)
        {
            return error.GetString() ?? "";
        }

        var type = error.TryGetProperty("type", out var t) ? t.GetString() : null;
        var reason = error.TryGetProperty("reason", out var r) ? r.GetString() : null;
        return $"{type ?? "unknown_error"}: {reason ?? "no reason given"}";
    }
}
