namespace ZertForwarder.Sinks.Secrets;

/// <summary>
/// Reads a credential from a file (a mounted Kubernetes secret, a file only the service user can read): the one rule
/// for every output and for Kibana, so a secret file means the same wherever it is configured.
/// </summary>
/// <remarks>
/// Secret files usually end with a line end (editors, <c>echo</c>, <c>kubectl create secret --from-file</c> of such a
/// file); it is never part of the secret. Tokens and API keys never contain white space, so they are trimmed at both
/// ends; a password may begin or end with spaces, so only the line end is removed.
/// </remarks>
internal static class SecretFile
{
    /// <summary>A token or API key (Splunk HEC token, Elasticsearch and Kibana API keys): trimmed.</summary>
    public static string ReadToken(string path) => File.ReadAllText(path).Trim();

    /// <summary>A password (Elasticsearch, Kibana, Kafka SASL): the file without its trailing line end.</summary>
    public static string ReadPassword(string path) => File.ReadAllText(path).TrimEnd('\r', '\n');

    /// <summary>
    /// Whether a token or API key can go into an HTTP <c>Authorization</c> header as it is: one word, without spaces,
    /// line breaks or control characters (a line break there is refused by the HTTP client when the header is made).
    /// </summary>
    public static bool IsUsableToken(string token) => token.Length > 0 && !token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
}
