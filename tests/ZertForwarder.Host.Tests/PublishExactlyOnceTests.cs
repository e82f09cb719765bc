using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// "Publish: nothing lost or duplicated": <c>run --once</c> from a dump file to Kafka (librdkafka mock cluster) and
/// Elasticsearch (scripted fake) at the same time, with faults on both, delivers every zERT record exactly once
/// to each (output contract §6: stable event ids, <c>create</c> + 409 on Elasticsearch, idempotent producer).
/// </summary>
public sealed class PublishExactlyOnceTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Every_record_arrives_once_in_Kafka_and_Elasticsearch_despite_request_errors_429s_503s_and_a_timeout()
    {
        const string topic = "zert-events";
        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic(topic, partitions: 4);
        // Produce requests fail before the broker appends anything (test infrastructure §1c: the mock cannot
        // de-duplicate after-append retries of a non-transactional producer, so only before-append faults are used).
        kafka.PushRequestErrors(MockKafkaCluster.ProduceApiKey, 6 /* NOT_LEADER */, 7 /* REQUEST_TIMED_OUT */, 19 /* NOT_ENOUGH_REPLICAS */,
            5 /* LEADER_NOT_AVAILABLE */, -195 /* transport: disconnect */, 19);

        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        // About one id in eight is refused with 429 on its first attempt (item-level back-pressure).
        elasticsearch.ItemFault = (id, attempt) => attempt == 1 && id[0] is '0' or '1' ? 429 : null;
        // Whole bulk requests answered 503 (cluster unavailable)...
        elasticsearch.RequestFault = n => n is 2 or 4 ? 503 : null;
        // ...and one that outlives the client's 1 s time-out but is still applied afterwards (its items come back as 409).
        elasticsearch.RequestDelay = n => n == 6 ? TimeSpan.FromSeconds(2.5) : null;

        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 31, zertCount: 3000);
        var expected = Dumps.ZertRecords(dump);
        var expectedIds = expected.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Outputs:Kafka:Topic={topic}",
            // One produce request in flight per connection: the injected disconnect fails every request in flight on
            // its connection, and any of them the mock had already appended comes back as a duplicate in its log, which
            // real Kafka drops by the idempotent producer's sequence numbers but the mock does not (test infrastructure
            // §1c). Seen once with the default five, under a load average of 6-7: 3,079 messages for 3,000 ids. With one,
            // every injected fault stays before the append, and what is checked is the forwarder's own retrying.
            "Outputs:Kafka:Properties:max.in.flight.requests.per.connection=1",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", "Outputs:Elasticsearch:RequestTimeout=00:00:01",
            "Pipeline:MaxBatchItems=200", "Pipeline:InitialBackoff=00:00:00.050", "Pipeline:MaxBackoff=00:00:00.500",
        ], TimeSpan.FromSeconds(60));

        var kafkaClientLines = result.Stderr.Split('\n').Where(l => l.Contains("librdkafka", StringComparison.Ordinal)).ToList();
        foreach (var line in kafkaClientLines.Take(5)) output.WriteLine(line);
        var messages = KafkaReadBack.ReadAll(kafka.BootstrapServers, topic, TimeSpan.FromSeconds(20));
        var kafkaIds = messages.Select(m => m.EventId!).ToHashSet(StringComparer.Ordinal);
        var esIds = elasticsearch.Documents.Keys.Select(k => k.Id).ToList();
        output.WriteLine($"decoded {expected.Count} zERT records ({expectedIds.Count} distinct ids)");
        output.WriteLine($"kafka: {messages.Count} messages, {kafkaIds.Count} distinct ids, partitions {string.Join(",", messages.Select(m => m.Partition).Distinct().Order())}");
        output.WriteLine($"elasticsearch: {esIds.Count} documents, {esIds.Distinct().Count()} distinct ids; {elasticsearch.BulkRequests} bulk requests, " +
                         $"{elasticsearch.Created} created, {elasticsearch.Conflicts} conflicts (409), {elasticsearch.ItemFaults} item 429s, " +
                         $"{elasticsearch.RequestFaults} request 503s, {elasticsearch.DelayedRequests} delayed past the time-out");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("0 dead-lettered", result.Stdout, StringComparison.Ordinal);

        Assert.Equal(expected.Count, expectedIds.Count);
        Assert.Equal(expected.Count, messages.Count);
        Assert.True(expectedIds.SetEquals(kafkaIds), "Kafka holds exactly the decoded records' event ids");

        Assert.Equal(expected.Count, esIds.Count);
        Assert.True(expectedIds.SetEquals(esIds), "Elasticsearch holds exactly the decoded records' event ids");
        // The faults really happened (otherwise this test proves nothing about them).
        Assert.True(elasticsearch.ItemFaults > 0);
        Assert.Equal(2, elasticsearch.RequestFaults);
        Assert.Equal(1, elasticsearch.DelayedRequests);
        // The injected disconnect shows in the producer's log (librdkafka 2.16 wording); the error codes leave no trace
        // but the retries they cause.
        Assert.Contains(kafkaClientLines, l => l.Contains("Disconnected", StringComparison.Ordinal));
    }
}
