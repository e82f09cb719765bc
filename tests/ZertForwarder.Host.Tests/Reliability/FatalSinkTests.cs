using System.Net;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// A sink that can never succeed (Elasticsearch answering 401 to <c>_bulk</c> after the probe and the templates
/// passed) stops the run: the reader stops, the file sink drains, the checkpoint covers only what both sinks have,
/// and the process ends by itself with exit 2 and one clear line, no stack trace. <c>/readyz</c> answers 503 while a
/// sink is down; <c>/healthz</c> stays 200.
/// </summary>
public sealed class FatalSinkTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_401_on_bulk_in_mid_run_ends_the_process_with_exit_2_one_line_and_a_checkpoint_of_what_both_sinks_have(bool once)
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequestFault = request => request >= 3 ? 401 : null; // two bulks pass, then the credentials are refused
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 401, zertCount: 6_000);
        var expected = Dumps.ZertRecords(dump);
        var state = _work.Combine("state");
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", "Checkpoint:Interval=00:00:00.050",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", $"Outputs:File:Directory={_work.Combine("out")}",
            "Pipeline:MaxBatchItems=500", "Pipeline:BufferCapacity=1000",
        ];

        var result = await ForwarderProcess.RunAsync(_work.Path, once ? ["run", "--once", .. args] : ["run", .. args], TimeSpan.FromSeconds(60));
        var checkpoint = Checkpoints.Offset(state, dump);
        var covered = expected.Where(r => r.EndOffset <= checkpoint).Select(r => r.EventId).ToList();
        var inElasticsearch = elasticsearch.Documents.Keys.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var inFile = EventIds(_work.Combine("out", "zert-ecs.ndjson"));
        output.WriteLine($"{result}\ncheckpoint {checkpoint}: {covered.Count} of {expected.Count} records covered; " +
                         $"elasticsearch {inElasticsearch.Count}, file {inFile.Count}");

        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.Contains("cannot work", StringComparison.Ordinal) && l.Contains("401", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("no longer accepts events", result.Stderr, StringComparison.Ordinal);
        // The checkpoint holds only what both sinks have, and the file sink drained what it was given.
        Assert.All(covered, id => Assert.Contains(id, inElasticsearch));
        Assert.All(covered, id => Assert.Contains(id, inFile));
        Assert.True(inFile.Count >= covered.Count);
        Assert.True(covered.Count < expected.Count, "the run stopped before the end of the input");

        // After the fix (credentials accepted again) a restart delivers everything.
        elasticsearch.RequestFault = _ => null;
        var restart = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(60));
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.True(expected.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal).SetEquals(elasticsearch.Documents.Keys.Select(k => k.Id)));
        Assert.True(expected.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal).SetEquals(EventIds(_work.Combine("out", "zert-ecs.ndjson"))));
    }

    [Fact]
    public async Task Readyz_answers_503_while_a_sink_is_down_and_200_again_when_it_is_back_while_healthz_stays_200()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        var down = true;
        elasticsearch.RequestFault = _ => Volatile.Read(ref down) ? 503 : null;
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 503, zertCount: 200);
        var port = Endpoints.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", $"Metrics:Port={port}", "Pipeline:InitialBackoff=00:00:00.050",
            "Pipeline:MaxBackoff=00:00:00.200",
        ]);

        await Eventually.TrueAsync(() => elasticsearch.RequestFaults > 0, "a failed bulk request", TimeSpan.FromSeconds(30), () => running.Stderr);
        var ready = await StatusAsync(http, "/readyz");
        var health = await StatusAsync(http, "/healthz");
        output.WriteLine($"while Elasticsearch answers 503: /readyz {(int)ready}, /healthz {(int)health}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        Assert.Equal(HttpStatusCode.OK, health);

        Volatile.Write(ref down, false);
        await Eventually.TrueAsync(() => StatusAsync(http, "/readyz").GetAwaiter().GetResult() == HttpStatusCode.OK, "/readyz 200 once Elasticsearch is back",
            TimeSpan.FromSeconds(30), () => running.Stderr);
        running.Signal(ForwarderProcess.Sigterm);
        Assert.Equal(0, await running.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return response.StatusCode;
    }

    internal static HashSet<string> EventIds(string ecsFile)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(ecsFile)) return ids;
        foreach (var line in File.ReadLines(ecsFile))
        {
            if (line.Length == 0) continue;
            using var document = System.Text.Json.JsonDocument.Parse(line);
            ids.Add(document.RootElement.GetProperty("event").GetProperty("id").GetString()!);
        }
        return ids;
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task A_stop_while_an_output_is_still_starting_ends_cleanly_without_a_stack_trace(bool once, int exitCode)
    {
        // Elasticsearch's start-up probe never answers (a stalled proxy): SIGTERM must end the run with one line and
        // its exit code, not an unhandled cancellation.
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.ProbeStall = ResponseStall.BeforeHeaders;
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 402, zertCount: 100);
        List<string> args = ["run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:Elasticsearch:Url={elasticsearch.Url}",
            "Outputs:Elasticsearch:RequestTimeout=00:01:00"];
        if (once) args.Insert(1, "--once");
        await using var running = ForwarderProcess.Start(_work.Path, [.. args]);
        await Eventually.TrueAsync(() => elasticsearch.StalledResponses > 0 || running.HasExited, "the probe stalled", TimeSpan.FromSeconds(30), () => running.Stderr);
        Assert.False(running.HasExited, running.Stderr);

        running.Signal(ForwarderProcess.Sigterm);
        var exit = await running.WaitForExitAsync(TimeSpan.FromSeconds(20));
        output.WriteLine($"exit {exit}\n{running.Stderr}");
        Assert.Equal(exitCode, exit);
        Assert.DoesNotContain("Unhandled exception", running.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(running.Stderr.Split('\n'), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Contains("Stopped while the outputs were starting", running.Stderr, StringComparison.Ordinal);
    }
}
