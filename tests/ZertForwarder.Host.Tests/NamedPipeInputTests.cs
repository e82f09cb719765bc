using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// A named pipe as an input (<c>mkfifo</c>, or bash's <c>&lt;(zcat dump.gz)</c>) is read like stdin: from its start,
/// without a checkpoint. It used to be opened by the start-up checks (ending the writer with SIGPIPE) and again by the
/// checkpoint store, whose open waited for a writer for ever, past SIGTERM.
/// </summary>
public sealed class NamedPipeInputTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task A_named_pipe_in_Input_Paths_is_read_whole_and_its_writer_is_not_cut_off()
    {
        var dump = _work.Combine("dump.smf");
        Dumps.Write(dump, seed: 23, zertCount: 400);
        var expected = Dumps.ZertRecords(dump).Select(r => r.EventId).ToHashSet();
        var pipe = MakeFifo("pipe");

        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={pipe}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ]);
        // The writer's open waits for the reader, as `zcat dump.gz > pipe` would; a reader that closes early fails its writes.
        var writer = Task.Run(() =>
        {
            using var stream = new FileStream(pipe, FileMode.Open, FileAccess.Write);
            stream.Write(File.ReadAllBytes(dump));
        });
        var exitCode = await running.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await writer.WaitAsync(TimeSpan.FromSeconds(10));

        var ids = EcsLines.EventIds(File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")));
        output.WriteLine($"exit {exitCode}; {ids.Count} events for {expected.Count} zERT records");
        Assert.True(exitCode == 0, running.Stderr);
        Assert.True(expected.SetEquals(ids));
        Assert.Equal(0, Checkpoints.Offset(_work.Combine("state"), pipe)); // a stream has no position to resume from
    }

    [Fact]
    public async Task A_run_once_stopped_before_its_inputs_are_read_says_so_and_exits_1()
    {
        // A job runner must be able to tell a `run --once` that a signal cut short (a node drained) from a complete one,
        // so that it runs it again; the next run goes on from the checkpoint.
        var pipe = MakeFifo("never-written");
        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={pipe}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ]);
        await Eventually.TrueAsync(() => running.Stderr.Contains("\"EventId\":1000", StringComparison.Ordinal), "the run started",
            TimeSpan.FromSeconds(30), () => running.Stderr);

        running.Signal(ForwarderProcess.Sigterm);
        var exitCode = await running.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"exit {exitCode} after SIGTERM; {running.Stdout}");
        Assert.Equal(1, exitCode);
        Assert.Contains("stopped before the inputs were read to their end", running.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_named_pipe_without_a_writer_does_not_hold_up_SIGTERM()
    {
        var pipe = MakeFifo("idle");
        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={pipe}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ]);
        await Eventually.TrueAsync(() => running.Stderr.Contains("\"EventId\":1000", StringComparison.Ordinal), "the run started",
            TimeSpan.FromSeconds(30), () => running.Stderr);

        running.Signal(ForwarderProcess.Sigterm);
        var exitCode = await running.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine($"exit {exitCode} after SIGTERM");
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task A_named_pipe_in_a_watched_directory_is_passed_over_and_the_dumps_beside_it_are_delivered()
    {
        var incoming = _work.Combine("incoming");
        Directory.CreateDirectory(incoming);
        MakeFifo(Path.Combine("incoming", "a-pipe.smf"));
        var dump = Path.Combine(incoming, "b.smf");
        Dumps.Write(dump, seed: 29, zertCount: 300);
        var expected = Dumps.ZertRecords(dump).Count;

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Watch:Directory={incoming}", "Input:Watch:Pattern=*.smf", "Input:Watch:CompletedAction=mark", "Input:Watch:SettleTime=00:00:00.100",
            "Input:Watch:PollInterval=00:00:00.100", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected, File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")).Length);
    }

    /// <summary>
    /// report reads each input twice (first the heads, then the counts): a pipe was read empty the second time and the
    /// report came out empty, exit 0. It is refused with the reason instead, before anything is read.
    /// </summary>
    [Fact]
    public async Task Report_refuses_a_named_pipe_with_the_reason_instead_of_an_empty_report()
    {
        var pipe = MakeFifo("report-input");
        var result = await ForwarderProcess.RunAsync(_work.Path, ["report", pipe, "--out", _work.Combine("report")], TimeSpan.FromSeconds(30));

        output.WriteLine(result.ToString());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is a pipe or device", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_work.Combine("report", "servers.csv")));

        // Standard input the same, with the same advice (it said "input '-' does not exist").
        var stdin = await ForwarderProcess.RunAsync(_work.Path, ["report", "-", "--out", _work.Combine("report")], TimeSpan.FromSeconds(30));
        Assert.Equal(2, stdin.ExitCode);
        Assert.Contains("input '-' (standard input) can be read only once", stdin.Stderr, StringComparison.Ordinal);
    }

    private string MakeFifo(string name) => NamedPipes.Create(_work.Combine(name));
}
