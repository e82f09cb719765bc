using System.Diagnostics;
using Confluent.Kafka;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// A SIGTERM while the Kafka input commits the offsets of partitions a rebalance revokes, and the group coordinator is
/// slow to answer that commit: the stop still ends within its documented bound (README "Shutdown:DrainTimeout": the
/// drain time-out, then up to 5 s for the dead letters and 10 s for the Kafka input's final commit), and no record is
/// lost: the partitions' next owner reads on from the group's last commit.
/// </summary>
public sealed class KafkaSlowRevocationStopTests(ITestOutputHelper output) : IDisposable
{
    private const string Topic = "smf-raw";
    private const string Group = "slow-revocation";
    private const int Partitions = 4;
    private const short OffsetCommitApiKey = 8;

    /// <summary>How long the coordinator takes to answer the revocation's commit: longer than the closing allowance.</summary>
    private const int CommitAnswerMs = 20_000;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task SIGTERM_during_a_slow_revocation_commit_stops_within_the_bound_and_loses_no_record()
    {
        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic(Topic, Partitions);
        var expected = RawRecordTopic.Publish(kafka, Topic, Partitions, seed: 51, zertCount: 3000).ZertIds;
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        // About 30 documents a second: events are still buffered and in flight when the stop comes.
        elasticsearch.RequestDelay = _ => TimeSpan.FromSeconds(3);
        ForwarderProcess Start(string name, params string[] extra) => ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Input:Kafka:Topic={Topic}", $"Input:Kafka:GroupId={Group}",
            "Input:Kafka:Properties:heartbeat.interval.ms=500", $"Checkpoint:Directory={_work.Combine(name)}",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", "Pipeline:MaxBatchItems=100", "Pipeline:BufferCapacity=500",
            $"Shutdown:DrainTimeout={DrainTimeout}", .. extra,
        ]);

        // a commits only on revocation and at its stop, so the coordinator's slow answer is the revocation's. a's
        // session outlasts that answer: a heartbeat held behind the commit that timed out first would end the wait
        // (librdkafka drops the connection: measured 6.6 s with a 6 s session). Its group debug lines say when the
        // revocation's commit is sent (the wording of the pinned librdkafka).
        await using var a = Start("a", "Input:Kafka:CommitIntervalMs=600000", "Input:Kafka:Properties:session.timeout.ms=30000",
            "Input:Kafka:Properties:debug=cgrp", "Logging:Level=Debug");
        await Eventually.TrueAsync(() => elasticsearch.Documents.Count >= 200 || a.HasExited, "a delivering",
            TimeSpan.FromSeconds(40), () => ForwarderProcess.Tail(a.Stderr));

        for (var broker = 1; broker <= 3; broker++) kafka.DelayNextResponse(broker, OffsetCommitApiKey, CommitAnswerMs);
        await using var b = Start("b", "Input:Kafka:Properties:session.timeout.ms=6000");
        await Eventually.TrueAsync(() => a.Stderr.Contains("in join-state wait-unassign-call: manual", StringComparison.Ordinal) || a.HasExited,
            "a committing the partitions revoked for b", TimeSpan.FromSeconds(90), () => ForwarderProcess.Tail(a.Stderr));
        var stopwatch = Stopwatch.StartNew();
        a.Signal(ForwarderProcess.Sigterm);
        var exit = await a.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var took = stopwatch.Elapsed;
        var atStop = elasticsearch.Documents.Count;
        output.WriteLine($"SIGTERM a during the revocation commit: exit {exit} after {took.TotalSeconds:F1} s, {atStop} of {expected.Count} delivered");
        foreach (var line in a.Stderr.Split('\n').Where(l => l.Contains("\"EventId\":1", StringComparison.Ordinal) || (l.Contains("kafka_source: ", StringComparison.Ordinal) && !l.Contains("librdkafka", StringComparison.Ordinal))))
        {
            output.WriteLine($"  a: {line[..Math.Min(line.Length, 300)]}");
        }

        var bound = DrainTimeout + ForwarderHost.DeadLetterGrace + ForwarderHost.KafkaCloseLimit;
        Assert.True(took < bound, $"a stopped after {took.TotalSeconds:F1} s, bound {bound.TotalSeconds:F0} s\n{ForwarderProcess.Tail(a.Stderr)}");
        Assert.True(atStop < expected.Count, "a had events in flight at the stop");

        // At least once: the group reads on from its committed offsets, so every record before them must have been
        // delivered; what a delivered after its last confirmed commit is read again. (b would take the partitions over
        // once the group gave up on a, which the mock cluster did not do within two minutes: b is not needed for this.)
        b.Kill();
        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = Group })
            .SetLogHandler((_, _) => { }).Build();
        var committed = probe.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topic, p)), TimeSpan.FromSeconds(10));
        output.WriteLine($"committed: {string.Join(", ", committed.Select(c => $"{c.TopicPartition.Partition.Value}@{c.Offset}"))}");
        var delivered = elasticsearch.Documents.Keys.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(EventIdsBefore(kafka, committed).Except(delivered));
    }

    /// <summary>The event ids of the zERT records before <paramref name="offsets"/> in their partitions.</summary>
    private static HashSet<string> EventIdsBefore(MockKafkaCluster kafka, List<TopicPartitionOffset> offsets)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var reader = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "reader", EnableAutoCommit = false })
            .SetLogHandler((_, _) => { }).Build();
        foreach (var end in offsets.Where(o => o.Offset.Value > 0))
        {
            reader.Assign(new TopicPartitionOffset(end.TopicPartition, Offset.Beginning));
            for (var read = 0L; read < end.Offset.Value;)
            {
                var result = reader.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"{end.TopicPartition} not read up to {end.Offset}");
                read = result.Offset.Value + 1;
                if (ZertRecordParser.Parse(result.Message.Value).Status == ZertParseStatus.Decoded) ids.Add(ZertEventId.Compute(result.Message.Value));
            }
        }

        return ids;
    }
}
