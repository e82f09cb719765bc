using System.Text;
using System.Text.Json;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>The JSON HEC answers with: <c>{"text":..., "code":..., "invalid-event-number":..., "ackId":...}</c>.</summary>
internal readonly record struct HecAnswer(string? Text, int? Code, int? InvalidEventNumber, long? AckId, string? Raw)
{
    public static HecAnswer Parse(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                // HEC's values are numbers; a proxy's or gateway's JSON in front of it may use the same names for words
                // (a "code" of "RequestEntityTooLarge"), which are not HEC's and are left out rather than throw. HEC
                // always answers with its text (or an ackId): JSON without either is a proxy's, even with a numeric code
                // (its 7 is not HEC's "incorrect index"), and is shown as an excerpt, so its own message is kept.
                var answer = new HecAnswer(
                    root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null,
                    root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var c) ? c : null,
                    root.TryGetProperty("invalid-event-number", out var invalid) && invalid.ValueKind == JsonValueKind.Number && invalid.TryGetInt32(out var n) ? n : null,
                    root.TryGetProperty("ackId", out var ack) && ack.ValueKind == JsonValueKind.Number && ack.TryGetInt64(out var a) ? a : null,
                    null);
                if (answer.Text is not null || answer.AckId is not null)
                {
                    return answer;
                }
            }
        }
        catch (JsonException)
        {
            // not JSON (a proxy's error page): shown as an excerpt
        }

        var excerpt = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).ReplaceLineEndings(" ").Trim();
        return new HecAnswer(null, null, null, null, excerpt.Length == 0 ? "no response body" : excerpt);
    }

    public override string ToString() =>
        Raw ?? $"\"{Text}\" (code {Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}" +
        (InvalidEventNumber is { } n ? $", invalid-event-number {n})" : ")");
}
