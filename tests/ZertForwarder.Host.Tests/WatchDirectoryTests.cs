using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// Input:Watch: dumps that land in the watched directory (written under another name, then renamed in, as FTP and
/// copy tools do) are picked up, delivered, and then moved to Input:Watch:CompletedDirectory or marked with a .done
/// file, so that a restart does not read them again; their checkpoints are then dropped.
/// </summary>
public sealed class WatchDirectoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData("move")]
    [InlineData("mark")]
    public async Task Two_dumps_renamed_into_the_watched_directory_are_delivered_and_completed(string completedAction)
    {
        var incoming = _work.Combine("incoming");
        var completed = _work.Combine("completed");
        var outFile = _work.Combine("out", "zert-ecs.ndjson");
        Directory.CreateDirectory(incoming);

        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Watch:Directory={incoming}", "Input:Watch:Pattern=*.smf", $"Input:Watch:CompletedAction={completedAction}",
            $"Input:Watch:CompletedDirectory={completed}", "Input:Watch:PollInterval=00:00:00.200", "Input:Watch:SettleTime=00:00:00.300",
            $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ]);

        var expectedIds = new List<string>();
        foreach (var (name, seed, count) in new[] { ("a.smf", 41UL, 300), ("b.smf", 42UL, 450) })
        {
            var landing = Path.Combine(incoming, name + ".partial");
            Dumps.Write(landing, seed, count);
            expectedIds.AddRange(Dumps.ZertRecords(landing).Select(r => r.EventId));
            File.Move(landing, Path.Combine(incoming, name));
        }

        string[] names = ["a.smf", "b.smf"];
        Func<string, bool> isCompleted = completedAction == "move"
            ? name => File.Exists(Path.Combine(completed, name)) && !File.Exists(Path.Combine(incoming, name))
            : name => File.Exists(Path.Combine(incoming, name + ".done"));
        await Eventually.TrueAsync(() => names.All(isCompleted), $"both dumps completed ({completedAction})", TimeSpan.FromSeconds(20),
            () => running.Stderr);

        // A dump is completed only after every record of it was delivered, so the output is whole at this point.
        var lines = File.ReadAllLines(outFile);
        var ids = EcsLines.EventIds(lines);
        output.WriteLine($"{completedAction}: {lines.Length} events written for {expectedIds.Count} zERT records in two dumps; " +
                         $"incoming now [{string.Join(", ", Directory.GetFiles(incoming).Select(Path.GetFileName))}]");
        Assert.Equal(expectedIds.Count, lines.Length);
        Assert.True(expectedIds.ToHashSet().SetEquals(ids));
        if (completedAction == "move") Assert.Empty(Directory.GetFiles(incoming));

        running.Signal(ForwarderProcess.Sigterm);
        Assert.Equal(0, await running.WaitForExitAsync(TimeSpan.FromSeconds(15)));

        // Completed, the dumps need no checkpoint (the move or the .done file keeps them from being read again), so
        // a watch that runs for months does not carry one entry per dump it ever read.
        var checkpoints = File.ReadAllText(_work.Combine("state", "checkpoints.json"));
        foreach (var name in names) Assert.DoesNotContain(name, checkpoints, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dump_is_deleted_only_once_a_checkpoint_counting_it_complete_is_written()
    {
        // The checkpoint write is what fsyncs the file output first: a dump deleted before it (at the next
        // Checkpoint:Interval, an hour here) left its lines only in the page cache while its source was gone.
        var incoming = _work.Combine("incoming");
        Directory.CreateDirectory(incoming);
        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Watch:Directory={incoming}", "Input:Watch:Pattern=*.smf", "Input:Watch:CompletedAction=delete",
            "Input:Watch:PollInterval=00:00:00.200", "Input:Watch:SettleTime=00:00:00.300", "Checkpoint:Interval=01:00:00",
            $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ]);
        var landing = Path.Combine(incoming, "a.smf.partial");
        Dumps.Write(landing, 43, 400);
        var length = new FileInfo(landing).Length;
        var dump = Path.Combine(incoming, "a.smf");
        File.Move(landing, dump);

        await Eventually.TrueAsync(() => !File.Exists(dump), "the dump deleted", TimeSpan.FromSeconds(20), () => running.Stderr);
        using var checkpoints = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_work.Combine("state", "checkpoints.json")));
        var entry = checkpoints.RootElement.GetProperty("files").EnumerateArray()
            .Single(f => f.GetProperty("path").GetString()!.EndsWith("a.smf", StringComparison.Ordinal));
        Assert.True(entry.GetProperty("completed").GetBoolean(), entry.ToString());
        Assert.Equal(length, entry.GetProperty("offset").GetInt64());
        Assert.Equal(400, File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")).Length);

        running.Signal(ForwarderProcess.Sigterm);
        Assert.Equal(0, await running.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }
}
