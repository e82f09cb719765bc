using System.Text.Json;
using Confluent.Kafka;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// Input:Kafka accounts for every message in exactly one counter: forwarded, rejected (random bytes, an RDW length
/// that does not match the message size: dead-lettered with the reason) or skipped by type; the metrics and the
/// summary say so.
/// </summary>
public sealed class KafkaAccountingTests(ITestOutputHelper output) : IDisposable
{
    private const string Topic = "smf-raw";
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Every_message_is_forwarded_rejected_with_its_reason_or_skipped_and_the_metrics_and_summary_add_up()
    {
        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic(Topic, partitions: 2);
        var records = SmfDumpGenerator.GenerateRecords(seed: 7, zertCount: 400);
        var statuses = records.Select(r => ZertRecordParser.Parse(r.Bytes).Status).ToList();
        var zert = statuses.Count(s => s == ZertParseStatus.Decoded);
        var otherTypes = statuses.Count(s => s == ZertParseStatus.OtherRecordType);
        var otherSubtypes = statuses.Count(s => s == ZertParseStatus.OtherSubtype);
        Assert.Equal(records.Count, zert + otherTypes + otherSubtypes);

        var random = new Random(77);
        var messages = records.Select(r => r.Bytes).ToList();
        var randomMessages = Enumerable.Range(0, 60).Select(_ => { var b = new byte[random.Next(1, 600)]; random.NextBytes(b); return b; }).ToList();
        var zertRecords = records.Where((_, i) => statuses[i] == ZertParseStatus.Decoded).Take(30).ToList();
        // A record with bytes after it, and one cut short: the RDW length no longer matches the message size.
        var mismatched = zertRecords.Take(15).Select(r => r.Bytes.Concat(new byte[8]).ToArray())
            .Concat(zertRecords.Skip(15).Select(r => r.Bytes[..^5])).ToList();
        messages.AddRange(randomMessages);
        messages.AddRange(mismatched);
        var rejected = randomMessages.Count + mismatched.Count;
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 5 }).Build())
        {
            foreach (var message in messages.OrderBy(_ => random.Next())) producer.Produce(Topic, new Message<Null, byte[]> { Value = message });
            producer.Flush(TimeSpan.FromSeconds(10));
        }

        var port = Endpoints.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var deadLetters = _work.Combine("dead-letters");
        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Input:Kafka:Topic={Topic}", "Input:Kafka:GroupId=accounting",
            $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
            $"DeadLetter:Directory={deadLetters}", $"Metrics:Port={port}",
        ]);

        string page = "";
        double Sample(string outcome) => Endpoints.Sample(page, $"zertforwarder_records_total{{outcome=\"{outcome}\"}}") ?? 0;
        await Eventually.TrueAsync(() =>
        {
            if (Endpoints.TryGetMetrics(http) is not { } current) return false;
            page = current;
            return Endpoints.Sample(page, "zertforwarder_records_read_total") == messages.Count && Endpoints.Sample(page, "zertforwarder_events_published_total{sink=\"file\"}") == zert;
        }, $"{messages.Count} messages read and {zert} events published", TimeSpan.FromSeconds(30), () => page + running.Stderr);
        running.Signal(ForwarderProcess.Sigterm);
        Assert.Equal(1, await running.WaitForExitAsync(TimeSpan.FromSeconds(20))); // rejected records: exit 1

        output.WriteLine($"{messages.Count} messages: {zert} zERT, {otherTypes} other types, {otherSubtypes} other subtypes, {rejected} broken");
        output.WriteLine(string.Join('\n', page.Split('\n').Where(l => l.StartsWith("zertforwarder_records_total", StringComparison.Ordinal))));
        Assert.Equal(zert, Sample("decoded"));
        Assert.Equal(rejected, Sample("rejected"));
        Assert.Equal(otherTypes, Sample("skipped_other_type"));
        Assert.Equal(otherSubtypes, Sample("skipped_other_subtype"));
        Assert.Equal(messages.Count, Sample("decoded") + Sample("rejected") + Sample("skipped_other_type") + Sample("skipped_other_subtype"));
        // Summing the counter over its labels gives the records read, each once.
        Assert.Equal(messages.Count, page.Split('\n').Where(l => l.StartsWith("zertforwarder_records_total{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains($"{messages.Count} SMF records read: {zert} zERT records forwarded, {rejected} rejected, {otherTypes} other SMF types and {otherSubtypes} other 119 subtypes skipped",
            running.Stderr, StringComparison.Ordinal);

        var letters = Directory.GetFiles(deadLetters).SelectMany(File.ReadAllLines).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reason").GetString()!).ToList();
        Assert.Equal(rejected, letters.Count);
        Assert.Equal(mismatched.Count, letters.Count(r => r.Contains("does not match the message size", StringComparison.Ordinal)));
        Assert.Equal(zert, File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")).Length);
    }
}
