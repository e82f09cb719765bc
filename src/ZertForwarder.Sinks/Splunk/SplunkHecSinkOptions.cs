using System.Security.Cryptography.X509Certificates;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Secrets;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>Options of <see cref="SplunkHecSink"/> (config section <c>Outputs:Splunk</c>).</summary>
/// <remarks>
/// The token is a secret: give it through the environment (<c>ZERTFORWARDER_Outputs__Splunk__Token</c>) or, better,
/// <see cref="TokenFile"/> pointing at a mounted secret. It is never logged, and neither is anything after the host
/// part of <see cref="Url"/>.
/// </remarks>
public sealed class SplunkHecSinkOptions
{
    /// <summary>Base URL of the HTTP Event Collector, e.g. <c>https://splunk.example:8088</c> (the <c>/services/collector/...</c> paths are appended).</summary>
    public string Url { get; set; } = "";

    /// <summary>HEC token, sent as <c>Authorization: Splunk &lt;token&gt;</c>.</summary>
    public string? Token { get; set; }

    /// <summary>File holding the HEC token (surrounding whitespace ignored).</summary>
    public string? TokenFile { get; set; }

    /// <summary>Index of every event; when not set, the token's default index.</summary>
    public string? Index { get; set; }

    /// <summary>The <c>source</c> of every event.</summary>
    public string Source { get; set; } = "zertforwarder";

    /// <summary>PEM file with CA certificate(s) trusted in addition to the system store (Splunk's own CA, a private PKI). Verification is always on.</summary>
    public string? CaFile { get; set; }

    /// <summary>Compress request bodies (<c>Content-Encoding: gzip</c>).</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>
    /// Largest uncompressed request body; a bigger batch is sent as several requests. The default stays under the
    /// <c>max_content_length</c> of older Splunk releases (1,000,000 bytes).
    /// </summary>
    public long MaxRequestBytes { get; set; } = 1_000_000;

    /// <summary>Time limit of one HTTP request; a request that takes longer is retried.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Indexer acknowledgement: a batch counts as delivered only once <c>/services/collector/ack</c> reports its
    /// <c>ackId</c> indexed. The token must have indexer acknowledgement enabled.
    /// </summary>
    public bool UseAck { get; set; }

    /// <summary>How long to wait for a batch's acknowledgement before sending the batch again (at least once: it may then be indexed twice).</summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Pause between two polls of <c>/services/collector/ack</c>.</summary>
    public TimeSpan AckPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>With <see cref="UseAck"/>, how many batches may wait for their acknowledgement at once (so that indexing latency does not cap throughput).</summary>
    public int MaxBatchesAwaitingAck { get; set; } = 4;

    /// <summary>
    /// Problems with the values of these settings (each names its key); empty when they are usable. What the files
    /// contain is checked at start-up with the other files (<c>StartupChecks</c>) and again when the sink is built.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        const string section = "Outputs:Splunk";
        var problems = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{section}:Url must be an absolute http:// or https:// URL such as https://splunk:8088.");
        }
        else if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query))
        {
            // A token in the URL would end up in logs and proxies: it belongs in Token/TokenFile.
            problems.Add($"{section}:Url must not carry credentials or a query; give the token as Token or TokenFile.");
        }

        var hasToken = !string.IsNullOrEmpty(Token);
        var hasTokenFile = !string.IsNullOrEmpty(TokenFile);
        if (hasToken == hasTokenFile)
        {
            problems.Add($"{section}: set exactly one of Token or TokenFile.");
        }
        else if (hasToken && !SecretFile.IsUsableToken(Token!.Trim()))
        {
            // The token goes into an HTTP header; say so here rather than fail later (the value itself is not shown).
            problems.Add($"{section}:Token: the token is empty or contains spaces or control characters.");
        }

        if (Index is not null && !IsValidIndexName(Index))
        {
            problems.Add($"{section}:Index '{Index}' is not a Splunk index name (lower-case letters, digits, '_' and '-', not starting with '_' or '-').");
        }

        if (string.IsNullOrWhiteSpace(Source))
        {
            problems.Add($"{section}:Source must not be empty.");
        }

        if (MaxRequestBytes < 1024)
        {
            problems.Add($"{section}:MaxRequestBytes must be at least 1024.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{section}:RequestTimeout must be positive.");
        }

        if (AckTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{section}:AckTimeout must be positive.");
        }

        if (AckPollInterval <= TimeSpan.Zero)
        {
            problems.Add($"{section}:AckPollInterval must be positive.");
        }

        if (MaxBatchesAwaitingAck is < 1 or > 64)
        {
            problems.Add($"{section}:MaxBatchesAwaitingAck must be 1-64.");
        }

        return problems;
    }

    /// <summary>
    /// The collector as README promises to name it in logs: scheme, host and port only. A path can be a proxy's
    /// private route and a query a credential; neither is printed.
    /// </summary>
    internal string CollectorName() =>
        Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? $"{uri.Scheme}://{uri.Host}:{uri.Port}"
            : UrlRedaction.Redact(Url);

    /// <summary>Splunk index names: lower case, digits, underscores and hyphens, not starting with an underscore or hyphen.</summary>
    public static bool IsValidIndexName(string value) =>
        value.Length is > 0 and <= 80 && value[0] is not ('_' or '-') &&
        value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');

    internal static (string? Token, string? Problem) TryReadTokenFile(string path)
    {
        try
        {
            var value = SecretFile.ReadToken(path);
            return SecretFile.IsUsableToken(value)
                ? (value, null)
                : (null, $"Outputs:Splunk:TokenFile '{path}' is empty or its token contains spaces or control characters.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"Outputs:Splunk:TokenFile '{path}' cannot be read: {e.Message}");
        }
    }

    internal static (X509Certificate2Collection? Roots, string? Problem) TryLoadCaFile(string path)
    {
        if (!File.Exists(path))
        {
            return (null, $"Outputs:Splunk:CaFile '{path}' does not exist.");
        }

        try
        {
            return (ServerCertificateTrust.LoadCaFile(path, "Outputs:Splunk:CaFile"), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
    }
}
