using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// "Publish: nothing lost": a sink that cannot keep up holds the reader back instead of growing a buffer, SIGTERM
/// drains what is buffered within Shutdown:DrainTimeout and exits, and the checkpoint never passes an event that was
/// not delivered (or dead-lettered).
/// </summary>
public sealed class ShutdownAndBackPressureTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Frames per parallel decode batch in the host's RecordProcessor (RecordProcessor.BatchSize).</summary>
    private const int ProcessorBatchSize = 256;

    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task A_sink_answering_503_stops_the_reader_at_the_buffer_and_SIGTERM_exits_without_checkpointing_undelivered_records()
    {
        const int bufferCapacity = 500;
        const int maxBatchItems = 100;
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequestFault = _ => 503;
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 77, zertCount: 10_000);
        var expected = Dumps.ZertRecords(dump);
        var state = _work.Combine("state");
        var port = Endpoints.FreePort();
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", $"Outputs:Elasticsearch:Url={elasticsearch.Url}",
            $"Pipeline:BufferCapacity={bufferCapacity}", $"Pipeline:MaxBatchItems={maxBatchItems}",
            "Pipeline:InitialBackoff=00:00:00.050", "Pipeline:MaxBackoff=00:00:00.200", "Shutdown:DrainTimeout=00:00:02",
        ];

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await using (var blocked = ForwarderProcess.Start(_work.Path, ["run", .. args, $"Metrics:Port={port}"]))
        {
            // The router waits for room in the full buffer on the reading flow itself (the record loop routes in
            // input order between reads), so while the gauge reads 1 nothing more is read; with every request answered
            // 503 nothing frees room, and the counts below are final.
            var page = "";
            await Eventually.TrueAsync(() =>
            {
                Assert.False(blocked.HasExited, blocked.Stderr);
                page = Endpoints.TryGetMetrics(http) ?? "";
                return Endpoints.Sample(page, "zertforwarder_buffer_waiting_writers{sink=\"elasticsearch\"}") == 1;
            }, "the reader waits for room in the sink's buffer", TimeSpan.FromSeconds(20), () => page + blocked.Stderr);
            // Read again: the page that showed the wait may have sampled the read count just before the last reads.
            page = Endpoints.TryGetMetrics(http)!;
            Assert.Equal(1, Endpoints.Sample(page, "zertforwarder_buffer_waiting_writers{sink=\"elasticsearch\"}"));
            var read = Endpoints.Sample(page, "zertforwarder_records_read_total");

            var buffered = Endpoints.Sample(page, "zertforwarder_buffer_items{sink=\"elasticsearch\"}");
            var published = Endpoints.Sample(page, "zertforwarder_events_published_total{sink=\"elasticsearch\"}") ?? 0;
            var routed = Endpoints.Sample(page, "zertforwarder_records_total{outcome=\"decoded\"}");
            // What may be read without being delivered: the sink runner's buffer (in-flight batch included), one more
            // batch's worth for the non-zERT frames among them, and the decode stage's batches (RecordProcessor: a
            // bounded queue of 4 x cores batches, plus the one being routed and the one the reader is handing over).
            var bound = bufferCapacity + maxBatchItems + ProcessorBatchSize * (4 * Environment.ProcessorCount + 2);
            output.WriteLine($"stopped reading at {read} of {expected.Count} records (bound {bound}); {routed} routed to the sink; buffer {buffered}; published {published}; " +
                             $"{elasticsearch.BulkRequests} bulk requests, all answered 503");
            Assert.InRange(read!.Value, bufferCapacity, bound);
            Assert.Equal(bufferCapacity, buffered);
            // The router takes a mapped batch at a time and hands the sink no more than its buffer holds: the decoded
            // records beyond the buffer are at most the rest of the batch waiting for room.
            Assert.InRange(routed!.Value, bufferCapacity, bufferCapacity + ProcessorBatchSize);
            Assert.Equal(0, published);

            blocked.Signal(ForwarderProcess.Sigterm);
            var exitCode = await blocked.WaitForExitAsync(TimeSpan.FromSeconds(15));
            output.WriteLine($"after SIGTERM: exit {exitCode}");
            Assert.Equal(1, exitCode); // the drain timed out: the buffered events were not delivered
            Assert.Contains("Draining the sinks timed out", blocked.Stderr, StringComparison.Ordinal);
            // Nothing was dead-lettered: no dead letters can be unconfirmed (event 1006 said so when the drain's
            // deadline had passed before the dead-letter output was flushed).
            Assert.DoesNotContain("dead-letter output did not confirm", blocked.Stderr, StringComparison.Ordinal);
        }

        var checkpoint = Checkpoints.Offset(state, dump);
        output.WriteLine($"checkpoint after SIGTERM: {checkpoint} (first zERT record ends at {expected[0].EndOffset})");
        Assert.True(checkpoint < expected[0].EndOffset, "nothing was delivered, so no zERT record may be checkpointed");
        Assert.Empty(elasticsearch.Documents);

        elasticsearch.RequestFault = _ => null;
        var restart = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(60));
        output.WriteLine($"restart against a healthy cluster: exit {restart.ExitCode}, {elasticsearch.Documents.Count} documents, {elasticsearch.Conflicts} conflicts");
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Equal(expected.Count, elasticsearch.Documents.Count);
        Assert.True(expected.Select(r => r.EventId).ToHashSet().SetEquals(elasticsearch.Documents.Keys.Select(k => k.Id)));
    }

    [Fact]
    public async Task SIGTERM_mid_run_drains_the_buffer_and_the_checkpoint_covers_exactly_what_was_delivered()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequestDelay = _ => TimeSpan.FromMilliseconds(200);
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 78, zertCount: 10_000);
        var expected = Dumps.ZertRecords(dump);
        var state = _work.Combine("state");
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={state}", $"Outputs:Elasticsearch:Url={elasticsearch.Url}",
            "Pipeline:BufferCapacity=1000", "Pipeline:MaxBatchItems=200",
        ];

        int documentsAtSigterm;
        await using (var running = ForwarderProcess.Start(_work.Path, ["run", .. args]))
        {
            await Eventually.TrueAsync(() => elasticsearch.Documents.Count >= 1000 || running.HasExited, "1000 documents in Elasticsearch",
                TimeSpan.FromSeconds(20), () => running.Stderr);
            Assert.False(running.HasExited, running.Stderr);
            documentsAtSigterm = elasticsearch.Documents.Count;
            running.Signal(ForwarderProcess.Sigterm);
            var exitCode = await running.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.True(exitCode == 0, $"exit {exitCode}\n{running.Stderr}");
            Assert.Contains("Shutdown requested", running.Stderr, StringComparison.Ordinal);
        }

        var checkpoint = Checkpoints.Offset(state, dump);
        var covered = expected.Where(r => r.EndOffset <= checkpoint).Select(r => r.EventId).ToList();
        var delivered = elasticsearch.Documents.Keys.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var deadLetters = Directory.Exists(Path.Combine(state, "dead-letters"))
            ? Directory.GetFiles(Path.Combine(state, "dead-letters")).Sum(f => File.ReadAllLines(f).Length)
            : 0;
        output.WriteLine($"SIGTERM at {documentsAtSigterm} documents; after the drain {delivered.Count} delivered + {deadLetters} dead-lettered; " +
                         $"checkpoint {checkpoint} covers {covered.Count} of {expected.Count} records");
        Assert.True(delivered.Count > documentsAtSigterm, "the buffered events were delivered after SIGTERM");
        Assert.True(covered.Count < expected.Count, "the run was stopped before the end of the file");
        // Nothing acknowledged that was not delivered, and nothing delivered that the checkpoint does not cover:
        // the delivered events are exactly the records before the checkpoint.
        Assert.Equal(covered.Count, delivered.Count + deadLetters);
        Assert.True(delivered.SetEquals(covered));

        elasticsearch.RequestDelay = _ => null;
        var restart = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(60));
        output.WriteLine($"restart: exit {restart.ExitCode}, {elasticsearch.Documents.Count} documents, {elasticsearch.Conflicts} conflicts");
        Assert.True(restart.ExitCode == 0, restart.ToString());
        Assert.Equal(expected.Count, elasticsearch.Documents.Count);
        Assert.Equal(0, elasticsearch.Conflicts); // the restart re-sent nothing that had been delivered
    }
}
