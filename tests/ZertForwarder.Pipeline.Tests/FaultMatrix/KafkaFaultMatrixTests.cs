using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Pipeline.Tests.Kafka;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.FaultMatrix;

/// <summary>
/// The Kafka row of the fault matrix: a sink runner feeding the Kafka sink while librdkafka's mock cluster (three
/// brokers over TCP) injects a fault in mid-stream. Each case prints sent / delivered / duplicated / dead-lettered /
/// lost, read back by an independent consumer; nothing may be lost, and every event is acknowledged once.
/// </summary>
public sealed class KafkaFaultMatrixTests(ITestOutputHelper output) : IDisposable
{
    private const int Events = 2_000;
    private const int FaultAfter = 600;
    private const string Topic = "fault-matrix";
    private readonly MockKafkaCluster _cluster = new(3);

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public Task All_brokers_down_then_up() => RunAsync("brokers down and up", async cluster =>
    {
        for (var broker = 1; broker <= 3; broker++) cluster.BrokerDown(broker);
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // the outage lasts a while: sends pile up and retry
        for (var broker = 1; broker <= 3; broker++) cluster.BrokerUp(broker);
    });

    [Fact]
    public Task Leader_change() => RunAsync("leader change", cluster =>
    {
        for (var partition = 0; partition < 4; partition++) cluster.SetLeader(Topic, partition, (partition % 3) + 1 == 3 ? 1 : (partition % 3) + 2);
        return Task.CompletedTask;
    });

    [Fact]
    public Task Produce_errors() => RunAsync("produce errors (retriable)", cluster =>
    {
        // NOT_LEADER_OR_FOLLOWER (6), REQUEST_TIMED_OUT (7), NOT_ENOUGH_REPLICAS (19), NOT_ENOUGH_REPLICAS_AFTER_APPEND (20)
        cluster.PushRequestErrors(MockKafkaCluster.ProduceApiKey, 6, 7, 19, 20, 6, 7);
        return Task.CompletedTask;
    });

    [Fact]
    public Task Request_timeouts() => RunAsync("request timeouts", cluster =>
    {
        for (var broker = 1; broker <= 3; broker++) cluster.DelayNextResponse(broker, MockKafkaCluster.ProduceApiKey, 3_000);
        return Task.CompletedTask;
    }, options => options.Properties["socket.timeout.ms"] = "1000");

    /// <summary>
    /// A fatal producer error in mid-stream, while batches wait for their delivery reports: with the gapless guarantee
    /// an out-of-order sequence (OUT_OF_ORDER_SEQUENCE_NUMBER, 45) is fatal, librdkafka fails every message it holds,
    /// and the sink builds a new producer. The batches still waiting must get their reports (or a retry), not wait
    /// for ever on a producer that was disposed.
    /// </summary>
    [Fact]
    public Task Fatal_producer_error() => RunAsync("fatal producer error", cluster =>
    {
        cluster.PushRequestErrors(MockKafkaCluster.ProduceApiKey, 45);
        return Task.CompletedTask;
    }, options => options.Properties["enable.gapless.guarantee"] = "true");

    private async Task RunAsync(string fault, Func<MockKafkaCluster, Task> inject, Action<KafkaSinkOptions>? configure = null)
    {
        _cluster.CreateTopic(Topic, partitions: 4);
        var options = new KafkaSinkOptions { BootstrapServers = _cluster.BootstrapServers, Topic = Topic, LingerMs = 5 };
        configure?.Invoke(options);
        var acks = new Support.AckCounter();
        var deadLetters = new Support.MemoryDeadLetters();
        var runnerOptions = new SinkRunnerOptions { MaxBatchItems = 100, MaxBatchAge = TimeSpan.FromMilliseconds(20), InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(500) };
        await using (var runner = new SinkRunner(new KafkaSink(options, new Kafka.TestOutputLog(output)), runnerOptions, deadLetters))
        {
            await runner.StartAsync(CancellationToken.None);
            for (var i = 0; i < Events; i++)
            {
                if (i == FaultAfter)
                {
                    await Eventually.TrueAsync(() => acks.Counts.Count >= FaultAfter / 2, "some events delivered before the fault", TimeSpan.FromSeconds(30));
                    await inject(_cluster);
                }

                var item = SampleEvents.Create(i);
                await runner.WriteAsync(new ForwardedEvent { EventId = item.EventId, Dataset = item.Dataset, Key = item.Key, SmfSystemId = item.SmfSystemId, Ecs = item.Ecs, Leef = item.Leef, Position = acks.For(i) },
                    CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token), "the runner drained");
        }

        var records = KafkaReadBack.ReadAll(_cluster.BootstrapServers, Topic, Events, TimeSpan.FromSeconds(30));
        var distinct = records.Select(r => r.Sequence).ToHashSet();
        var deadLettered = deadLetters.Records.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal);
        var lost = Enumerable.Range(0, Events).Count(i => !distinct.Contains(i) && !deadLettered.Contains(SampleEvents.EventIdOf(i)));
        output.WriteLine($"kafka, {fault}: sent {Events} / delivered {distinct.Count} / duplicated {records.Count - distinct.Count} / " +
                         $"dead-lettered {deadLettered.Count} / lost {lost}");
        Assert.Equal(0, lost);
        Assert.Equal(Events, acks.Counts.Count);
        Assert.All(acks.Counts.Values, count => Assert.Equal(1, count));
    }
}
