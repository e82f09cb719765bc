using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// Ordinary mistakes in what the configuration points at (secret files, certificates, directories, the metrics port,
/// the checkpoint file) are found before any record is read and listed together: exit 2, one line each, never a stack
/// trace, nothing written (issue 8, findings 3 and 6).
/// </summary>
public sealed class StartupProblemTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    /// <summary>
    /// <c>run --check-config</c> judges the settings and the mapping files only: a configuration whose secret files and
    /// brokers exist only where it is deployed passes; mistakes in the values and in a mapping file are all listed,
    /// exit 2, and nothing is read, written or listened on.
    /// </summary>
    [Fact]
    public async Task Check_config_lists_every_mistake_in_values_and_mappings_without_touching_the_environment()
    {
        string[] deployed =
        [
            "Input:Watch:Directory=/smf/incoming", "Input:Watch:CompletedAction=move", "Input:Watch:CompletedDirectory=/smf/done",
            "Outputs:Elasticsearch:Url=https://es.example.invalid:9200", "Outputs:Elasticsearch:ApiKeyFile=/var/run/secrets/zertforwarder/es-api-key",
            "Outputs:Kafka:BootstrapServers=kafka.example.invalid:9093", $"Checkpoint:Directory={_work.Combine("state")}", "Metrics:Port=9464",
        ];
        var valid = await ForwarderProcess.RunAsync(_work.Path, ["run", "--check-config", .. deployed], RunLimit);
        output.WriteLine(valid.ToString());
        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.Contains("valid", valid.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_work.Combine("state")), "the check created the checkpoint directory");

        var wrong = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--check-config", .. deployed, "Outputs:Elasticsearch:Urls:0=https://es2.example.invalid:9200", "Input:Watch:CompletedDirectory=",
                "Outputs:Kafka:Format=leef", "Outputs:Kafka:LeefTopic=zert-leef"], RunLimit);
        output.WriteLine(wrong.ToString());
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
        Assert.Contains("the configuration has 3 problem(s)", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("with Format 'leef' the Topic already gets LEEF", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - Outputs:Elasticsearch: set exactly one of Url, Urls or CloudId", wrong.Stderr, StringComparison.Ordinal); // named once
        Assert.Contains("Input:Watch:CompletedDirectory is required", wrong.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(wrong);

        var mappings = _work.Combine("mappings");
        CopyDirectory(Path.Combine(ForwarderProcess.ProgramDirectory, "mappings"), mappings);
        File.WriteAllText(Path.Combine(mappings, "leef", "leef.json"), """{"version": 1, "vendor": "IBM", "product": "zERT", "colour": "red"}""");
        var badMapping = await ForwarderProcess.RunAsync(_work.Path, ["run", "--check-config", .. deployed, $"Mappings:Directory={mappings}"], RunLimit);
        output.WriteLine(badMapping.ToString());
        Assert.True(badMapping.ExitCode == 2, badMapping.ToString());
        Assert.Contains("the mapping files have", badMapping.Stderr, StringComparison.Ordinal);
        Assert.Contains("leef.json", badMapping.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(badMapping);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task An_unreadable_mapping_file_or_configuration_file_is_a_listed_problem_not_a_stack_trace()
    {
        Assert.True(OperatingSystem.IsLinux(), "file modes and capabilities are Linux's");
        var launcher = WithoutFileCapabilities.Launcher(); // root reads any file: the program runs bound by file modes
        var mappings = _work.Combine("locked-mappings");
        CopyDirectory(Path.Combine(ForwarderProcess.ProgramDirectory, "mappings"), mappings);
        File.SetUnixFileMode(Path.Combine(mappings, "ecs", "connection.json"), UnixFileMode.None);
        var validate = await ForwarderProcess.RunAsync(_work.Path, ["validate-mappings", mappings], RunLimit, launcher: launcher);
        output.WriteLine(validate.ToString());
        Assert.True(validate.ExitCode == 2, validate.ToString());
        Assert.Contains("connection.json: cannot be read", validate.Stderr + validate.Stdout, StringComparison.Ordinal);
        AssertNoStackTrace(validate);

        var config = _work.Combine("locked.json");
        File.WriteAllText(config, "{}");
        File.SetUnixFileMode(config, UnixFileMode.None);
        var check = await ForwarderProcess.RunAsync(_work.Path, ["run", "--check-config", "--config", config], RunLimit, launcher: launcher);
        output.WriteLine(check.ToString());
        Assert.True(check.ExitCode == 2, check.ToString());
        Assert.Contains($"configuration file '{config}' cannot be read", check.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(check);
    }

    [Fact]
    public async Task A_broken_CBOM_table_is_found_by_validate_mappings_and_stops_a_report_before_it_writes_anything()
    {
        var mappings = _work.Combine("cbom-broken");
        CopyDirectory(Path.Combine(ForwarderProcess.ProgramDirectory, "mappings"), mappings);
        File.WriteAllText(Path.Combine(mappings, "cbom", "algorithms.json"), "garbage{");
        var validate = await ForwarderProcess.RunAsync(_work.Path, ["validate-mappings", mappings], RunLimit);
        Assert.True(validate.ExitCode == 2, validate.ToString());
        Assert.Contains("algorithms.json: not a valid algorithm table", validate.Stderr, StringComparison.Ordinal);

        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 9, zertCount: 50);
        var report = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out", "report", "--mappings", mappings], RunLimit);
        Assert.True(report.ExitCode == 2, report.ToString());
        Assert.False(Directory.Exists(_work.Combine("report")) && Directory.EnumerateFiles(_work.Combine("report")).Any(), "a report half written");
        AssertNoStackTrace(report);
    }

    [Fact]
    public async Task Check_config_lists_setting_and_mapping_problems_in_one_go()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 8, zertCount: 10);
        var check = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--check-config", $"Input:Paths:0={dump}", $"Outputs:File:Directory={_work.Combine("out")}", "Assessment:Profile=nope", "Metrics:Port=abc"], RunLimit);
        Assert.True(check.ExitCode == 2, check.ToString());
        Assert.Contains("Metrics:Port 'abc' must be a whole number", check.Stderr, StringComparison.Ordinal);
        Assert.Contains("Assessment:Profile 'nope' has no file", check.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(check);
    }

    /// <summary>
    /// The files named in Input:Paths are checked by <c>run --check-config</c> as a start checks them, in the same list
    /// as the other problems: an unreadable file or a directory passed the check, and the start then stopped on them.
    /// A glob that matches nothing yet is not a problem for either (its files may come later).
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Check_config_lists_the_input_files_a_start_would_refuse_with_the_other_problems()
    {
        Assert.True(OperatingSystem.IsLinux(), "file modes and capabilities are Linux's");
        var launcher = WithoutFileCapabilities.Launcher(); // root reads any file: the program runs bound by file modes
        var unreadable = Dumps.Write(_work.Combine("unreadable.smf"), seed: 4, zertCount: 5);
        File.SetUnixFileMode(unreadable, UnixFileMode.None);
        var aDirectory = Directory.CreateDirectory(_work.Combine("dumps")).FullName;
        string[] settings =
        [
            $"Input:Paths:0={unreadable}", $"Input:Paths:1={aDirectory}", $"Input:Paths:2={_work.Combine("missing.smf")}",
            $"Input:Paths:3={_work.Combine("later", "*.smf")}", $"Outputs:File:Directory={_work.Combine("out")}",
            $"Checkpoint:Directory={_work.Combine("state")}", "Metrics:Port=abc",
        ];

        var check = await ForwarderProcess.RunAsync(_work.Path, ["run", "--check-config", .. settings], RunLimit, launcher: launcher);
        var start = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. settings], RunLimit, launcher: launcher);

        output.WriteLine(check.ToString());
        Assert.True(check.ExitCode == 2, check.ToString());
        Assert.Contains("the configuration has 4 problem(s)", check.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Input:Paths: '{unreadable}' cannot be read", check.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Input:Paths: '{aDirectory}' is a directory", check.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Input:Paths: '{_work.Combine("missing.smf")}' does not exist", check.Stderr, StringComparison.Ordinal);
        Assert.Contains("Metrics:Port 'abc' must be a whole number", check.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("*.smf", check.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(check);
        Assert.True(start.ExitCode == 2, start.ToString());
        Assert.Equal(start.Stderr, check.Stderr);
    }

    [Fact]
    public async Task A_Kafka_property_librdkafka_refuses_is_a_listed_problem_of_check_config_and_of_the_start()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 8, zertCount: 10);
        string[] settings =
        [
            $"Input:Paths:0={dump}", "Outputs:Kafka:BootstrapServers=127.0.0.1:9", "Outputs:Kafka:Topic=zert", "Outputs:Kafka:Properties:acks=banana",
            $"Outputs:File:Directory={_work.Combine("out")}", $"Checkpoint:Directory={_work.Combine("state")}", "Metrics:Port=abc",
        ];

        foreach (var command in new[] { new[] { "run", "--check-config" }, ["run", "--once"] })
        {
            var result = await ForwarderProcess.RunAsync(_work.Path, [.. command, .. settings], RunLimit);
            output.WriteLine(result.ToString());
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("the configuration has 2 problem(s)", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("  - Outputs:Kafka:Properties:acks is refused by librdkafka: Invalid value for configuration property \"request.required.acks\"", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("Metrics:Port 'abc' must be a whole number", result.Stderr, StringComparison.Ordinal);
            AssertNoStackTrace(result);
            Assert.False(Directory.Exists(_work.Combine("out")), "nothing is read or written when the configuration is wrong");
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_mistake_in_files_directories_certificates_and_the_port_is_listed_in_one_start_without_a_stack_trace()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        var aDirectory = Directory.CreateDirectory(_work.Combine("a-directory")).FullName;
        var aFile = _work.Combine("a-file");
        File.WriteAllText(aFile, "not a directory\n");
        var certificateWithoutKey = _work.Combine("client.pem");
        File.WriteAllText(certificateWithoutKey, SelfSignedCertificatePem("client.example"));
        var notPem = _work.Combine("not-a-certificate.pem");
        File.WriteAllText(notPem, "hello\n");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Outputs:File:Directory={_work.Combine("out")}",
            "Outputs:Elasticsearch:Url=http://127.0.0.1:9", $"Outputs:Elasticsearch:ApiKeyFile={_work.Combine("missing-api-key")}",
            $"Outputs:Elasticsearch:CaFile={_work.Combine("missing-ca.pem")}",
            "Outputs:Syslog:Host=127.0.0.1", $"Outputs:Syslog:CaFile={notPem}", $"Outputs:Syslog:ClientCertificateFile={certificateWithoutKey}",
            "Outputs:Kafka:BootstrapServers=127.0.0.1:9", $"Outputs:Kafka:SaslPasswordFile={aDirectory}",
            $"Checkpoint:Directory={aFile}", $"DeadLetter:Directory={aFile}", $"Metrics:Port={takenPort}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        foreach (var expected in new[]
        {
            $"Outputs:Elasticsearch:ApiKeyFile: '{_work.Combine("missing-api-key")}' does not exist",
            $"Outputs:Elasticsearch:CaFile: '{_work.Combine("missing-ca.pem")}' does not exist",
            $"Outputs:Syslog:CaFile: '{notPem}' holds no PEM certificate",
            $"Outputs:Syslog:ClientCertificateFile: '{certificateWithoutKey}' holds no private key: set Outputs:Syslog:ClientKeyFile",
            $"Outputs:Kafka:SaslPasswordFile: '{aDirectory}' is a directory, not a file",
            $"Checkpoint:Directory: '{aFile}' is a file, not a directory",
            $"DeadLetter:Directory: '{aFile}' is a file, not a directory",
            $"Metrics:Port: port {takenPort} on 127.0.0.1 is already in use",
        })
        {
            Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        }
        Assert.Contains("the configuration has", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_work.Combine("out")), "nothing is read or written when the start-up checks fail");
    }

    [Fact]
    public async Task A_syslog_client_key_that_is_not_the_certificates_key_is_named()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        var certificate = _work.Combine("client.pem");
        File.WriteAllText(certificate, SelfSignedCertificatePem("client.example"));
        var notAKey = _work.Combine("client.key");
        File.WriteAllText(notAKey, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            "Outputs:Syslog:Host=127.0.0.1", $"Outputs:Syslog:ClientCertificateFile={certificate}", $"Outputs:Syslog:ClientKeyFile={notAKey}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        Assert.Contains($"Outputs:Syslog:ClientKeyFile: '{notAKey}' is not the PEM private key of '{certificate}'", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Torn JSON, and JSON that is whole but not a checkpoint (restored half, edited by hand): the entries' paths and
    /// offsets are what resuming reads, and a missing one ended the start with a stack trace (exit 134).
    /// </summary>
    [Theory]
    [InlineData("{ \"version\": 1, \"files\": [ { \"path\": ")]
    [InlineData("{ \"version\": 1, \"files\": null }")]
    [InlineData("{ \"version\": 1, \"files\": [ null ] }")]
    [InlineData("{ \"version\": 1, \"files\": [ { \"head_sha256\": \"00\", \"offset\": 5 } ] }")]
    [InlineData("{ \"version\": 1, \"files\": [ { \"path\": \"/dumps/a.smf\", \"head_sha256\": \"00\", \"offset\": -5 } ] }")]
    public async Task A_corrupt_checkpoint_file_is_reported_with_the_way_to_recover_and_left_as_it_is(string corrupt)
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        var state = Directory.CreateDirectory(_work.Combine("state")).FullName;
        var checkpointFile = Path.Combine(state, "checkpoints.json");
        File.WriteAllText(checkpointFile, corrupt);

        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", $"Outputs:File:Directory={_work.Combine("out")}"], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        Assert.Contains($"the checkpoint file '{checkpointFile}' cannot be read", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"move it aside (e.g. to '{checkpointFile}.corrupt')", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(corrupt, File.ReadAllText(checkpointFile));
        Assert.False(Directory.Exists(_work.Combine("out")));

        // Following the advice: the run starts over and delivers every record.
        File.Move(checkpointFile, checkpointFile + ".corrupt");
        var recovered = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", $"Outputs:File:Directory={_work.Combine("out")}"], RunLimit);
        Assert.True(recovered.ExitCode == 0, recovered.ToString());
        Assert.Equal(Dumps.ZertRecords(dump).Count, File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")).Length);
    }

    [Fact]
    public async Task A_directory_named_as_an_input_file_to_run_or_decode_or_as_the_generate_output_is_a_usage_error()
    {
        var directory = Directory.CreateDirectory(_work.Combine("dumps")).FullName;

        var run = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={directory}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}"], RunLimit);
        var generate = await ForwarderProcess.RunAsync(_work.Path, ["generate", "--out", directory, "--count", "5"], RunLimit);
        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", directory], RunLimit);

        output.WriteLine(run.ToString());
        output.WriteLine(generate.ToString());
        Assert.True(decode.ExitCode == 2, decode.ToString());
        Assert.Contains($"'{directory}' is a directory", decode.Stderr, StringComparison.Ordinal);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"Input:Paths: '{directory}' is a directory", run.Stderr, StringComparison.Ordinal);
        Assert.True(generate.ExitCode == 2, generate.ToString());
        Assert.Contains($"--out '{directory}' is a directory", generate.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(run);
        AssertNoStackTrace(generate);
    }

    /// <summary>A dump file with mode 000; the forwarder runs bound by file modes (<see cref="WithoutFileCapabilities"/>).</summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task An_input_file_that_cannot_be_read_is_listed_at_start_up()
    {
        Assert.True(OperatingSystem.IsLinux(), "file modes and capabilities are Linux's");
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        File.SetUnixFileMode(dump, UnixFileMode.None);
        var launcher = WithoutFileCapabilities.Launcher();

        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}"],
            RunLimit, launcher: launcher);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        Assert.Contains($"Input:Paths: '{dump}' cannot be read", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_work.Combine("out")), "nothing is written when start-up fails");
    }

    [Fact]
    public async Task Values_of_the_wrong_type_in_several_sections_are_listed_with_the_other_sections_problems()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        var config = _work.Combine("zertforwarder.json");
        // Wrong types first (Metrics, Outputs:Syslog, Pipeline), then checks of later sections that must still run.
        File.WriteAllText(config, $$"""
            {
              "Input": { "Paths": [ "{{dump}}" ], "Container": "zip" },
              "Metrics": { "Port": "abc" },
              "Outputs": {
                "Syslog": { "Host": "127.0.0.1", "Port": "six-five-one-four", "Protocol": "udp" },
                "File": { "Directory": "{{_work.Combine("out")}}", "Formats": [ "csv" ] }
              },
              "Pipeline": { "MaxBatchAge": "soon", "BufferCapacity": 0 },
              "Shutdown": { "DrainTimeout": "never" },
              "Logging": { "Progress": "maybe", "Format": "xml" },
              "Zos": { "UtcOffsets": { "SYSA": "EST" } }
            }
            """);

        var result = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", "--config", config], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        foreach (var expected in new[]
        {
            "Metrics:Port 'abc' must be a whole number",
            "Outputs:Syslog:Port 'six-five-one-four' must be a whole number",
            "Pipeline:MaxBatchAge 'soon' must be a duration",
            "Shutdown:DrainTimeout 'never' must be a duration",
            "Logging:Progress 'maybe' must be true or false",
            "Input:Container 'zip' must be auto, rdw or vbs",
            "Outputs:Syslog:Protocol 'udp' must be tls or tcp",
            "csv",
            "BufferCapacity",
            "Logging:Format 'xml' must be auto, text or json",
            "Zos:UtcOffsets:SYSA 'EST'",
        })
        {
            Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(_work.Combine("out")));
    }

    [Fact]
    public async Task Limits_that_would_let_a_wait_last_for_ever_or_are_negative_are_listed()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            "Outputs:Kafka:BootstrapServers=127.0.0.1:9", "Outputs:Kafka:Topic=zert", "Outputs:Kafka:MessageTimeoutMs=0",
            "Outputs:Kafka:Properties:delivery.timeout.ms=0", "DeadLetter:RotateBytes=-1", "Checkpoint:ForgetMissingAfter=-1.00:00:00",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        foreach (var expected in new[]
        {
            "Outputs:Kafka:MessageTimeoutMs must be positive",
            "Outputs:Kafka:Properties:delivery.timeout.ms must be a positive number of milliseconds",
            "DeadLetter:RotateBytes must not be negative",
            "Checkpoint:ForgetMissingAfter must not be negative",
        })
        {
            Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Kafka_properties_that_would_turn_off_TLS_verification_are_refused()
    {
        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Checkpoint:Directory={_work.Combine("state")}",
            "Input:Kafka:BootstrapServers=127.0.0.1:9", "Input:Kafka:Properties:ssl.endpoint.identification.algorithm=none",
            "Outputs:Kafka:BootstrapServers=127.0.0.1:9", "Outputs:Kafka:Topic=zert", "Outputs:Kafka:Properties:enable.ssl.certificate.verification=false",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        Assert.Contains("Input:Kafka:Properties:ssl.endpoint.identification.algorithm cannot turn off the brokers' host name check", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Outputs:Kafka:Properties:enable.ssl.certificate.verification cannot turn off the brokers' certificate check", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://zf:IDP-PW-4417@idp/token")]
    [InlineData(@"https:/\zf:IDP-PW-4417@idp/token")] // System.Uri reads "https:/\" as "https://"
    public async Task A_Kafka_OIDC_token_endpoint_with_a_password_or_query_is_refused_without_showing_it(string inputTokenEndpoint)
    {
        // librdkafka quotes the endpoint as written in its log lines: the password and the key would be logged.
        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Checkpoint:Directory={_work.Combine("state")}",
            "Input:Kafka:BootstrapServers=127.0.0.1:9", $"Input:Kafka:Properties:sasl.oauthbearer.token.endpoint.url={inputTokenEndpoint}",
            "Outputs:Kafka:BootstrapServers=127.0.0.1:9", "Outputs:Kafka:Topic=zert",
            "Outputs:Kafka:Properties:sasl.oauthbearer.token.endpoint.url=https://idp/token?key=QKEY-8812",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoStackTrace(result);
        foreach (var section in new[] { "Input:Kafka", "Outputs:Kafka" })
            Assert.Contains($"{section}:Properties:sasl.oauthbearer.token.endpoint.url must not hold a user, password or query", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("IDP-PW-4417", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("QKEY-8812", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Settings the syslog sink, the checkpoint store or the watch can only refuse once they are built (after the start-up
    /// checks) are listed by <c>run --check-config</c> and by the start together, each under its own key: before, the
    /// check passed them, a start named one per attempt in the framework's words ("(Parameter 'facility')"), and a
    /// zero connect time-out started a run that dead-lettered every event.
    /// </summary>
    [Fact]
    public async Task Syslog_checkpoint_and_watch_values_that_cannot_work_are_listed_by_check_config_and_the_start()
    {
        var watched = Directory.CreateDirectory(_work.Combine("incoming")).FullName;
        string[] settings =
        [
            $"Input:Watch:Directory={watched}", "Input:Watch:CompletedAction=delete", "Input:Watch:SettleTime=-00:00:01",
            "Outputs:Syslog:Host=127.0.0.1", "Outputs:Syslog:Protocol=tcp", "Outputs:Syslog:Facility=local9", "Outputs:Syslog:ConnectTimeout=00:00:00",
            "Outputs:Syslog:ReconnectMinDelay=00:00:05", "Outputs:Syslog:ReconnectMaxDelay=00:00:01",
            $"Checkpoint:Directory={_work.Combine("state")}", "Checkpoint:Interval=-00:00:01",
        ];

        foreach (var command in new[] { new[] { "run", "--check-config" }, ["run", "--once"] })
        {
            var result = await ForwarderProcess.RunAsync(_work.Path, [.. command, .. settings], RunLimit);
            output.WriteLine(result.ToString());
            Assert.True(result.ExitCode == 2, result.ToString());
            AssertNoStackTrace(result);
            Assert.Contains("the configuration has 5 problem(s)", result.Stderr, StringComparison.Ordinal);
            foreach (var expected in new[]
            {
                "  - Input:Watch:SettleTime must not be negative",
                "  - Outputs:Syslog:Facility 'local9' must be kern, user,",
                "  - Outputs:Syslog:ConnectTimeout must be positive",
                "  - Outputs:Syslog:ReconnectMaxDelay must not be below ReconnectMinDelay",
                "  - Checkpoint:Interval must not be negative",
            })
            {
                Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
            }
            Assert.DoesNotContain("(Parameter '", result.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(_work.Combine("state")), "nothing is written when the configuration is wrong");
        }
    }

    private static void AssertNoStackTrace(ForwarderResult result)
    {
        var all = result.Stdout + result.Stderr;
        Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
    }

    private static string SelfSignedCertificatePem(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return certificate.ExportCertificatePem() + "\n";
    }
}
