using Confluent.Kafka;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Secrets;

namespace ZertForwarder.Sinks.Kafka;

/// <summary>
/// How to reach and authenticate to a Kafka cluster; shared by the sink, the dead-letter output and the
/// raw SMF source. Property names are the configuration keys (e.g. <c>Outputs:Kafka:BootstrapServers</c>).
/// </summary>
public class KafkaConnectionOptions
{
    /// <summary>Comma-separated <c>host:port</c> list (librdkafka <c>bootstrap.servers</c>).</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary><c>plaintext</c>, <c>ssl</c>, <c>sasl_plaintext</c> or <c>sasl_ssl</c>; librdkafka's default (plaintext) when empty.</summary>
    public string? SecurityProtocol { get; set; }

    /// <summary><c>PLAIN</c>, <c>SCRAM-SHA-256</c>, <c>SCRAM-SHA-512</c> or <c>OAUTHBEARER</c> (the bundled librdkafka has no GSSAPI).</summary>
    public string? SaslMechanism { get; set; }

    public string? SaslUsername { get; set; }

    /// <summary>SASL password. Prefer <see cref="SaslPasswordFile"/> (a mounted secret) so it never sits in a config file.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>File whose content (trailing newline removed) is the SASL password; wins over <see cref="SaslPassword"/>.</summary>
    public string? SaslPasswordFile { get; set; }

    /// <summary>PEM file with the CA certificate(s) that signed the brokers' certificates; system trust store when empty.</summary>
    public string? SslCaLocation { get; set; }

    public string ClientId { get; set; } = "zertforwarder";

    /// <summary>
    /// Any further librdkafka property (<c>socket.timeout.ms</c>, <c>client.rack</c>, ...); the start-up checks refuse those that would turn off TLS verification.
    /// Applied last, so it can override the typed options above.
    /// </summary>
    public IDictionary<string, string> Properties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Copies the connection settings into a librdkafka configuration.</summary>
    /// <param name="readPasswordFile">
    /// False for <see cref="KafkaClientCheck"/>, which needs a password, not the secret: a configured
    /// <see cref="SaslPasswordFile"/> is then not read (the start-up checks see that it can be) and a placeholder stands for it.
    /// </param>
    internal void ApplyConnection(ClientConfig config, bool readPasswordFile = true)
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers) && !Properties.ContainsKey("bootstrap.servers"))
        {
            throw new ArgumentException("Kafka BootstrapServers is required.");
        }

        config.BootstrapServers = BootstrapServers;
        config.ClientId = ClientId;
        SetIfPresent(config, "security.protocol", SecurityProtocol);
        SetIfPresent(config, "sasl.mechanism", SaslMechanism);
        SetIfPresent(config, "sasl.username", SaslUsername);
        var password = SaslPasswordFile is { Length: > 0 } file
            ? readPasswordFile ? SecretFile.ReadPassword(file) : "password-file-not-read"
            : SaslPassword;
        SetIfPresent(config, "sasl.password", password);
        SetIfPresent(config, "ssl.ca.location", SslCaLocation);
    }

    internal void ApplyProperties(ClientConfig config)
    {
        foreach (var (name, value) in Properties)
        {
            config.Set(name, value);
        }
    }

    private static void SetIfPresent(ClientConfig config, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            config.Set(name, value);
        }
    }
}

/// <summary>Routes librdkafka's own log lines and error callbacks to the pipeline log.</summary>
internal static class KafkaClientLog
{
    /// <summary>
    /// librdkafka logs configuration only with <c>debug=conf</c>, and then redacts sensitive properties
    /// (<c>sasl.password</c>, <c>ssl.key.password</c>), so forwarding its lines does not leak secrets.
    /// </summary>
    public static void Forward(IPipelineLog log, string component, LogMessage message)
    {
        // The built-in mock cluster announces itself on every start; that is test noise, not information.
        if (message.Facility == "MOCK")
        {
            return;
        }

        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => PipelineLogLevel.Error,
            SyslogLevel.Warning => PipelineLogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => PipelineLogLevel.Information,
            _ => PipelineLogLevel.Debug,
        };
        log.Log(level, component, $"librdkafka {message.Facility}: {message.Message}");
    }

    public static void ForwardError(IPipelineLog log, string component, Error error) =>
        log.Log(error.IsFatal ? PipelineLogLevel.Error : PipelineLogLevel.Warning, component,
            $"librdkafka error {error.Code}: {error.Reason}");
}
