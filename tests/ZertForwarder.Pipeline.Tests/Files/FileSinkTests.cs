using System.Text;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.Sinks.Files;

namespace ZertForwarder.Pipeline.Tests.Files;

public sealed class FileSinkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zert-files-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    private static async Task<BatchOutcome> SendAsync(FileSink sink, IReadOnlyList<ForwardedEvent> events)
    {
        var outcome = new BatchOutcome(events.Count);
        await sink.SendAsync(events, outcome, CancellationToken.None);
        return outcome;
    }

    [Fact]
    public async Task Each_format_goes_to_its_own_file_one_line_per_event_in_order()
    {
        var events = TestEvents.Many(5);
        await using (var sink = new FileSink(new FileSinkOptions { Directory = _directory, Formats = ["ecs", "LEEF", "flat"] }))
        {
            await sink.StartAsync(CancellationToken.None);
            await SendAsync(sink, events[..3]);
            await SendAsync(sink, events[3..]);
            await sink.FlushAsync(CancellationToken.None);
        }

        Assert.Equal(events.Select(e => Text(e.Ecs)), File.ReadAllLines(Path.Combine(_directory, "zert-ecs.ndjson")));
        Assert.Equal(events.Select(e => Text(e.Leef)), File.ReadAllLines(Path.Combine(_directory, "zert-leef.log")));
        Assert.Equal(events.Select(e => Text(e.Flat)), File.ReadAllLines(Path.Combine(_directory, "zert-flat.ndjson")));
        Assert.EndsWith("\n", File.ReadAllText(Path.Combine(_directory, "zert-ecs.ndjson")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("move")]
    [InlineData("delete")]
    [InlineData("truncate")]
    public async Task A_file_moved_removed_or_truncated_by_another_program_is_followed(string change)
    {
        // logrotate (create or copytruncate), or a shipper that takes finished files away: the next batch must land in
        // a file under the name, not in the moved file or past a truncated end.
        var events = TestEvents.Many(6);
        var path = Path.Combine(_directory, "zert-ecs.ndjson");
        var shipped = Path.Combine(_directory, "shipped.ndjson");
        await using (var sink = new FileSink(new FileSinkOptions { Directory = _directory }))
        {
            await sink.StartAsync(CancellationToken.None);
            await SendAsync(sink, events[..3]);
            switch (change)
            {
                case "move": File.Move(path, shipped); break;
                case "delete": File.Delete(path); break;
                default:
                    File.Copy(path, shipped);
                    using (var truncating = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) truncating.SetLength(0);
                    break;
            }
            var outcome = await SendAsync(sink, events[3..]);
            Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        }

        Assert.Equal(events[3..].Select(e => Text(e.Ecs)), File.ReadAllLines(path));
        if (change != "delete") Assert.Equal(events[..3].Select(e => Text(e.Ecs)), File.ReadAllLines(shipped));
    }

    [Fact]
    public async Task A_file_name_that_is_a_link_is_written_through_without_reopening_at_every_batch()
    {
        var target = Path.Combine(_directory, "elsewhere.ndjson");
        File.WriteAllText(target, "");
        File.CreateSymbolicLink(Path.Combine(_directory, "zert-ecs.ndjson"), target);
        var log = new RecordingLog();
        var events = TestEvents.Many(9);
        await using (var sink = new FileSink(new FileSinkOptions { Directory = _directory }, log: log))
        {
            await sink.StartAsync(CancellationToken.None);
            for (var i = 0; i < 9; i += 3) await SendAsync(sink, events[i..(i + 3)]);
        }

        Assert.Equal(events.Select(e => Text(e.Ecs)), File.ReadAllLines(target));
        Assert.DoesNotContain(log.Messages, m => m.Contains("was moved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lines_are_on_disk_when_the_batch_is_reported_delivered()
    {
        await using var sink = new FileSink(new FileSinkOptions { Directory = _directory });
        await sink.StartAsync(CancellationToken.None);
        var events = TestEvents.Many(2);

        var outcome = await SendAsync(sink, events);

        Assert.Equal(ItemOutcome.Delivered, outcome[1]);
        using var reader = new FileStream(Path.Combine(_directory, "zert-ecs.ndjson"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Assert.Equal(2, Encoding.UTF8.GetString(await ReadAllAsync(reader)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task A_file_is_rotated_to_numbered_names_before_it_passes_RotateBytes()
    {
        var events = TestEvents.Many(5);
        var lineBytes = events[0].Ecs.Length + 1;
        await using (var sink = new FileSink(new FileSinkOptions { Directory = _directory, RotateBytes = (2 * lineBytes) + (lineBytes / 2) }))
        {
            await sink.StartAsync(CancellationToken.None);
            foreach (var forwardedEvent in events)
            {
                await SendAsync(sink, [forwardedEvent]);
            }
        }

        var current = Path.Combine(_directory, "zert-ecs.ndjson");
        Assert.Equal([Text(events[0].Ecs), Text(events[1].Ecs)], File.ReadAllLines(current + ".1"));
        Assert.Equal([Text(events[2].Ecs), Text(events[3].Ecs)], File.ReadAllLines(current + ".2"));
        Assert.Equal([Text(events[4].Ecs)], File.ReadAllLines(current));
        Assert.All(Directory.GetFiles(_directory), f => Assert.True(new FileInfo(f).Length <= (2 * lineBytes) + (lineBytes / 2)));
    }

    [Fact]
    public async Task Rotation_numbering_continues_after_a_restart_and_never_overwrites()
    {
        var events = TestEvents.Many(4);
        var lineBytes = events[0].Ecs.Length + 1;
        var options = new FileSinkOptions { Directory = _directory, RotateBytes = lineBytes };
        for (var run = 0; run < 2; run++)
        {
            await using var sink = new FileSink(options);
            await sink.StartAsync(CancellationToken.None);
            await SendAsync(sink, events[(run * 2)..((run * 2) + 2)]);
        }

        var current = Path.Combine(_directory, "zert-ecs.ndjson");
        Assert.Equal(Text(events[0].Ecs), File.ReadAllText(current + ".1").TrimEnd('\n'));
        Assert.Equal(Text(events[1].Ecs), File.ReadAllText(current + ".2").TrimEnd('\n'));
        Assert.Equal(Text(events[2].Ecs), File.ReadAllText(current + ".3").TrimEnd('\n'));
        Assert.Equal(Text(events[3].Ecs), File.ReadAllText(current).TrimEnd('\n'));
    }

    [Fact]
    public async Task Stdout_mode_writes_every_configured_format_to_standard_output_and_creates_no_files()
    {
        var stdout = new MemoryStream();
        var events = TestEvents.Many(2);
        await using (var sink = new FileSink(new FileSinkOptions { Directory = Path.Combine(_directory, "unused"), Stdout = true, Formats = ["leef", "ecs"] }, stdout))
        {
            await sink.StartAsync(CancellationToken.None);
            await SendAsync(sink, events);
            await sink.FlushAsync(CancellationToken.None);
        }

        var expected = string.Concat(events.Select(e => $"{Text(e.Leef)}\n{Text(e.Ecs)}\n"));
        Assert.Equal(expected, Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.False(Directory.Exists(Path.Combine(_directory, "unused")));
    }

    [Fact]
    public async Task An_event_without_a_configured_encoding_is_rejected_and_the_others_are_written()
    {
        await using var sink = new FileSink(new FileSinkOptions { Directory = _directory, Formats = ["ecs", "leef"] });
        await sink.StartAsync(CancellationToken.None);
        var complete = TestEvents.Create(1);
        var ecsOnly = new ForwardedEvent { EventId = "ab", Dataset = "zos.zert_summary", Ecs = complete.Ecs };

        var outcome = await SendAsync(sink, [ecsOnly, complete]);

        Assert.Equal(ItemOutcome.Rejected, outcome[0]);
        Assert.Equal("event has no leef encoding", outcome.Reason(0));
        Assert.Equal(ItemOutcome.Delivered, outcome[1]);
        await sink.FlushAsync(CancellationToken.None);
        Assert.Single(File.ReadAllLines(Path.Combine(_directory, "zert-leef.log")));
    }

    [Fact]
    public async Task Through_a_runner_every_event_is_written_once_in_order_and_acknowledged()
    {
        var events = new List<ForwardedEvent>();
        var tracker = new AckTracker();
        var runner = new SinkRunner(
            new FileSink(new FileSinkOptions { Directory = _directory, Formats = ["ecs", "leef"], RotateBytes = 64 * 1024 }),
            new SinkRunnerOptions { BufferCapacity = 200, MaxBatchItems = 64, MaxBatchAge = TimeSpan.FromMilliseconds(5) });
        await using (runner)
        {
            await runner.StartAsync(CancellationToken.None);
            for (var n = 0; n < 2000; n++)
            {
                var forwardedEvent = TestEvents.Create(n, tracker.Track(n + 1, 1));
                events.Add(forwardedEvent);
                await runner.WriteAsync(forwardedEvent, CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(CancellationToken.None));
        }

        Assert.Equal(2000, tracker.CommittedPosition);
        var ecsFiles = Directory.GetFiles(_directory, "zert-ecs.ndjson.*")
            .Where(f => Path.GetFileName(f) != "zert-ecs.ndjson") // "name.*" also matches the name itself
            .OrderBy(f => int.Parse(Path.GetExtension(f)[1..], System.Globalization.CultureInfo.InvariantCulture))
            .Append(Path.Combine(_directory, "zert-ecs.ndjson"));
        Assert.True(ecsFiles.Count() > 2, "the run was long enough to rotate");
        Assert.Equal(events.Select(e => Text(e.Ecs)), ecsFiles.SelectMany(File.ReadAllLines));
    }

    /// <summary>
    /// Direct I/O writes whole blocks and puts each batch's partial last block through the page cache, to be written
    /// again, completed, with the next batch. Lines of every size (one longer than the 1 MB buffer), batches ending at
    /// every offset in a block, a restart on a file that ends mid-block and rotation must all give the file exactly
    /// the lines sent, complete at the end of every batch, with or without direct I/O.
    /// </summary>
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_files_hold_exactly_the_lines_of_every_batch_with_or_without_direct_io(bool directIo)
    {
        var random = new Random(119);
        var lines = new List<byte[]>();
        for (var n = 0; n < 1500; n++)
        {
            var length = n == 700 ? (1024 * 1024) + 3000 : random.Next(1, n % 50 == 0 ? 20_000 : 5_000);
            var line = new byte[length];
            for (var i = 0; i < length; i++)
            {
                line[i] = (byte)('a' + ((n + i) % 26));
            }

            lines.Add(line);
        }

        var options = new FileSinkOptions { Directory = _directory, DirectIo = directIo, RotateBytes = 2L * 1024 * 1024 };
        var path = Path.Combine(_directory, "zert-ecs.ndjson");
        var log = new RecordingLog();
        var sent = 0;
        var sawDirectIo = false;
        for (var restart = 0; restart < 2; restart++)
        {
            await using var sink = new FileSink(options, log: log);
            await sink.StartAsync(CancellationToken.None);
            while (sent < lines.Count * (restart + 1) / 2)
            {
                var count = Math.Min(random.Next(1, 40), lines.Count - sent);
                var batch = lines.GetRange(sent, count).Select((line, i) => new ForwardedEvent { EventId = TestEvents.IdOf(sent + i), Dataset = "zos.zert_connection", Ecs = line }).ToList();
                var outcome = await SendAsync(sink, batch);
                Assert.All(Enumerable.Range(0, count), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
                sent += count;
                sawDirectIo |= HasDirectIoHandle(path);

                // Complete at the end of every batch: all lines sent so far, across the rotated files, nothing more.
                Assert.Equal(Expected(lines, sent), ReadAll(path));
            }
        }

        // Refused at fcntl or at the first write: the sink says so and writes through the page cache (checked above).
        Skip.If(directIo && log.Messages.Any(m => m.Contains("through the page cache", StringComparison.Ordinal)),
            $"the temporary directory's file system does not take direct I/O: {string.Join(" ", log.Messages)}");
        Assert.True(File.Exists(path + ".2"), "the files were rotated");
        if (OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Equal(directIo, sawDirectIo);
        }
    }

    private static byte[] Expected(List<byte[]> lines, int count) => [.. lines.Take(count).SelectMany(line => line.Append((byte)'\n'))];

    /// <summary>The rotated files (name.1, name.2, ...) and then the current one, concatenated.</summary>
    private static byte[] ReadAll(string path)
    {
        var all = new List<byte>();
        for (var n = 1; File.Exists($"{path}.{n}"); n++)
        {
            all.AddRange(File.ReadAllBytes($"{path}.{n}"));
        }

        using var current = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[current.Length];
        current.ReadExactly(bytes);
        all.AddRange(bytes);
        return [.. all];
    }

    /// <summary>
    /// Whether this process has <paramref name="path"/> open with O_DIRECT (040000 in /proc/self/fdinfo's octal
    /// flags, x86-64): the kernel's own account of how the file is written.
    /// </summary>
    private static bool HasDirectIoHandle(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            if (target != Path.GetFullPath(path))
            {
                continue;
            }

            var info = File.ReadAllLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}");
            var flags = Convert.ToInt64(info.First(l => l.StartsWith("flags:", StringComparison.Ordinal))[6..].Trim(), 8);
            if ((flags & 0x4000) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A batch stopped half way (SIGTERM's drain deadline while a large batch is written) is not delivered, so none of
    /// its lines may stay: the buffer written before the stop held whole lines (or, with direct I/O, whole blocks that
    /// end inside a line), which stayed behind as undelivered lines or a cut-off one until the next start.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_cancelled_half_way_leaves_the_file_as_it_was_before_the_batch(bool directIo)
    {
        var path = Path.Combine(_directory, "zert-ecs.ndjson");
        var before = TestEvents.Many(3);
        using var stop = new CancellationTokenSource();
        // Four lines of 300 KB: the 1 MB buffer is written after the third, and copying the fourth stops the batch.
        var batch = Enumerable.Range(0, 4).Select(n => new ForwardedEvent
        {
            EventId = TestEvents.IdOf(100 + n),
            Dataset = "zos.zert_connection",
            Ecs = n < 3 ? Encoding.UTF8.GetBytes(new string((char)('a' + n), 300_000)) : new CancelOnRead(stop, 300_000).Memory,
        }).ToList();
        await using (var sink = new FileSink(new FileSinkOptions { Directory = _directory, DirectIo = directIo }))
        {
            await sink.StartAsync(CancellationToken.None);
            await SendAsync(sink, before);

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sink.SendAsync(batch, new BatchOutcome(batch.Count), stop.Token));
            Assert.Equal(before.Select(e => Text(e.Ecs)), File.ReadAllLines(path));

            await SendAsync(sink, before[..1]); // written on right after the lines before the stopped batch
        }

        Assert.Equal([.. before.Select(e => Text(e.Ecs)), Text(before[0].Ecs)], File.ReadAllLines(path));
    }

    /// <summary>
    /// A batch that rotated the file once and then could not rename it a second time (the next name taken by a
    /// directory; on a full disk a rename that must grow the directory fails the same way) fails as a whole. The lines it
    /// wrote after its first rotation are in the file still under the name, which only this batch wrote: they were left
    /// there, and the retried batch wrote them a second time after them.
    /// </summary>
    [Fact]
    public async Task A_batch_whose_second_rotation_cannot_rename_the_file_is_written_once_when_retried()
    {
        var path = Path.Combine(_directory, "zert-ecs.ndjson");
        var events = TestEvents.Many(6);
        var lineBytes = events[0].Ecs.Length + 1;
        await using (var sink = new FileSink(new FileSinkOptions { Directory = _directory, RotateBytes = (2 * lineBytes) + (lineBytes / 2) }))
        {
            await sink.StartAsync(CancellationToken.None);
            await SendAsync(sink, events[..1]);

            // The batch writes one line beside the one before it, rotates to .1, writes two lines and then needs .2.
            var blocker = Directory.CreateDirectory(path + ".2");
            await Assert.ThrowsAsync<IOException>(() => sink.SendAsync(events[1..], new BatchOutcome(5), CancellationToken.None));
            blocker.Delete();

            var retried = await SendAsync(sink, events[1..]);
            Assert.All(Enumerable.Range(0, 5), i => Assert.Equal(ItemOutcome.Delivered, retried[i]));
        }

        // Every file, oldest first, read one after the other: each event once, in order.
        var files = Enumerable.Range(1, 9).Select(n => $"{path}.{n}").Where(File.Exists).Append(path);
        Assert.Equal(events.Select(e => Text(e.Ecs)), files.SelectMany(File.ReadAllLines));
    }

    /// <summary>
    /// A failed batch that rotated twice removes the second rotated file, which holds only its lines. A checkpoint whose
    /// sync ran during the batch, after the rotation's new file, took the directory's mark; the removal then left none,
    /// and the checkpoint after the retry did not sync the directory: after a power loss the removed file could come
    /// back beside the retry's lines (each line twice). The sync after the cut-back syncs the directory.
    /// </summary>
    [Fact]
    public async Task The_removal_of_a_rotated_file_by_a_failed_batch_is_synced_in_its_directory_before_the_next_checkpoint()
    {
        var path = Path.Combine(_directory, "zert-ecs.ndjson");
        var synced = new List<string>();
        using var stop = new CancellationTokenSource();
        await using var sink = new FileSink(new FileSinkOptions { Directory = _directory, RotateBytes = 1_000_000 })
        {
            SyncDirectoryOf = file => synced.Add(file),
        };
        // Lines of 400 KB, two to a file: the third goes to a new file after .1, the fifth after .2, and reading the
        // fifth runs a checkpoint's sync and stops the batch.
        var batch = Enumerable.Range(0, 5).Select(n => new ForwardedEvent
        {
            EventId = TestEvents.IdOf(200 + n),
            Dataset = "zos.zert_connection",
            Ecs = n < 4 ? Encoding.UTF8.GetBytes(new string((char)('a' + n), 400_000)) : new CancelOnRead(stop, 400_000, sink.SyncToDisk).Memory,
        }).ToList();
        await sink.StartAsync(CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sink.SendAsync(batch, new BatchOutcome(batch.Count), stop.Token));
        Assert.Equal([path], synced); // the sync during the batch, for its new file
        Assert.False(File.Exists(path + ".2"), "the cut-back removes the second rotated file");

        synced.Clear();
        sink.SyncToDisk();
        Assert.Equal([path], synced);
    }

    /// <summary>
    /// Event bytes that cancel <paramref name="stop"/> when the sink reads them (to stop a batch at that line), after
    /// running <paramref name="before"/> when given.
    /// </summary>
    private sealed class CancelOnRead(CancellationTokenSource stop, int length, Action? before = null) : System.Buffers.MemoryManager<byte>
    {
        private readonly byte[] _bytes = Enumerable.Repeat((byte)'z', length).ToArray();

        public override Memory<byte> Memory => CreateMemory(length); // the base reads the span for its length

        public override Span<byte> GetSpan()
        {
            before?.Invoke();
            stop.Cancel();
            return _bytes;
        }

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    [Fact]
    public void Unknown_formats_and_negative_rotation_are_configuration_errors()
    {
        var problems = new FileSinkOptions { Formats = ["ecs", "csv"], RotateBytes = -1 }.Validate();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("csv", StringComparison.Ordinal));
        Assert.Equal([FileFormat.Ecs], new FileSinkOptions().EffectiveFormats());
    }

    [Theory]
    [InlineData("0600")]
    [InlineData("0640")]
    [InlineData("0604")]
    [InlineData("0644")]
    [InlineData("640")]
    [InlineData(" 0640 ")]
    public void Permissions_as_an_octal_mode_with_read_and_write_for_the_owner_and_at_most_read_for_the_others_is_valid(string permissions)
    {
        Assert.Empty(new FileSinkOptions { Directory = "out", Permissions = permissions }.Validate());
    }

    [Theory]
    [InlineData("")]
    [InlineData("rw-r-----")]
    [InlineData("0o640")]
    [InlineData("0x1a0")]
    [InlineData("416")] // 0640 written in decimal: as octal, r----xrw-
    [InlineData("0680")]
    [InlineData("00640")]
    [InlineData("1640")] // sticky
    [InlineData("4600")] // set-user-id
    [InlineData("0750")] // execute
    [InlineData("0400")] // the forwarder could not write on in the file after a restart
    [InlineData("0200")]
    [InlineData("0044")]
    // Write for the group or others: under a umask of 000 other local users could forge events in the files.
    [InlineData("0660")]
    [InlineData("0666")]
    [InlineData("0662")]
    [InlineData("0620")]
    [InlineData("0602")]
    [InlineData("0610")] // execute for the group
    [InlineData("0601")] // execute for others
    public void Any_other_Permissions_is_a_configuration_problem_naming_the_setting_and_the_value(string permissions)
    {
        var problem = Assert.Single(new FileSinkOptions { Directory = "out", Permissions = permissions }.Validate());
        Assert.StartsWith($"Outputs:File:Permissions '{permissions}' must be an octal mode such as 0600 or 0640", problem, StringComparison.Ordinal);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
