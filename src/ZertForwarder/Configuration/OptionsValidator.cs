using ZertForwarder.Forwarding;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Kafka;
using System.Globalization;

namespace ZertForwarder.Configuration;

/// <summary>
/// Checks a bound <see cref="ForwarderOptions"/> and lists every problem (fail fast at start-up, all at once): what
/// the types cannot say, since keys, value types and choices (enum-typed settings) are already checked key by key
/// while binding (<see cref="ConfigurationLoader"/>).
/// </summary>
public static class OptionsValidator
{
    public static IReadOnlyList<string> Validate(ForwarderOptions o, bool embeddedDefault)
    {
        var errors = new List<string>();
        var input = o.Input;
        if (!embeddedDefault)
        {
            if (input.Paths.Length == 0 && input.Watch is null && input.Kafka is null)
                errors.Add("no input: set Input:Paths, Input:Watch:Directory or Input:Kafka:BootstrapServers");
            var outputs = o.Outputs;
            if (outputs.Kafka is null && outputs.Elasticsearch is null && outputs.Syslog is null && outputs.File is null && outputs.Splunk is null)
                errors.Add("no output: configure at least one of Outputs:Kafka, Outputs:Elasticsearch, Outputs:Syslog, Outputs:File, Outputs:Splunk (an output is enabled by a setting in its section, e.g. Outputs:File:Directory=out; an empty section enables nothing)");
        }
        foreach (var path in input.Paths)
        {
            // A named file that is not there is a configuration error; a glob may legitimately match nothing yet.
            if (path != "-" && Path.GetFileName(path).AsSpan().IndexOfAny('*', '?') < 0 && !File.Exists(path) && !Directory.Exists(path))
                errors.Add($"Input:Paths: '{path}' does not exist");
        }
        if (input.Watch is { } watch)
        {
            if (string.IsNullOrWhiteSpace(watch.Directory)) errors.Add("Input:Watch:Directory is required when Input:Watch is configured");
            if (watch.CompletedAction == CompletedAction.Move && string.IsNullOrWhiteSpace(watch.CompletedDirectory))
                errors.Add("Input:Watch:CompletedDirectory is required when Input:Watch:CompletedAction is move");
            if (watch.PollInterval <= TimeSpan.Zero) errors.Add("Input:Watch:PollInterval must be positive");
            if (watch.SettleTime < TimeSpan.Zero) errors.Add("Input:Watch:SettleTime must not be negative");
        }
        if (input.Kafka is { } source)
        {
            var sectionStart = errors.Count;
            if (string.IsNullOrWhiteSpace(source.BootstrapServers)) errors.Add("Input:Kafka:BootstrapServers is required");
            else if (HasUserInfo(source.BootstrapServers)) errors.Add(UserInfoInHost("Input:Kafka:BootstrapServers", "Input:Kafka:SaslUsername / SaslPasswordFile"));
            if (string.IsNullOrWhiteSpace(source.Topic)) errors.Add("Input:Kafka:Topic is required");
            if (string.IsNullOrWhiteSpace(source.GroupId)) errors.Add("Input:Kafka:GroupId is required");
            errors.AddRange(TlsVerificationKept("Input:Kafka", source.Properties));
            errors.AddRange(TokenEndpointShowable("Input:Kafka", source.Properties));
            errors.AddRange(SecurityProtocolKnown("Input:Kafka", source));
            if (!string.IsNullOrWhiteSpace(source.BootstrapServers))
                AddLibrdkafkaRefusals(errors, sectionStart, KafkaRecordSource.ConfigurationProblems(source, "Input:Kafka"));
        }

        if (o.Outputs.Kafka is { } kafka)
        {
            var sectionStart = errors.Count;
            if (string.IsNullOrWhiteSpace(kafka.BootstrapServers)) errors.Add("Outputs:Kafka:BootstrapServers is required");
            else if (HasUserInfo(kafka.BootstrapServers)) errors.Add(UserInfoInHost("Outputs:Kafka:BootstrapServers", "Outputs:Kafka:SaslUsername / SaslPasswordFile"));
            if (string.IsNullOrWhiteSpace(kafka.Topic)) errors.Add("Outputs:Kafka:Topic is required");
            if (kafka.Format == Sinks.Kafka.KafkaValueFormat.Leef && !string.IsNullOrWhiteSpace(kafka.LeefTopic))
                errors.Add("Outputs:Kafka:LeefTopic is the second (LEEF) topic next to Format 'ecs'; with Format 'leef' the Topic already gets LEEF: leave LeefTopic empty");
            // 0 is librdkafka's "no limit": during an outage no delivery report would come, so a batch would wait
            // for ever instead of being retried and, past Pipeline:RetryTimeLimit, dead-lettered.
            errors.AddRange(TlsVerificationKept("Outputs:Kafka", kafka.Properties));
            errors.AddRange(TokenEndpointShowable("Outputs:Kafka", kafka.Properties));
            // librdkafka would refuse these only when the producer is built, after the run started (event 1004, exit 2,
            // one problem per attempt).
            if (kafka.Compression?.ToLowerInvariant() is not ("none" or "gzip" or "snappy" or "lz4" or "zstd"))
                errors.Add($"Outputs:Kafka:Compression '{kafka.Compression}' must be none, gzip, snappy, lz4 or zstd");
            if (kafka.LingerMs is < 0 or > 900_000) errors.Add($"Outputs:Kafka:LingerMs must be 0-900000 (it is {kafka.LingerMs})");
            if (kafka.BatchSize is < 1 or > 2_147_483_647) errors.Add($"Outputs:Kafka:BatchSize must be positive (it is {kafka.BatchSize})");
            if (kafka.MessageTimeoutMs <= 0) errors.Add($"Outputs:Kafka:MessageTimeoutMs must be positive (it is {kafka.MessageTimeoutMs}; 0 would let a message wait for ever)");
            foreach (var alias in new[] { "message.timeout.ms", "delivery.timeout.ms" })
            {
                if (kafka.Properties.TryGetValue(alias, out var value) && !(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0))
                    errors.Add($"Outputs:Kafka:Properties:{alias} must be a positive number of milliseconds (it is '{value}'; 0 would let a message wait for ever)");
            }
            errors.AddRange(SecurityProtocolKnown("Outputs:Kafka", kafka));
            // The pass-through properties (and what the checks above do not cover) as librdkafka judges them.
            if (!string.IsNullOrWhiteSpace(kafka.BootstrapServers))
                AddLibrdkafkaRefusals(errors, sectionStart, KafkaSink.ConfigurationProblems(kafka, "Outputs:Kafka"));
        }
        // The options name their own settings in full ("Outputs:Elasticsearch:Retention must ...").
        if (o.Outputs.Elasticsearch is { } es) errors.AddRange(es.Validate());
        if (o.Outputs.Splunk is { } splunk) errors.AddRange(splunk.Validate());
        if (o.Outputs.File is { } file) errors.AddRange(file.Validate());
        if (o.Kibana is { } kibana) errors.AddRange(kibana.Validate());
        if (o.Outputs.Syslog is { } syslog)
        {
            if (string.IsNullOrWhiteSpace(syslog.Host)) errors.Add("Outputs:Syslog:Host is required");
            else if (HasUserInfo(syslog.Host) || syslog.Host.Contains('/', StringComparison.Ordinal))
                errors.Add(UserInfoInHost("Outputs:Syslog:Host", "a client certificate (ClientCertificateFile); syslog has no passwords"));
            if (syslog.Port is < 1 or > 65535) errors.Add("Outputs:Syslog:Port must be 1-65535");
            if (syslog.WriteTimeout <= TimeSpan.Zero) errors.Add("Outputs:Syslog:WriteTimeout must be positive");
            // The sink would refuse these only when it is built, after the start-up checks (one problem per start,
            // with the framework's wording), or, for the connect time-out, fail every connection and dead-letter everything.
            if (!Sinks.Syslog.Rfc5424Formatter.TryParseFacility(syslog.Facility, out _))
                errors.Add($"Outputs:Syslog:Facility '{syslog.Facility}' must be kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0 ... local7 or a number 0-23");
            if (syslog.ConnectTimeout <= TimeSpan.Zero) errors.Add("Outputs:Syslog:ConnectTimeout must be positive");
            if (syslog.ReconnectMinDelay < TimeSpan.Zero) errors.Add("Outputs:Syslog:ReconnectMinDelay must not be negative");
            if (syslog.ReconnectMaxDelay < syslog.ReconnectMinDelay) errors.Add("Outputs:Syslog:ReconnectMaxDelay must not be below ReconnectMinDelay");
        }
        if (o.DeadLetter.KafkaTopic is not null && o.Outputs.Kafka is null)
            errors.Add("DeadLetter:KafkaTopic needs Outputs:Kafka for the connection");
        if (o.Memory.HeapLimitMB is < 0) errors.Add($"Memory:HeapLimitMB must not be negative (it is {o.Memory.HeapLimitMB}; 0 means no limit)");
        if (o.Checkpoint.Interval < TimeSpan.Zero) errors.Add("Checkpoint:Interval must not be negative (0 writes at every commit)");
        if (o.Checkpoint.ForgetMissingAfter < TimeSpan.Zero) errors.Add("Checkpoint:ForgetMissingAfter must not be negative (0 keeps every checkpoint)");
        if (o.DeadLetter.RotateBytes < 0) errors.Add("DeadLetter:RotateBytes must not be negative (0 disables rotation)");
        errors.AddRange(o.Pipeline.Validate().Select(e => "Pipeline: " + e));

        foreach (var (sid, offset) in o.Zos.UtcOffsets)
        {
            if (!TryParseUtcOffset(offset, out _)) errors.Add($"Zos:UtcOffsets:{sid} '{offset}' is not an offset like -05:00 or +01:00");
        }
        if (o.Mappings.LeefMaxLineLength is < 0 or (> 0 and < 1024)) errors.Add("Mappings:LeefMaxLineLength must be 0 (no limit) or at least 1024");
        if (o.Shutdown.DrainTimeout <= TimeSpan.Zero) errors.Add("Shutdown:DrainTimeout must be positive");
        if (o.Metrics.Port is < 0 or > 65535) errors.Add("Metrics:Port must be 0 (off) or 1-65535");
        if (o.Metrics.Port > 0 && !System.Net.IPAddress.TryParse(o.Metrics.Address, out _))
            errors.Add($"Metrics:Address '{o.Metrics.Address}' must be an IP address such as 127.0.0.1 or 0.0.0.0");
        return errors;
    }

    /// <summary>
    /// TLS verification cannot be switched off by a setting (README "TLS verification"): librdkafka's properties that
    /// would (no certificate check, no host name check) are refused. A private CA is trusted with SslCaLocation.
    /// </summary>
    private static IEnumerable<string> TlsVerificationKept(string section, IDictionary<string, string> properties)
    {
        if (properties.TryGetValue("enable.ssl.certificate.verification", out var verify) && !string.Equals(verify.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            yield return $"{section}:Properties:enable.ssl.certificate.verification cannot turn off the brokers' certificate check; trust a private CA with {section}:SslCaLocation";
        if (properties.TryGetValue("ssl.endpoint.identification.algorithm", out var identify) && !string.Equals(identify.Trim(), "https", StringComparison.OrdinalIgnoreCase))
            yield return $"{section}:Properties:ssl.endpoint.identification.algorithm cannot turn off the brokers' host name check (only 'https' is accepted)";
    }

    /// <summary>
    /// librdkafka quotes the OIDC token endpoint as it is written in its log lines ("Failed to retrieve OIDC token from
    /// ..."), which the run logs: a user, password or query in it (what <see cref="UrlRedaction"/> hides) would be logged
    /// with every failed token fetch. The client's credentials have their own properties.
    /// </summary>
    private static IEnumerable<string> TokenEndpointShowable(string section, IDictionary<string, string> properties)
    {
        if (properties.TryGetValue("sasl.oauthbearer.token.endpoint.url", out var url) && UrlRedaction.Redact(url) != url)
            yield return $"{section}:Properties:sasl.oauthbearer.token.endpoint.url must not hold a user, password or query (librdkafka logs it as it is; the value is not shown): give the client's credentials as sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret";
    }

    /// <summary>
    /// librdkafka's refusals (<see cref="KafkaClientCheck"/>), but for what this validator already named since
    /// <paramref name="sectionStart"/>: a property it named, or, for a refusal of the typed settings, one of those
    /// (<c>Compression 'brotli'</c> is not refused twice). Without this check librdkafka would refuse them only when the
    /// client is built, after the run started, one per attempt.
    /// </summary>
    private static void AddLibrdkafkaRefusals(List<string> errors, int sectionStart, IReadOnlyList<KafkaClientCheck.Problem> refusals)
    {
        var named = errors.GetRange(sectionStart, errors.Count - sectionStart);
        foreach (var refusal in refusals)
        {
            var ofSettings = !refusal.Setting.Contains(":Properties", StringComparison.Ordinal);
            if (!named.Any(e => Names(e, refusal.Setting) && !(ofSettings && Names(e, refusal.Setting + ":Properties")))) errors.Add(refusal.Message);
        }
    }

    /// <summary>Whether <paramref name="problem"/> is about <paramref name="setting"/> or a setting within it.</summary>
    private static bool Names(string problem, string setting) =>
        problem.StartsWith(setting, StringComparison.Ordinal) && (problem.Length == setting.Length || problem[setting.Length] is ' ' or ':');

    /// <summary>
    /// The protocols librdkafka knows. <see cref="KafkaClientCheck"/> builds its client in plaintext (no certificate
    /// file is read, no SASL login starts), so the protocol's own value is checked here.
    /// </summary>
    private static IEnumerable<string> SecurityProtocolKnown(string section, KafkaConnectionOptions kafka)
    {
        kafka.Properties.TryGetValue("security.protocol", out var property);
        foreach (var (setting, value) in new[] { ($"{section}:SecurityProtocol", kafka.SecurityProtocol), ($"{section}:Properties:security.protocol", property) })
        {
            if (!string.IsNullOrWhiteSpace(value) && value.ToLowerInvariant() is not ("plaintext" or "ssl" or "sasl_plaintext" or "sasl_ssl"))
                yield return $"{setting} '{value}' must be plaintext, ssl, sasl_plaintext or sasl_ssl";
        }
    }

    /// <summary>Parses <c>+HH:MM</c> / <c>-HH:MM</c> (within ±14 hours).</summary>
    public static bool TryParseUtcOffset(string text, out TimeSpan offset)
    {
        offset = default;
        if (text.Length != 6 || text[0] is not ('+' or '-') || text[3] != ':') return false;
        if (!int.TryParse(text.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h) ||
            !int.TryParse(text.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m) || h > 14 || m > 59) return false;
        offset = new TimeSpan(h, m, 0);
        if (text[0] == '-') offset = -offset;
        return true;
    }

    /// <summary>A host list with user info (<c>user:password@host</c>): it would be logged with every connection error.</summary>
    private static bool HasUserInfo(string hosts) => hosts.Contains('@', StringComparison.Ordinal);

    /// <summary>The refusal names the setting, never its value: the value holds a password.</summary>
    private static string UserInfoInHost(string setting, string instead) =>
        $"{setting} must be host names or addresses with ports only (it holds user information, which would be logged with every connection error; the value is not shown): use {instead}";
}
