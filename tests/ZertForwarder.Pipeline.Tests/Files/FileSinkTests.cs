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

    [Fact]
    public void Unknown_formats_and_negative_rotation_are_configuration_errors()
    {
        var problems = new FileSinkOptions { Formats = ["ecs", "csv"], RotateBytes = -1 }.Validate();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("csv", StringComparison.Ordinal));
        Assert.Equal([FileFormat.Ecs], new FileSinkOptions().EffectiveFormats());
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
