using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The real executable, <c>run --once</c>, against the scripted HTTP Event Collector: every record arrives once with
/// the token, index, sourcetype, time and host, through a busy collector (503) and an event HEC refuses, with and
/// without indexer acknowledgement.
/// </summary>
public sealed class SplunkOutputTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_record_arrives_once_with_token_index_sourcetype_time_and_host_through_a_503_and_an_invalid_event(bool useAck)
    {
        await using var hec = await FakeSplunkHec.StartAsync();
        hec.AckEnabled = useAck;
        hec.RequestFault = n => n is 2 or 3 ? 503 : null;
        if (useAck)
        {
            hec.LoseAck = ackId => ackId == 4; // one request accepted and lost before indexing: found out by the ack time-out
        }

        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 12, zertCount: 800);
        var expected = Dumps.ZertRecords(dump);
        var invalid = expected[123].EventId;
        hec.InvalidEventIds[invalid] = true;
        var tokenFile = _work.Combine("hec-token");
        await File.WriteAllTextAsync(tokenFile, hec.Token + "\n");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Splunk:Url={hec.Url}", $"Outputs:Splunk:TokenFile={tokenFile}", "Outputs:Splunk:Index=zos_security",
            $"Outputs:Splunk:UseAck={useAck}", "Outputs:Splunk:AckTimeout=00:00:05", "Outputs:Splunk:AckPollInterval=00:00:00.050",
            "Pipeline:MaxBatchItems=100", "Pipeline:InitialBackoff=00:00:00.050", "Pipeline:MaxBackoff=00:00:00.500",
        ], TimeSpan.FromSeconds(90));

        output.WriteLine($"{expected.Count} records; {hec.EventRequests} event requests, {hec.Faults} 503s, {hec.AckPolls} ack polls, {hec.Indexed.Count} indexed");
        Assert.True(result.ExitCode == 1, result.ToString()); // 1: one event was dead-lettered
        Assert.DoesNotContain(hec.Token, result.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, hec.Faults);

        var indexed = hec.Indexed.ToList();
        var expectedCounts = expected.Where(r => r.EventId != invalid).GroupBy(r => r.EventId).ToDictionary(g => g.Key, g => g.Count());
        var indexedCounts = indexed.GroupBy(e => e.EventId!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expectedCounts.OrderBy(p => p.Key), indexedCounts.OrderBy(p => p.Key));
        foreach (var hit in indexed)
        {
            Assert.Equal($"Splunk {hec.Token}", hit.Authorization);
            var envelope = hit.Envelope;
            using var ecs = JsonDocument.Parse(envelope["event"]!.ToJsonString());
            var root = ecs.RootElement;
            var timestamp = DateTimeOffset.Parse(root.GetProperty("@timestamp").GetString()!, CultureInfo.InvariantCulture);
            Assert.Equal(timestamp.ToUnixTimeMilliseconds() / 1000m, envelope["time"]!.GetValue<decimal>());
            Assert.Equal(root.GetProperty("host").GetProperty("name").GetString(), envelope["host"]!.GetValue<string>());
            Assert.Equal("zos_security", envelope["index"]!.GetValue<string>());
            Assert.Equal("zertforwarder", envelope["source"]!.GetValue<string>());
            var dataset = root.GetProperty("event").GetProperty("dataset").GetString();
            Assert.Equal(dataset == "zos.zert_summary" ? "zos:zert:summary" : "zos:zert:connection", envelope["sourcetype"]!.GetValue<string>());
            Assert.Equal(root.GetProperty("zos").GetProperty("zert").GetProperty("assessment").GetProperty("level").GetString(),
                envelope["fields"]!["zert_assessment_level"]!.GetValue<string>());
        }

        Assert.Contains(indexed, e => e.Envelope["sourcetype"]!.GetValue<string>() == "zos:zert:summary");
        var deadLetter = Assert.Single(File.ReadAllLines(_work.Combine("state", "dead-letters", "dead-letters.ndjson")));
        using var record = JsonDocument.Parse(deadLetter);
        Assert.Equal(invalid, record.RootElement.GetProperty("event_id").GetString());
        Assert.Equal("splunk", record.RootElement.GetProperty("sink").GetString());
        Assert.StartsWith("HEC refused the event: \"Invalid data format\" (code 6, invalid-event-number ", record.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        if (useAck)
        {
            Assert.True(hec.AckPolls > 0);
            Assert.Contains(hec.Received, r => r.Value == 2); // the lost request was sent again
        }
    }

    /// <summary>
    /// Logs name the collector by scheme, host and port only (README, Splunk): a path can be a proxy's private route. The
    /// syslog receiver is named with the port actually used when none is set (514 for tcp), not with an empty one.
    /// </summary>
    [Fact]
    public async Task The_start_names_the_collector_without_its_path_and_the_syslog_receiver_with_its_port()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 14, zertCount: 5);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            "Outputs:Splunk:Url=http://127.0.0.1:9/private-route/", "Outputs:Syslog:Host=127.0.0.1", "Outputs:Syslog:Protocol=tcp",
        ], TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["ZERTFORWARDER_Outputs__Splunk__Token"] = "test-token" });

        Assert.True(result.ExitCode == 2, result.ToString()); // nothing listens on port 9: the collector cannot be reached
        Assert.Contains("Splunk HEC http://127.0.0.1:9", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("syslog 127.0.0.1:514 (tcp)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("private-route", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("test-token", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Splunk_settings_problems_are_listed_with_the_others_and_exit_2()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 14, zertCount: 5);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", "Outputs:Splunk:Url=splunk:8088",
            $"Outputs:Splunk:TokenFile={_work.Combine("no-such-token")}", $"Outputs:Splunk:CaFile={_work.Combine("no-such-ca.pem")}",
            "Outputs:Splunk:Index=Bad Index", "Zos:UtcOffsets:SYSA=5",
        ], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Outputs:Splunk:Url must be an absolute http:// or https:// URL", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Outputs:Splunk:TokenFile", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Outputs:Splunk:CaFile", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Outputs:Splunk:Index 'Bad Index'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Zos:UtcOffsets:SYSA", result.Stderr, StringComparison.Ordinal); // listed together with the others
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal); // no stack trace
    }
    /// <summary>
    /// A HEC that refuses the token in mid-run (disabled: 403; removed or rotated: 401) can never take an event again:
    /// the run ends by itself, exit 2, one line naming the refusal and no stack trace, the token never printed, and the
    /// checkpoint covers only what both outputs have, so a restart with a valid token delivers the rest.
    /// </summary>
    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task A_token_refused_in_mid_run_ends_the_run_with_exit_2_one_line_and_a_checkpoint_of_what_both_outputs_have(int refusal)
    {
        await using var hec = await FakeSplunkHec.StartAsync();
        hec.RequestFault = request => request >= 3 ? refusal : null; // two requests pass, then the token is refused
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: (ulong)refusal, zertCount: 3_000);
        var expected = Dumps.ZertRecords(dump);
        var tokenFile = _work.Combine("hec-token");
        await File.WriteAllTextAsync(tokenFile, hec.Token + "\n");
        var state = _work.Combine("state");
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", "Checkpoint:Interval=00:00:00.050",
            $"Outputs:Splunk:Url={hec.Url}", $"Outputs:Splunk:TokenFile={tokenFile}", $"Outputs:File:Directory={_work.Combine("out")}",
            "Pipeline:MaxBatchItems=200", "Pipeline:BufferCapacity=1000",
        ];

        var result = await ForwarderProcess.RunAsync(_work.Path, ["run", .. args], TimeSpan.FromSeconds(60));
        var checkpoint = Checkpoints.Offset(state, dump);
        var covered = expected.Where(r => r.EndOffset <= checkpoint).Select(r => r.EventId).ToList();
        var inSplunk = hec.Indexed.Select(e => e.EventId!).ToHashSet(StringComparer.Ordinal);
        var inFile = Reliability.FatalSinkTests.EventIds(_work.Combine("out", "zert-ecs.ndjson"));
        output.WriteLine($"{result}\ncheckpoint {checkpoint}: {covered.Count} of {expected.Count} records covered; splunk {inSplunk.Count}, file {inFile.Count}");

        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.Contains("cannot work", StringComparison.Ordinal) && l.Contains($"HTTP {refusal}", StringComparison.Ordinal)
                                  && l.Contains("Outputs:Splunk:Token", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(hec.Token, result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.All(covered, id => Assert.Contains(id, inSplunk));
        Assert.All(covered, id => Assert.Contains(id, inFile));
        Assert.True(covered.Count < expected.Count, "the run stopped before the end of the input");

        // The token is valid again: a restart delivers the rest.
        hec.RequestFault = _ => null;
        var restart = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(60));
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.True(expected.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal).SetEquals(hec.Indexed.Select(e => e.EventId!)));
    }
}
