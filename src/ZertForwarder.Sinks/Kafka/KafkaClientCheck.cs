using Confluent.Kafka;

namespace ZertForwarder.Sinks.Kafka;

/// <summary>
/// Finds, at start and in <c>run --check-config</c>, what librdkafka would refuse only when the Kafka client is built
/// after the run started: an unknown property name, a value it cannot take (<c>Properties:acks=banana</c>), a
/// combination it refuses (<c>acks=1</c> with the idempotent producer). Each problem names the setting; a property's
/// value is never shown (a mistyped name may hold a password).
/// </summary>
/// <remarks>
/// librdkafka has no check of a configuration alone: the client is built, as at start, with what would reach outside
/// the process left out, and disposed at once. There are no brokers (<c>bootstrap.servers</c> empty: nothing is
/// resolved or contacted) and the security protocol is <c>plaintext</c>: no SSL context is made from certificate files
/// (the start-up checks read those, where they exist) and no SASL login starts (an OIDC one asks its token endpoint
/// as soon as the client is built, and disposing the client then waits for that answer). The SASL and SSL properties
/// are still set, so their names and values are checked. A producer is built without its polling thread, whose
/// disposal would wait up to 100 ms; a build then costs about 0.5 ms (the first in a process about 80 ms of CPU, which
/// is loading librdkafka and compiling the client code, paid at start by the real client anyway).
/// </remarks>
internal static class KafkaClientCheck
{
    /// <summary>One refusal: <paramref name="Setting"/> is the setting it is about (<c>Outputs:Kafka:Properties:acks</c>).</summary>
    internal sealed record Problem(string Setting, string Message);

    /// <param name="section">The configuration section, e.g. <c>Outputs:Kafka</c>.</param>
    /// <param name="client"><c>producer</c> or <c>consumer</c>, for the messages.</param>
    /// <param name="settings">The client's configuration from its typed settings, before the properties.</param>
    /// <param name="defaults">The same from default settings: the base each typed setting is checked on, and each property when the settings are refused themselves.</param>
    /// <param name="properties">The pass-through librdkafka properties, applied last.</param>
    /// <param name="build">Builds the client of a configuration and disposes it (<see cref="BuildProducer"/>, <see cref="BuildConsumer"/>).</param>
    internal static IReadOnlyList<Problem> Check(string section, string client, ClientConfig settings, ClientConfig defaults,
        IDictionary<string, string> properties, Action<IEnumerable<KeyValuePair<string, string>>> build)
    {
        // The usual case, a configuration librdkafka takes, costs one build; only a refusal is narrowed down.
        var refusal = Refusal(build, settings, properties);
        if (refusal is null) return [];

        var problems = new List<Problem>();
        var settingsRefusal = Refusal(build, settings, new Dictionary<string, string>());
        if (settingsRefusal is not null)
        {
            // Each typed setting on its own, named by its setting: the validator leaves out only what it named itself
            // (Compression 'brotli'), not every refused setting of a section where it named another one (GroupId).
            var defaultValues = defaults.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
            var named = 0;
            foreach (var (name, value) in settings)
            {
                if (name == "sasl.password" || (defaultValues.TryGetValue(name, out var defaultValue) && defaultValue == value)) continue;
                if (Refusal(build, defaults, new Dictionary<string, string> { [name] = value }) is not { } alone) continue;
                var setting = SettingNames.TryGetValue(name, out var typed) ? $"{section}:{typed}" : section;
                problems.Add(new Problem(setting, $"{setting} is refused by librdkafka: {alone}"));
                named++;
            }

            if (named == 0)
                problems.Add(new Problem(section, $"{section}: librdkafka refuses the {client} settings: {settingsRefusal}"));
        }
        // Each property on its own, so every bad one is listed at once and named as it was written (librdkafka names
        // an alias by its own name: acks is request.required.acks).
        var propertiesBase = settingsRefusal is null ? settings : defaults;
        foreach (var (name, value) in properties)
        {
            if (Refusal(build, propertiesBase, new Dictionary<string, string> { [name] = value }) is { } alone)
                problems.Add(new Problem($"{section}:Properties:{name}", $"{section}:Properties:{name} is refused by librdkafka: {WithoutValues(alone, [value])}"));
        }

        // The settings and every property are taken on their own: it is the combination.
        if (problems.Count == 0)
            problems.Add(new Problem($"{section}:Properties", $"{section}:Properties are refused by librdkafka together with the {client} settings: {WithoutValues(refusal, properties.Values)}"));
        return problems;
    }

    /// <summary>
    /// librdkafka's message without the properties' values: it quotes the value it refuses for a property of named values
    /// (<c>Invalid value "..." for configuration property "compression.codec"</c>), which is then written as it does for
    /// a number (<c>Invalid value for configuration property ...</c>).
    /// </summary>
    private static string WithoutValues(string message, IEnumerable<string> values)
    {
        foreach (var value in values.Where(v => v.Length > 0))
        {
            message = message.Replace($" \"{value}\"", "", StringComparison.Ordinal).Replace($"\"{value}\"", "(value not shown)", StringComparison.Ordinal);
        }

        return message;
    }

    /// <summary>The typed setting each librdkafka property of the settings comes from (the others are fixed by the program).</summary>
    private static readonly Dictionary<string, string> SettingNames = new(StringComparer.Ordinal)
    {
        ["client.id"] = "ClientId",
        ["sasl.mechanism"] = "SaslMechanism",
        ["sasl.username"] = "SaslUsername",
        ["ssl.ca.location"] = "SslCaLocation",
        ["compression.type"] = "Compression",
        ["linger.ms"] = "LingerMs",
        ["batch.size"] = "BatchSize",
        ["message.timeout.ms"] = "MessageTimeoutMs",
        ["group.id"] = "GroupId",
        ["auto.offset.reset"] = "AutoOffsetReset",
        ["auto.commit.interval.ms"] = "CommitIntervalMs",
    };

    /// <summary>Builds and disposes an idempotent producer of <paramref name="config"/> (see remarks).</summary>
    internal static void BuildProducer(IEnumerable<KeyValuePair<string, string>> config)
    {
        var producer = new ProducerConfig(config.ToDictionary());
        producer.Set("dotnet.producer.enable.background.poll", "false");
        using var _ = new ProducerBuilder<byte[]?, byte[]>(producer).SetLogHandler(IgnoreLog).Build();
    }

    /// <summary>Builds and disposes a consumer of <paramref name="config"/> (see remarks).</summary>
    internal static void BuildConsumer(IEnumerable<KeyValuePair<string, string>> config)
    {
        using var _ = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig(config.ToDictionary())).SetLogHandler(IgnoreLog).Build();
    }

    /// <summary>librdkafka's reason for refusing the client, or null when it was built.</summary>
    private static string? Refusal(Action<IEnumerable<KeyValuePair<string, string>>> build, ClientConfig settings, IDictionary<string, string> properties)
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in settings) config[name] = value;
        foreach (var (name, value) in properties) config[name] = value;
        config["bootstrap.servers"] = "";
        config["security.protocol"] = "plaintext";
        try
        {
            build(config);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KafkaException)
        {
            // Confluent.Kafka throws ArgumentException for a value librdkafka refuses, InvalidOperationException for an
            // unknown name or a combination, FormatException for its own dotnet.* settings.
            return e.Message;
        }
    }

    /// <summary>The check's client has no brokers, which librdkafka notes: nothing here is news to the operator.</summary>
    private static void IgnoreLog(IClient client, LogMessage message)
    {
    }
}
