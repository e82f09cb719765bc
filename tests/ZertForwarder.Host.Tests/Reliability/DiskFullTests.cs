using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Files;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// Disk full on a real (tmpfs) file system, for the file output, its dead letters and the checkpoint: nothing counted
/// delivered that is not in a file, no cut-off line, the error visible (log with the path, metric, /readyz), nothing
/// thrown on close or SIGTERM, and after space is freed every event is in the output or the dead letters.
/// Each test prints sent / delivered / duplicated / dead-lettered / lost.
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [SkippableFact]
    public async Task File_output_on_a_full_disk_reports_it_acknowledges_nothing_unwritten_and_a_restart_with_space_delivers_every_event()
    {
        using var disk = Tmpfs.Mount(_work.Combine("out"), "2m");
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 28, zertCount: 10_000);
        var expected = Dumps.ZertRecords(dump);
        var state = _work.Combine("state");
        var port = Endpoints.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", "Checkpoint:Interval=00:00:00.100",
            $"Outputs:File:Directory={disk.Path}", $"DeadLetter:Directory={_work.Combine("dead-letters")}",
            "Pipeline:InitialBackoff=00:00:00.050", "Pipeline:MaxBackoff=00:00:00.200", "Shutdown:DrainTimeout=00:00:01",
        ];
        var ecs = Path.Combine(disk.Path, "zert-ecs.ndjson");

        await using (var first = ForwarderProcess.Start(_work.Path, ["run", .. args, $"Metrics:Port={port}"]))
        {
            await Eventually.TrueAsync(() => first.Stderr.Contains("disk full", StringComparison.Ordinal) || first.HasExited, "the disk-full error",
                TimeSpan.FromSeconds(60), () => first.Stderr);
            Assert.False(first.HasExited, first.Stderr);
            Assert.Contains(Path.GetFullPath(ecs), first.Stderr, StringComparison.Ordinal);
            var page = await http.GetStringAsync("/metrics");
            Assert.True(Endpoints.Sample(page, "zertforwarder_file_write_errors_total") > 0, page);
            using (var ready = await http.GetAsync("/readyz")) Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using (var health = await http.GetAsync("/healthz")) Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            // Whatever the checkpoint covers is in the file, and the file holds only complete lines.
            var checkpoint = Checkpoints.Offset(state, dump);
            var lines = CompleteLines(ecs, whileWriting: true);
            Assert.All(expected.Where(r => r.EndOffset <= checkpoint), r => Assert.Contains(r.EventId, lines));

            first.Signal(ForwarderProcess.Sigterm);
            var exit = await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"first run (disk full): checkpoint {checkpoint}, {lines.Count} lines written, exit {exit}");
            Assert.DoesNotContain("Unhandled exception", first.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(first.Stderr.Split('\n'), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        }

        disk.Resize("64m");
        var restart = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(90));
        Assert.True(restart.ExitCode == 0, restart.ToString());
        var counts = Count(expected, ecs, _work.Combine("dead-letters"));
        output.WriteLine($"file output, disk full then space: {counts}");
        Assert.Equal(0, counts.Lost);
        Assert.Equal(0, counts.DeadLettered);
    }

    [SkippableFact]
    public async Task Past_the_retry_limit_a_full_disk_sends_the_events_to_the_dead_letters_elsewhere_and_none_is_lost()
    {
        using var disk = Tmpfs.Mount(_work.Combine("out"), "2m");
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 29, zertCount: 4_000);
        var expected = Dumps.ZertRecords(dump);
        var deadLetters = _work.Combine("dead-letters");
        var ecs = Path.Combine(disk.Path, "zert-ecs.ndjson");
        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:File:Directory={disk.Path}", $"DeadLetter:Directory={deadLetters}", "Pipeline:MaxBatchItems=200",
            "Pipeline:InitialBackoff=00:00:00.050", "Pipeline:MaxBackoff=00:00:00.100", "Pipeline:RetryTimeLimit=00:00:00.500",
        ], TimeSpan.FromSeconds(90));

        var counts = Count(expected, ecs, deadLetters);
        output.WriteLine($"file output, disk full past the retry limit: {counts}\n{result}");
        Assert.True(result.ExitCode == 1, result.ToString()); // dead letters: the operator must look
        Assert.Equal(0, counts.Lost);
        Assert.True(counts.DeadLettered > 0);
        Assert.True(counts.Delivered > 0);
        Assert.Contains($"{counts.DeadLettered} dead-lettered", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("disk full", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_checkpoint_directory_on_a_full_disk_is_logged_with_the_path_counted_and_SIGTERM_still_exits_cleanly()
    {
        using var disk = Tmpfs.Mount(_work.Combine("state"), "1m");
        disk.Fill();
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 4, zertCount: 2_000);
        var expected = Dumps.ZertRecords(dump);
        var port = Endpoints.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var ecs = _work.Combine("out", "zert-ecs.ndjson");
        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={disk.Path}", "Checkpoint:Interval=00:00:00.100",
            $"Outputs:File:Directory={_work.Combine("out")}", $"DeadLetter:Directory={_work.Combine("dead-letters")}", $"Metrics:Port={port}",
        ]);

        var checkpointFile = Path.Combine(Path.GetFullPath(disk.Path), "checkpoints.json");
        await Eventually.TrueAsync(() => running.Stderr.Contains("Cannot write checkpoint file", StringComparison.Ordinal) || running.HasExited,
            "the checkpoint write error with its path", TimeSpan.FromSeconds(30), () => running.Stderr);
        Assert.False(running.HasExited, running.Stderr);
        Assert.Contains(checkpointFile, running.Stderr, StringComparison.Ordinal);
        // Delivery goes on without a checkpoint.
        await Eventually.TrueAsync(() => CompleteLines(ecs, whileWriting: true).Count == expected.Count, "every event in the output", TimeSpan.FromSeconds(30), () => running.Stderr);
        var page = await http.GetStringAsync("/metrics");
        var errors = Endpoints.Sample(page, "zertforwarder_checkpoint_write_errors_total");
        Assert.True(errors > 0, page);

        running.Signal(ForwarderProcess.Sigterm);
        var exit = await running.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var counts = Count(expected, ecs, _work.Combine("dead-letters"));
        output.WriteLine($"checkpoint on a full disk: {errors} failed checkpoint writes, exit {exit}; {counts}");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("Unhandled exception", running.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(running.Stderr.Split('\n'), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Equal(0, counts.Lost);
    }

    /// <summary>
    /// The dead letters on the same full disk as the file output (the default puts them under Checkpoint:Directory; here
    /// both fill up): events neither written nor dead-lettered must not be acknowledged. The run stops with exit 2 and
    /// one line, the checkpoint covers only what is in the output, and a restart with space delivers the rest.
    /// </summary>
    [SkippableFact]
    public async Task Dead_letters_on_the_same_full_disk_stop_the_run_with_exit_2_and_nothing_unwritten_acknowledged()
    {
        using var disk = Tmpfs.Mount(_work.Combine("out"), "2m");
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 31, zertCount: 6_000);
        var expected = Dumps.ZertRecords(dump);
        var state = _work.Combine("state");
        var deadLetters = Path.Combine(disk.Path, "dead-letters");
        var ecs = Path.Combine(disk.Path, "zert-ecs.ndjson");
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", "Checkpoint:Interval=00:00:00.050",
            $"Outputs:File:Directory={disk.Path}", $"DeadLetter:Directory={deadLetters}", "Pipeline:MaxBatchItems=200",
            "Pipeline:InitialBackoff=00:00:00.050", "Pipeline:MaxBackoff=00:00:00.100", "Pipeline:RetryTimeLimit=00:00:00.500",
        ];

        var result = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(90));
        var checkpoint = Checkpoints.Offset(state, dump);
        var stopped = Count(expected, ecs, deadLetters);
        output.WriteLine($"file output and dead letters on one full disk: checkpoint {checkpoint}; {stopped}\n{result}");
        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.Contains("cannot work", StringComparison.Ordinal) && l.Contains("dead-letter output cannot take", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        var written = CompleteLines(ecs).Concat(DeadLetterIds(deadLetters)).ToHashSet(StringComparer.Ordinal);
        var covered = expected.Where(r => r.EndOffset <= checkpoint).ToList();
        Assert.All(covered, r => Assert.Contains(r.EventId, written));
        Assert.True(covered.Count < expected.Count, "the run stopped before the end of the input");

        disk.Resize("64m");
        var restart = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(90));
        var counts = Count(expected, ecs, deadLetters);
        output.WriteLine($"then a restart with space: {counts}");
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Equal(0, counts.Lost);
        Assert.Equal(0, counts.Duplicated);
        // The first run's dead letters (written while the cut-back batches had left room) are acknowledged: not sent again.
        Assert.Equal(stopped.DeadLettered, counts.DeadLettered);
        Assert.Equal(expected.Count, counts.Delivered + counts.DeadLettered);
    }

    /// <summary>
    /// A file output that starts on a full disk (a restart before the operator freed space) already holds the lines of
    /// the runs before, which were delivered and checkpointed: the failed first batch must take back its own lines only.
    /// </summary>
    [SkippableFact]
    public async Task A_first_batch_that_fails_on_a_full_disk_keeps_the_lines_already_in_the_file()
    {
        using var disk = Tmpfs.Mount(_work.Combine("out"), "256k");
        var options = new FileSinkOptions { Directory = disk.Path };
        var before = Events(0, 100);
        await using (var earlier = await StartedFileSinkAsync(options))
        {
            await SendAsync(earlier, before);
        }

        var filler = disk.Fill();
        var batch = Events(100, 200);
        await using (var restarted = await StartedFileSinkAsync(options))
        {
            await Assert.ThrowsAsync<IOException>(() => SendAsync(restarted, batch));
            Assert.Equal(Lines(before), OutputLines(disk.Path));

            File.Delete(filler);
            await SendAsync(restarted, batch);
        }

        Assert.Equal(Lines([.. before, .. batch]), OutputLines(disk.Path));
    }

    /// <summary>
    /// A batch that rotated the file and then hit the full disk wrote its first lines into the file it rotated away:
    /// those must be taken back too, or the batch, retried, is in the output twice.
    /// </summary>
    [SkippableFact]
    public async Task A_batch_that_rotated_the_file_before_the_disk_filled_up_is_written_once_when_retried()
    {
        using var disk = Tmpfs.Mount(_work.Combine("out"), "256k");
        var options = new FileSinkOptions { Directory = disk.Path, RotateBytes = 4096 };
        var before = Events(0, 20); // about 2 KB: one page of the file, which the rest of this file's lines still fit in
        var batch = Events(20, 120); // three more files' worth: the second one needs a page the disk no longer has
        await using (var sink = await StartedFileSinkAsync(options))
        {
            await SendAsync(sink, before);
            var filler = disk.Fill();

            await Assert.ThrowsAsync<IOException>(() => SendAsync(sink, batch));
            Assert.Equal(Lines(before), OutputLines(disk.Path));

            File.Delete(filler);
            await SendAsync(sink, batch);
        }

        Assert.Equal(Lines([.. before, .. batch]), OutputLines(disk.Path));
        Assert.True(File.Exists(Path.Combine(disk.Path, "zert-ecs.ndjson.2")), "the retried batch was rotated");
    }

    /// <summary>
    /// A dead-letter file whose rotation failed half way (renamed, but no new file: the file system has no inode left)
    /// must take dead letters again once a file can be made: the runner keeps trying for Pipeline:RetryTimeLimit, then
    /// stops the run.
    /// </summary>
    [SkippableFact]
    public async Task Dead_letters_are_written_again_once_a_rotation_that_could_not_create_the_new_file_can()
    {
        using var disk = Tmpfs.Mount(_work.Combine("dead-letters"), "1m", inodes: 8);
        var path = Path.Combine(disk.Path, "dead-letters.ndjson");
        var events = Events(0, 3);
        await using (var deadLetters = new FileDeadLetterOutput(path, rotateBytes: 1)) // one dead letter per file
        {
            await deadLetters.WriteAsync(events[0], "file", "refused", CancellationToken.None);
            var fillers = new List<string>();
            try
            {
                while (true)
                {
                    fillers.Add(Path.Combine(disk.Path, $"filler{fillers.Count}"));
                    File.WriteAllText(fillers[^1], "");
                }
            }
            catch (IOException)
            {
                // No inode left.
            }

            await Assert.ThrowsAsync<IOException>(() => deadLetters.WriteAsync(events[1], "file", "refused", CancellationToken.None));

            fillers.ForEach(File.Delete);
            await deadLetters.WriteAsync(events[1], "file", "refused", CancellationToken.None);
            await deadLetters.WriteAsync(events[2], "file", "refused", CancellationToken.None);
        }

        var files = new[] { path + ".1", path + ".2", path };
        var written = files.SelectMany(File.ReadAllLines).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("event_id").GetString());
        Assert.Equal(events.Select(e => e.EventId), written);
    }

    private static List<ForwardedEvent> Events(int from, int to) =>
    [
        .. Enumerable.Range(from, to - from).Select(n => new ForwardedEvent
        {
            EventId = $"{n:D32}",
            Dataset = "zos.zert_connection",
            Ecs = Encoding.UTF8.GetBytes($$$"""{"event":{"id":"{{{n:D32}}}"},"labels":{"padding":"{{{new string('x', 40)}}}"}}"""),
        }),
    ];

    private static IEnumerable<string> Lines(IEnumerable<ForwardedEvent> events) => events.Select(e => Encoding.UTF8.GetString(e.Ecs.Span));

    private static async Task<FileSink> StartedFileSinkAsync(FileSinkOptions options)
    {
        var sink = new FileSink(options);
        await sink.StartAsync(CancellationToken.None);
        return sink;
    }

    /// <summary>Sends one batch as the runner does, and checks every event was reported delivered.</summary>
    private static async Task SendAsync(FileSink sink, List<ForwardedEvent> batch)
    {
        var outcome = new BatchOutcome(batch.Count);
        await sink.SendAsync(batch, outcome, CancellationToken.None);
        Assert.All(Enumerable.Range(0, batch.Count), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
    }

    /// <summary>The ECS output's lines across its rotated files (<c>name.1</c>, <c>name.2</c>, ...) and the current one, in order.</summary>
    private static List<string> OutputLines(string directory)
    {
        var current = Path.Combine(directory, "zert-ecs.ndjson");
        var rotated = Directory.GetFiles(directory, "zert-ecs.ndjson.*").Where(f => f.Length > current.Length); // the pattern matches the name too
        var files = rotated.OrderBy(f => int.Parse(f[(current.Length + 1)..], CultureInfo.InvariantCulture)).Append(current);
        return [.. files.Where(File.Exists).SelectMany(File.ReadAllLines)];
    }

    /// <summary>
    /// <c>run --once</c> (cron, a batch job) whose checkpoint cannot be written must still end: it waited for the disk
    /// at the end of each input for ever, delivered but never exiting, so the next scheduled run started beside it and
    /// sent everything again. Past Pipeline:RetryTimeLimit it stops like a failed input (exit 1, event 1005).
    /// </summary>
    [SkippableFact]
    public async Task Run_once_whose_checkpoint_cannot_be_written_stops_after_the_retry_limit_instead_of_waiting_for_ever()
    {
        using var disk = Tmpfs.Mount(_work.Combine("state"), "64k");
        disk.Fill();
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 6, zertCount: 500);
        var expected = Dumps.ZertRecords(dump);
        var ecs = _work.Combine("out", "zert-ecs.ndjson");
        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={disk.Path}", $"Outputs:File:Directory={_work.Combine("out")}",
            $"DeadLetter:Directory={_work.Combine("dead-letters")}", "Pipeline:RetryTimeLimit=00:00:02",
        ], TimeSpan.FromSeconds(60));

        var counts = Count(expected, ecs, _work.Combine("dead-letters"));
        output.WriteLine($"run --once, checkpoint on a full disk: {counts}\n{result}");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("\"EventId\":1005", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("could not be written for 00:00:02", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(Path.GetFullPath(disk.Path), "checkpoints.json"), result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, counts.Lost);
    }

    /// <summary>Event ids of the complete lines of an NDJSON output; fails on a cut-off line unless it is being written (<paramref name="whileWriting"/>).</summary>
    internal static List<string> CompleteLines(string ecsFile, bool whileWriting = false)
    {
        var ids = new List<string>();
        if (!File.Exists(ecsFile)) return ids;
        using var stream = new FileStream(ecsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        if (whileWriting) text = text[..(text.LastIndexOf('\n') + 1)];
        Assert.True(text.Length == 0 || text[^1] == '\n', $"{ecsFile} ends in a cut-off line");
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            ids.Add(document.RootElement.GetProperty("event").GetProperty("id").GetString()!);
        }
        return ids;
    }

    /// <summary>Event ids of the dead letters in a dead-letter directory (its rotated files included).</summary>
    private static List<string> DeadLetterIds(string deadLetterDirectory)
    {
        var ids = new List<string>();
        if (!Directory.Exists(deadLetterDirectory)) return ids;
        foreach (var line in Directory.GetFiles(deadLetterDirectory).SelectMany(File.ReadAllLines).Where(l => l.Length > 0))
        {
            using var document = JsonDocument.Parse(line);
            ids.Add(document.RootElement.GetProperty("event_id").GetString()!);
        }
        return ids;
    }

    internal static DeliveryCounts Count(IReadOnlyList<ExpectedRecord> expected, string ecsFile, string deadLetterDirectory)
    {
        var lines = CompleteLines(ecsFile);
        var delivered = lines.ToHashSet(StringComparer.Ordinal);
        var deadLettered = DeadLetterIds(deadLetterDirectory).ToHashSet(StringComparer.Ordinal);
        var lost = expected.Count(r => !delivered.Contains(r.EventId) && !deadLettered.Contains(r.EventId));
        return new DeliveryCounts(expected.Count, delivered.Count, lines.Count - delivered.Count, deadLettered.Count, lost);
    }
}

/// <summary>The fault matrix's line: what was sent, and what became of it.</summary>
public readonly record struct DeliveryCounts(int Sent, int Delivered, int Duplicated, int DeadLettered, int Lost)
{
    public override string ToString() => $"sent {Sent} / delivered {Delivered} / duplicated {Duplicated} / dead-lettered {DeadLettered} / lost {Lost}";
}
