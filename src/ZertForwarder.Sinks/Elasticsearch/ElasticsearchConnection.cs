using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Elastic.Clients.Elasticsearch;
using Elastic.Transport;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Secrets;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>
/// The connection concern of the Elasticsearch output: one <see cref="ElasticsearchClient"/> built from
/// <see cref="ElasticsearchSinkOptions"/> (node pool or Elastic Cloud id, API key or basic authentication read from
/// files, TLS trust by <c>CaFile</c> or a pinned <c>CertificateFingerprint</c>, gzip, time-outs, no sniffing) and a
/// raw <c>_bulk</c> call that hands pre-serialized NDJSON to the client's transport unchanged.
/// </summary>
/// <remarks>
/// Several <c>Urls</c> make a static node pool: a node that refuses connections or times out is marked dead and the
/// request goes to the next one; the client pings a node (<c>HEAD /</c>) before it first uses it. Sniffing stays off
/// so the forwarder only ever talks to the nodes it was given (behind a load balancer or a proxy, sniffed publish
/// addresses are often unreachable).
/// </remarks>
internal sealed class ElasticsearchConnection : IDisposable
{
    /// <summary>
    /// The request settings of the start-up calls, the probe and the templates (whose failure stops the run): plain
    /// media types rather than the client's <c>compatible-with=9</c> ones, so the same forwarder talks to Elasticsearch
    /// 8.x and 9.x (8.x refuses a compatible-with=9 header), and at least <see cref="MinimumStartupTimeout"/>.
    /// </summary>
    internal RequestConfiguration StartupRequest { get; }

    private static readonly RequestConfiguration BulkRequest = new() { Accept = "application/json", ContentType = "application/x-ndjson" };

    private static readonly RequestConfiguration GzipBulkRequest = new()
    {
        Accept = "application/json",
        ContentType = "application/x-ndjson",
        Headers = new System.Collections.Specialized.NameValueCollection { { BulkGzipHandler.Marker, "1" } },
    };

    private readonly bool _gzip;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;

    private readonly X509Certificate2Collection? _trustedRoots;
    private readonly byte[]? _pinnedFingerprint;
    private readonly ElasticsearchClientSettings _settings;
    private readonly string _nodeHosts;
    private readonly List<(string Key, string Url)> _nodeUrls;
    private string? _lastTlsRefusal;

    /// <summary>Shortest wait for a start-up call (the probe <c>GET /</c>, the templates), whatever <c>RequestTimeout</c> says.</summary>
    internal static readonly TimeSpan MinimumStartupTimeout = TimeSpan.FromSeconds(5);

    /// <param name="timeProvider">The clock of the whole-call time limits (<see cref="CallAsync{TResponse}"/>).</param>
    public ElasticsearchConnection(ElasticsearchSinkOptions options, TimeProvider? timeProvider = null)
    {
        Description = Describe(options);
        _requestTimeout = options.RequestTimeout;
        _time = timeProvider ?? TimeProvider.System;
        // A short RequestTimeout is for bulk requests (a slow one is retried); a start-up call's failure stops the run,
        // so the probe and the template calls wait at least MinimumStartupTimeout for a cluster (or a loaded host) slow
        // to answer (with the templates bound by RequestTimeout alone, a 1 s setting stopped a start on a loaded host).
        StartupRequest = new RequestConfiguration
        {
            Accept = "application/json",
            ContentType = "application/json",
            RequestTimeout = options.RequestTimeout > MinimumStartupTimeout ? options.RequestTimeout : MinimumStartupTimeout,
        };
        _nodeUrls = [.. options.NodeUrlSettings()];
        if (!string.IsNullOrEmpty(options.CaFile))
        {
            _trustedRoots = ServerCertificateTrust.LoadCaFile(options.CaFile, "Outputs:Elasticsearch:CaFile");
        }

        if (!string.IsNullOrEmpty(options.CertificateFingerprint))
        {
            _pinnedFingerprint = NormalizeFingerprint(options.CertificateFingerprint);
        }

        var authentication = ResolveAuthentication(options);
        NodePool pool;
        if (!string.IsNullOrEmpty(options.CloudId))
        {
            pool = new CloudNodePool(options.CloudId, authentication ?? throw new ArgumentException("Outputs:Elasticsearch:CloudId needs ApiKey/ApiKeyFile or Username/Password."));
        }
        else
        {
            // User info never goes into a node's URI (where the transport could show it): it is basic authentication.
            var nodes = options.NodeUrlSettings().Select(n => new Uri(UrlRedaction.Redact(n.Url))).ToList();
            pool = nodes.Count == 1 ? new SingleNodePool(nodes[0]) : new StaticNodePool(nodes, randomize: false);
        }

        NodeCount = pool.Nodes.Count;
        _nodeHosts = string.Join(" or ", pool.Nodes.Select(n => $"'{n.Uri.Host}'").Distinct());
        // The transport's own compression uses GZip's default (optimal) level, which costs bulk bodies about twice
        // the CPU of the fastest level for 2 points of ratio: the sink compresses bulk bodies itself (BulkAsync).
        _gzip = options.Gzip;
        var invoker = new HttpRequestInvoker((handler, _) => new BulkGzipHandler(handler));
        _settings = new ElasticsearchClientSettings(pool, invoker)
            .EnableHttpCompression(false)
            .RequestTimeout(options.RequestTimeout)
            .PingTimeout(options.RequestTimeout < TimeSpan.FromSeconds(2) ? options.RequestTimeout : TimeSpan.FromSeconds(2))
            .SniffOnStartup(false)
            .SniffOnConnectionFault(false)
            .ServerCertificateValidationCallback(ValidateServerCertificate);
        if (authentication is not null)
        {
            _settings = _settings.Authentication(authentication);
        }

        Client = new ElasticsearchClient(_settings);
    }

    /// <summary>The typed client (probe, templates): call it through <see cref="CallAsync{TResponse}"/>.</summary>
    public ElasticsearchClient Client { get; }

    /// <summary>Where the output sends, for logs: URLs without user info, or the Cloud deployment's name.</summary>
    public string Description { get; }

    public int NodeCount { get; }

    /// <summary>
    /// POSTs <paramref name="ndjson"/> to <c>_bulk</c> through the client's transport (node selection, failover,
    /// compression, authentication) without re-serializing it.
    /// </summary>
    public async Task<ElasticsearchCall> BulkAsync(string pathAndQuery, ReadOnlyMemory<byte> ndjson, CancellationToken cancellationToken)
    {
        _lastTlsRefusal = null;
        var body = ndjson;
        if (_gzip)
        {
            // Fastest level: a 2.5 KB ECS document compresses about 20:1 either way, at half the CPU of the default.
            using var compressed = new MemoryStream(ndjson.Length / 8 + 64);
            using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(ndjson.Span);
            }

            body = compressed.GetBuffer().AsMemory(0, (int)compressed.Length);
        }

        // The transport's RequestTimeout ends when the response headers arrive (it reads the body under the caller's
        // token only): a body that stalls after them is bounded here, and the call then counts as timed out (retried).
        using var timer = new CancellationTokenSource(_requestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        BytesResponse response;
        try
        {
            response = await Client.Transport.RequestAsync<BytesResponse>(
                new EndpointPath(Elastic.Transport.HttpMethod.POST, pathAndQuery), PostData.ReadOnlyMemory(body), null, _gzip ? GzipBulkRequest : BulkRequest, linked.Token);
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested)
        {
            // The transport wraps a cancellation in the body read (UnexpectedTransportException): a stop is a stop.
            throw new OperationCanceledException("The bulk request was cancelled.", exception, cancellationToken);
        }
        catch (Exception exception) when (timer.IsCancellationRequested)
        {
            return ElasticsearchCall.TimedOutCall(Redacted(exception.Message));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (timer.IsCancellationRequested && (response.ApiCallDetails.OriginalException is not null || response.ApiCallDetails.HttpStatusCode is null))
        {
            return ElasticsearchCall.TimedOutCall(Redacted(response.ApiCallDetails.OriginalException?.Message ?? "no response"));
        }

        var call = ElasticsearchCall.From(response.ApiCallDetails, response.Body, _lastTlsRefusal);
        return call.Failure is null ? call : call with { Failure = Redacted(call.Failure) };
    }

    /// <summary>
    /// One call of the typed client (probe, templates) bounded as a whole, body included, by <paramref name="timeout"/>
    /// (<c>RequestTimeout</c> when null). A call that runs out of time throws <see cref="InvalidOperationException"/> naming
    /// <paramref name="what"/>; when <paramref name="cancellationToken"/> is cancelled (the run is stopping) it throws
    /// <see cref="OperationCanceledException"/>, whatever the client made of it, so a stop is never reported as a failure.
    /// </summary>
    public async Task<TResponse> CallAsync<TResponse>(Func<CancellationToken, Task<TResponse>> call, string what, TimeSpan? timeout, CancellationToken cancellationToken)
        where TResponse : TransportResponse
    {
        var limit = timeout ?? _requestTimeout;
        using var timer = new CancellationTokenSource(limit, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        TResponse response;
        try
        {
            response = await call(linked.Token);
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{what} was cancelled.", exception, cancellationToken);
        }
        catch (Exception exception) when (timer.IsCancellationRequested)
        {
            throw TimedOut(what, limit, exception);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (timer.IsCancellationRequested && (response.ApiCallDetails.OriginalException is not null || response.ApiCallDetails.HttpStatusCode is null))
        {
            throw TimedOut(what, limit, response.ApiCallDetails.OriginalException);
        }

        return response;
    }

    /// <summary>The start-up failure (as "cannot reach"): <see cref="InvalidOperationException"/>, which the host and setup report.</summary>
    private InvalidOperationException TimedOut(string what, TimeSpan limit, Exception? inner) =>
        new($"Elasticsearch at {Description} did not answer {what} within {limit.TotalSeconds:0.###} s (timed out).", inner);

    /// <summary>Why the last call failed before any HTTP status arrived (TLS refusals say which check failed).</summary>
    public string DescribeTransportFailure(ApiCallDetails details) => Redacted(ElasticsearchCall.DescribeFailure(details, _lastTlsRefusal));

    /// <summary>A library message without the user info of any configured URL (it may quote what it was given).</summary>
    private string Redacted(string message)
    {
        foreach (var (_, url) in _nodeUrls)
        {
            message = UrlRedaction.RedactIn(message, url);
        }

        return message;
    }

    public void Dispose() => (_settings as IDisposable).Dispose();

    /// <summary>Upper-case hex of a SHA-256 fingerprint written with or without colons, or null if it is not one.</summary>
    internal static byte[]? NormalizeFingerprint(string text)
    {
        var hex = text.Replace(":", "", StringComparison.Ordinal).Trim();
        if (hex.Length != 64)
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Elastic Cloud ids are <c>name:base64(host$es-uuid$kibana-uuid)</c>.</summary>
    internal static bool IsWellFormedCloudId(string cloudId)
    {
        var colon = cloudId.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == cloudId.Length - 1)
        {
            return false;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(cloudId[(colon + 1)..]));
            return decoded.Split('$').Length >= 2;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Describe(ElasticsearchSinkOptions options)
    {
        if (!string.IsNullOrEmpty(options.CloudId))
        {
            return $"Elastic Cloud deployment '{options.CloudId.Split(':')[0]}'";
        }

        return string.Join(", ", options.NodeUrlSettings().Select(n => UrlRedaction.Redact(n.Url).TrimEnd('/')));
    }

    private static AuthorizationHeader? ResolveAuthentication(ElasticsearchSinkOptions options)
    {
        var apiKey = !string.IsNullOrEmpty(options.ApiKeyFile) ? ReadSecretFile(options.ApiKeyFile, "ApiKeyFile", SecretFile.ReadToken) : options.ApiKey;
        if (!string.IsNullOrEmpty(apiKey))
        {
            return new ApiKey(apiKey);
        }

        if (!string.IsNullOrEmpty(options.Username))
        {
            var password = !string.IsNullOrEmpty(options.PasswordFile) ? ReadSecretFile(options.PasswordFile, "PasswordFile", SecretFile.ReadPassword) : options.Password;
            return new BasicAuthentication(options.Username, password ?? "");
        }

        // user:password inside the URL (discouraged; never logged): the transport would not send it by itself.
        var withUserInfo = options.NodeUrlSettings().Select(n => new Uri(n.Url)).FirstOrDefault(u => u.UserInfo.Length > 0);
        if (withUserInfo is not null)
        {
            var parts = withUserInfo.UserInfo.Split(':', 2);
            return new BasicAuthentication(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
        }

        return null;
    }

    private static string ReadSecretFile(string path, string setting, Func<string, string> read)
    {
        try
        {
            var value = read(path);
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

    /// <summary>
    /// TLS verification is always on. A certificate the system trusts passes; otherwise one whose chain reaches a
    /// <c>CaFile</c> certificate, or holds a certificate with the pinned fingerprint, passes. The host name must match
    /// in every case. A refusal is remembered with its reason so the error names it.
    /// </summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var refusal = ServerCertificateTrust.Check(certificate, chain, errors, _trustedRoots, _pinnedFingerprint);
        if (refusal == CertificateRefusal.None)
        {
            return true;
        }

        if (refusal == CertificateRefusal.NoCertificate)
        {
            return Refuse("the server sent no certificate");
        }

        using var leaf = new X509Certificate2(certificate!);
        return refusal switch
        {
            CertificateRefusal.NameMismatch => Refuse($"host name mismatch: the certificate is for {string.Join(", ", ServerCertificateTrust.Names(leaf))}, " +
                $"not {(sender is HttpRequestMessage { RequestUri: { } uri } ? $"'{uri.Host}'" : _nodeHosts)}; connect by a name the certificate lists"),
            // The error names the node's URL before this reason ("Cannot reach Elasticsearch at ...").
            CertificateRefusal.PolicyError => Refuse(ServerCertificateTrust.DescribePolicyError(leaf, errors, "Elasticsearch")),
            _ when _trustedRoots is not null => Refuse($"the certificate '{leaf.Subject}' does not chain to a certificate in Outputs:Elasticsearch:CaFile"),
            _ when _pinnedFingerprint is not null => Refuse($"no certificate in the server's chain has the pinned CertificateFingerprint (the server's is {Convert.ToHexString(SHA256.HashData(leaf.RawData))})"),
            _ => Refuse($"the certificate '{leaf.Subject}' (issued by '{leaf.Issuer}') is not trusted; set Outputs:Elasticsearch:CaFile to its CA or pin CertificateFingerprint"),
        };
    }

    private bool Refuse(string reason)
    {
        _lastTlsRefusal = "TLS certificate refused: " + reason;
        return false;
    }
}

/// <summary>
/// Labels a body the sink compressed itself: the transport only passes request headers through, so the sink marks
/// the request with <see cref="Marker"/> and this handler turns the mark into <c>Content-Encoding: gzip</c>.
/// </summary>
internal sealed class BulkGzipHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public const string Marker = "x-zertforwarder-body-gzip";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Remove(Marker) && request.Content is { } content)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>What one HTTP call to Elasticsearch came back with: a status and body, or why there is none.</summary>
internal sealed record ElasticsearchCall(int? Status, byte[] Body, string? Failure, bool TimedOut)
{
    public static ElasticsearchCall From(ApiCallDetails details, byte[]? body, string? tlsRefusal)
    {
        if (details.HttpStatusCode is { } status)
        {
            return new ElasticsearchCall(status, body ?? details.ResponseBodyInBytes ?? [], null, false);
        }

        return new ElasticsearchCall(null, [], DescribeFailure(details, tlsRefusal), IsTimeout(details.OriginalException));
    }

    /// <summary>A call that ran out of <c>RequestTimeout</c> (before or after the response headers).</summary>
    public static ElasticsearchCall TimedOutCall(string failure) => new(null, [], failure, true);

    internal static string DescribeFailure(ApiCallDetails details, string? tlsRefusal)
    {
        if (tlsRefusal is not null)
        {
            return tlsRefusal;
        }

        var messages = new List<string>();
        for (var exception = details.OriginalException; exception is not null; exception = exception.InnerException)
        {
            if (!string.IsNullOrWhiteSpace(exception.Message) && !messages.Contains(exception.Message))
            {
                messages.Add(exception.Message.ReplaceLineEndings(" ").Trim());
            }
        }

        return messages.Count == 0 ? "no response" : string.Join(": ", messages.TakeLast(2));
    }

    private static bool IsTimeout(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is TimeoutException or TaskCanceledException)
            {
                return true;
            }
        }

        return false;
    }
}
