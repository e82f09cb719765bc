using System.Text;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// "Operate: configuration": JSON file, <c>ZERTFORWARDER_</c> environment variables and <c>Section:Key=value</c>
/// arguments; a typo is an error (never a silent default) and one start-up lists every problem, exit 2.
/// </summary>
public sealed class ConfigurationTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Unknown_keys_in_the_configuration_file_are_all_named_in_one_start()
    {
        var config = _work.Combine("zertforwarder.json");
        File.WriteAllText(config, """
            {
              "Input": { "Paths": [ "dump.smf" ] },
              "Outputs": { "File": { "Directry": "out" } },
              "Pipline": { "MaxBatchItems": 10 }
            }
            """);

        var result = await ForwarderProcess.RunAsync(_work.Path, ["run", "--config", config], RunLimit);

        output.WriteLine(result.Stderr);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'Outputs:File:Directry'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("'Pipline:MaxBatchItems'", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_work.Combine("out")), "nothing runs when the configuration is wrong");
    }

    [Fact]
    public async Task Unknown_keys_in_environment_variables_are_all_named_in_one_start()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        var environment = new Dictionary<string, string>
        {
            ["ZERTFORWARDER_Input__Paths__0"] = dump,
            ["ZERTFORWARDER_Outputs__File__Directroy"] = _work.Combine("out"),
            ["ZERTFORWARDER_Pipeline__MaxBatchItem"] = "5",
        };

        var result = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once"], RunLimit, environment);

        output.WriteLine(result.Stderr);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'Outputs:File:Directroy'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("'Pipeline:MaxBatchItem'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_keys_in_arguments_are_all_named_in_one_start()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);

        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={dump}", "Outputs:File:Formatz:0=ecs", "Checkpoint:Dir=state2"], RunLimit);

        output.WriteLine(result.Stderr);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'Outputs:File:Formatz:0'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("'Checkpoint:Dir'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_named_input_file_that_does_not_exist_stops_the_start_and_an_empty_glob_does_not()
    {
        var missing = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={_work.Combine("no-such.smf")}", "Outputs:File:Directory=out"], RunLimit);
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("no-such.smf' does not exist", missing.Stderr, StringComparison.Ordinal);

        // A glob may match nothing yet (dumps land later): the run starts, reads nothing and says so.
        var empty = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={_work.Combine("*.none")}", "Outputs:File:Directory=out"], RunLimit);
        Assert.True(empty.ExitCode == 0, empty.ToString());
        Assert.Contains("matches no file", empty.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_values_are_all_listed_together()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", "Outputs:File:Directory=out",
            "Input:Container=zip", "Pipeline:BufferCapacity=0", "Metrics:Port=70000", "Logging:Format=xml", "Outputs:File:Formats:0=csv",
        ], RunLimit);

        output.WriteLine(result.Stderr);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("the configuration has", result.Stderr, StringComparison.Ordinal);
        foreach (var named in new[] { "Input:Container 'zip'", "BufferCapacity", "Metrics:Port", "Logging:Format 'xml'", "csv" })
        {
            Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(_work.Combine("out")));
    }

    [Fact]
    public void Choices_are_enums_written_in_lower_case_with_hyphens_in_any_case_and_a_wrong_one_lists_the_choices()
    {
        var loaded = ConfigurationLoader.Load(null,
        [
            "Input:Paths:0=-", "Input:Container=VBS", "Outputs:Syslog:Host=siem", "Outputs:Syslog:Protocol=tcp",
            "Outputs:Syslog:Framing=Octet-Counting", "Outputs:Kafka:BootstrapServers=k:9092", "Outputs:Kafka:Format=leef",
            "Mappings:RedactDistinguishedNames=hash", "Logging:Level=warning", "Logging:Format=json",
            "Input:Watch:Directory=in", "Input:Watch:CompletedAction=mark",
        ], new Dictionary<string, string>());

        Assert.Empty(loaded.Errors);
        var o = loaded.Options;
        Assert.Equal(ZertForwarder.Smf.Framing.SmfContainer.Vbs, o.Input.Container);
        Assert.Equal(ZertForwarder.Sinks.Syslog.SyslogProtocol.Tcp, o.Outputs.Syslog!.Protocol);
        Assert.Equal(ZertForwarder.Sinks.Syslog.SyslogFraming.OctetCounting, o.Outputs.Syslog.Framing);
        Assert.Equal(ZertForwarder.Sinks.Kafka.KafkaValueFormat.Leef, o.Outputs.Kafka!.Format);
        Assert.Equal(ZertForwarder.Mapping.DnRedaction.Hash, o.Mappings.RedactDistinguishedNames);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, o.Logging.Level);
        Assert.Equal(LogFormat.Json, o.Logging.Format);
        Assert.Equal(CompletedAction.Mark, o.Input.Watch!.CompletedAction);

        var wrong = ConfigurationLoader.Load(null,
            ["Input:Paths:0=-", "Outputs:File:Directory=out", "Outputs:Syslog:Host=siem", "Outputs:Syslog:Framing=octet_counting", "Mappings:RedactDistinguishedNames=mask"],
            new Dictionary<string, string>());
        Assert.Contains("Outputs:Syslog:Framing 'octet_counting' must be octet-counting or lf", wrong.Errors);
        Assert.Contains("Mappings:RedactDistinguishedNames 'mask' must be none, hash or drop", wrong.Errors);
    }

    [Fact]
    public void A_single_value_given_for_a_list_or_a_section_is_a_listed_problem_not_silently_dropped()
    {
        // Input:Paths=x (no :0) was dropped, and the run then said "no input"; Outputs:File:Formats=leef wrote ECS.
        var loaded = ConfigurationLoader.Load(null,
            ["Input:Paths=/dumps/a.smf", "Outputs:File:Directory=out", "Outputs:File:Formats=leef", "Zos:UtcOffsets=-05:00"],
            new Dictionary<string, string> { ["ZERTFORWARDER_Outputs__Elasticsearch__Urls"] = "http://es:9200" });
        Assert.Contains(loaded.Errors, e => e.StartsWith("Input:Paths '/dumps/a.smf' is a single value, but the setting is a list", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.StartsWith("Outputs:File:Formats 'leef' is a single value, but the setting is a list", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.StartsWith("Zos:UtcOffsets '-05:00' is a single value, but the setting is a section", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.StartsWith("Outputs:Elasticsearch:Urls 'http://es:9200' is a single value, but the setting is a list", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_settings_with_user_information_are_refused_without_showing_it()
    {
        // A password in a syslog host or a Kafka bootstrap list was printed with every connection error.
        var loaded = ConfigurationLoader.Load(null,
            ["Input:Paths:0=-", "Outputs:Syslog:Host=u:SYSLOGPW@siem", "Outputs:Kafka:BootstrapServers=b1:9092,user:KAFKAPW@b2:9092",
             "Outputs:Kafka:Topic=t", "Memory:HeapLimitMB=-3"],
            new Dictionary<string, string>());
        Assert.Contains(loaded.Errors, e => e.StartsWith("Outputs:Syslog:Host must be host names", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.StartsWith("Outputs:Kafka:BootstrapServers must be host names", StringComparison.Ordinal));
        Assert.Contains("Memory:HeapLimitMB must not be negative (it is -3; 0 means no limit)", loaded.Errors);

        // Producer settings librdkafka would refuse only once the run has started, one per attempt: listed at start.
        var producer = ConfigurationLoader.Load(null,
            ["Input:Paths:0=-", "Outputs:Kafka:BootstrapServers=b1:9092", "Outputs:Kafka:Topic=t", "Outputs:Kafka:Compression=brotli", "Outputs:Kafka:LingerMs=-5"],
            new Dictionary<string, string>());
        Assert.Contains("Outputs:Kafka:Compression 'brotli' must be none, gzip, snappy, lz4 or zstd", producer.Errors);
        Assert.Contains("Outputs:Kafka:LingerMs must be 0-900000 (it is -5)", producer.Errors);
        Assert.DoesNotContain(loaded.Errors, e => e.Contains("PW", StringComparison.Ordinal));
    }

    [Fact]
    public void Kafka_properties_librdkafka_refuses_are_listed_at_start_by_setting_without_their_value()
    {
        // librdkafka refused them only when the client was built, after the run had started, one per attempt.
        var loaded = ConfigurationLoader.Load(null,
            ["Outputs:Kafka:BootstrapServers=b1:9092", "Outputs:Kafka:Topic=t", "Outputs:Kafka:Compression=brotli",
             "Outputs:Kafka:Properties:acks=banana", "Outputs:Kafka:Properties:sasl.pasword=KAFKAPW", "Outputs:Kafka:Properties:linger.ms=5",
             "Input:Kafka:BootstrapServers=b1:9092", "Input:Kafka:Topic=raw", "Input:Kafka:Properties:fetch.min.bytes=lots"],
            new Dictionary<string, string>());
        output.WriteLine(string.Join("\n", loaded.Errors));
        Assert.Equal(
        [
            "Input:Kafka:Properties:fetch.min.bytes is refused by librdkafka: Invalid value for configuration property \"fetch.min.bytes\"",
            // Named once, by the validator's own rule, not a second time as librdkafka's refusal of the producer settings.
            "Outputs:Kafka:Compression 'brotli' must be none, gzip, snappy, lz4 or zstd",
            // Named as written (librdkafka calls acks request.required.acks); the mistyped password property without its value.
            "Outputs:Kafka:Properties:acks is refused by librdkafka: Invalid value for configuration property \"request.required.acks\"",
            "Outputs:Kafka:Properties:sasl.pasword is refused by librdkafka: No such configuration property: \"sasl.pasword\"",
        ], loaded.Errors);

        // A value librdkafka takes alone but not with the idempotent producer; a typed setting only librdkafka checks.
        var combined = ConfigurationLoader.Load(null,
            ["Outputs:Kafka:BootstrapServers=b1:9092", "Outputs:Kafka:Topic=t", "Outputs:Kafka:Properties:acks=1",
             "Input:Kafka:BootstrapServers=b1:9092", "Input:Kafka:Topic=raw", "Input:Kafka:AutoOffsetReset=sometimes", "Input:Kafka:Properties:security.protocol=tls"],
            new Dictionary<string, string>());
        output.WriteLine(string.Join("\n", combined.Errors));
        Assert.Equal(
        [
            "Input:Kafka:Properties:security.protocol 'tls' must be plaintext, ssl, sasl_plaintext or sasl_ssl",
            "Input:Kafka:AutoOffsetReset is refused by librdkafka: Invalid value \"sometimes\" for configuration property \"auto.offset.reset\"",
            "Outputs:Kafka:Properties:acks is refused by librdkafka: `acks` must be set to `all` when `enable.idempotence` is true",
        ], combined.Errors);

        // Properties librdkafka takes one by one but not together.
        var together = ConfigurationLoader.Load(null,
            ["Input:Kafka:BootstrapServers=b1:9092", "Input:Kafka:Topic=raw", "Input:Kafka:Properties:session.timeout.ms=200000", "Input:Kafka:Properties:max.poll.interval.ms=100000",
             "Outputs:File:Directory=out"],
            new Dictionary<string, string>());
        output.WriteLine(string.Join("\n", together.Errors));
        var refusal = Assert.Single(together.Errors);
        Assert.StartsWith("Input:Kafka:Properties are refused by librdkafka together with the consumer settings: ", refusal, StringComparison.Ordinal);

        // What librdkafka takes passes, security settings and secret files included (read at start, where they exist).
        var taken = ConfigurationLoader.Load(null,
            ["Outputs:Kafka:BootstrapServers=b1:9093", "Outputs:Kafka:Topic=t", "Outputs:Kafka:SecurityProtocol=SASL_SSL", "Outputs:Kafka:SaslMechanism=SCRAM-SHA-512",
             "Outputs:Kafka:SaslUsername=zert", "Outputs:Kafka:SaslPasswordFile=/var/run/secrets/kafka-password", "Outputs:Kafka:SslCaLocation=/etc/zert/kafka-ca.pem",
             "Outputs:Kafka:Properties:acks=all", "Outputs:Kafka:Properties:socket.timeout.ms=30000", "Outputs:Kafka:Properties:client.rack=r1",
             "Input:Kafka:BootstrapServers=b1:9093", "Input:Kafka:Topic=raw", "Input:Kafka:Properties:fetch.min.bytes=1024", "Input:Kafka:Properties:session.timeout.ms=30000"],
            new Dictionary<string, string>());
        Assert.Empty(taken.Errors);
    }

    [Fact]
    public void A_kafka_property_librdkafka_refuses_is_named_without_its_value_when_librdkafka_quotes_it()
    {
        // librdkafka quotes the value it refuses for properties with named values ("Invalid value \"...\" for
        // configuration property"): a secret put in the wrong property went to the console and the logs with it.
        var loaded = ConfigurationLoader.Load(null,
            ["Outputs:Kafka:BootstrapServers=b1:9092", "Outputs:Kafka:Topic=t", "Outputs:Kafka:Properties:compression.type=SECRET1",
             "Input:Kafka:BootstrapServers=b1:9092", "Input:Kafka:Topic=raw", "Input:Kafka:Properties:sasl.oauthbearer.method=SECRET2"],
            new Dictionary<string, string>());
        output.WriteLine(string.Join("\n", loaded.Errors));
        Assert.Equal(
        [
            "Input:Kafka:Properties:sasl.oauthbearer.method is refused by librdkafka: Invalid value for configuration property \"sasl.oauthbearer.method\"",
            "Outputs:Kafka:Properties:compression.type is refused by librdkafka: Invalid value for configuration property \"compression.codec\"",
        ], loaded.Errors);
    }

    [Fact]
    public void A_kafka_setting_librdkafka_refuses_is_listed_with_the_other_problems_of_its_section()
    {
        // librdkafka's refusal of the typed settings was left out whenever the validator had named any other setting of
        // the section (an empty GroupId): AutoOffsetReset came up only at the next attempt, after GroupId was mended.
        var loaded = ConfigurationLoader.Load(null,
            ["Input:Kafka:BootstrapServers=b1:9092", "Input:Kafka:Topic=raw", "Input:Kafka:GroupId=", "Input:Kafka:AutoOffsetReset=sometimes",
             "Outputs:Kafka:BootstrapServers=b1:9092", "Outputs:Kafka:Topic=t", "Outputs:Kafka:Compression=brotli", "Outputs:Kafka:LingerMs=-1"],
            new Dictionary<string, string>());
        output.WriteLine(string.Join("\n", loaded.Errors));
        Assert.Equal(
        [
            "Input:Kafka:GroupId is required",
            "Input:Kafka:AutoOffsetReset is refused by librdkafka: Invalid value \"sometimes\" for configuration property \"auto.offset.reset\"",
            // What the validator names is not named a second time as librdkafka's refusal.
            "Outputs:Kafka:Compression 'brotli' must be none, gzip, snappy, lz4 or zstd",
            "Outputs:Kafka:LingerMs must be 0-900000 (it is -1)",
        ], loaded.Errors);
    }

    [Fact]
    public void A_configuration_file_that_is_a_directory_or_not_json_is_named_with_the_reason()
    {
        var malformed = _work.Combine("bad.json");
        File.WriteAllText(malformed, "{\"Input\": {\"Paths\": [");
        var loaded = ConfigurationLoader.Load(malformed, [], new Dictionary<string, string>());
        var problem = Assert.Single(loaded.Errors, e => e.StartsWith($"configuration file '{malformed}' cannot be read: ", StringComparison.Ordinal));
        Assert.Contains("LineNumber", problem, StringComparison.Ordinal); // the JSON reader's reason, not "failed to load"

        var directory = ConfigurationLoader.Load(_work.Path, [], new Dictionary<string, string>());
        Assert.Contains($"configuration file '{_work.Path}' is a directory: give the JSON file in it", directory.Errors);

        // An empty output section (defaults wanted) enables nothing: the message says what does.
        var empty = _work.Combine("empty-output.json");
        File.WriteAllText(empty, """{"Input": {"Paths": ["-"]}, "Outputs": {"File": {}}}""");
        var emptyOutput = ConfigurationLoader.Load(empty, [], new Dictionary<string, string>());
        Assert.Contains(emptyOutput.Errors, e => e.StartsWith("no output:", StringComparison.Ordinal) && e.Contains("Outputs:File:Directory=out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Environment_variables_configure_the_run()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 11, zertCount: 150);
        var expected = Dumps.ZertRecords(dump);
        var directory = _work.Combine("from-env");
        var environment = new Dictionary<string, string>
        {
            ["ZERTFORWARDER_Input__Paths__0"] = dump,
            ["ZERTFORWARDER_Outputs__File__Directory"] = directory,
            ["ZERTFORWARDER_Outputs__File__Formats__0"] = "leef",
            ["ZERTFORWARDER_Checkpoint__Directory"] = _work.Combine("state"),
        };

        var result = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once"], RunLimit, environment);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = File.ReadAllLines(Path.Combine(directory, "zert-leef.log"));
        output.WriteLine($"{lines.Length} LEEF lines for {expected.Count} zERT records");
        Assert.Equal(expected.Count, lines.Length);
        Assert.False(File.Exists(Path.Combine(directory, "zert-ecs.ndjson")), "Formats from the environment replace the default");
    }

    [Fact]
    public async Task Arguments_override_environment_variables_which_override_the_configuration_file()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 13, zertCount: 80);
        var expected = Dumps.ZertRecords(dump);
        var config = _work.Combine("zertforwarder.json");
        File.WriteAllText(config, $$"""
            {
              "Input": { "Paths": [ "{{dump}}" ] },
              "Checkpoint": { "Directory": "{{_work.Combine("state")}}" },
              "Outputs": { "File": { "Directory": "{{_work.Combine("from-file")}}", "Formats": [ "flat" ] } }
            }
            """);
        var environment = new Dictionary<string, string> { ["ZERTFORWARDER_Outputs__File__Directory"] = _work.Combine("from-env") };

        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", "--config", config, $"Outputs:File:Directory={_work.Combine("from-args")}"], RunLimit, environment);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected.Count, File.ReadAllLines(_work.Combine("from-args", "zert-flat.ndjson")).Length);
        Assert.False(Directory.Exists(_work.Combine("from-env")));
        Assert.False(Directory.Exists(_work.Combine("from-file")));
    }

    [Fact]
    public async Task An_unreachable_sink_at_start_up_is_reported_in_plain_words_with_exit_2()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        var nobodyListens = Endpoints.FreePort();

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Elasticsearch:Url=http://127.0.0.1:{nobodyListens}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"Cannot reach Elasticsearch at http://127.0.0.1:{nobodyListens}", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_Elasticsearch_refuses_stop_the_run_with_exit_2_without_printing_them()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequiredAuthorization = "ApiKey " + Convert.ToBase64String(Encoding.UTF8.GetBytes("right-id:right-key"));
        var wrong = Convert.ToBase64String(Encoding.UTF8.GetBytes("wrong-id:" + Guid.NewGuid().ToString("N")));
        var keyFile = _work.Combine("es-api-key");
        File.WriteAllText(keyFile, wrong);
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 5, zertCount: 20);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", $"Outputs:Elasticsearch:ApiKeyFile={keyFile}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("refused the credentials (HTTP 401)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.Empty(elasticsearch.Documents);
        Assert.Equal(0, Checkpoints.Offset(_work.Combine("state"), dump));
    }

    [Fact]
    public async Task An_api_key_read_from_a_file_reaches_Elasticsearch_and_is_never_printed()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        // A secret that cannot appear by accident: base64 of "id:key" as Elasticsearch hands it out.
        var secret = Convert.ToBase64String(Encoding.UTF8.GetBytes("host-test-key-id:" + Guid.NewGuid().ToString("N")));
        var keyFile = _work.Combine("es-api-key");
        File.WriteAllText(keyFile, secret + "\n");
        elasticsearch.RequiredAuthorization = "ApiKey " + secret;
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 5, zertCount: 120);
        var expected = Dumps.ZertRecords(dump);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", $"Outputs:Elasticsearch:ApiKeyFile={keyFile}",
            "Logging:Level=Trace",
        ], RunLimit);

        output.WriteLine($"documents {elasticsearch.Documents.Count}, requests with a header {elasticsearch.AuthorizationHeaders.Count}");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected.Count, elasticsearch.Documents.Count);
        Assert.NotEmpty(elasticsearch.AuthorizationHeaders);
        Assert.All(elasticsearch.AuthorizationHeaders, header => Assert.Equal("ApiKey " + secret, header));
        var keyPart = Encoding.UTF8.GetString(Convert.FromBase64String(secret)).Split(':')[1];
        foreach (var text in new[] { result.Stdout, result.Stderr })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(keyPart, text, StringComparison.Ordinal);
        }
    }
}
