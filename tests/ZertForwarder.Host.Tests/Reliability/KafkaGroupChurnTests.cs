using System.Diagnostics;
using Confluent.Kafka;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// Input:Kafka scaled out as a consumer group of separate processes under churn: one member killed (SIGKILL) once both
/// members have partitions and have delivered, another joining, the rest stopped with SIGTERM one after the other; the
/// last stop comes while the group rebalances after the previous member left. Every record reaches the
/// output at least once, every stop ends within its bound, and once the last member has stopped the group's committed
/// offsets are the ends of the partitions, so a restart of the group sends nothing again.
/// </summary>
public sealed class KafkaGroupChurnTests(ITestOutputHelper output) : IDisposable
{
    private const string Topic = "smf-raw";
    private const string Group = "churn";
    private const int Partitions = 4;
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task A_member_killed_and_one_joining_lose_no_record_and_the_last_stop_commits_the_ends_of_the_partitions()
    {
        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic(Topic, Partitions);
        var expected = RawRecordTopic.Publish(kafka, Topic, Partitions, seed: 41, zertCount: 3000).ZertIds;
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        // Slower than the file output, so batches are in flight at each step; fast enough for the test.
        elasticsearch.RequestDelay = _ => TimeSpan.FromMilliseconds(50);
        var ports = new Dictionary<string, int>();
        ForwarderProcess Start(string name)
        {
            ports[name] = Endpoints.FreePort();
            return ForwarderProcess.Start(_work.Path,
            [
                "run", $"Input:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Input:Kafka:Topic={Topic}", $"Input:Kafka:GroupId={Group}",
                "Input:Kafka:CommitIntervalMs=200", "Input:Kafka:Properties:session.timeout.ms=6000",
                $"Checkpoint:Directory={_work.Combine(name)}", $"Outputs:Elasticsearch:Url={elasticsearch.Url}", "Pipeline:MaxBatchItems=200",
                "Shutdown:DrainTimeout=00:00:10", $"Metrics:Port={ports[name]}",
            ]);
        }

        await using var a = Start("a");
        await using var b = Start("b");
        await Eventually.TrueAsync(() => (a.Stderr.Contains("assigned smf-raw", StringComparison.Ordinal) && b.Stderr.Contains("assigned smf-raw", StringComparison.Ordinal)
                && elasticsearch.Documents.Count >= 500) || a.HasExited || b.HasExited,
            "both members assigned and 500 documents delivered", TimeSpan.FromSeconds(40), () => a.Stderr + b.Stderr);
        output.WriteLine($"SIGKILL a at {elasticsearch.Documents.Count} documents");
        a.Kill();
        await using var c = Start("c");
        expected.UnionWith(RawRecordTopic.Publish(kafka, Topic, Partitions, seed: 42, zertCount: 1000).ZertIds);
        await Eventually.TrueAsync(() => elasticsearch.Documents.Count >= expected.Count || b.HasExited || c.HasExited,
            $"all {expected.Count} events delivered", TimeSpan.FromSeconds(60), () => $"{elasticsearch.Documents.Count} documents\n{b.Stderr}\n{c.Stderr}");

        // b leaves; c takes its partitions and reads what b left uncommitted, if anything, before it stops: a partition is
        // done when c's lag gauge says 0 for it, or (nothing to read there, so no series) the group's commit is its end.
        await StopAsync(b, "b");
        using var probe = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = Group })
            .SetLogHandler((_, _) => { }).Build();
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topic, p)).ToList();
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => probe.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports["c"]}") };
        var page = "";
        await Eventually.TrueAsync(() =>
        {
            page = Endpoints.TryGetMetrics(http) ?? "";
            var committed = probe.Committed(partitions, TimeSpan.FromSeconds(10)).ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
            return partitions.All(p => Endpoints.Sample(page, Lag(p.Partition.Value)) is { } lag ? lag == 0 : committed[p.Partition.Value] == ends[p.Partition.Value]);
        }, "c done with every partition", TimeSpan.FromSeconds(40), () => page + c.Stderr);
        await StopAsync(c, "c");

        var ids = elasticsearch.Documents.Keys.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        output.WriteLine($"{expected.Count} records, {ids.Count} delivered, {elasticsearch.Conflicts} sent again (409)");
        Assert.Empty(expected.Except(ids));
        Assert.Equal(expected.Count, ids.Count);

        foreach (var committed in probe.Committed(partitions, TimeSpan.FromSeconds(10)))
        {
            var end = probe.QueryWatermarkOffsets(committed.TopicPartition, TimeSpan.FromSeconds(10)).High;
            output.WriteLine($"{committed.TopicPartition}: committed {committed.Offset}, end {end}");
            Assert.Equal(end.Value, committed.Offset.Value);
        }
    }

    private static string Lag(int partition) => $"{KafkaRecordSource.LagMetric}{{topic=\"{Topic}\",partition=\"{partition}\"}}";

    /// <summary>SIGTERM; the member must exit 0 within the drain time-out plus the documented closing time.</summary>
    private async Task StopAsync(ForwarderProcess member, string name)
    {
        var stopwatch = Stopwatch.StartNew();
        member.Signal(ForwarderProcess.Sigterm);
        var exit = await member.WaitForExitAsync(TimeSpan.FromSeconds(10 + 5 + 10 + 10));
        output.WriteLine($"SIGTERM {name}: exit {exit} after {stopwatch.Elapsed.TotalSeconds:F1} s");
        foreach (var line in member.Stderr.Split('\n').Where(l => l.Contains("kafka_source: ", StringComparison.Ordinal) && !l.Contains("COMMITFAIL", StringComparison.Ordinal)))
        {
            output.WriteLine($"  {name}: {line[line.IndexOf("kafka_source: ", StringComparison.Ordinal)..line.IndexOf("\",\"State\"", StringComparison.Ordinal)]}");
        }
        Assert.True(exit == 0, member.Stderr);
    }
}
