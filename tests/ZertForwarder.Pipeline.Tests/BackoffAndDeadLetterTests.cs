using System.Text;
using System.Text.Json;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests;

public sealed class BackoffAndDeadLetterTests : IDisposable
{
    /// <summary>A fresh directory per test (xunit makes one instance per test), for the dead-letter tests.</summary>
    private readonly string _directory = Directory.CreateTempSubdirectory("zert-dlq-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Backoff_ceilings_double_up_to_the_cap_and_delays_are_jittered_below_them()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), new Random(1));

        Assert.Equal(
            new[] { 100, 200, 400, 800, 1000, 1000 }.Select(ms => TimeSpan.FromMilliseconds(ms)),
            Enumerable.Range(0, 6).Select(backoff.Ceiling));
        var delays = Enumerable.Range(0, 200).Select(i => (Attempt: i % 6, Delay: backoff.NextDelay(i % 6))).ToList();
        Assert.All(delays, d => Assert.InRange(d.Delay, TimeSpan.Zero, backoff.Ceiling(d.Attempt)));
        Assert.True(delays.Select(d => d.Delay).Distinct().Count() > 150, "full jitter spreads the delays");
    }

    [Fact]
    public void The_same_seed_gives_the_same_delays()
    {
        var a = new ExponentialBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), new Random(99));
        var b = new ExponentialBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(5), new Random(99));

        Assert.Equal(Enumerable.Range(0, 10).Select(a.NextDelay), Enumerable.Range(0, 10).Select(b.NextDelay));
    }

    [Fact]
    public async Task Dead_letters_are_NDJSON_with_the_ECS_document_or_its_base64_when_it_is_not_JSON()
    {
        var path = Path.Combine(_directory, "nested", "dead-letters.ndjson");
        var time = new ObservedTimeProvider();
        var valid = TestEvents.Create(1);
        var broken = new ForwardedEvent { EventId = "ab12", Dataset = "zos.zert_summary", Ecs = Encoding.UTF8.GetBytes("{\"truncated\":") };
        await using (var output = new FileDeadLetterOutput(path, time))
        {
            await output.WriteAsync(valid, "elasticsearch", "item status 400: mapper_parsing_exception: bad port", CancellationToken.None);
            await output.WriteAsync(broken, "kafka", "retry limit exceeded: broker down", CancellationToken.None);
            await output.FlushAsync(CancellationToken.None);
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("2026-01-01T00:00:00.000Z", first.RootElement.GetProperty("time").GetString());
        Assert.Equal("elasticsearch", first.RootElement.GetProperty("sink").GetString());
        Assert.Equal("item status 400: mapper_parsing_exception: bad port", first.RootElement.GetProperty("reason").GetString());
        Assert.Equal(valid.EventId, first.RootElement.GetProperty("event_id").GetString());
        Assert.Equal("zos.zert_connection", first.RootElement.GetProperty("dataset").GetString());
        Assert.Equal(valid.EventId, first.RootElement.GetProperty("event").GetProperty("event").GetProperty("id").GetString());

        using var second = JsonDocument.Parse(lines[1]);
        Assert.False(second.RootElement.TryGetProperty("event", out _));
        Assert.Equal("{\"truncated\":", Encoding.UTF8.GetString(second.RootElement.GetProperty("event_base64").GetBytesFromBase64()));
    }

    [Fact]
    public async Task The_dead_letter_file_is_rotated_past_its_size_and_every_dead_letter_is_kept_once()
    {
        var path = Path.Combine(_directory, "dead-letters.ndjson");
        var lineLength = FileDeadLetterOutput.Format(TestEvents.Create(0), "kafka", "retry limit exceeded", DateTimeOffset.UnixEpoch).Length + 1;
        await using (var output = new FileDeadLetterOutput(path, new ObservedTimeProvider(), rotateBytes: 3 * lineLength + 10))
        {
            for (var i = 0; i < 10; i++) await output.WriteAsync(TestEvents.Create(i), "kafka", "retry limit exceeded", CancellationToken.None);
        }

        // Three dead letters fit in a file: 10 make .1, .2, .3 and the current one, in order, each line whole.
        string[] files = [path + ".1", path + ".2", path + ".3", path];
        Assert.Equal(files.Order(StringComparer.Ordinal), Directory.GetFiles(_directory).Order(StringComparer.Ordinal));
        var ids = files.SelectMany(File.ReadAllLines).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event_id").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => TestEvents.Create(i).EventId), ids);
        Assert.All(files[..3], f => Assert.Equal(3, File.ReadAllLines(f).Length));
    }

    [Fact]
    public async Task Dead_letters_are_synced_before_a_checkpoint_and_a_checkpoint_at_shutdown_after_closing_is_harmless()
    {
        var path = Path.Combine(_directory, "dead-letters.ndjson");
        var output = new FileDeadLetterOutput(path, new ObservedTimeProvider());
        var checkpoints = new FileCheckpointStore(Path.Combine(_directory, "state"), TimeSpan.Zero) { BeforeWrite = output.SyncToDisk };
        var input = Path.Combine(_directory, "dump.smf");
        File.WriteAllBytes(input, new byte[100]);
        await output.WriteAsync(TestEvents.Create(1), "kafka", "retry limit exceeded", CancellationToken.None);
        checkpoints.Commit(input, 100); // syncs the dead letter, then writes the checkpoint
        Assert.Single(File.ReadAllLines(path));

        // The host closes its outputs before the checkpoint store: its last write still syncs, with nothing to do.
        await output.DisposeAsync();
        checkpoints.MarkCompleted(input, 100);
        checkpoints.Dispose();
        Assert.False(checkpoints.IsFailing);
        Assert.Contains("\"completed\": true", File.ReadAllText(checkpoints.CheckpointPath), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("copytruncate")]
    public async Task An_outside_rotation_is_followed_at_the_next_dead_letter(string mode)
    {
        var path = Path.Combine(_directory, "dead-letters.ndjson");
        await using (var output = new FileDeadLetterOutput(path, new ObservedTimeProvider()))
        {
            await output.WriteAsync(TestEvents.Create(1), "kafka", "retry limit exceeded", CancellationToken.None);
            await output.WriteAsync(TestEvents.Create(2), "kafka", "retry limit exceeded", CancellationToken.None);
            if (mode == "create")
            {
                File.Move(path, path + ".old"); // logrotate's default: move away, create an empty file
                File.WriteAllBytes(path, []);
            }
            else
            {
                File.Copy(path, path + ".old"); // copytruncate: copy, then empty the file in place
                using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) truncate.SetLength(0);
            }
            await output.WriteAsync(TestEvents.Create(3), "kafka", "retry limit exceeded", CancellationToken.None);
        }

        Assert.Equal(2, File.ReadAllLines(path + ".old").Length);
        var bytes = File.ReadAllBytes(path);
        Assert.DoesNotContain((byte)0, bytes); // no run of zero bytes where the old lines were
        var line = Assert.Single(File.ReadAllLines(path));
        Assert.Equal(TestEvents.Create(3).EventId, JsonDocument.Parse(line).RootElement.GetProperty("event_id").GetString());
    }
}
