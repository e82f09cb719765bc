using System.Text.Json;
using Xunit.Abstractions;
using System.Text.RegularExpressions;
using ZertForwarder.Host.Tests.Support;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// Issue 10: <c>decode</c> takes the settings that shape output (<c>--config</c> and <c>Zos</c> / <c>Mappings</c> /
/// <c>Assessment</c> overrides) so that its lines equal <c>run</c>'s output files byte for byte, and a system without
/// a configured UTC offset is warned about once per run, naming the system and the setting.
/// </summary>
public sealed class DecodeEqualsRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Decode_ignores_unknown_keys_of_runs_other_sections_and_reports_those_of_its_own()
    {
        // README: "other sections of the file are ignored": a key decode does not use (a newer run setting, a typo in
        // Metrics) must not stop it; one in Mappings, or a misspelt section, still does.
        using var work = new TempDirectory();
        var dump = Dumps.Write(work.Combine("dump.smf"), seed: 12, zertCount: 20);
        var others = work.Combine("others.json");
        File.WriteAllText(others, """{"Metrics": {"Bogus": 1}, "Outputs": {"Nothing": {"At": "all"}}, "Mappings": {"RedactDistinguishedNames": "hash"}}""");
        var ignored = await ForwarderProcess.RunAsync(work.Path, ["decode", dump, "--format", "ecs", "--config", others], Timeout);
        Assert.True(ignored.ExitCode == 0, ignored.ToString());

        var own = work.Combine("own.json");
        File.WriteAllText(own, """{"Mappings": {"Nope": 2}, "Mapings": {"X": 1}}""");
        var reported = await ForwarderProcess.RunAsync(work.Path, ["decode", dump, "--format", "ecs", "--config", own], Timeout);
        Assert.True(reported.ExitCode == 2, reported.ToString());
        Assert.Contains("unknown configuration key 'Mappings:Nope'", reported.Stderr, StringComparison.Ordinal);
        Assert.Contains("unknown configuration key 'Mapings:X'", reported.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_with_runs_configuration_writes_the_same_ECS_LEEF_and_flat_lines_as_run()
    {
        using var work = new TempDirectory();
        var dump = Dumps.Write(work.Combine("dump.smf"), seed: 10, zertCount: 2000);
        // SYSA and SYSB have offsets; the generator's other systems (PRD1, DEV1) do not: each is warned about once.
        var config = work.Combine("forwarder.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            Input = new { Paths = new[] { dump } },
            Outputs = new { File = new { Directory = work.Combine("out"), Formats = new[] { "ecs", "leef", "flat" } } },
            Checkpoint = new { Directory = work.Combine("state") },
            Zos = new { UtcOffsets = new Dictionary<string, string> { ["SYSA"] = "-05:00", ["SYSB"] = "-05:00" } },
            Mappings = new { RedactDistinguishedNames = "hash", LeefMaxLineLength = 2048 },
            Assessment = new { Profile = "nist-sp800-52r2" },
            Logging = new { Progress = false },
        }));

        var run = await ForwarderProcess.RunAsync(work.Path, ["run", "--config", config, "--once"], Timeout);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var (format, file) in new[] { ("ecs", "zert-ecs.ndjson"), ("leef", "zert-leef.log"), ("flat", "zert-flat.ndjson") })
        {
            var decode = await ForwarderProcess.RunAsync(work.Path, ["decode", dump, "--format", format, "--config", config], Timeout);
            Assert.True(decode.ExitCode == 0, decode.ToString());
            var runLines = File.ReadAllText(work.Combine("out", file));
            output.WriteLine($"{format}: run {runLines.Length} bytes, decode {decode.Stdout.Length} bytes");
            Assert.True(runLines.Length > 100_000, $"run wrote only {runLines.Length} bytes of {format}");
            // ForwarderProcess collects stdout line by line; the files end with a newline.
            Assert.Equal(runLines, decode.Stdout);
            // decode names each system without an offset once, with the setting to use.
            foreach (var system in new[] { "PRD1", "DEV1" })
                Assert.Single(Regex.Matches(decode.Stderr, $"SMF system {system} has no configured UTC offset \\(setting Zos:UtcOffsets:{system}"));
            Assert.DoesNotContain("SMF system SYSA has no", decode.Stderr, StringComparison.Ordinal);
        }
        // run logs it once per system (one log line; a JSON log line carries the text in Message and State).
        foreach (var system in new[] { "PRD1", "DEV1" })
            Assert.Single(run.Stderr.Split('\n'), l => l.Contains($"SMF system {system} has no configured UTC offset (setting Zos:UtcOffsets:{system}", StringComparison.Ordinal));

        // The profile and the redaction reached both: the documents say so.
        var first = JsonDocument.Parse(File.ReadLines(work.Combine("out", "zert-ecs.ndjson")).First(l => l.Contains("distinguished_name", StringComparison.Ordinal))).RootElement;
        Assert.Equal("nist-sp800-52r2", first.GetProperty("zos").GetProperty("zert").GetProperty("assessment").GetProperty("profile").GetString());
        Assert.StartsWith("sha256:", first.GetProperty("tls").GetProperty("server").GetProperty("x509").GetProperty("subject").GetProperty("distinguished_name").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_honours_a_UtcOffsets_override_on_the_command_line()
    {
        using var work = new TempDirectory();
        var dump = Dumps.Write(work.Combine("dump.smf"), seed: 11, zertCount: 300);
        var plain = await ForwarderProcess.RunAsync(work.Path, ["decode", dump, "--format", "ecs"], Timeout);
        var shifted = await ForwarderProcess.RunAsync(work.Path, ["decode", dump, "--format", "ecs", "Zos:UtcOffsets:SYSA=-05:00"], Timeout);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.True(shifted.ExitCode == 0, shifted.ToString());
        var before = plain.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var after = shifted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(before.Count, after.Count);
        var sysa = 0;
        for (var i = 0; i < before.Count; i++)
        {
            var system = before[i].GetProperty("labels").GetProperty("smf_system_id").GetString();
            var t0 = before[i].GetProperty("@timestamp").GetDateTimeOffset();
            var t1 = after[i].GetProperty("@timestamp").GetDateTimeOffset();
            // Local time -05:00 is five hours behind UTC: UTC = local + 5 h. Other systems are untouched.
            Assert.Equal(system == "SYSA" ? TimeSpan.FromHours(5) : TimeSpan.Zero, t1 - t0);
            if (system == "SYSA") sysa++;
        }
        Assert.True(sysa > 10, $"only {sysa} SYSA records in the dump");
        Assert.Contains("Zos:UtcOffsets:SYSB", plain.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Zos:UtcOffsets:SYSA", shifted.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_refuses_settings_that_do_not_shape_output_and_unknown_profiles()
    {
        using var work = new TempDirectory();
        var dump = Dumps.Write(work.Combine("dump.smf"), seed: 12, zertCount: 5);
        var outputs = await ForwarderProcess.RunAsync(work.Path, ["decode", dump, "--format", "ecs", "Outputs:Kafka:Topic=x"], Timeout);
        Assert.Equal(2, outputs.ExitCode);
        Assert.Contains("decode takes settings of Zos, Mappings, Assessment only", outputs.Stderr, StringComparison.Ordinal);
        var profile = await ForwarderProcess.RunAsync(work.Path, ["decode", dump, "--format", "ecs", "Assessment:Profile=pci"], Timeout);
        Assert.Equal(2, profile.ExitCode);
        Assert.Contains("Assessment:Profile 'pci'", profile.Stderr, StringComparison.Ordinal);
        Assert.Contains("nist-sp800-52r2", profile.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", profile.Stderr, StringComparison.Ordinal);
    }
}
