using ZertForwarder.Sinks.Secrets;

namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>Options of <see cref="ElasticsearchSink"/> (config section <c>Outputs:Elasticsearch</c>).</summary>
/// <remarks>
/// Secrets: set <see cref="ApiKey"/> / <see cref="Password"/> only through environment variables
/// (<c>ZERTFORWARDER_Outputs__Elasticsearch__ApiKey</c>) or, better, point <see cref="ApiKeyFile"/> / <see cref="PasswordFile"/> at a
/// mounted secret. They are never logged.
/// </remarks>
public sealed class ElasticsearchSinkOptions
{
    /// <summary>Base URL of the cluster, e.g. <c>https://es.example:9200</c> (the one-node form of <see cref="Urls"/>).</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// Several nodes of one cluster: requests go to the first live one and fail over to the next when a node does not
    /// answer (a static node pool, no sniffing: the list is what the forwarder may talk to).
    /// </summary>
    public string[] Urls { get; set; } = [];

    /// <summary>Elastic Cloud deployment id (<c>name:base64</c>) instead of <see cref="Url"/>/<see cref="Urls"/>.</summary>
    public string? CloudId { get; set; }

    /// <summary>Data stream namespace: events go to <c>logs-&lt;dataset&gt;-&lt;namespace&gt;</c> (output contract §6).</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>Encoded API key (base64 of <c>id:key</c>, as Elasticsearch returns it in <c>encoded</c>); sent as <c>Authorization: ApiKey …</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>File holding the encoded API key (surrounding whitespace ignored).</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>User for basic authentication (with <see cref="Password"/> or <see cref="PasswordFile"/>).</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>File holding the basic-auth password (a trailing newline is ignored).</summary>
    public string? PasswordFile { get; set; }

    /// <summary>PEM file with CA certificate(s) trusted in addition to the system store (self-signed clusters). Verification is always on.</summary>
    public string? CaFile { get; set; }

    /// <summary>
    /// SHA-256 fingerprint (hex, colons optional) of a certificate in the server's chain, e.g. the HTTP CA fingerprint
    /// Elasticsearch prints at its first start: that chain is trusted without <see cref="CaFile"/>. The host name must
    /// still match.
    /// </summary>
    public string? CertificateFingerprint { get; set; }

    /// <summary>
    /// How long the data stream lifecycle keeps data (Elasticsearch time units: <c>90d</c>, <c>12h</c>), written into the
    /// index templates at installation. Ignored when <see cref="IlmPolicy"/> is set.
    /// </summary>
    public string Retention { get; set; } = "90d";

    /// <summary>An existing ILM policy to manage the data streams instead of the data stream lifecycle.</summary>
    public string? IlmPolicy { get; set; }

    /// <summary>Check the cluster with <c>GET /</c> at start-up (fails fast on wrong URL or credentials).</summary>
    public bool ProbeOnStart { get; set; } = true;

    /// <summary>PUT the component and index templates from <see cref="TemplatesDirectory"/> at start-up.</summary>
    public bool InstallTemplates { get; set; } = true;

    /// <summary>Holds <c>component_template/*.json</c> and <c>index_template/*.json</c>; each file name (without .json) is the template name.</summary>
    public string TemplatesDirectory { get; set; } = "mappings/elasticsearch";

    /// <summary>Compress bulk bodies (<c>Content-Encoding: gzip</c>).</summary>
    public bool Gzip { get; set; } = true;

    /// <summary>Time limit of one HTTP request; a bulk request that takes longer is retried.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest uncompressed bulk body; a bigger batch is sent as several requests.</summary>
    public long MaxBulkBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>The node URLs as configured, with the key each came from (for messages).</summary>
    internal IEnumerable<(string Key, string Url)> NodeUrlSettings()
    {
        if (!string.IsNullOrEmpty(Url))
        {
            yield return ("Url", Url);
        }

        for (var i = 0; i < Urls.Length; i++)
        {
            yield return ($"Urls:{i}", Urls[i]);
        }
    }

    /// <summary>Problems with these settings; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        var locations = (string.IsNullOrEmpty(Url) ? 0 : 1) + (Urls.Length > 0 ? 1 : 0) + (string.IsNullOrEmpty(CloudId) ? 0 : 1);
        if (locations != 1)
        {
            problems.Add("Outputs:Elasticsearch: set exactly one of Url, Urls or CloudId.");
        }

        foreach (var (key, value) in NodeUrlSettings())
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"Outputs:Elasticsearch:{key} must be an absolute http:// or https:// URL.");
            }
            else if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                // A query is no part of a node address; one that carries a key would be shown wherever the URL is.
                problems.Add($"Outputs:Elasticsearch:{key} must not carry a query or fragment; give an API key as ApiKey or ApiKeyFile.");
            }
        }

        if (!string.IsNullOrEmpty(CloudId) && !ElasticsearchConnection.IsWellFormedCloudId(CloudId))
        {
            problems.Add("Outputs:Elasticsearch:CloudId must be '<name>:<base64 of host$es-id$kibana-id>' as the Elastic Cloud console shows it.");
        }

        if (!string.IsNullOrEmpty(CloudId) && string.IsNullOrEmpty(ApiKey) && string.IsNullOrEmpty(ApiKeyFile) && string.IsNullOrEmpty(Username))
        {
            problems.Add("Outputs:Elasticsearch:CloudId needs ApiKey/ApiKeyFile or Username/Password (Elastic Cloud always authenticates).");
        }

        if (!string.IsNullOrEmpty(CertificateFingerprint) && ElasticsearchConnection.NormalizeFingerprint(CertificateFingerprint) is null)
        {
            problems.Add("Outputs:Elasticsearch:CertificateFingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed.");
        }

        if (string.IsNullOrEmpty(IlmPolicy) && !ElasticsearchTemplateInstaller.IsValidRetention(Retention))
        {
            problems.Add("Outputs:Elasticsearch:Retention must be a positive Elasticsearch time value such as 90d, 12h or 30m.");
        }

        if (!ElasticsearchSink.IsValidNamespace(Namespace))
        {
            problems.Add("Outputs:Elasticsearch:Namespace must be 1-100 lower-case characters without '-', spaces or \\/*?\"<>|,#.");
        }

        var hasApiKey = !string.IsNullOrEmpty(ApiKey) || !string.IsNullOrEmpty(ApiKeyFile);
        var hasBasic = !string.IsNullOrEmpty(Username);
        if (hasApiKey && hasBasic)
        {
            problems.Add("Outputs:Elasticsearch: configure either ApiKey/ApiKeyFile or Username/Password, not both.");
        }

        if (!string.IsNullOrEmpty(ApiKey) && !string.IsNullOrEmpty(ApiKeyFile))
        {
            problems.Add("Outputs:Elasticsearch: set ApiKey or ApiKeyFile, not both.");
        }
        else if (!string.IsNullOrEmpty(ApiKey) && !SecretFile.IsUsableToken(ApiKey))
        {
            // It goes into the Authorization header as it is; the value itself is not shown.
            problems.Add("Outputs:Elasticsearch:ApiKey contains spaces, line breaks or control characters (an API key is one word; the value is not shown).");
        }

        if (hasBasic && string.IsNullOrEmpty(Password) == string.IsNullOrEmpty(PasswordFile))
        {
            problems.Add("Outputs:Elasticsearch: Username needs exactly one of Password or PasswordFile.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add("Outputs:Elasticsearch:RequestTimeout must be positive.");
        }

        if (MaxBulkBytes < 1)
        {
            problems.Add("Outputs:Elasticsearch:MaxBulkBytes must be positive.");
        }

        if (InstallTemplates && string.IsNullOrWhiteSpace(TemplatesDirectory))
        {
            problems.Add("Outputs:Elasticsearch:TemplatesDirectory is required when InstallTemplates is true.");
        }

        return problems;
    }
}
