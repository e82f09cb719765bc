using ZertForwarder.Forwarding;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Elasticsearch;
using ZertForwarder.Sinks.Kafka;

namespace ZertForwarder.Configuration;

/// <summary>
/// The configured credentials that would cross the network unencrypted: a password, API key or token sent to an
/// <c>http://</c> URL, a SASL password or token over <c>sasl_plaintext</c>, a Kafka OIDC client secret sent to an
/// <c>http://</c> token endpoint. That is allowed (a lab, a proxy beside the forwarder that adds TLS), but each start
/// names it as a warning (README "TLS verification").
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
        if (options.Input.Kafka is { } source) found.AddRange(Find("Input:Kafka", source));
        if (options.Outputs.Kafka is { } kafka) found.AddRange(Find("Outputs:Kafka", kafka));
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
    /// What the Kafka connection of <paramref name="section"/> sends unencrypted: the SASL secret itself (PLAIN: the
    /// password; OAUTHBEARER: the token) over <c>sasl_plaintext</c>; SCRAM proves the password without sending it, so it
    /// is not named. And, over either sasl_ protocol, the OIDC client credentials sent to an <c>http://</c> token endpoint.
    /// </summary>
    private static IEnumerable<string> Find(string section, KafkaConnectionOptions kafka)
    {
        // Properties override the typed settings; librdkafka names the property sasl.mechanisms, sasl.mechanism is its alias.
        var protocol = (Property(kafka, "security.protocol") ?? kafka.SecurityProtocol)?.Trim().ToLowerInvariant();
        var mechanism = (Property(kafka, "sasl.mechanisms") ?? Property(kafka, "sasl.mechanism") ?? kafka.SaslMechanism)?.Trim().ToUpperInvariant();
        // Without a sasl_ protocol no SASL login starts; librdkafka's default mechanism is GSSAPI (Kerberos), which sends no password.
        if (protocol is not ("sasl_plaintext" or "sasl_ssl")) yield break;
        if (protocol == "sasl_plaintext" && mechanism is ("PLAIN" or "OAUTHBEARER"))
            yield return $"{section} sends its SASL {mechanism} credentials unencrypted (security protocol sasl_plaintext): use sasl_ssl";
        if (mechanism == "OAUTHBEARER" && OidcTokenEndpointWithoutTls(kafka) is { } tokenEndpoint)
            yield return $"{section}:Properties:sasl.oauthbearer.token.endpoint.url {UrlRedaction.Redact(tokenEndpoint.Trim())} receives the OIDC client secret or assertion unencrypted: use https://";
    }

    /// <summary>
    /// The <c>http://</c> token endpoint that librdkafka's OIDC token fetch sends client credentials to: the client
    /// secret (client_credentials grant, the default) or a signed assertion (jwt-bearer grant); null otherwise. Azure
    /// IMDS (<c>sasl.oauthbearer.metadata.authentication.type=azure_imds</c>) is configured with neither, so it is not named.
    /// </summary>
    private static string? OidcTokenEndpointWithoutTls(KafkaConnectionOptions kafka)
    {
        if (!string.Equals(Property(kafka, "sasl.oauthbearer.method")?.Trim(), "oidc", StringComparison.OrdinalIgnoreCase)) return null;
        if (Property(kafka, "sasl.oauthbearer.token.endpoint.url") is not { } endpoint || !IsHttp(endpoint)) return null;
        var sendsSecret = !string.IsNullOrEmpty(Property(kafka, "sasl.oauthbearer.client.secret"))
                          || Property(kafka, "sasl.oauthbearer.grant.type")?.Trim().EndsWith(":jwt-bearer", StringComparison.OrdinalIgnoreCase) == true;
        return sendsSecret ? endpoint : null;
    }

    private static string? Property(KafkaConnectionOptions kafka, string name) => kafka.Properties.TryGetValue(name, out var value) ? value : null;
}
