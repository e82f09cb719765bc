using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using ZertForwarder.Commands;
using ZertForwarder.Forwarding;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Files;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// A watched dump that fails fails alone, and leaves nothing behind in a watch that runs for months: a dump with a
/// broken frame chain has the records before the break delivered and then holds no checkpoint timer; a dump that
/// cannot be read is logged and the watch goes on to the next one.
/// </summary>
public sealed class WatchedDumpFailureTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private ForwarderOptions Options() => new()
    {
        Input =
        {
            Watch = new WatchSettings
            {
                Directory = _work.Combine("incoming"),
                Pattern = "*.smf",
                CompletedAction = CompletedAction.Move,
                CompletedDirectory = _work.Combine("completed"),
                PollInterval = TimeSpan.FromMilliseconds(50),
                SettleTime = TimeSpan.FromMilliseconds(100),
            },
        },
        Outputs = { File = new FileSinkOptions { Directory = _work.Combine("out"), Formats = ["ecs"] } },
        Checkpoint = { Directory = _work.Combine("state"), Interval = TimeSpan.FromMilliseconds(100) },
    };

    /// <summary>Writes a dump under a temporary name and renames it into the watched directory, as transfers do.</summary>
    private string Land(string name, byte[] bytes)
    {
        var incoming = _work.Combine("incoming");
        Directory.CreateDirectory(incoming);
        var landing = Path.Combine(incoming, name + ".part");
        File.WriteAllBytes(landing, bytes);
        var path = Path.Combine(incoming, name);
        File.Move(landing, path);
        return path;
    }

    [Fact]
    public async Task A_dump_with_a_broken_chain_has_the_records_before_it_delivered_and_then_keeps_no_checkpoint_timer()
    {
        var records = SmfDumpGenerator.GenerateRecords(seed: 15, zertCount: 300).Select(r => r.Bytes.ToArray()).ToList();
        var breakAt = records.Count / 2;
        records[breakAt][0] = 0; // RDW length 3: the chain of lengths cannot go on (layout §C)
        records[breakAt][1] = 3;
        var options = Options();
        using var metrics = new PipelineMetrics();
        await using var host = new ForwarderHost(options, MappingLoading.CreateNormalizer(options), metrics, NullLoggerFactory.Instance, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = host.RunAsync(once: false, stop.Token);

        var dump = Land("broken.smf", records.SelectMany(r => r).ToArray());
        var before = Dumps.ZertRecords(dump, stopAtBrokenChain: true);
        await Eventually.TrueAsync(() => host.Statistics.InputsBroken.Value == 1 || running.IsCompleted, "the broken dump read", Patience);
        Assert.False(running.IsCompleted, running.Exception?.ToString());

        // Once the records before the break are delivered, the dump's checkpointer has written its last position and gone.
        await Eventually.TrueAsync(() => host.OpenCheckpointCount == 0, "no open checkpointer left", Patience,
            () => $"{host.OpenCheckpointCount} open, {File.ReadLines(_work.Combine("out", "zert-ecs.ndjson")).Count()} of {before.Count} delivered");
        Assert.Equal(before.Count, File.ReadLines(_work.Combine("out", "zert-ecs.ndjson")).Count());
        var lastBefore = before[^1].EndOffset;
        await Eventually.TrueAsync(() => Checkpoints.Offset(options.Checkpoint.Directory, dump) == lastBefore, "the checkpoint at the last record before the break", Patience);
        Assert.True(File.Exists(dump), "a dump that failed stays where it is");

        // The watch goes on: the next dump is read and completed.
        var next = Land("next.smf", SmfDumpGenerator.GenerateDump(seed: 16, zertCount: 50, Generator.Containers.SmfContainer.Rdw));
        await Eventually.TrueAsync(() => File.Exists(_work.Combine("completed", "next.smf")), "the next dump completed", Patience);
        Assert.Equal(0, host.OpenCheckpointCount);
        output.WriteLine($"{before.Count} records before the break delivered; checkpoint at {lastBefore}; {next} completed");

        await stop.CancelAsync();
        Assert.True(await running);
    }

    [Fact]
    public async Task A_vbs_dump_that_stops_inside_a_spanned_record_is_read_on_once_the_rest_arrives_and_then_counts_as_complete()
    {
        // A transfer that pauses at a block boundary inside a spanned record: the dump looked whole, was completed
        // (moved away) and lost its other records. Now the break is reported, and once the rest arrives the dump is read
        // on from its checkpoint, completed, and no longer counted as broken (the run's exit code is 0 again).
        var bytes = SmfDumpGenerator.GenerateDump(seed: 19, zertCount: 300, Generator.Containers.SmfContainer.Vbs);
        var cut = BlockStartInsideSpannedRecord(bytes, from: bytes.Length / 3);
        var whole = _work.Combine("whole.smf");
        File.WriteAllBytes(whole, bytes);
        var expected = Dumps.ZertRecords(whole).Select(r => r.EventId).ToList();
        var options = Options();
        using var metrics = new PipelineMetrics();
        await using var host = new ForwarderHost(options, MappingLoading.CreateNormalizer(options), metrics, NullLoggerFactory.Instance, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var running = host.RunAsync(once: false, stop.Token);

        var dump = Land("growing.smf", bytes[..cut]);
        await Eventually.TrueAsync(() => host.Statistics.InputsLeftBroken == 1 || running.IsCompleted, "the first part read to its break", Patience);
        Assert.False(running.IsCompleted, running.Exception?.ToString());
        Assert.True(File.Exists(dump), "a dump that ends inside a record is not completed");

        using (var rest = new FileStream(dump, FileMode.Append)) rest.Write(bytes, cut, bytes.Length - cut);
        await Eventually.TrueAsync(() => File.Exists(_work.Combine("completed", "growing.smf")), "the whole dump completed", Patience);
        var ids = EcsLines.EventIds(File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")));
        output.WriteLine($"cut at byte {cut} of {bytes.Length}; {ids.Count} events for {expected.Count} records");
        Assert.Equal(expected.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(0, host.Statistics.InputsLeftBroken);
        Assert.Equal(1, host.Statistics.InputsBroken.Value); // the metric still counts the break that happened

        await stop.CancelAsync();
        Assert.True(await running);
    }

    /// <summary>The offset of the first block at or after <paramref name="from"/> whose first segment is a middle or last one (§C.1).</summary>
    private static int BlockStartInsideSpannedRecord(byte[] vbs, int from)
    {
        for (var position = 0; position + 8 <= vbs.Length; position += System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(vbs.AsSpan(position)))
        {
            if (position >= from && (vbs[position + 6] & 0x03) is 2 or 3) return position;
        }
        throw new InvalidOperationException("no block starts inside a spanned record");
    }

    /// <summary>
    /// A dump landing with mode 000 (a transfer that set the wrong permissions); the forwarder runs bound by file modes
    /// (<see cref="WithoutFileCapabilities"/>).
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_dump_that_cannot_be_read_is_logged_and_the_watch_goes_on_to_the_next()
    {
        Assert.True(OperatingSystem.IsLinux(), "file modes and capabilities are Linux's");
        var launcher = WithoutFileCapabilities.Launcher();
        var incoming = _work.Combine("incoming");
        Directory.CreateDirectory(incoming);
        var locked = Path.Combine(incoming, "a.smf");
        File.WriteAllBytes(locked, SmfDumpGenerator.GenerateDump(seed: 17, zertCount: 20, Generator.Containers.SmfContainer.Rdw));
        File.SetUnixFileMode(locked, UnixFileMode.None);
        var good = Land("b.smf", SmfDumpGenerator.GenerateDump(seed: 18, zertCount: 30, Generator.Containers.SmfContainer.Rdw));
        var expected = Dumps.ZertRecords(Path.Combine(incoming, "b.smf")).Count;

        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Watch:Directory={incoming}", "Input:Watch:Pattern=*.smf", $"Input:Watch:CompletedDirectory={_work.Combine("completed")}",
            "Input:Watch:PollInterval=00:00:00.100", "Input:Watch:SettleTime=00:00:00.200",
            $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ], launcher: launcher);

        await Eventually.TrueAsync(() => File.Exists(_work.Combine("completed", "b.smf")) || running.HasExited, "b.smf completed after a.smf failed", Patience,
            () => running.Stderr);
        Assert.False(running.HasExited, running.Stderr);
        Assert.Equal(expected, File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")).Length);
        Assert.True(File.Exists(locked), "the unreadable dump stays where it is");
        Assert.Contains($"{locked} cannot be read", running.Stderr, StringComparison.Ordinal);
        output.WriteLine($"{good}: {expected} records delivered after {locked} failed");

        // Stopped, the run says a dump was left unread and exits 1, as for a broken frame chain: a `run --once` over a
        // glob or a watched directory exited 0 and a cron job could not tell it from a complete run.
        running.Signal(ForwarderProcess.Sigterm);
        Assert.Equal(1, await running.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("1 input(s) could not be read", running.Stdout + running.Stderr, StringComparison.Ordinal);
    }
}
