namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>Options of <see cref="ElasticsearchSink"/> (config section <c>Outputs:Elasticsearch</c>).</summary>
/// <remarks>
/// Secrets: set <see cref="ApiKey"/> / <see cref="Password"/> only through environment variables
/// (<c>Outputs__Elasticsearch__ApiKey</c>) or, better, point <see cref="ApiKeyFile"/> / <see cref="PasswordFile"/> at a
/// mounted secret. They are never logged.
/// </remarks>
public sealed class ElasticsearchSinkOptions
{
    /// <summary>Base URL of the cluster, e.g. <c>https://es.example:9200</c>.</summary>
    public string Url { get; set; } = "";

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

    /// <summary>Problems with these settings; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add("Outputs:Elasticsearch:Url must be an absolute http:// or https:// URL.");
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
