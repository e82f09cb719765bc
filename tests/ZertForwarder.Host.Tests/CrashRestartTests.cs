using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// "Publish: nothing lost": a forwarder killed with SIGKILL mid-run (no drain, no final checkpoint) and started again
/// on the same Checkpoint:Directory re-sends only what the checkpoint did not cover. Elasticsearch absorbs the
/// re-sent events (create → 409); Kafka has every event, with a bounded number of duplicates (at least once).
/// </summary>
public sealed class CrashRestartTests(ITestOutputHelper output) : IDisposable
{
    private const int BufferCapacity = 1000;
    private const int MaxBatchItems = 500;
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task After_kill_9_and_restart_every_event_is_in_Elasticsearch_once_and_in_Kafka_at_least_once()
    {
        const string topic = "zert-events";
        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic(topic, partitions: 4);
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        // A slow cluster: the first run is still busy when it is killed.
        elasticsearch.RequestDelay = _ => TimeSpan.FromMilliseconds(300);

        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 2026, zertCount: 20_000);
        var dumpLength = new FileInfo(dump).Length;
        var expected = Dumps.ZertRecords(dump);
        var state = _work.Combine("state");
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", "Checkpoint:Interval=00:00:00.100",
            $"Outputs:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Outputs:Kafka:Topic={topic}",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}",
            $"Pipeline:BufferCapacity={BufferCapacity}", $"Pipeline:MaxBatchItems={MaxBatchItems}",
        ];

        long checkpointAtKill;
        await using (var first = ForwarderProcess.Start(_work.Path, ["run", .. args]))
        {
            // Mid-run: the checkpoint covers a few batches, far from the end, and a bulk request is at the cluster,
            // which completes it after the kill: events Elasticsearch has and no checkpoint covers. (Killed between two
            // requests, on a loaded machine, the restart had nothing to send again and the proof below failed.)
            var progressed = expected[2 * MaxBatchItems].EndOffset;
            await Eventually.TrueAsync(() => (Checkpoints.Offset(state, dump) >= progressed && elasticsearch.BulkInFlight > 0) || first.HasExited,
                "the checkpoint to cover two batches while a bulk request is at the cluster", TimeSpan.FromSeconds(20), () => first.Stderr);
            Assert.False(first.HasExited, "the first run must still be running when it is killed\n" + first.Stderr);
            first.Kill();
            checkpointAtKill = Checkpoints.Offset(state, dump);
        }
        var documentsAtKill = elasticsearch.Documents.Count;
        var coveredAtKill = expected.Count(r => r.EndOffset <= checkpointAtKill);
        output.WriteLine($"killed at checkpoint {checkpointAtKill} of {dumpLength} bytes ({coveredAtKill} of {expected.Count} records covered); " +
                         $"Elasticsearch had {documentsAtKill} documents");
        Assert.InRange(coveredAtKill, 2 * MaxBatchItems, expected.Count - 1);

        elasticsearch.RequestDelay = _ => null;
        var restart = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(60));
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Contains("Resuming", restart.Stderr, StringComparison.Ordinal);

        var expectedIds = expected.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal);
        var esIds = elasticsearch.Documents.Keys.Select(k => k.Id).ToList();
        output.WriteLine($"elasticsearch: {esIds.Count} documents for {expected.Count} records, {elasticsearch.Conflicts} re-sent duplicates absorbed (409)");
        Assert.Equal(expected.Count, esIds.Count);
        Assert.True(expectedIds.SetEquals(esIds));
        // Proof that the restart really re-sent events the first run had delivered past its last checkpoint.
        Assert.True(elasticsearch.Conflicts > 0, "the restart re-sent events Elasticsearch already had");

        var messages = KafkaReadBack.ReadAll(kafka.BootstrapServers, topic, TimeSpan.FromSeconds(30));
        var kafkaIds = messages.Select(m => m.EventId!).ToHashSet(StringComparer.Ordinal);
        var missing = expectedIds.Count(id => !kafkaIds.Contains(id));
        var duplicates = messages.Count - kafkaIds.Count;
        // Kafka can only hold twice what was delivered after the persisted checkpoint. The events routed to Kafka but
        // not acknowledged by Elasticsearch are at most what Elasticsearch's runner holds (BufferCapacity, in-flight
        // batch included); events acknowledged by both but not yet persisted are those of the batches Elasticsearch
        // finished within one Checkpoint:Interval (0.1 s; each bulk takes >= 0.3 s, so one batch, and one more for a late
        // checkpoint timer); plus the one event the router handed to Kafka while waiting for room in Elasticsearch's buffer.
        const int bound = BufferCapacity + 2 * MaxBatchItems + 1;
        output.WriteLine($"kafka: {messages.Count} messages, {kafkaIds.Count} distinct, {missing} missing, {duplicates} duplicates (bound {bound})");
        Assert.Equal(0, missing);
        Assert.True(kafkaIds.IsSubsetOf(expectedIds));
        Assert.InRange(duplicates, 0, bound);
    }
}
