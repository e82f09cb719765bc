namespace ZertForwarder.Forwarding;

/// <summary>
/// Where <c>setup</c> installs the Kibana content (config section <c>Kibana</c>): the saved objects and detection
/// rules of <c>mappings/kibana/</c>. Only <c>setup</c> reads it; <c>run</c> never talks to Kibana.
/// </summary>
public sealed class KibanaSettings
{
    /// <summary>Base URL of Kibana, e.g. <c>https://kibana.example:5601</c> (with a base path if Kibana has one).</summary>
    public string Url { get; set; } = "";

    /// <summary>Kibana space to import into; empty is the default space.</summary>
    public string? Space { get; set; }

    /// <summary>File holding an encoded API key (<c>Authorization: ApiKey …</c>).</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>User for basic authentication, with <see cref="PasswordFile"/>.</summary>
    public string? Username { get; set; }

    public string? PasswordFile { get; set; }

    /// <summary>PEM CA certificate(s) trusted in addition to the system store. Verification is always on.</summary>
    public string? CaFile { get; set; }

    /// <summary>Folder of the NDJSON files to import; default <c>&lt;Mappings:Directory&gt;/kibana</c>.</summary>
    public string? ContentDirectory { get; set; }

    /// <summary>Also import the Elastic Security detection rules (<c>*-detection-rules.ndjson</c>).</summary>
    public bool DetectionRules { get; set; } = true;

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Problems with these settings; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add("Kibana:Url must be an absolute http:// or https:// URL.");
        }
        else if (uri.UserInfo.Length > 0)
        {
            problems.Add("Kibana:Url must not hold a user or password; use Kibana:Username and Kibana:PasswordFile.");
        }
        else if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            problems.Add("Kibana:Url must not carry a query or fragment; give an API key as Kibana:ApiKeyFile.");
        }

        if (!string.IsNullOrEmpty(ApiKeyFile) && !string.IsNullOrEmpty(Username))
        {
            problems.Add("Kibana: configure either ApiKeyFile or Username/PasswordFile, not both.");
        }

        if (!string.IsNullOrEmpty(Username) && string.IsNullOrEmpty(PasswordFile))
        {
            problems.Add("Kibana:Username needs Kibana:PasswordFile.");
        }

        foreach (var (key, path) in new[] { ("ApiKeyFile", ApiKeyFile), ("PasswordFile", PasswordFile), ("CaFile", CaFile) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                problems.Add($"Kibana:{key} '{path}' does not exist or is not a file.");
            }
        }

        if (!string.IsNullOrEmpty(Space) && (Space.Length > 100 || Space.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-'))))
        {
            problems.Add("Kibana:Space must be a space id: lower-case letters, digits, '_' and '-'.");
        }

        if (ContentDirectory is not null && !Directory.Exists(ContentDirectory))
        {
            problems.Add($"Kibana:ContentDirectory '{ContentDirectory}' does not exist.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add("Kibana:RequestTimeout must be positive.");
        }

        return problems;
    }
}
