using System.Diagnostics;
using Confluent.Kafka;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// A stop while the Kafka input commits the offsets of partitions a rebalance revokes, and the group coordinator is
/// slow to answer that commit: the stop still ends within its documented bound (README "Shutdown:DrainTimeout": the
/// drain time-out from the stop's cause, a SIGTERM or a sink failing for good, then up to 5 s for the dead letters and
/// 10 s for the Kafka input's final commit), and no record is lost: the partitions' next owner reads on from the
/// group's last commit, and nothing before it is missing from the output.
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

    /// <summary>How long a stop may take from its cause (README "Shutdown:DrainTimeout").</summary>
    private static readonly TimeSpan StopBound = DrainTimeout + ForwarderHost.DeadLetterGrace + ForwarderHost.KafkaCloseLimit;

    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task SIGTERM_during_a_slow_revocation_commit_stops_within_the_bound_and_loses_no_record()
    {
        using var kafka = new MockKafkaCluster();
        var expected = Publish(kafka, seed: 51);
        await using var elasticsearch = await SlowElasticsearchAsync();
        await using var a = StartRevokedMember(kafka, elasticsearch);
        await using var b = await RevokeDuringSlowCommitAsync(kafka, elasticsearch, a);

        var stopwatch = Stopwatch.StartNew();
        a.Signal(ForwarderProcess.Sigterm);
        var exit = await a.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var took = stopwatch.Elapsed;
        var atStop = elasticsearch.Documents.Count;
        output.WriteLine($"SIGTERM a during the revocation commit: exit {exit} after {took.TotalSeconds:F1} s, {atStop} of {expected.Count} delivered");
        WriteStopLines(a);

        Assert.True(took < StopBound, $"a stopped after {took.TotalSeconds:F1} s, bound {StopBound.TotalSeconds:F0} s\n{ForwarderProcess.Tail(a.Stderr)}");
        Assert.True(atStop < expected.Count, "a had events in flight at the stop");

        // At least once: the group reads on from its committed offsets, so every record before them must have been
        // delivered; what a delivered after its last confirmed commit is read again. (b would take the partitions over
        // once the group gave up on a, which the mock cluster did not do within two minutes: b is not needed for this.)
        b.Kill();
        AssertCommittedWereDelivered(kafka, elasticsearch);
    }

    [Fact]
    public async Task A_sink_failing_for_good_during_a_slow_revocation_commit_stops_the_run_within_the_bound_and_commits_nothing_undelivered()
    {
        using var kafka = new MockKafkaCluster();
        var expected = Publish(kafka, seed: 52);
        await using var elasticsearch = await SlowElasticsearchAsync();
        // Once refusing, Elasticsearch answers every bulk request 401 at once (the credentials were revoked): the sink
        // stops for good at the first such answer, which is when the stop's bound starts.
        var refusing = false;
        long firstRefusal = 0;
        elasticsearch.RequestFault = _ =>
        {
            if (!Volatile.Read(ref refusing)) return null;
            Interlocked.CompareExchange(ref firstRefusal, Stopwatch.GetTimestamp(), 0);
            return 401;
        };
        await using var a = StartRevokedMember(kafka, elasticsearch);
        await using var b = await RevokeDuringSlowCommitAsync(kafka, elasticsearch, a);

        Volatile.Write(ref refusing, true);
        var exit = await a.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var took = Stopwatch.GetElapsedTime(Interlocked.Read(ref firstRefusal));
        output.WriteLine($"401 from Elasticsearch during the revocation commit: exit {exit} {took.TotalSeconds:F1} s after the first 401, " +
                         $"{elasticsearch.Documents.Count} of {expected.Count} delivered");
        WriteStopLines(a);

        Assert.True(Interlocked.Read(ref firstRefusal) != 0, $"a sent no bulk request after the switch\n{ForwarderProcess.Tail(a.Stderr)}");
        Assert.True(exit == 2, $"exit {exit}\n{ForwarderProcess.Tail(a.Stderr)}");
        var lines = a.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.Contains("cannot work", StringComparison.Ordinal) && l.Contains("401", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.True(took < StopBound, $"a stopped {took.TotalSeconds:F1} s after the sink failed for good, bound {StopBound.TotalSeconds:F0} s\n{ForwarderProcess.Tail(a.Stderr)}");

        b.Kill();
        AssertCommittedWereDelivered(kafka, elasticsearch);
    }

    /// <summary>The partition of each published zERT record, by event id.</summary>
    private readonly Dictionary<string, int> _partitionOf = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates the topic and publishes 12,000 zERT records (and the others of the dump) to it; returns their event ids.
    /// So many that, read a partition after the other, the last one still has events in flight when the stop comes.
    /// </summary>
    private HashSet<string> Publish(MockKafkaCluster kafka, ulong seed)
    {
        kafka.CreateTopic(Topic, Partitions);
        var (records, ids) = RawRecordTopic.Publish(kafka, Topic, Partitions, seed, zertCount: 12_000);
        for (var i = 0; i < records.Count; i++)
        {
            // RawRecordTopic.Publish puts record i into partition i % Partitions.
            if (ZertRecordParser.Parse(records[i].Bytes).Status == ZertParseStatus.Decoded) _partitionOf[ZertEventId.Compute(records[i].Bytes)] = i % Partitions;
        }

        return ids;
    }

    /// <summary>How many partitions Elasticsearch has documents of.</summary>
    private int PartitionsDelivered(FakeElasticsearch elasticsearch) => elasticsearch.Documents.Keys.Select(k => _partitionOf[k.Id]).Distinct().Count();

    /// <summary>
    /// Answers at once until it has documents of every partition, then takes 3 s per bulk request (about 30 documents a
    /// second), so that events are still buffered and in flight when the stop comes. Whichever partitions the rebalance
    /// moves, their revocation then has something delivered to commit (and so a commit for the coordinator to hold):
    /// the input often reads a partition whole before the next, and slow from the start, a partition the rebalance
    /// moved had at times nothing delivered yet, no commit was sent, and the test waited in vain for one.
    /// </summary>
    private async Task<FakeElasticsearch> SlowElasticsearchAsync()
    {
        var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequestDelay = _ => PartitionsDelivered(elasticsearch) == Partitions ? TimeSpan.FromSeconds(3) : null;
        return elasticsearch;
    }

    private ForwarderProcess StartMember(MockKafkaCluster kafka, FakeElasticsearch elasticsearch, string name, params string[] extra) =>
        ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Input:Kafka:Topic={Topic}", $"Input:Kafka:GroupId={Group}",
            "Input:Kafka:Properties:heartbeat.interval.ms=500", $"Checkpoint:Directory={_work.Combine(name)}",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", "Pipeline:MaxBatchItems=100", "Pipeline:BufferCapacity=500",
            $"Shutdown:DrainTimeout={DrainTimeout}", .. extra,
        ]);

    /// <summary>
    /// The member "a" whose partitions are revoked. It commits only on revocation and at its stop, so the coordinator's
    /// slow answer is the revocation's. Its session outlasts that answer: a heartbeat held behind the commit that timed
    /// out first would end the wait (librdkafka drops the connection: measured 6.6 s with a 6 s session). Its group
    /// debug lines say when the revocation's commit is sent (the wording of the pinned librdkafka).
    /// </summary>
    private ForwarderProcess StartRevokedMember(MockKafkaCluster kafka, FakeElasticsearch elasticsearch) =>
        StartMember(kafka, elasticsearch, "a", "Input:Kafka:CommitIntervalMs=600000", "Input:Kafka:Properties:session.timeout.ms=30000",
            "Input:Kafka:Properties:debug=cgrp", "Logging:Level=Debug");

    /// <summary>
    /// Once <paramref name="a"/> has delivered from every partition, makes the coordinator slow to answer the next offset
    /// commit and starts a second member, b, whose joining revokes some of a's partitions; returns b once a is inside the
    /// revocation's commit.
    /// </summary>
    private async Task<ForwarderProcess> RevokeDuringSlowCommitAsync(MockKafkaCluster kafka, FakeElasticsearch elasticsearch, ForwarderProcess a)
    {
        await Eventually.TrueAsync(() => (elasticsearch.Documents.Count >= 200 && PartitionsDelivered(elasticsearch) == Partitions) || a.HasExited,
            "a delivering from every partition", TimeSpan.FromSeconds(40),
            () => $"{elasticsearch.Documents.Count} delivered from {PartitionsDelivered(elasticsearch)} partitions\n{ForwarderProcess.Tail(a.Stderr)}");

        for (var broker = 1; broker <= 3; broker++) kafka.DelayNextResponse(broker, OffsetCommitApiKey, CommitAnswerMs);
        var b = StartMember(kafka, elasticsearch, "b", "Input:Kafka:Properties:session.timeout.ms=6000");
        try
        {
            await Eventually.TrueAsync(() => a.Stderr.Contains("in join-state wait-unassign-call: manual", StringComparison.Ordinal) || a.HasExited,
                "a committing the partitions revoked for b", TimeSpan.FromSeconds(90), () => ForwarderProcess.Tail(a.Stderr));
            Assert.False(a.HasExited, ForwarderProcess.Tail(a.Stderr));
            return b;
        }
        catch
        {
            await b.DisposeAsync();
            throw;
        }
    }

    /// <summary>The run's events (1xxx) and the Kafka input's own lines, for the test output.</summary>
    private void WriteStopLines(ForwarderProcess a)
    {
        foreach (var line in a.Stderr.Split('\n').Where(l => l.Contains("\"EventId\":1", StringComparison.Ordinal) || (l.Contains("kafka_source: ", StringComparison.Ordinal) && !l.Contains("librdkafka", StringComparison.Ordinal))))
        {
            output.WriteLine($"  a: {line[..Math.Min(line.Length, 300)]}");
        }
    }

    /// <summary>
    /// At least once: the group reads on from its committed offsets, so every zERT record before them must be in
    /// Elasticsearch; a commit past what was delivered would lose the records in between.
    /// </summary>
    private void AssertCommittedWereDelivered(MockKafkaCluster kafka, FakeElasticsearch elasticsearch)
    {
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
