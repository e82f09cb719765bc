using Xunit.Abstractions;
using ZertForwarder.Configuration;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// Credentials that would cross the network without TLS (an http:// URL with a key, password or token, SASL PLAIN or
/// OAUTHBEARER over sasl_plaintext) are allowed, but named at each start as a warning (README "TLS verification").
/// </summary>
public sealed class CleartextCredentialsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData("Outputs:Elasticsearch:Url=http://es:9200|Outputs:Elasticsearch:ApiKey=k",
        "Outputs:Elasticsearch:Url http://es:9200 receives the API key or password unencrypted: use https://")]
    [InlineData("Outputs:Elasticsearch:Url=http://elastic:pw-1234@es:9200",
        "Outputs:Elasticsearch:Url http://es:9200 receives the API key or password unencrypted: use https://")]
    [InlineData("Outputs:Elasticsearch:Urls:0=https://es-1:9200|Outputs:Elasticsearch:Urls:1=http://es-2:9200|Outputs:Elasticsearch:Username=u|Outputs:Elasticsearch:Password=p",
        "Outputs:Elasticsearch:Urls:1 http://es-2:9200 receives the API key or password unencrypted: use https://")]
    [InlineData("Outputs:Splunk:Url=http://splunk:8088/private-route|Outputs:Splunk:Token=t",
        "Outputs:Splunk:Url http://splunk:8088 receives the HEC token unencrypted: use https://")]
    // Written otherwise, but still http as the connection parses it (and as the validation accepts it).
    [InlineData("Outputs:Elasticsearch:Url= http://es:9200|Outputs:Elasticsearch:ApiKey=k",
        "Outputs:Elasticsearch:Url http://es:9200 receives the API key or password unencrypted: use https://")]
    [InlineData(@"Outputs:Splunk:Url=http:\\splunk:8088|Outputs:Splunk:Token=t",
        "Outputs:Splunk:Url http://splunk:8088 receives the HEC token unencrypted: use https://")]
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=SASL_PLAINTEXT|Outputs:Kafka:SaslMechanism=PLAIN",
        "Outputs:Kafka sends its SASL PLAIN credentials unencrypted (security protocol sasl_plaintext): use sasl_ssl")]
    [InlineData("Input:Kafka:BootstrapServers=k:9092|Input:Kafka:Properties:security.protocol=sasl_plaintext|Input:Kafka:Properties:sasl.mechanism=OAUTHBEARER",
        "Input:Kafka sends its SASL OAUTHBEARER credentials unencrypted (security protocol sasl_plaintext): use sasl_ssl")]
    // librdkafka's own name of the property; sasl.mechanism is its alias.
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_plaintext|Outputs:Kafka:Properties:sasl.mechanisms=PLAIN",
        "Outputs:Kafka sends its SASL PLAIN credentials unencrypted (security protocol sasl_plaintext): use sasl_ssl")]
    // librdkafka's OIDC token fetch posts the client secret (or a jwt-bearer assertion) to the token endpoint, whatever
    // the brokers' protocol; the endpoint is shown without its user info.
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_ssl|Outputs:Kafka:SaslMechanism=OAUTHBEARER|Outputs:Kafka:Properties:sasl.oauthbearer.method=oidc|Outputs:Kafka:Properties:sasl.oauthbearer.client.id=zf|Outputs:Kafka:Properties:sasl.oauthbearer.client.secret=Cl-Secret-77|Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url=http://zf:Idp-pw-9@idp:8080/token",
        "Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url http://idp:8080/token receives the OIDC client secret or assertion unencrypted: use https://")]
    // System.Uri reads "http:\\" as "http://": the user info is dropped from that spelling too.
    [InlineData(@"Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_ssl|Outputs:Kafka:SaslMechanism=OAUTHBEARER|Outputs:Kafka:Properties:sasl.oauthbearer.method=oidc|Outputs:Kafka:Properties:sasl.oauthbearer.client.secret=Cl-Secret-77|Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url=http:\\zf:Idp-pw-9@idp:8080/token",
        @"Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url http:\\idp:8080/token receives the OIDC client secret or assertion unencrypted: use https://")]
    [InlineData("Input:Kafka:BootstrapServers=k:9092|Input:Kafka:SecurityProtocol=sasl_ssl|Input:Kafka:Properties:sasl.mechanism=OAUTHBEARER|Input:Kafka:Properties:sasl.oauthbearer.method=OIDC|Input:Kafka:Properties:sasl.oauthbearer.grant.type=urn:ietf:params:oauth:grant-type:jwt-bearer|Input:Kafka:Properties:sasl.oauthbearer.token.endpoint.url=http://idp/token",
        "Input:Kafka:Properties:sasl.oauthbearer.token.endpoint.url http://idp/token receives the OIDC client secret or assertion unencrypted: use https://")]
    public void Credentials_sent_without_TLS_are_named(string settings, string expected)
    {
        Assert.Equal([expected], CleartextCredentials.Find(Options(settings)));
    }

    [Theory]
    [InlineData("Outputs:Elasticsearch:Url=https://es:9200|Outputs:Elasticsearch:ApiKey=k")]
    [InlineData("Outputs:Elasticsearch:Url=http://es:9200")] // nothing secret to send
    [InlineData("Outputs:Splunk:Url=https://splunk:8088|Outputs:Splunk:Token=t")]
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_ssl|Outputs:Kafka:SaslMechanism=PLAIN")]
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_plaintext|Outputs:Kafka:SaslMechanism=SCRAM-SHA-512")] // the password is not sent
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_plaintext|Outputs:Kafka:Properties:security.protocol=sasl_ssl|Outputs:Kafka:SaslMechanism=PLAIN")]
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_ssl|Outputs:Kafka:SaslMechanism=OAUTHBEARER|Outputs:Kafka:Properties:sasl.oauthbearer.method=oidc|Outputs:Kafka:Properties:sasl.oauthbearer.client.secret=s|Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url=https://idp/token")]
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=ssl|Outputs:Kafka:SaslMechanism=OAUTHBEARER|Outputs:Kafka:Properties:sasl.oauthbearer.method=oidc|Outputs:Kafka:Properties:sasl.oauthbearer.client.secret=s|Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url=http://idp/token")] // no SASL login, no token fetched
    [InlineData("Outputs:Kafka:BootstrapServers=k:9092|Outputs:Kafka:SecurityProtocol=sasl_ssl|Outputs:Kafka:SaslMechanism=OAUTHBEARER|Outputs:Kafka:Properties:sasl.oauthbearer.method=oidc|Outputs:Kafka:Properties:sasl.oauthbearer.metadata.authentication.type=azure_imds|Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url=http://169.254.169.254/metadata/identity/oauth2/token")] // no secret to send
    public void Credentials_sent_over_TLS_or_not_sent_are_not_named(string settings)
    {
        Assert.Empty(CleartextCredentials.Find(Options(settings)));
    }

    [Theory]
    [InlineData("Kibana:Url=http://kibana:5601|Kibana:Username=u|Kibana:PasswordFile=p", "Kibana:Url http://kibana:5601 receives the API key or password unencrypted: use https://")]
    [InlineData("Kibana:Url= http://kibana:5601|Kibana:ApiKeyFile=k", "Kibana:Url http://kibana:5601 receives the API key or password unencrypted: use https://")]
    [InlineData("Kibana:Url=https://kibana:5601|Kibana:ApiKeyFile=k", null)]
    [InlineData("Kibana:Url=http://kibana:5601", null)] // nothing secret to send
    public void Credentials_sent_to_an_http_Kibana_are_named(string settings, string? expected)
    {
        Assert.Equal(expected, CleartextCredentials.Find(Options(settings).Kibana!));
    }

    [Fact]
    public async Task A_run_warns_of_a_password_sent_to_an_http_url_without_showing_it()
    {
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 3, zertCount: 5);
        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", "Outputs:Elasticsearch:Url=http://127.0.0.1:1", "Outputs:Elasticsearch:Username=elastic",
            "Outputs:Elasticsearch:Password=Sec-ret-4e2a", $"Checkpoint:Directory={_work.Combine("state")}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.Contains("\"EventId\":1010,\"LogLevel\":\"Warning\"", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Credentials without TLS, readable on the network: Outputs:Elasticsearch:Url http://127.0.0.1:1 receives the API key or password unencrypted: use https://.",
            result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-ret-4e2a", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    private static Forwarding.ForwarderOptions Options(string settings) =>
        ConfigurationLoader.Load(null, settings.Split('|'), new Dictionary<string, string>()).Options;
}
