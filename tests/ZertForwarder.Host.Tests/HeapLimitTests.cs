using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Running;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The managed heap limit of <c>run</c> (issue 9): sized from the sink buffers unless configured, and a run under it
/// delivers everything.
/// </summary>
public sealed class HeapLimitTests(ITestOutputHelper output)
{
    private const long MB = 1024 * 1024;

    [Fact]
    public void The_default_grows_with_the_outputs_and_their_buffers()
    {
        var options = new ForwarderOptions();
        Assert.Equal(96 * MB, HeapLimit.For(options, outputCount: 1));
        Assert.Equal(160 * MB, HeapLimit.For(options, outputCount: 3));
        options.Pipeline.BufferBytes = 256 * MB;
        Assert.Equal(64 * MB + 2 * 2 * 256 * MB, HeapLimit.For(options, outputCount: 2));
    }

    [Fact]
    public void A_configured_limit_wins_and_zero_sets_none()
    {
        Assert.Equal(300 * MB, HeapLimit.For(new ForwarderOptions { Memory = { HeapLimitMB = 300 } }, outputCount: 4));
        Assert.Null(HeapLimit.For(new ForwarderOptions { Memory = { HeapLimitMB = 0 } }, outputCount: 1));
    }

    /// <summary>
    /// Under the limit, the first large array a thread allocates makes the collector commit a whole large-object region,
    /// and a commit past the limit is an out-of-memory error: run to Kafka stopped that way at start-up in about one start
    /// in five. The per-thread buffers of the mapping (128 KB) and of the reader (256 KB) therefore stay below the
    /// program's large-object threshold (ZertForwarder.csproj).
    /// </summary>
    [Fact]
    public void The_program_keeps_its_per_thread_buffers_off_the_large_object_heap()
    {
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ForwarderProcess.ProgramDirectory, "zertforwarder.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(properties.TryGetProperty("System.GC.LOHThreshold", out var threshold), "no large-object threshold in the program's runtime configuration");
        // An array's size on the heap is its length plus a 24-byte header (64-bit).
        Assert.True(threshold.GetInt32() > Smf.Framing.SmfRecordReader.BufferBytes + 24, $"threshold {threshold.GetInt32()}");
        Assert.True(threshold.GetInt32() > Mapping.ZertNormalizer.ScratchBytes + 24, $"threshold {threshold.GetInt32()}");
    }

    [Fact]
    public async Task A_run_names_its_limit_and_delivers_every_record_under_it()
    {
        using var work = new TempDirectory();
        var (run, expected) = RunOfDump(work, zertCount: 3000);
        var result = await ForwarderProcess.RunAsync(work.Path, [.. run, "Memory:HeapLimitMB=200"], TimeSpan.FromSeconds(60));
        output.WriteLine(result.Stderr.Split('\n').FirstOrDefault(l => l.Contains("heap limit", StringComparison.Ordinal)) ?? "(no start line)");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("managed heap limit 200 MB", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(expected.Count, File.ReadAllLines(work.Combine("out", "zert-ecs.ndjson")).Length);
    }

    [Fact]
    public async Task Running_out_of_memory_under_a_too_small_limit_stops_the_run_cleanly_and_a_restart_delivers_the_rest_once()
    {
        using var work = new TempDirectory();
        var (baseRun, expected) = RunOfDump(work, zertCount: 40_000);
        string[] run = [.. baseRun, "Logging:Format=json"];

        // 24 MB cannot hold the program, the default 16 MB of sink buffer and the batches being mapped: the run runs out
        // of memory part way. Before, the reader then waited forever for the routing loop that had died; now the run stops, drains what was read and exits 1. When
        // the runtime itself cannot get memory (it prints "Out of memory." and aborts, exit 134; seen under CPU load)
        // no code of ours runs: that case must still not hang, and the restart below must still lose nothing.
        var starved = await ForwarderProcess.RunAsync(work.Path, [.. run, "Memory:HeapLimitMB=24"], TimeSpan.FromSeconds(60));
        var firstPart = File.Exists(work.Combine("out", "zert-ecs.ndjson")) ? File.ReadAllLines(work.Combine("out", "zert-ecs.ndjson")).Length : 0;
        output.WriteLine($"under 24 MB: exit {starved.ExitCode}, {firstPart} of {expected.Count} delivered");
        Assert.True(starved.ExitCode is 1 or 134, starved.ToString());
        Assert.DoesNotContain("Unhandled exception", starved.Stderr, StringComparison.Ordinal);
        if (starved.ExitCode == 1)
        {
            var stopped = starved.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
                .Single(e => e.GetProperty("EventId").GetInt32() == 1005);
            Assert.Contains("out of memory", stopped.GetProperty("Message").GetString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("Out of memory.", starved.Stderr, StringComparison.Ordinal);
        }
        Assert.InRange(firstPart, 0, expected.Count - 1);

        var restarted = await ForwarderProcess.RunAsync(work.Path, run, TimeSpan.FromSeconds(60));
        Assert.True(restarted.ExitCode == 0, restarted.ToString());
        var ids = EcsLines.EventIds(Directory.GetFiles(work.Combine("out"), "zert-ecs.ndjson*").SelectMany(File.ReadLines));
        Assert.Equal(expected.Count, ids.Count);
        Assert.True(expected.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal).SetEquals(ids));
    }

    /// <summary>
    /// Writes a dump of <paramref name="zertCount"/> zERT records into <paramref name="work"/> and returns the
    /// <c>run --once</c> arguments that forward it to an ECS file there, with the records it holds.
    /// </summary>
    private static (string[] Run, IReadOnlyList<ExpectedRecord> Expected) RunOfDump(TempDirectory work, int zertCount)
    {
        var dump = work.Combine("in.smf");
        Dumps.Write(dump, seed: 9, zertCount: zertCount);
        return (["run", "--once", $"Input:Paths:0={dump}", $"Outputs:File:Directory={work.Combine("out")}", "Outputs:File:Formats:0=ecs",
            $"Checkpoint:Directory={work.Combine("state")}"], Dumps.ZertRecords(dump));
    }
}
