using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>
/// The HTTP concern of the Splunk output: one <see cref="HttpClient"/> for the collector at <c>Outputs:Splunk:Url</c>
/// (the token, TLS trust by the system or <c>CaFile</c>, gzip, <c>RequestTimeout</c> on each call as a whole) and the
/// wording of what went wrong with a connection.
/// </summary>
internal sealed class HecConnection : IDisposable
{
    public const string ChannelHeader = "X-Splunk-Request-Channel";

    private const string EventPath = "services/collector/event";
    private const string HealthPath = "services/collector/health";

    private readonly SplunkHecSinkOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly X509Certificate2Collection? _trustedRoots;
    private readonly string _host;

    /// <summary>
    /// Why the last TLS handshake was refused (set by the certificate check), for the error or retry reason of that
    /// handshake only: taken by the first TLS failure that reports it (<see cref="ConnectionError"/>).
    /// </summary>
    private string? _certificateProblem;

    // Compression buffers are reused: fresh megabyte-sized buffers per batch would land on the large object heap and
    // cost a full collection every few batches.
    private readonly ConcurrentBag<MemoryStream> _compressionBuffers = [];

    public HecConnection(SplunkHecSinkOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.GZip,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.RequestTimeout,
        };
        if (!string.IsNullOrEmpty(options.CaFile))
        {
            var (roots, problem) = SplunkHecSinkOptions.TryLoadCaFile(options.CaFile);
            _trustedRoots = roots ?? throw new ArgumentException(problem, nameof(options));
        }

        // With or without CaFile: the same verification as the system's, plus the reason of a refusal for the error.
        handler.SslOptions.RemoteCertificateValidationCallback = ValidateServerCertificate;
        var baseUri = new Uri(options.Url.EndsWith('/') ? options.Url : options.Url + "/");
        _host = baseUri.Host;
        // Logs name the collector by scheme, host and port only: a path could hold something private.
        Endpoint = baseUri.GetLeftPart(UriPartial.Authority);
        var token = options.Token?.Trim();
        if (!string.IsNullOrEmpty(options.TokenFile))
        {
            var (fromFile, problem) = SplunkHecSinkOptions.TryReadTokenFile(options.TokenFile);
            token = fromFile ?? throw new ArgumentException(problem, nameof(options));
        }

        _http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Splunk", token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ZertForwarder", "1.0"));
    }

    public string Endpoint { get; }

    /// <summary>A start-up request: failures become exceptions that name the collector (the host reports them and exits 2).</summary>
    public async Task<(HttpStatusCode Status, byte[] Body)> GetHealthAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, HealthPath);
        try
        {
            return await SendAsync(request, cancellationToken);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"HTTP Event Collector at {Endpoint} did not answer the health check within {_options.RequestTimeout}.", exception);
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException($"Cannot reach the HTTP Event Collector at {Endpoint}: {ConnectionError(exception)}", exception);
        }
    }

    public async Task<(HttpStatusCode Status, byte[] Body)> PostEventsAsync(ReadOnlyMemory<byte> envelopes, string channelId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, EventPath) { Content = EventContent(envelopes) };
        request.Headers.Add(ChannelHeader, channelId);
        return await SendAsync(request, cancellationToken);
    }

    public async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var response = await _http.SendAsync(request, linked.Token);
        var body = await response.Content.ReadAsByteArrayAsync(linked.Token);
        return (response.StatusCode, body);
    }

    public SinkFatalException Refused(HttpStatusCode status, HecAnswer answer, string what) =>
        new($"HTTP Event Collector at {Endpoint} refused {what} with HTTP {(int)status} ({answer}); check Outputs:Splunk:Token/TokenFile and that the token is enabled.");

    /// <summary>
    /// What went wrong with a connection: the certificate refusal in full when that was it (the client's own words are
    /// "see inner exception"). A refusal is reported once, by the failure of its handshake: a later TLS failure (the
    /// collector serving plain HTTP, say) is not that certificate again.
    /// </summary>
    public string ConnectionError(HttpRequestException exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException handshake)
            {
                return Interlocked.Exchange(ref _certificateProblem, null) is { } problem
                    ? "TLS certificate refused: " + problem
                    : $"TLS handshake failed: {handshake.Message}";
            }
        }

        return exception.Message;
    }

    public void Dispose() => _http.Dispose();

    private HttpContent EventContent(ReadOnlyMemory<byte> body)
    {
        // The content owns its bytes: the shared buffers go back to the pool while the handler may still hold it.
        HttpContent content;
        if (_options.Gzip)
        {
            var compressed = _compressionBuffers.TryTake(out var reused) ? reused : new MemoryStream(128 * 1024);
            compressed.SetLength(0);
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(body.Span);
            }

            content = new ByteArrayContent(compressed.ToArray());
            _compressionBuffers.Add(compressed);
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ByteArrayContent(body.ToArray());
        }

        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>
    /// Accepts a certificate the system trusts, or one that chains to a certificate in <c>CaFile</c>; the host name must
    /// match either way. A refusal is kept (<see cref="_certificateProblem"/>) in words that say what to change.
    /// </summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var refusal = ServerCertificateTrust.Check(certificate, chain, errors, _trustedRoots);
        if (refusal == CertificateRefusal.None)
        {
            return true;
        }

        Volatile.Write(ref _certificateProblem, ServerCertificateTrust.Describe(refusal, certificate, errors, Endpoint, _host,
            "connect by one of those names (Outputs:Splunk:Url)", "Outputs:Splunk:CaFile", _trustedRoots is null ? null : _options.CaFile));
        return false;
    }
}
