using System.Text;
using System.Text.Json;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests;

public sealed class BackoffAndDeadLetterTests
{
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
        var directory = Directory.CreateTempSubdirectory("zert-dlq-").FullName;
        try
        {
            var path = Path.Combine(directory, "nested", "dead-letters.ndjson");
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
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
