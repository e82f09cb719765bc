using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Kafka;

/// <summary>
/// The idempotent producer under broker faults (guide test-infrastructure §1c). Faults that happen before the
/// append must lose and duplicate nothing. The mock does not de-duplicate retries of a non-transactional producer
/// after an append, so the "timeout after append" case asserts no loss and at most one batch of duplicates.
/// </summary>
public sealed class KafkaSinkFaultTests(ITestOutputHelper output) : IDisposable
{
    private const string Topic = "faults";
    private readonly MockKafkaCluster _cluster = CreateCluster();

    private static MockKafkaCluster CreateCluster()
    {
        var cluster = new MockKafkaCluster(3);
        cluster.CreateTopic(Topic, 2);
        cluster.SetLeader(Topic, 0, 1);
        cluster.SetLeader(Topic, 1, 1);
        return cluster;
    }

    public void Dispose() => _cluster.Dispose();

    private KafkaSink Sink(Action<KafkaSinkOptions>? configure = null)
    {
        var options = new KafkaSinkOptions { BootstrapServers = _cluster.BootstrapServers, Topic = Topic, LingerMs = 5 };
        options.Properties["retry.backoff.ms"] = "50";
        configure?.Invoke(options);
        return new KafkaSink(options);
    }

    private static async Task SendAllDeliveredAsync(KafkaSink sink, int start, int count)
    {
        var batch = SampleEvents.Range(start, count);
        var outcome = new BatchOutcome(count);
        await sink.SendAsync(batch, outcome, CancellationToken.None);
        for (var i = 0; i < count; i++)
        {
            Assert.True(outcome[i] == ItemOutcome.Delivered, $"item {start + i}: {outcome[i]} {outcome.Reason(i)}");
        }
    }

    private List<ReadBackRecord> ReadBack(int expected)
    {
        var records = KafkaReadBack.ReadAll(_cluster.BootstrapServers, Topic, expected);
        var distinct = records.Select(r => r.Sequence).Distinct().Count();
        output.WriteLine($"expected {expected}, read {records.Count}, distinct {distinct}, duplicates {records.Count - distinct}, missing {expected - distinct}");
        return records;
    }

    private static void AssertExactlyOnceInKeyOrder(List<ReadBackRecord> records, int count)
    {
        Assert.Equal(Enumerable.Range(0, count), records.Select(r => r.Sequence).Order());
        foreach (var perKey in records.GroupBy(r => r.Key))
        {
            var inLogOrder = perKey.OrderBy(r => r.Offset).Select(r => r.Sequence).ToList();
            Assert.Equal(inLogOrder.Order(), inLogOrder);
        }
    }

    [Fact]
    public async Task Produce_request_errors_and_disconnects_lose_and_duplicate_nothing()
    {
        // One request in flight per connection: a disconnect fails every request in flight on it, and one the mock had
        // already appended would come back as a duplicate that only a real broker drops (test infrastructure §1c).
        await using var sink = Sink(o => o.Properties["max.in.flight.requests.per.connection"] = "1");
        await SendAllDeliveredAsync(sink, 0, 100);
        // NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS x2, _TRANSPORT (disconnect), REQUEST_TIMED_OUT
        _cluster.PushRequestErrors(MockKafkaCluster.ProduceApiKey, 6, 7, 19, 19, -195, 7);
        await SendAllDeliveredAsync(sink, 100, 200);
        await SendAllDeliveredAsync(sink, 300, 100);

        AssertExactlyOnceInKeyOrder(ReadBack(400), 400);
    }

    [Fact]
    public async Task Leader_down_then_up_delays_but_loses_and_duplicates_nothing()
    {
        await using var sink = Sink();
        await SendAllDeliveredAsync(sink, 0, 100);
        _cluster.BrokerDown(1);
        var sending = SendAllDeliveredAsync(sink, 100, 200);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(sending.IsCompleted, "the leader is down, nothing can be acknowledged yet");
        _cluster.BrokerUp(1);
        await sending;
        await SendAllDeliveredAsync(sink, 300, 100);

        AssertExactlyOnceInKeyOrder(ReadBack(400), 400);
    }

    [Fact]
    public async Task Leader_change_loses_and_duplicates_nothing()
    {
        await using var sink = Sink();
        await SendAllDeliveredAsync(sink, 0, 100);
        _cluster.BrokerDown(1);
        _cluster.SetLeader(Topic, 0, 2);
        _cluster.SetLeader(Topic, 1, 3);
        await SendAllDeliveredAsync(sink, 100, 200);
        _cluster.BrokerUp(1);
        await SendAllDeliveredAsync(sink, 300, 100);

        AssertExactlyOnceInKeyOrder(ReadBack(400), 400);
    }

    [Fact]
    public async Task Timeout_after_append_loses_nothing_and_duplicates_at_most_one_batch()
    {
        const int batchSize = 200;
        // socket.timeout.ms is what times out an in-flight Produce in librdkafka 2.16 (request.timeout.ms alone does not).
        await using var sink = Sink(o => o.Properties["socket.timeout.ms"] = "1000");
        await SendAllDeliveredAsync(sink, 0, batchSize);
        _cluster.DelayNextResponse(1, MockKafkaCluster.ProduceApiKey, 2_500);
        await SendAllDeliveredAsync(sink, batchSize, batchSize);

        var records = ReadBack(2 * batchSize);
        Assert.Equal(Enumerable.Range(0, 2 * batchSize), records.Select(r => r.Sequence).Distinct().Order());
        Assert.InRange(records.Count - (2 * batchSize), 0, batchSize);
    }

    [Fact]
    public async Task A_topic_the_producer_may_not_write_stops_the_run_instead_of_dead_lettering_every_event()
    {
        await using var sink = Sink();
        await SendAllDeliveredAsync(sink, 0, 10);
        // TOPIC_AUTHORIZATION_FAILED (29) for every produce request: an ACL that does not grant WRITE.
        _cluster.PushRequestErrors(MockKafkaCluster.ProduceApiKey, Enumerable.Repeat(29, 50).ToArray());
        var batch = SampleEvents.Range(10, 20);
        var outcome = new BatchOutcome(batch.Count);

        var fatal = await Assert.ThrowsAsync<SinkFatalException>(() => sink.SendAsync(batch, outcome, CancellationToken.None));
        Assert.Contains("TopicAuthorizationFailed", fatal.Message, StringComparison.Ordinal);
        Assert.Contains($"topic '{Topic}'", fatal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Enumerable.Range(0, batch.Count), i => outcome[i] == ItemOutcome.Rejected);
    }
}
