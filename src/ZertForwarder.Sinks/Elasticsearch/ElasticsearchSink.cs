using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>
/// Sends ECS documents with the bulk API over plain <see cref="HttpClient"/>: a <c>create</c> action per event into
/// the data stream <c>logs-&lt;dataset&gt;-&lt;namespace&gt;</c> with <c>_id</c> = event id, so a replay never duplicates
/// a document (output contract §6: 409 on create means "already there" and counts as delivered).
/// </summary>
/// <remarks>
/// Per item: 2xx and 409 → delivered; 429 and 5xx → retry; other 4xx → rejected with Elasticsearch's error type
/// and reason (guide §4.2). Per request: 429 and 5xx, time-outs and connection errors → every item of that request
/// is retried; 401/403 → <see cref="SinkFatalException"/> (wrong credentials are not fixed by retrying); other 4xx →
/// every item rejected.
/// </remarks>
public sealed class ElasticsearchSink : ISink
{
    private const string BulkPath = "_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason";

    private readonly ElasticsearchSinkOptions _options;
    private readonly IPipelineLog _log;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly X509Certificate2Collection? _trustedRoots;

    /// <summary>The URL as every message shows it: without user info (<see cref="UrlRedaction"/>).</summary>
    private readonly string _displayUrl;

    public ElasticsearchSink(ElasticsearchSinkOptions options, IPipelineLog? log = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _displayUrl = UrlRedaction.Redact(options.Url);
        _log = log ?? NullPipelineLog.Instance;
        _time = timeProvider ?? TimeProvider.System;

        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.GZip,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.RequestTimeout,
        };
        if (!string.IsNullOrEmpty(options.CaFile))
        {
            _trustedRoots = [];
            _trustedRoots.ImportFromPemFile(options.CaFile);
            if (_trustedRoots.Count == 0)
            {
                throw new ArgumentException($"Outputs:Elasticsearch:CaFile '{options.CaFile}' holds no PEM certificate.", nameof(options));
            }

            handler.SslOptions.RemoteCertificateValidationCallback = ValidateServerCertificate;
        }

        // User info in the URL is never sent as part of it (nor shown): it becomes basic authentication below.
        var baseUrl = _displayUrl.EndsWith('/') ? _displayUrl : _displayUrl + "/";
        _http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = ResolveAuthorization(options);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ZertForwarder", "1.0"));
    }

    public string Name => "elasticsearch";

    /// <summary>The data stream an event of <paramref name="dataset"/> goes to.</summary>
    public string DataStreamFor(string dataset) => $"logs-{dataset}-{_options.Namespace}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.ProbeOnStart)
        {
            await ProbeAsync(cancellationToken);
        }

        if (_options.InstallTemplates)
        {
            await InstallTemplatesAsync(cancellationToken);
        }
    }

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcome);
        var body = new ArrayBufferWriter<byte>(64 * 1024);
        var items = new List<int>();
        for (var i = 0; i < batch.Count; i++)
        {
            var forwardedEvent = batch[i];
            if (forwardedEvent.Ecs.IsEmpty)
            {
                outcome.Reject(i, "event has no ECS encoding");
                continue;
            }

            if (!IsValidDataset(forwardedEvent.Dataset))
            {
                outcome.Reject(i, $"dataset '{forwardedEvent.Dataset}' cannot name a data stream");
                continue;
            }

            var action = ActionLine(DataStreamFor(forwardedEvent.Dataset), forwardedEvent.EventId);
            var itemBytes = action.Length + forwardedEvent.Ecs.Length + 2;
            if (items.Count > 0 && body.WrittenCount + itemBytes > _options.MaxBulkBytes)
            {
                await SendBulkAsync(body.WrittenMemory, items, outcome, cancellationToken);
                body.ResetWrittenCount();
                items.Clear();
            }

            // NDJSON: action line, source line, each ending in \n including the last (test infrastructure §2).
            body.Write(action);
            body.Write("\n"u8);
            body.Write(forwardedEvent.Ecs.Span);
            body.Write("\n"u8);
            items.Add(i);
        }

        if (items.Count > 0)
        {
            await SendBulkAsync(body.WrittenMemory, items, outcome, cancellationToken);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask; // a bulk response means the cluster has it

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Elasticsearch data stream naming rules for the namespace part.</summary>
    public static bool IsValidNamespace(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 100 && !value.Any(char.IsUpper) &&
        value.IndexOfAny(['-', ' ', '\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ':']) < 0;

    private static bool IsValidDataset(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 100 && !value.Any(char.IsUpper) &&
        value.IndexOfAny([' ', '\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ':']) < 0;

    private static byte[] ActionLine(string index, string id)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("create");
            writer.WriteString("_index", index);
            writer.WriteString("_id", id);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async Task SendBulkAsync(ReadOnlyMemory<byte> body, List<int> items, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, BulkPath) { Content = BulkContent(body) };
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HttpStatusCode status;
        byte[] responseBody;
        try
        {
            using var response = await _http.SendAsync(request, linked.Token);
            status = response.StatusCode;
            responseBody = await response.Content.ReadAsByteArrayAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            RetryAll(items, outcome, $"bulk request timed out after {_options.RequestTimeout.TotalSeconds:0.###} s");
            return;
        }
        catch (HttpRequestException exception)
        {
            RetryAll(items, outcome, $"connection error: {UrlRedaction.RedactIn(exception.Message, _options.Url)}");
            return;
        }

        var code = (int)status;
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new SinkFatalException(
                $"Elasticsearch at {_displayUrl} refused the bulk request with HTTP {code} ({ErrorText(responseBody)}); " +
                "check Outputs:Elasticsearch ApiKey/ApiKeyFile or Username/Password and the key's privileges (create_doc on logs-zos.*).");
        }

        if (code == 429 || code >= 500)
        {
            RetryAll(items, outcome, $"HTTP {code}: {ErrorText(responseBody)}");
            return;
        }

        if (code is < 200 or >= 300)
        {
            foreach (var index in items)
            {
                outcome.Reject(index, $"HTTP {code}: {ErrorText(responseBody)}");
            }

            return;
        }

        ApplyItemResults(responseBody, items, outcome);
    }

    private HttpContent BulkContent(ReadOnlyMemory<byte> body)
    {
        HttpContent content;
        if (_options.Gzip)
        {
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(body.Span);
            }

            content = new ByteArrayContent(compressed.ToArray());
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ReadOnlyMemoryContent(body.ToArray());
        }

        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return content;
    }

    /// <summary>Reads <c>items[j].create.status</c> (and error) for each action sent.</summary>
    private static void ApplyItemResults(byte[] responseBody, List<int> items, BatchOutcome outcome)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(responseBody);
        }
        catch (JsonException exception)
        {
            RetryAll(items, outcome, $"unreadable bulk response: {exception.Message}");
            return;
        }

        using (document)
        {
            if (!document.RootElement.TryGetProperty("items", out var results) || results.ValueKind != JsonValueKind.Array ||
                results.GetArrayLength() != items.Count)
            {
                RetryAll(items, outcome, $"bulk response does not have one result for each of the {items.Count} actions");
                return;
            }

            var j = 0;
            foreach (var result in results.EnumerateArray())
            {
                var index = items[j++];
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
                else
                {
                    outcome.Reject(index, $"item status {status}: {ErrorText(operation)}");
                }
            }
        }
    }

    private static void RetryAll(List<int> items, BatchOutcome outcome, string reason)
    {
        foreach (var index in items)
        {
            outcome.Retry(index, reason);
        }
    }

    /// <summary><c>type: reason</c> from an Elasticsearch <c>error</c> (object or string), or a short body excerpt.</summary>
    private static string ErrorText(byte[] responseBody)
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

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var (status, body, response) = await SendControlAsync(HttpMethod.Get, "", null, cancellationToken);
        using (response)
        {
            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new SinkFatalException(
                    $"Elasticsearch at {_displayUrl} refused the credentials (HTTP {(int)status}); check Outputs:Elasticsearch ApiKey/ApiKeyFile or Username/Password.");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Elasticsearch at {_displayUrl} answered GET / with HTTP {(int)status}: {ErrorText(body)}");
            }

            var version = "unknown";
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.TryGetProperty("version", out var v) && v.TryGetProperty("number", out var n))
                {
                    version = n.GetString() ?? version;
                }
            }
            catch (JsonException)
            {
                // version stays unknown; the bulk API is what matters
            }

            var product = response.Headers.TryGetValues("X-Elastic-Product", out var values) ? string.Join(",", values) : null;
            _log.Log(
                product is null ? PipelineLogLevel.Warning : PipelineLogLevel.Information,
                Name,
                product is null
                    ? $"{_displayUrl} answered without X-Elastic-Product (version {version}); it may not be Elasticsearch."
                    : $"Connected to {product} {version} at {_displayUrl}.");
        }
    }

    /// <summary>PUTs component templates first (index templates compose them), each in file-name order.</summary>
    private async Task InstallTemplatesAsync(CancellationToken cancellationToken)
    {
        foreach (var (folder, endpoint) in new[] { ("component_template", "_component_template"), ("index_template", "_index_template") })
        {
            var directory = Path.Combine(_options.TemplatesDirectory, folder);
            if (!Directory.Exists(directory))
            {
                throw new InvalidOperationException(
                    $"Outputs:Elasticsearch:TemplatesDirectory '{_options.TemplatesDirectory}' has no {folder} folder (set InstallTemplates=false to skip).");
            }

            foreach (var file in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                var content = new ByteArrayContent(await System.IO.File.ReadAllBytesAsync(file, cancellationToken));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var (status, body, response) = await SendControlAsync(HttpMethod.Put, $"{endpoint}/{Uri.EscapeDataString(name)}", content, cancellationToken);
                using (response)
                {
                    if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    {
                        throw new SinkFatalException(
                            $"Elasticsearch refused to install {endpoint}/{name} (HTTP {(int)status}); the credentials need manage_index_templates, or set InstallTemplates=false.");
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"Installing {endpoint}/{name} from '{file}' failed with HTTP {(int)status}: {ErrorText(body)}");
                    }
                }

                _log.Log(PipelineLogLevel.Information, Name, $"Installed {endpoint}/{name}.");
            }
        }
    }

    private async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Response)> SendControlAsync(
        HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var response = await _http.SendAsync(request, linked.Token);
            var body = await response.Content.ReadAsByteArrayAsync(linked.Token);
            return (response.StatusCode, body, response);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"Elasticsearch at {_displayUrl} did not answer {method} /{path} within {_options.RequestTimeout}.", exception);
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException($"Cannot reach Elasticsearch at {_displayUrl}: {UrlRedaction.RedactIn(exception.Message, _options.Url)}", exception);
        }
    }

    private static AuthenticationHeaderValue? ResolveAuthorization(ElasticsearchSinkOptions options)
    {
        var apiKey = !string.IsNullOrEmpty(options.ApiKeyFile) ? ReadSecretFile(options.ApiKeyFile, "ApiKeyFile") : options.ApiKey;
        if (!string.IsNullOrEmpty(apiKey))
        {
            return new AuthenticationHeaderValue("ApiKey", apiKey);
        }

        if (!string.IsNullOrEmpty(options.Username))
        {
            var password = !string.IsNullOrEmpty(options.PasswordFile) ? ReadSecretFile(options.PasswordFile, "PasswordFile") : options.Password;
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{password}"));
            return new AuthenticationHeaderValue("Basic", credentials);
        }

        // https://user:password@host as curl and the Elasticsearch clients read it, when nothing else is configured.
        if (Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        }

        return null;
    }

    private static string ReadSecretFile(string path, string setting)
    {
        try
        {
            var value = System.IO.File.ReadAllText(path).Trim();
            return value.Length > 0 ? value : throw new ArgumentException($"Outputs:Elasticsearch:{setting} '{path}' is empty.");
        }
        catch (IOException exception)
        {
            throw new ArgumentException($"Outputs:Elasticsearch:{setting} '{path}' cannot be read: {exception.Message}", exception);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new ArgumentException($"Outputs:Elasticsearch:{setting} '{path}' cannot be read: {exception.Message}", exception);
        }
    }

    /// <summary>Accepts a certificate the system trusts, or one that chains to a certificate in <c>CaFile</c>; the host name must match either way.</summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false; // no certificate, or the name does not match: a custom CA does not excuse that
        }

        using var customChain = new X509Chain();
        customChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        customChain.ChainPolicy.CustomTrustStore.AddRange(_trustedRoots!);
        customChain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            customChain.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        using var leaf = new X509Certificate2(certificate);
        return customChain.Build(leaf);
    }
}
