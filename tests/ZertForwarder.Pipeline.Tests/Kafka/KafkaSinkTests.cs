using System.Globalization;
using System.Text;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Kafka;

/// <summary>The Kafka sink against librdkafka's mock cluster (3 brokers on 127.0.0.1), read back by independent clients.</summary>
public sealed class KafkaSinkTests(ITestOutputHelper output) : IDisposable
{
    private readonly MockKafkaCluster _cluster = new(3);

    public void Dispose() => _cluster.Dispose();

    private KafkaSinkOptions Options(string topic, Action<KafkaSinkOptions>? configure = null)
    {
        var options = new KafkaSinkOptions { BootstrapServers = _cluster.BootstrapServers, Topic = topic, LingerMs = 5 };
        configure?.Invoke(options);
        return options;
    }

    private static async Task<BatchOutcome> SendAsync(KafkaSink sink, IReadOnlyList<ForwardedEvent> batch)
    {
        var outcome = new BatchOutcome(batch.Count);
        await sink.SendAsync(batch, outcome, CancellationToken.None);
        return outcome;
    }

    private static void AssertAllDelivered(BatchOutcome outcome)
    {
        for (var i = 0; i < outcome.Count; i++)
        {
            Assert.True(outcome[i] == ItemOutcome.Delivered, $"item {i}: {outcome[i]} {outcome.Reason(i)}");
        }
    }

    /// <summary>Every sequence 0..count-1 exactly once, and per key in increasing order (output contract §6).</summary>
    private static void AssertExactlyOnceInKeyOrder(IReadOnlyList<ReadBackRecord> records, int count)
    {
        var sequences = records.Select(r => r.Sequence).ToList();
        Assert.Equal(Enumerable.Range(0, count), sequences.Order());
        foreach (var perKey in records.GroupBy(r => r.Key))
        {
            Assert.Single(perKey.Select(r => r.Partition).Distinct());
            var inLogOrder = perKey.OrderBy(r => r.Offset).Select(r => r.Sequence).ToList();
            Assert.Equal(inLogOrder.Order(), inLogOrder);
        }
    }

    [Fact]
    public async Task Delivers_every_event_once_in_key_order_with_key_and_headers()
    {
        _cluster.CreateTopic("zert-ecs", 4);
        await using var sink = new KafkaSink(Options("zert-ecs"));
        await sink.StartAsync(CancellationToken.None);
        for (var start = 0; start < 400; start += 100)
        {
            AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(start, 100)));
        }

        await sink.FlushAsync(CancellationToken.None);

        var records = KafkaReadBack.ReadAll(_cluster.BootstrapServers, "zert-ecs", 400);
        output.WriteLine($"read back {records.Count} records, {records.Select(r => r.Sequence).Distinct().Count()} distinct");
        AssertExactlyOnceInKeyOrder(records, 400);
        foreach (var record in records)
        {
            var expected = SampleEvents.Create(record.Sequence);
            Assert.Equal(expected.Key, record.Key);
            Assert.Equal(Encoding.UTF8.GetString(expected.Ecs.Span), record.Value);
            Assert.Equal(expected.EventId, record.Headers["event_id"]);
            Assert.Equal(expected.Dataset, record.Headers["event_dataset"]);
            Assert.Equal(expected.SmfSystemId, record.Headers["smf_system_id"]);
            Assert.Equal("application/json", record.Headers["content_type"]);
        }
    }

    [Fact]
    public async Task Key_and_event_id_bytes_built_by_the_host_give_the_same_messages_in_batches_of_any_size()
    {
        _cluster.CreateTopic("zert-prebuilt", 4);
        await using var sink = new KafkaSink(Options("zert-prebuilt"));
        await sink.StartAsync(CancellationToken.None);
        // Half the events carry the UTF-8 key and event id built on the host's mapping workers, half leave them to the
        // sink. Batch sizes go up, down and up again, and the last batches run concurrently, because the sink reuses
        // its delivery-report collectors from batch to batch.
        var start = 0;
        foreach (var size in new[] { 150, 20, 1, 229 })
        {
            AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(start, size).Select(WithPrebuiltBytesIfEven).ToList()));
            start += size;
        }
        var concurrent = Enumerable.Range(0, 4).Select(i => SendAsync(sink, SampleEvents.Range(start + i * 50, 50).Select(WithPrebuiltBytesIfEven).ToList()));
        foreach (var outcome in await Task.WhenAll(concurrent)) AssertAllDelivered(outcome);
        await sink.FlushAsync(CancellationToken.None);

        var records = KafkaReadBack.ReadAll(_cluster.BootstrapServers, "zert-prebuilt", 600);
        Assert.Equal(Enumerable.Range(0, 600), records.Select(r => r.Sequence).Order());
        foreach (var record in records)
        {
            var expected = SampleEvents.Create(record.Sequence);
            Assert.Equal(expected.Key, record.Key);
            Assert.Equal(Encoding.UTF8.GetString(expected.Ecs.Span), record.Value);
            Assert.Equal(expected.EventId, record.Headers["event_id"]);
            Assert.Equal(expected.Dataset, record.Headers["event_dataset"]);
            Assert.Equal(expected.SmfSystemId, record.Headers["smf_system_id"]);
            Assert.Equal("application/json", record.Headers["content_type"]);
        }
    }

    private static ForwardedEvent WithPrebuiltBytesIfEven(ForwardedEvent e, int index) => index % 2 == 1
        ? e
        : new ForwardedEvent
        {
            EventId = e.EventId,
            Dataset = e.Dataset,
            Key = e.Key,
            SmfSystemId = e.SmfSystemId,
            Ecs = e.Ecs,
            Leef = e.Leef,
            Flat = e.Flat,
            Position = e.Position,
            KeyUtf8 = e.Key is null ? null : Encoding.UTF8.GetBytes(e.Key),
            EventIdUtf8 = Encoding.UTF8.GetBytes(e.EventId),
        };

    [SkippableFact]
    public async Task Kcat_reads_back_the_same_events_keys_and_headers()
    {
        var kcat = ExternalTool.Require("kcat");
        _cluster.CreateTopic("zert-kcat", 4);
        await using (var sink = new KafkaSink(Options("zert-kcat")))
        {
            AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(0, 200)));
        }

        // %p partition, %o offset, %k key, %h headers (k=v,k=v), %s value; TAB never occurs in keys or ECS JSON here.
        var (exitCode, stdout, stderr) = ExternalTool.Run(kcat,
            ["-b", _cluster.BootstrapServers, "-C", "-t", "zert-kcat", "-o", "beginning", "-e", "-q", "-f", "%p\t%o\t%k\t%h\t%s\n"],
            TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"kcat exited {exitCode}: {stderr}");
        var records = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var fields = line.Split('\t');
            var headers = fields[3].Split(',').Select(h => h.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            return new ReadBackRecord(int.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture), fields[2], fields[4], headers);
        }).ToList();
        output.WriteLine($"kcat read {records.Count} records");
        AssertExactlyOnceInKeyOrder(records, 200);
        Assert.All(records, r =>
        {
            Assert.Equal(SampleEvents.KeyOf(r.Sequence), r.Key);
            Assert.Equal(SampleEvents.EventIdOf(r.Sequence), r.Headers["event_id"]);
        });
    }

    [Fact]
    public async Task Leef_topic_gets_the_leef_line_of_every_event_next_to_ecs()
    {
        _cluster.CreateTopic("both-ecs", 2);
        _cluster.CreateTopic("both-leef", 2);
        await using var sink = new KafkaSink(Options("both-ecs", o => { o.LeefTopic = "both-leef"; o.Compression = "zstd"; }));
        AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(0, 50)));

        var ecs = KafkaReadBack.ReadAll(_cluster.BootstrapServers, "both-ecs", 50);
        var leef = KafkaReadBack.ReadAll(_cluster.BootstrapServers, "both-leef", 50);
        AssertExactlyOnceInKeyOrder(ecs, 50);
        Assert.Equal(50, leef.Count);
        var expectedLines = SampleEvents.Range(0, 50).Select(e => Encoding.UTF8.GetString(e.Leef.Span)).Order(StringComparer.Ordinal);
        Assert.Equal(expectedLines, leef.Select(r => r.Value).Order(StringComparer.Ordinal));
        Assert.All(leef, r => Assert.Equal("text/plain; charset=utf-8", r.Headers["content_type"]));
    }

    [Fact]
    public async Task Full_local_queue_applies_back_pressure_instead_of_failing_items()
    {
        _cluster.CreateTopic("small-queue", 2);
        // librdkafka holds at most 20 undelivered messages: producing 300 must wait for delivery reports (Local_QueueFull).
        await using var sink = new KafkaSink(Options("small-queue", o => o.Properties["queue.buffering.max.messages"] = "20"));

        AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(0, 300)));

        AssertExactlyOnceInKeyOrder(KafkaReadBack.ReadAll(_cluster.BootstrapServers, "small-queue", 300), 300);
    }

    [Fact]
    public async Task Leef_format_writes_the_leef_line_as_value_and_rejects_events_without_it()
    {
        _cluster.CreateTopic("zert-leef", 1);
        await using var sink = new KafkaSink(Options("zert-leef", o => o.Format = KafkaValueFormat.Leef));
        var withoutLeef = new ForwardedEvent { EventId = SampleEvents.EventIdOf(99), Dataset = "zos.zert_connection", Ecs = "{}"u8.ToArray() };
        var batch = new List<ForwardedEvent> { SampleEvents.Create(0), withoutLeef, SampleEvents.Create(1) };

        var outcome = await SendAsync(sink, batch);

        Assert.Equal([ItemOutcome.Delivered, ItemOutcome.Rejected, ItemOutcome.Delivered], Enumerable.Range(0, 3).Select(i => outcome[i]));
        Assert.Contains("no LEEF encoding", outcome.Reason(1), StringComparison.Ordinal);
        var records = KafkaReadBack.ReadAll(_cluster.BootstrapServers, "zert-leef", 2).OrderBy(r => r.Offset).ToList();
        Assert.Equal([Encoding.UTF8.GetString(batch[0].Leef.Span), Encoding.UTF8.GetString(batch[2].Leef.Span)], records.Select(r => r.Value));
        Assert.All(records, r => Assert.Equal("text/plain; charset=utf-8", r.Headers["content_type"]));
    }

    [Fact]
    public async Task Message_too_large_is_rejected_with_the_reason_and_the_rest_delivered()
    {
        _cluster.CreateTopic("too-large", 1);
        await using var sink = new KafkaSink(Options("too-large", o =>
        {
            o.BatchSize = 4_000;
            o.Properties["message.max.bytes"] = "4000";
        }));
        var batch = new List<ForwardedEvent> { SampleEvents.Create(0), SampleEvents.Create(1, ecsPadding: 10_000), SampleEvents.Create(2) };

        var outcome = await SendAsync(sink, batch);

        Assert.Equal(ItemOutcome.Delivered, outcome[0]);
        Assert.Equal(ItemOutcome.Rejected, outcome[1]);
        Assert.Contains("MsgSizeTooLarge", outcome.Reason(1), StringComparison.Ordinal);
        Assert.Equal(ItemOutcome.Delivered, outcome[2]);
        Assert.Equal([0, 2], KafkaReadBack.ReadAll(_cluster.BootstrapServers, "too-large", 2).Select(r => r.Sequence).Order());
    }

    [Fact]
    public async Task Unreachable_cluster_marks_items_retry_after_the_message_timeout()
    {
        var nobody = $"127.0.0.1:{ExternalTool.FreePort()}";
        await using var sink = new KafkaSink(new KafkaSinkOptions { BootstrapServers = nobody, Topic = "t", MessageTimeoutMs = 1_500 });

        var outcome = await SendAsync(sink, SampleEvents.Range(0, 10));

        for (var i = 0; i < outcome.Count; i++)
        {
            Assert.Equal(ItemOutcome.Retry, outcome[i]);
            Assert.Contains("MsgTimedOut", outcome.Reason(i), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Dead_letter_output_writes_the_event_with_reason_sink_and_event_id_headers()
    {
        _cluster.CreateTopic("zert-dlq", 1);
        await using (var deadLetters = new KafkaDeadLetterOutput(Options("unused"), "zert-dlq"))
        {
            await deadLetters.WriteAsync(SampleEvents.Create(7), "elasticsearch", "mapper_parsing_exception: failed to parse [source.port]", CancellationToken.None);
            await deadLetters.WriteAsync(SampleEvents.Create(8), "kafka", "MsgSizeTooLarge: Broker: Message size too large", CancellationToken.None);
            await deadLetters.FlushAsync(CancellationToken.None);
        }

        var records = KafkaReadBack.ReadAll(_cluster.BootstrapServers, "zert-dlq", 2).OrderBy(r => r.Offset).ToList();
        Assert.Equal([7, 8], records.Select(r => r.Sequence));
        Assert.Equal("elasticsearch", records[0].Headers["sink"]);
        Assert.Equal("mapper_parsing_exception: failed to parse [source.port]", records[0].Headers["reason"]);
        Assert.Equal(SampleEvents.EventIdOf(7), records[0].Headers["event_id"]);
        Assert.Equal("kafka", records[1].Headers["sink"]);
        Assert.Equal(SampleEvents.KeyOf(8), records[1].Key);
    }

    [Fact]
    public void Configuration_errors_fail_at_construction_or_start()
    {
        Assert.Throws<ArgumentException>(() => new KafkaSink(new KafkaSinkOptions { BootstrapServers = "x:1", Format = (KafkaValueFormat)7 }));
        Assert.Throws<ArgumentException>(() => new KafkaSink(new KafkaSinkOptions { BootstrapServers = "x:1", Format = KafkaValueFormat.Leef, LeefTopic = "l" }));
        Assert.Throws<ArgumentException>(() => new KafkaSink(new KafkaSinkOptions { BootstrapServers = "x:1", Topic = "" }));
        var badCompression = new KafkaSink(new KafkaSinkOptions { BootstrapServers = "x:1", Compression = "brotli" });
        Assert.ThrowsAny<Exception>(() => badCompression.StartAsync(CancellationToken.None).GetAwaiter().GetResult());
    }
}
