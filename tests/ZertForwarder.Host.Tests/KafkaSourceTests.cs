using Confluent.Kafka;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// Input:Kafka: raw SMF records (one logical record with its RDW per message, as an SMF-to-Kafka bridge publishes
/// them) are decoded and forwarded; offsets are committed only for delivered records, so a second run of the same
/// consumer group reads only what was published after the first.
/// </summary>
public sealed class KafkaSourceTests(ITestOutputHelper output) : IDisposable
{
    private const string Topic = "smf-raw";
    private const string Group = "zertforwarder-host-test";
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Raw_records_from_a_topic_are_all_forwarded_and_a_second_run_of_the_group_reads_only_what_is_new()
    {
        using var kafka = new MockKafkaCluster();
        var (records, expectedIds) = PublishGeneratedRecords(kafka, seed: 9, zertCount: 600);

        // session.timeout.ms: librdkafka's mock coordinator completes the second run's join only once the first run's
        // member session has expired (seen here with the default 45 s), so a short session keeps the test quick.
        string[] source = [$"Input:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Input:Kafka:Topic={Topic}", $"Input:Kafka:GroupId={Group}",
            "Input:Kafka:CommitIntervalMs=200", "Input:Kafka:Properties:session.timeout.ms=6000", $"Checkpoint:Directory={_work.Combine("state")}"];
        var firstOut = _work.Combine("first", "zert-ecs.ndjson");
        await using (var first = ForwarderProcess.Start(_work.Path, ["run", .. source, $"Outputs:File:Directory={_work.Combine("first")}"]))
        {
            await Eventually.TrueAsync(() => LineCount(firstOut) >= expectedIds.Count || first.HasExited, $"{expectedIds.Count} events in the file output",
                TimeSpan.FromSeconds(20), () => first.Stderr);
            first.Signal(ForwarderProcess.Sigterm);
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(15)) == 0, first.Stderr);
            foreach (var line in first.Stderr.Split('\n').Where(l => l.Contains("kafka_source", StringComparison.Ordinal))) output.WriteLine(line);
        }
        var ids = EcsLines.EventIds(File.ReadAllLines(firstOut));
        output.WriteLine($"{records.Count} raw records in the topic ({expectedIds.Count} zERT); first run wrote {ids.Count} events");
        Assert.Equal(expectedIds.Count, ids.Count);
        Assert.True(expectedIds.SetEquals(ids));

        // The group's committed offsets are the ends of the partitions: everything was acknowledged.
        using (var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = Group })
                   .SetLogHandler((_, _) => { }).Build())
        {
            var partitions = Enumerable.Range(0, 3).Select(p => new TopicPartition(Topic, p)).ToList();
            var committed = probe.Committed(partitions, TimeSpan.FromSeconds(10));
            foreach (var c in committed)
            {
                var high = probe.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(10)).High;
                output.WriteLine($"{c.TopicPartition}: committed {c.Offset}, end {high}");
                Assert.Equal(high.Value, c.Offset.Value);
            }
        }

        // The second run must read nothing it was given before. Once it is assigned, one new record is published to
        // each partition: a partition is read in order from the group's committed offset, so when the new record of
        // every partition is in the output, anything before it that had not been committed would be there too.
        var latecomers = SmfDumpGenerator.GenerateRecords(seed: 10, zertCount: 10)
            .Where(r => ZertRecordParser.Parse(r.Bytes).Status == ZertParseStatus.Decoded).Take(3).Select(r => r.Bytes).ToList();
        var latecomerIds = latecomers.Select(b => ZertEventId.Compute(b)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(3, latecomerIds.Count);
        Assert.False(latecomerIds.Overlaps(expectedIds));
        var secondDirectory = _work.Combine("second");
        var secondOut = Path.Combine(secondDirectory, "zert-ecs.ndjson");
        await using (var second = ForwarderProcess.Start(_work.Path, ["run", .. source, $"Outputs:File:Directory={secondDirectory}"]))
        {
            await Eventually.TrueAsync(() => second.Stderr.Contains("assigned", StringComparison.Ordinal) || second.HasExited,
                "the partition assignment", TimeSpan.FromSeconds(20), () => second.Stderr);
            using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
            {
                for (var p = 0; p < latecomers.Count; p++) producer.Produce(new TopicPartition(Topic, p), new Message<Null, byte[]> { Value = latecomers[p] });
                Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(10)));
            }
            await Eventually.TrueAsync(() => LineCount(secondOut) >= latecomers.Count || second.HasExited, "the new record of each partition in the output",
                TimeSpan.FromSeconds(20), () => second.Stderr);
            second.Signal(ForwarderProcess.Sigterm);
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(15)) == 0, second.Stderr);
        }
        var secondIds = EcsLines.EventIds(File.ReadAllLines(secondOut));
        output.WriteLine($"second run of the group wrote {secondIds.Count} events");
        Assert.Equal(latecomers.Count, secondIds.Count);
        Assert.True(latecomerIds.SetEquals(secondIds));
    }

    /// <summary>
    /// SIGTERM while events read from Kafka are still buffered for a slow sink: the drain delivers them and the group's
    /// commit covers them, so the restart (a rolling update) sends none of them again. The consumer was closed when
    /// reading stopped, before the drain: its final commit missed everything the drain delivered.
    /// </summary>
    [Fact]
    public async Task SIGTERM_commits_what_the_drain_delivered_so_a_restart_sends_nothing_twice()
    {
        using var kafka = new MockKafkaCluster();
        var (_, expectedIds) = PublishGeneratedRecords(kafka, seed: 31, zertCount: 6000);
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequestDelay = _ => TimeSpan.FromMilliseconds(200);
        string[] args =
        [
            "run", $"Input:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Input:Kafka:Topic={Topic}", $"Input:Kafka:GroupId={Group}",
            "Input:Kafka:CommitIntervalMs=200", "Input:Kafka:Properties:session.timeout.ms=6000", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Elasticsearch:Url={elasticsearch.Url}", "Pipeline:BufferCapacity=1000", "Pipeline:MaxBatchItems=200",
        ];

        await using (var first = ForwarderProcess.Start(_work.Path, args))
        {
            await Eventually.TrueAsync(() => elasticsearch.Documents.Count >= 600 || first.HasExited, "600 documents in Elasticsearch",
                TimeSpan.FromSeconds(30), () => first.Stderr);
            var atSigterm = elasticsearch.Documents.Count;
            first.Signal(ForwarderProcess.Sigterm);
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, first.Stderr);
            output.WriteLine($"SIGTERM at {atSigterm} documents; {elasticsearch.Documents.Count} after the drain, of {expectedIds.Count}");
            Assert.True(elasticsearch.Documents.Count > atSigterm, "the drain delivered buffered events");
            Assert.True(elasticsearch.Documents.Count < expectedIds.Count, "the run was stopped before the end of the topic");
        }

        elasticsearch.RequestDelay = _ => null;
        await using (var second = ForwarderProcess.Start(_work.Path, args))
        {
            await Eventually.TrueAsync(() => elasticsearch.Documents.Count >= expectedIds.Count || second.HasExited, "every record in Elasticsearch",
                TimeSpan.FromSeconds(60), () => second.Stderr);
            second.Signal(ForwarderProcess.Sigterm);
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, second.Stderr);
        }
        output.WriteLine($"restart: {elasticsearch.Documents.Count} documents, {elasticsearch.Conflicts} sent again (409)");
        Assert.True(expectedIds.SetEquals(elasticsearch.Documents.Keys.Select(k => k.Id)));
        Assert.Equal(0, elasticsearch.Conflicts);
    }

    /// <summary>Creates the raw topic (3 partitions) and publishes a generated dump's records to it (<see cref="RawRecordTopic"/>).</summary>
    private static (IReadOnlyList<GeneratedRecord> Records, HashSet<string> ZertIds) PublishGeneratedRecords(MockKafkaCluster kafka, ulong seed, int zertCount)
    {
        kafka.CreateTopic(Topic, partitions: 3);
        return RawRecordTopic.Publish(kafka, Topic, partitions: 3, seed, zertCount);
    }

    private static int LineCount(string path)
    {
        if (!File.Exists(path)) return 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is not null) count++;
        return count;
    }
}
