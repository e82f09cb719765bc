using ZertForwarder.Forwarding;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Elasticsearch;
using ZertForwarder.Sinks.Kafka;

namespace ZertForwarder.Configuration;

/// <summary>
/// The configured credentials that would cross the network unencrypted: a password, API key or token sent to an
/// <c>http://</c> URL, a SASL password or token over <c>sasl_plaintext</c>. That is allowed (a lab, a proxy beside
/// the forwarder that adds TLS), but each start names it as a warning (README "TLS verification").
/// </summary>
internal static class CleartextCredentials
{
    /// <summary>One line per connection that sends its credentials without TLS, naming the setting and what to use instead.</summary>
    public static IReadOnlyList<string> Find(ForwarderOptions options)
    {
        var found = new List<string>();
        if (options.Outputs.Elasticsearch is { } es) found.AddRange(Find(es));
        if (options.Outputs.Splunk is { } splunk && IsHttp(splunk.Url))
            found.Add($"Outputs:Splunk:Url {splunk.CollectorName()} receives the HEC token unencrypted: use https://");
        if (options.Input.Kafka is { } source && SaslWithoutTls(source) is { } inputMechanism)
            found.Add($"Input:Kafka sends its SASL {inputMechanism} credentials unencrypted (security protocol sasl_plaintext): use sasl_ssl");
        if (options.Outputs.Kafka is { } kafka && SaslWithoutTls(kafka) is { } outputMechanism)
            found.Add($"Outputs:Kafka sends its SASL {outputMechanism} credentials unencrypted (security protocol sasl_plaintext): use sasl_ssl");
        return found;
    }

    /// <summary>The Elasticsearch nodes of <paramref name="es"/> that would receive its credentials unencrypted.</summary>
    public static IEnumerable<string> Find(ElasticsearchSinkOptions es)
    {
        var nodes = es.NodeUrlSettings().ToList();
        var credentials = !string.IsNullOrEmpty(es.ApiKey) || !string.IsNullOrEmpty(es.ApiKeyFile) || !string.IsNullOrEmpty(es.Username) ||
                          nodes.Any(n => Uri.TryCreate(n.Url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0);
        return nodes.Where(n => credentials && IsHttp(n.Url))
            .Select(n => $"Outputs:Elasticsearch:{n.Key} {UrlRedaction.Redact(n.Url.Trim())} receives the API key or password unencrypted: use https://");
    }

    /// <summary>The same for the Kibana that <c>setup</c> imports into.</summary>
    public static string? Find(KibanaSettings kibana) =>
        IsHttp(kibana.Url) && (!string.IsNullOrEmpty(kibana.ApiKeyFile) || !string.IsNullOrEmpty(kibana.Username))
            ? $"Kibana:Url {UrlRedaction.Redact(kibana.Url.Trim())} receives the API key or password unencrypted: use https://"
            : null;

    /// <summary>
    /// Whether <paramref name="url"/> is reached over plain http, judged as the connections parse it (<see cref="Uri"/>):
    /// that also takes <c>" http://es:9200"</c> and <c>"http:\\es:9200"</c> for http, which the validation accepts.
    /// </summary>
    private static bool IsHttp(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp;

    /// <summary>
    /// The SASL mechanism when it sends the secret itself (PLAIN: the password; OAUTHBEARER: the token) over a connection
    /// without TLS; null otherwise. SCRAM proves the password without sending it, so it is not named.
    /// </summary>
    private static string? SaslWithoutTls(KafkaConnectionOptions kafka)
    {
        var protocol = kafka.Properties.TryGetValue("security.protocol", out var p) ? p : kafka.SecurityProtocol;
        // Properties override the typed settings; librdkafka names the property sasl.mechanisms, sasl.mechanism is its alias.
        var mechanism = kafka.Properties.TryGetValue("sasl.mechanisms", out var m) || kafka.Properties.TryGetValue("sasl.mechanism", out m)
            ? m
            : kafka.SaslMechanism;
        if (!string.Equals(protocol?.Trim(), "sasl_plaintext", StringComparison.OrdinalIgnoreCase)) return null;
        // librdkafka's default mechanism is GSSAPI (Kerberos), which sends no password.
        var name = mechanism?.Trim().ToUpperInvariant();
        return name is "PLAIN" or "OAUTHBEARER" ? name : null;
    }
}
