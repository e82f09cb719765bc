using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.Sinks.Splunk;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Splunk;

public sealed class SplunkHecSinkTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zert-hec-").FullName;
    private FakeSplunkHec _hec = null!;

    public async Task InitializeAsync() => _hec = await FakeSplunkHec.StartAsync();

    public async Task DisposeAsync()
    {
        await _hec.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private SplunkHecSinkOptions Options(Action<SplunkHecSinkOptions>? change = null)
    {
        var options = new SplunkHecSinkOptions
        {
            Url = _hec.Url.ToString(),
            Token = _hec.Token,
            Index = "zos_security",
            RequestTimeout = TimeSpan.FromSeconds(10),
            AckPollInterval = TimeSpan.FromMilliseconds(20),
        };
        change?.Invoke(options);
        return options;
    }

    private static SinkRunnerOptions FastRetries => new()
    {
        BufferCapacity = 1000,
        MaxBatchItems = 100,
        MaxBatchAge = TimeSpan.FromMilliseconds(10),
        InitialBackoff = TimeSpan.FromMilliseconds(10),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        RetryTimeLimit = TimeSpan.FromMinutes(2),
    };

    /// <summary>An event whose ECS document has what the envelope takes from it: @timestamp, host.name, the assessment level.</summary>
    private static ForwardedEvent ZertEvent(int number, IEventAcknowledgement? position = null, int padding = 0)
    {
        var id = TestEvents.IdOf(number);
        var dataset = number % 5 == 4 ? "zos.zert_summary" : "zos.zert_connection";
        var level = (number % 3) switch { 0 => "strong", 1 => "weak", _ => "cleartext" };
        var timestamp = Timestamp(number).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var ecs = $$$"""{"@timestamp":"{{{timestamp}}}","event":{"id":"{{{id}}}","dataset":"{{{dataset}}}"},"host":{"name":"MVS{{{number % 2}}}"},"labels":{"n":"{{{number:D6}}}"},"zos":{"zert":{"tls":{"level":"not this one"},"assessment":{"level":"{{{level}}}","reasons":["protocol:tls1.0"]""" + "}}}" + (padding > 0 ? $",\"pad\":\"{new string('x', padding)}\"" : "") + "}";
        return new ForwardedEvent
        {
            EventId = id,
            Dataset = dataset,
            SmfSystemId = $"SYS{number % 2}",
            Ecs = Encoding.UTF8.GetBytes(ecs),
            Position = position,
        };
    }

    private static DateTimeOffset Timestamp(int number) => new DateTimeOffset(2025, 12, 3, 1, 48, 33, 570, TimeSpan.Zero).AddMilliseconds(number * 1001L);

    private static async Task<BatchOutcome> SendAsync(SplunkHecSink sink, IReadOnlyList<ForwardedEvent> batch)
    {
        var outcome = new BatchOutcome(batch.Count);
        await sink.SendAsync(batch, outcome, CancellationToken.None);
        return outcome;
    }

    [Fact]
    public async Task Each_event_is_one_envelope_with_time_host_sourcetype_index_fields_and_the_ECS_document_as_it_was()
    {
        await using var sink = new SplunkHecSink(Options());
        await sink.StartAsync(CancellationToken.None);
        var events = Enumerable.Range(0, 10).Select(n => ZertEvent(n)).ToList();

        var outcome = await SendAsync(sink, events);

        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        Assert.Equal(1, _hec.HealthChecks);
        Assert.Equal(1, _hec.EventRequests); // batched by concatenation
        Assert.Equal(1, _hec.GzipRequests);
        var indexed = _hec.Indexed.ToList();
        Assert.Equal(10, indexed.Count);
        for (var n = 0; n < 10; n++)
        {
            var hit = indexed[n];
            var envelope = hit.Envelope;
            Assert.Equal($"Splunk {_hec.Token}", hit.Authorization);
            Assert.True(Guid.TryParse(hit.Channel, out _));
            Assert.Equal(sink.Channel, hit.Channel);
            // time: epoch seconds with the milliseconds of @timestamp.
            var expectedTime = Timestamp(n).ToUnixTimeMilliseconds() / 1000m;
            Assert.Equal(expectedTime, envelope["time"]!.GetValue<decimal>());
            Assert.Equal($"MVS{n % 2}", envelope["host"]!.GetValue<string>());
            Assert.Equal("zertforwarder", envelope["source"]!.GetValue<string>());
            Assert.Equal(n % 5 == 4 ? "zos:zert:summary" : "zos:zert:connection", envelope["sourcetype"]!.GetValue<string>());
            Assert.Equal("zos_security", envelope["index"]!.GetValue<string>());
            var fields = envelope["fields"]!.AsObject();
            Assert.Equal($"SYS{n % 2}", fields["zert_system"]!.GetValue<string>());
            Assert.Equal(events[n].Dataset, fields["zert_dataset"]!.GetValue<string>());
            Assert.Equal((n % 3) switch { 0 => "strong", 1 => "weak", _ => "cleartext" }, fields["zert_assessment_level"]!.GetValue<string>());
            Assert.Equal(Encoding.UTF8.GetString(events[n].Ecs.Span), envelope["event"]!.ToJsonString());
        }
    }

    /// <summary>HEC's <c>time</c> is seconds since the epoch with milliseconds; before 1970 the sign covers the whole value.</summary>
    [Theory]
    [InlineData(1764726513570L, "1764726513.570")]
    [InlineData(0L, "0.000")]
    [InlineData(-500L, "-0.500")]
    [InlineData(-1500L, "-1.500")]
    [InlineData(-1000L, "-1.000")]
    [InlineData(long.MinValue, "-9223372036854775.808")]
    public void Epoch_seconds_keep_their_sign_before_1970(long milliseconds, string expected)
    {
        Span<byte> text = stackalloc byte[32];
        Assert.Equal(expected, Encoding.ASCII.GetString(text[..HecEnvelopeWriter.FormatEpochSeconds(milliseconds, text)]));
    }

    [Fact]
    public async Task A_batch_larger_than_MaxRequestBytes_goes_as_several_requests_each_within_the_limit()
    {
        const int limit = 4096;
        await using var sink = new SplunkHecSink(Options(o => { o.MaxRequestBytes = limit; o.Gzip = false; }));
        var events = Enumerable.Range(0, 200).Select(n => ZertEvent(n)).ToList();

        var outcome = await SendAsync(sink, events);

        Assert.All(Enumerable.Range(0, 200), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        output.WriteLine($"{_hec.EventRequests} requests, sizes {string.Join(", ", _hec.RequestSizes.Take(5))}...");
        Assert.True(_hec.EventRequests >= 200 * 380 / limit, $"only {_hec.EventRequests} requests");
        Assert.All(_hec.RequestSizes, size => Assert.InRange(size, 1, limit));
        Assert.Equal(0, _hec.GzipRequests);
        Assert.Equal(events.Select(e => e.EventId), _hec.Indexed.Select(e => e.EventId));
    }

    /// <summary>
    /// A collector (or a proxy in front of it) whose request limit is below MaxRequestBytes answers 413 for the whole
    /// request: the sink sends the halves instead, so every event is indexed once and only an event too large on its own
    /// is dead-lettered. All of them were dead-lettered.
    /// </summary>
    [Fact]
    public async Task A_413_splits_the_request_and_only_an_event_too_large_alone_is_rejected()
    {
        _hec.MaxContentLength = 3000;
        await using var sink = new SplunkHecSink(Options(o => o.Gzip = false));
        var events = Enumerable.Range(0, 60).Select(n => ZertEvent(n)).ToList();
        events[17] = ZertEvent(17, padding: 4000);

        var outcome = await SendAsync(sink, events);

        output.WriteLine($"{_hec.EventRequests} requests, {_hec.Faults} answered 413");
        Assert.Equal(ItemOutcome.Rejected, outcome[17]);
        Assert.Contains("HTTP 413", outcome.Reason(17), StringComparison.Ordinal);
        Assert.All(Enumerable.Range(0, 60).Where(i => i != 17), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        Assert.Equal(events.Where((_, i) => i != 17).Select(e => e.EventId).Order(StringComparer.Ordinal),
            _hec.Indexed.Select(e => e.EventId).Order(StringComparer.Ordinal));
        Assert.All(_hec.Received.Values, count => Assert.Equal(1, count)); // nothing indexed twice
    }

    /// <summary>
    /// A proxy or gateway in front of HEC answers in its own JSON, where <c>code</c> may be a word: the answer is still
    /// read by its HTTP status (here 413: the halves are sent), and a refusal's reason shows the proxy's own message.
    /// Reading such a <c>code</c> as HEC's number threw, and the whole batch failed instead of being split.
    /// </summary>
    [Fact]
    public async Task A_proxys_answer_whose_code_is_not_a_number_is_acted_on_by_its_status()
    {
        _hec.RequestFault = request => request == 1 ? 413 : null;
        _hec.ProxyFaultBody = """{"code":"RequestEntityTooLarge","message":"Request body too large"}""";
        await using var sink = new SplunkHecSink(Options());
        var events = Enumerable.Range(0, 10).Select(n => ZertEvent(n)).ToList();

        var outcome = await SendAsync(sink, events);

        Assert.All(Enumerable.Range(0, 10), i => Assert.True(outcome[i] == ItemOutcome.Delivered, $"item {i}: {outcome[i]} {outcome.Reason(i)}"));
        Assert.Equal(3, _hec.EventRequests); // the refused request, then its two halves
        Assert.All(events, e => Assert.Equal(1, _hec.IndexedCount(e.EventId)));

        _hec.RequestFault = _ => 400;
        var refused = await SendAsync(sink, [ZertEvent(10)]);
        Assert.Equal(ItemOutcome.Rejected, refused[0]);
        Assert.Contains("Request body too large", refused.Reason(0), StringComparison.Ordinal);

        // A numeric code without HEC's "text" is the proxy's too: 7 is HEC's "incorrect index", which stops the run as a
        // configuration error, but this 400 is the proxy's refusal of one request, dead-lettered with its message.
        _hec.ProxyFaultBody = """{"code":7,"message":"Blocked by gateway policy"}""";
        refused = await SendAsync(sink, [ZertEvent(11)]);
        Assert.Equal(ItemOutcome.Rejected, refused[0]);
        Assert.Contains("Blocked by gateway policy", refused.Reason(0), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_busy_503_and_500_are_retried_with_back_off_until_every_event_is_indexed_once()
    {
        _hec.RequestFault = request => request switch { 1 or 2 => 503, 4 => 500, _ => null };
        var deadLetters = new MemoryDeadLetters();
        var tracker = new AckTracker();
        var metrics = new PipelineMetrics();
        await using (var runner = new SinkRunner(new SplunkHecSink(Options()), FastRetries, deadLetters, metrics, TimeProvider.System, new Random(3)))
        {
            await runner.StartAsync(CancellationToken.None);
            for (var n = 0; n < 1000; n++)
            {
                await runner.WriteAsync(ZertEvent(n, tracker.Track(n + 1, 1)), CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(CancellationToken.None));
        }

        Assert.Equal(3, _hec.Faults);
        Assert.Empty(deadLetters.Records);
        Assert.Equal(1000, tracker.CommittedPosition);
        Assert.Equal(1000, _hec.Indexed.Count);
        Assert.All(Enumerable.Range(0, 1000), n => Assert.Equal(1, _hec.IndexedCount(TestEvents.IdOf(n))));
        Assert.True(metrics.Counter(PipelineMetricNames.SinkRetries, "", "sink").WithLabels("splunk").Value > 0);
    }

    /// <summary>
    /// A whole request answered 408 (a proxy's request time-out), 425 (too early) or 404 (a route gone while a proxy
    /// restarts) says nothing about its events: they are sent again, as the Elasticsearch output does, instead of the
    /// whole batch being dead-lettered.
    /// </summary>
    [Theory]
    [InlineData(408)]
    [InlineData(425)]
    [InlineData(404)]
    public async Task A_request_refused_by_a_proxy_for_the_moment_is_retried_not_dead_lettered(int status)
    {
        _hec.RequestFault = request => request == 1 ? status : null;
        var deadLetters = new MemoryDeadLetters();
        var tracker = new AckTracker();
        await using (var runner = new SinkRunner(new SplunkHecSink(Options()), FastRetries, deadLetters, new PipelineMetrics(), TimeProvider.System, new Random(3)))
        {
            await runner.StartAsync(CancellationToken.None);
            for (var n = 0; n < 200; n++)
            {
                await runner.WriteAsync(ZertEvent(n, tracker.Track(n + 1, 1)), CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(CancellationToken.None));
        }

        Assert.Equal(1, _hec.Faults);
        Assert.Empty(deadLetters.Records);
        Assert.Equal(200, tracker.CommittedPosition);
        Assert.All(Enumerable.Range(0, 200), n => Assert.Equal(1, _hec.IndexedCount(TestEvents.IdOf(n))));
    }

    [Fact]
    public async Task A_503_with_an_invalid_event_number_counts_no_event_as_delivered_and_the_whole_request_is_retried()
    {
        // Splunk defines invalid-event-number only as the position of the first invalid event; on "Server is busy" there
        // is none, so nothing before it may be taken as written (this fake indexed nothing of that request).
        _hec.RequestFault = request => request == 1 ? 503 : null;
        _hec.BusyInvalidEventNumber = 6;
        await using var sink = new SplunkHecSink(Options());
        var events = Enumerable.Range(0, 10).Select(n => ZertEvent(n)).ToList();

        var outcome = await SendAsync(sink, events);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(ItemOutcome.Retry, outcome[i]);
            Assert.Equal("HTTP 503: \"Server is busy\" (code 9, invalid-event-number 6)", outcome.Reason(i));
        }

        Assert.Empty(_hec.Indexed);
        var again = await SendAsync(sink, events);
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(ItemOutcome.Delivered, again[i]));
        Assert.All(events, e => Assert.Equal(1, _hec.IndexedCount(e.EventId)));
    }

    [Fact]
    public async Task An_invalid_event_is_dead_lettered_with_HECs_text_and_only_the_events_after_it_are_sent_again()
    {
        await using var sink = new SplunkHecSink(Options());
        var events = Enumerable.Range(0, 20).Select(n => ZertEvent(n)).ToList();
        _hec.InvalidEventIds[events[7].EventId] = true;
        _hec.InvalidEventIds[events[12].EventId] = true;

        var outcome = await SendAsync(sink, events);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(i is 7 or 12 ? ItemOutcome.Rejected : ItemOutcome.Delivered, outcome[i]);
        }

        Assert.Equal("HEC refused the event: \"Invalid data format\" (code 6, invalid-event-number 7)", outcome.Reason(7));
        Assert.Equal("HEC refused the event: \"Invalid data format\" (code 6, invalid-event-number 4)", outcome.Reason(12)); // 5th of the re-sent rest
        Assert.Equal(3, _hec.EventRequests);
        // Events before an invalid one were indexed by HEC and are not sent again: every event received once.
        Assert.All(events, e => Assert.Equal(1, _hec.Received[e.EventId]));
        Assert.Equal(events.Where((_, i) => i is not (7 or 12)).Select(e => e.EventId), _hec.Indexed.Select(e => e.EventId));
    }

    [Theory]
    [InlineData(401, "Token is required")]
    [InlineData(403, "Invalid token")]
    public async Task A_refused_token_stops_the_run_with_a_fatal_error_that_does_not_show_the_token(int status, string hecText)
    {
        var tokenFile = Path.Combine(_directory, "token");
        const string wrongToken = "99999999-8888-7777-6666-555555555555";
        await File.WriteAllTextAsync(tokenFile, (status == 403 ? wrongToken : _hec.Token) + "\n");
        if (status == 401)
        {
            _hec.RequestFault = _ => 401; // as HEC answers when a proxy strips the Authorization header
        }

        var sink = new SplunkHecSink(Options(o => { o.Token = null; o.TokenFile = tokenFile; }));
        var deadLetters = new MemoryDeadLetters();
        await using var runner = new SinkRunner(sink, FastRetries, deadLetters, null, TimeProvider.System, new Random(1));
        await runner.StartAsync(CancellationToken.None);
        await runner.WriteAsync(ZertEvent(1), CancellationToken.None);

        var fatal = await Assert.ThrowsAsync<SinkFatalException>(() => runner.CompleteAsync(CancellationToken.None));
        Assert.Contains($"HTTP {status}", fatal.Message, StringComparison.Ordinal);
        Assert.Contains(hecText, fatal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongToken, fatal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_hec.Token, fatal.Message, StringComparison.Ordinal);
        Assert.Empty(deadLetters.Records);
        Assert.Empty(_hec.Indexed);
    }

    [Fact]
    public async Task An_index_the_token_may_not_write_to_stops_the_run_instead_of_dead_lettering_every_event()
    {
        _hec.AllowedIndexes = ["main"];
        await using var sink = new SplunkHecSink(Options());

        var fatal = await Assert.ThrowsAsync<SinkFatalException>(() => SendAsync(sink, [ZertEvent(1), ZertEvent(2)]));

        Assert.Contains("\"Incorrect index\" (code 7", fatal.Message, StringComparison.Ordinal);
        Assert.Contains("Outputs:Splunk:Index", fatal.Message, StringComparison.Ordinal);
        Assert.Empty(_hec.Indexed);
    }

    [Fact]
    public async Task With_acknowledgement_an_event_counts_as_delivered_only_after_the_ack_endpoint_reports_its_ackId()
    {
        _hec.AckEnabled = true;
        _hec.PollsBeforeAck = 3;
        await using var sink = new SplunkHecSink(Options(o => o.UseAck = true));
        Assert.Equal(4, sink.MaxConcurrentBatches);
        var events = Enumerable.Range(0, 30).Select(n => ZertEvent(n)).ToList();

        var outcome = await SendAsync(sink, events);

        Assert.All(Enumerable.Range(0, 30), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        Assert.Equal(4, _hec.AckPolls); // false three times, then true
        Assert.All(_hec.Channels, channel => Assert.Equal(sink.Channel, channel));
    }

    [Fact]
    public async Task A_batch_whose_acknowledgement_does_not_come_in_time_is_sent_again_and_then_indexed_once()
    {
        _hec.AckEnabled = true;
        _hec.LoseAck = ackId => ackId == 0; // HEC accepted the first request, then lost it before indexing
        var log = new RecordingLog();
        var tracker = new AckTracker();
        var deadLetters = new MemoryDeadLetters();
        var sink = new SplunkHecSink(Options(o => { o.UseAck = true; o.AckTimeout = TimeSpan.FromSeconds(2); }), log);
        await using (var runner = new SinkRunner(sink, FastRetries, deadLetters, null, TimeProvider.System, new Random(2)))
        {
            await runner.StartAsync(CancellationToken.None);
            for (var n = 0; n < 250; n++)
            {
                await runner.WriteAsync(ZertEvent(n, tracker.Track(n + 1, 1)), CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(CancellationToken.None));
        }

        Assert.Empty(deadLetters.Records);
        Assert.Equal(250, tracker.CommittedPosition);
        Assert.All(Enumerable.Range(0, 250), n => Assert.Equal(1, _hec.IndexedCount(TestEvents.IdOf(n))));
        var lost = _hec.Received.Count(r => r.Value == 2);
        Assert.InRange(lost, 1, 100); // the lost request's events were received twice, indexed once
        Assert.Contains(log.Messages, m => m.Contains("No indexer acknowledgement within", StringComparison.Ordinal) && m.Contains("ackId(s) 0", StringComparison.Ordinal));
    }

    /// <summary>
    /// With acknowledgement on, a batch larger than MaxRequestBytes goes as several requests, each with its own ackId.
    /// When a later request of the batch is refused for the moment (503), the events of the earlier ones count as
    /// delivered on their own ackIds only, the refused request's events are sent again, and no ackId of the batch is
    /// left waiting: after HEC dropped the channel's numbering (idle clean-up) the next batch goes on the same channel
    /// and nothing is sent twice.
    /// </summary>
    [Fact]
    public async Task A_later_request_of_a_batch_refused_once_is_sent_again_alone_and_every_event_is_acknowledged_once()
    {
        _hec.AckEnabled = true;
        _hec.RequestFault = request => request == 2 ? 503 : null;
        var tracker = new AckTracker();
        var deadLetters = new MemoryDeadLetters();
        var sink = new SplunkHecSink(Options(o => { o.UseAck = true; o.MaxRequestBytes = 4096; o.Gzip = false; }));
        var channel = sink.Channel;
        var oneBatchOf40 = FastRetries;
        oneBatchOf40.MaxBatchItems = 40;
        oneBatchOf40.MaxBatchAge = TimeSpan.FromMinutes(5);
        await using (var runner = new SinkRunner(sink, oneBatchOf40, deadLetters, null, TimeProvider.System, new Random(4)))
        {
            await runner.StartAsync(CancellationToken.None);
            for (var n = 0; n < 40; n++)
            {
                await runner.WriteAsync(ZertEvent(n, tracker.Track(n + 1, 1)), CancellationToken.None);
            }

            await Eventually.TrueAsync(() => tracker.CommittedPosition == 40, "the first 40 events acknowledged");
            _hec.ForgetAcknowledgements(); // HEC's ack_idle_cleanup: the channel's next ackId is 0 again
            for (var n = 40; n < 60; n++)
            {
                await runner.WriteAsync(ZertEvent(n, tracker.Track(n + 1, 1)), CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(CancellationToken.None));
        }

        output.WriteLine($"{_hec.EventRequests} requests, {_hec.AckPolls} polls, {_hec.Faults} fault(s)");
        Assert.Equal(1, _hec.Faults);
        Assert.Empty(deadLetters.Records);
        Assert.Equal(60, tracker.CommittedPosition);
        Assert.All(Enumerable.Range(0, 60), n => Assert.Equal(1, _hec.IndexedCount(TestEvents.IdOf(n))));
        // HEC read no event of the refused request; of the others none came twice, nor went on another channel.
        Assert.Equal(60, _hec.Received.Count);
        Assert.All(_hec.Received.Values, count => Assert.Equal(1, count));
        Assert.Equal(channel, sink.Channel);
        Assert.All(_hec.Channels, c => Assert.Equal(channel, c));
    }

    /// <summary>
    /// A batch stopped part-way, by a later request refused for good or by a stop, leaves none of its ackIds waiting on
    /// the channel: its events are undecided (sent again or left unacknowledged), and HEC, once it dropped the channel's
    /// numbering, gives the same numbers out again. An ackId left waiting took that for a collector restart, moved to a
    /// new channel and sent a batch that HEC had taken again (indexed twice).
    /// </summary>
    [Theory]
    [InlineData("refused")]
    [InlineData("cancelled")]
    public async Task A_batch_stopped_after_its_first_request_leaves_no_ackId_waiting(string how)
    {
        _hec.AckEnabled = true;
        _hec.PollsBeforeAck = 0;
        using var stop = new CancellationTokenSource();
        _hec.RequestFault = request =>
        {
            if (request != 2) return null;
            if (how == "refused") return 403;
            stop.Cancel(); // the run stops while the second request of the batch is out
            return null;
        };
        await using var sink = new SplunkHecSink(Options(o => { o.UseAck = true; o.MaxRequestBytes = 4096; o.Gzip = false; }));
        var channel = sink.Channel;
        var stopped = Enumerable.Range(0, 20).Select(n => ZertEvent(n)).ToList();

        var exception = await Assert.ThrowsAnyAsync<Exception>(() => sink.SendAsync(stopped, new BatchOutcome(stopped.Count), stop.Token));
        Assert.True(exception is SinkFatalException or OperationCanceledException, exception.ToString());
        Assert.True(_hec.EventRequests >= 2);
        _hec.ForgetAcknowledgements(); // HEC's ack_idle_cleanup: the channel's next ackId is 0 again
        var next = Enumerable.Range(20, 10).Select(n => ZertEvent(n)).ToList();

        var outcome = await SendAsync(sink, next);

        Assert.All(Enumerable.Range(0, next.Count), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        Assert.Equal(channel, sink.Channel);
        Assert.All(next, e => Assert.Equal(1, _hec.Received[e.EventId])); // none sent again
    }

    /// <summary>
    /// HEC numbers a channel's ackIds from 0 and keeps them in memory: a collector that restarts (or a load balancer that
    /// sends a request to another collector) gives the same numbers out again. A batch waiting for an ackId from before
    /// must not take the new request with its number for its own: its events were lost with the restart. The sink sees
    /// the numbers go back, sends the batches waiting on that channel again and moves to a new channel.
    /// </summary>
    [Fact]
    public async Task A_collector_that_restarts_and_gives_out_the_same_ackIds_again_does_not_acknowledge_the_batch_it_lost()
    {
        _hec.AckEnabled = true;
        _hec.LoseAck = ackId => ackId == 0; // accepted, then lost in the restart
        var clock = new ObservedTimeProvider();
        var pollInterval = TimeSpan.FromSeconds(1);
        var log = new RecordingLog();
        await using var sink = new SplunkHecSink(Options(o => { o.UseAck = true; o.AckPollInterval = pollInterval; }), log, clock);
        var firstChannel = sink.Channel;
        var lost = Enumerable.Range(0, 10).Select(n => ZertEvent(n)).ToList();
        var later = Enumerable.Range(10, 10).Select(n => ZertEvent(n)).ToList();

        var lostSend = SendAsync(sink, lost);
        await clock.WaitForTimerAsync(2); // the request (ackId 0) and its first poll are done; the next poll waits
        clock.Advance(pollInterval / 2);
        _hec.ForgetAcknowledgements(); // the collector restarts
        _hec.LoseAck = _ => false;
        var laterSend = SendAsync(sink, later); // ackId 0 again, polled once at once (not yet indexed)
        await Eventually.TrueAsync(() => clock.TimersCreated > 5 || laterSend.IsCompleted, "the later batch sent");
        clock.Advance(pollInterval / 2); // the lost batch polls first, for "its" ackId 0
        var lostOutcome = await lostSend;

        output.WriteLine($"lost batch: {lostOutcome[0]} ({lostOutcome.Reason(0)})");
        Assert.All(Enumerable.Range(0, lost.Count), i => Assert.Equal(ItemOutcome.Retry, lostOutcome[i]));
        Assert.Contains("acknowledgement", lostOutcome.Reason(0), StringComparison.Ordinal);
        var laterOutcome = await laterSend;
        Assert.All(Enumerable.Range(0, later.Count), i => Assert.Equal(ItemOutcome.Retry, laterOutcome[i]));
        Assert.NotEqual(firstChannel, sink.Channel);
        Assert.Contains(log.Messages, m => m.Contains("sticky", StringComparison.Ordinal));

        // Sent again, on the new channel, both arrive.
        var again = SendAsync(sink, [.. lost, .. later]);
        await clock.AdvanceUntilAsync(() => again.IsCompleted, pollInterval, "the batches sent again");
        var outcome = await again;
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        Assert.Equal(sink.Channel, _hec.Channels.Last());
        Assert.All(lost, e => Assert.Equal(1, _hec.IndexedCount(e.EventId)));
        Assert.All(later, e => Assert.InRange(_hec.IndexedCount(e.EventId), 1, 2)); // taken before the reset was seen: at least once
    }

    /// <summary>
    /// HEC also drops a channel that was idle for a while (<c>ack_idle_cleanup</c>): its next request gets ackId 0 again.
    /// With nothing waiting for an acknowledgement on the channel nothing can be mistaken, so nothing is sent again; nor
    /// when the answers of batches sent at once come in another order than HEC numbered them.
    /// </summary>
    [Fact]
    public async Task A_channel_that_HEC_forgot_while_nothing_waited_on_it_goes_on_without_sending_anything_again()
    {
        _hec.AckEnabled = true;
        _hec.PollsBeforeAck = 0;
        await using var sink = new SplunkHecSink(Options(o => o.UseAck = true));
        var channel = sink.Channel;
        for (var round = 0; round < 3; round++)
        {
            var batch = Enumerable.Range(round * 10, 10).Select(n => ZertEvent(n)).ToList();
            var outcome = await SendAsync(sink, batch);
            Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
            _hec.ForgetAcknowledgements();
        }

        var atOnce = await Task.WhenAll(Enumerable.Range(3, 8).Select(round => SendAsync(sink, Enumerable.Range(round * 10, 10).Select(n => ZertEvent(n)).ToList())));
        Assert.All(atOnce, outcome => Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(ItemOutcome.Delivered, outcome[i])));

        Assert.Equal(channel, sink.Channel);
        Assert.Equal(11, _hec.EventRequests);
        Assert.All(Enumerable.Range(0, 110), n => Assert.Equal(1, _hec.IndexedCount(TestEvents.IdOf(n))));
    }

    [Fact]
    public async Task UseAck_against_a_token_without_acknowledgement_is_a_fatal_configuration_error()
    {
        await using var sink = new SplunkHecSink(Options(o => o.UseAck = true));

        var fatal = await Assert.ThrowsAsync<SinkFatalException>(() => SendAsync(sink, [ZertEvent(1)]));

        Assert.Contains("indexer acknowledgement is not enabled for this token", fatal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_health_endpoint_is_probed_at_start_an_unreachable_collector_fails_the_start_and_a_busy_one_only_warns()
    {
        _hec.HealthStatus = 503;
        var log = new RecordingLog();
        await using (var busy = new SplunkHecSink(Options(), log))
        {
            await busy.StartAsync(CancellationToken.None);
        }

        Assert.Equal(1, _hec.HealthChecks);
        Assert.Contains(log.Messages, m => m.Contains("unhealthy", StringComparison.Ordinal));

        var port = _hec.Url.Port;
        await _hec.DisposeAsync();
        _hec = await FakeSplunkHec.StartAsync(); // a fresh fake elsewhere; nothing listens on the old port now
        await using var unreachable = new SplunkHecSink(Options(o => o.Url = $"http://127.0.0.1:{port}/"));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => unreachable.StartAsync(CancellationToken.None));
        Assert.Contains($"Cannot reach the HTTP Event Collector at http://127.0.0.1:{port}", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collector_with_a_self_signed_certificate_is_refused_unless_CaFile_trusts_it()
    {
        using var certificates = new TestCertificates();
        await using var tlsHec = await FakeSplunkHec.StartAsync(certificates.Server);
        var url = $"https://127.0.0.1:{tlsHec.Url.Port}";

        await using (var untrusted = new SplunkHecSink(Options(o => { o.Url = url; o.Token = tlsHec.Token; })))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => untrusted.StartAsync(CancellationToken.None));
            Assert.Contains("TLS certificate refused", failure.Message, StringComparison.Ordinal);
            var outcome = await SendAsync(untrusted, [ZertEvent(1)]);
            Assert.Equal(ItemOutcome.Retry, outcome[0]);
        }

        Assert.Empty(tlsHec.Indexed);
        var caFile = certificates.WriteAuthorityPem(_directory);
        await using var trusted = new SplunkHecSink(Options(o => { o.Url = url; o.Token = tlsHec.Token; o.CaFile = caFile; }));
        await trusted.StartAsync(CancellationToken.None);
        Assert.Equal(ItemOutcome.Delivered, (await SendAsync(trusted, [ZertEvent(1)]))[0]);
        Assert.Single(tlsHec.Indexed);
    }

    /// <summary>
    /// A refused certificate says why and what to set, at start (exit 2) and in the retry reason of a send, as the other
    /// TLS clients do (README "TLS verification"); the collector's refusal said only "The SSL connection could not be
    /// established, see inner exception".
    /// </summary>
    [Fact]
    public async Task A_refused_collector_certificate_is_named_with_the_reason_and_the_setting_that_mends_it()
    {
        using var certificates = new TestCertificates();
        await using (var tlsHec = await FakeSplunkHec.StartAsync(certificates.Server))
        {
            await using var untrusted = new SplunkHecSink(Options(o => { o.Url = $"https://127.0.0.1:{tlsHec.Url.Port}"; o.Token = tlsHec.Token; }));
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => untrusted.StartAsync(CancellationToken.None));
            output.WriteLine(failure.Message);
            Assert.Contains("(CN=localhost, issued by CN=ZertForwarder Test CA) is not signed by a CA this system trusts", failure.Message, StringComparison.Ordinal);
            Assert.Contains("set Outputs:Splunk:CaFile", failure.Message, StringComparison.Ordinal);
            var outcome = await SendAsync(untrusted, [ZertEvent(1)]);
            Assert.Equal(ItemOutcome.Retry, outcome[0]);
            Assert.Contains("is not signed by a CA this system trusts", outcome.Reason(0), StringComparison.Ordinal);
        }

        using var otherName = new TestCertificates("hec.example");
        await using var namedHec = await FakeSplunkHec.StartAsync(otherName.Server);
        var caFile = otherName.WriteAuthorityPem(_directory);
        await using var mismatch = new SplunkHecSink(Options(o => { o.Url = $"https://127.0.0.1:{namedHec.Url.Port}"; o.Token = namedHec.Token; o.CaFile = caFile; }));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => mismatch.StartAsync(CancellationToken.None));
        output.WriteLine(refused.Message);
        Assert.Contains("is for 'hec.example', not for '127.0.0.1' (host name mismatch)", refused.Message, StringComparison.Ordinal);
        Assert.Empty(namedHec.Indexed);
    }

    /// <summary>
    /// A refusal is the reason of that handshake only: once the collector's address answered with a certificate the sink
    /// refused, every later TLS failure there (here: the collector serving plain HTTP on its https URL) was reported as
    /// that certificate again, "set Outputs:Splunk:CaFile", which mends nothing.
    /// </summary>
    [Fact]
    public async Task A_later_TLS_failure_is_not_reported_as_an_earlier_certificate_refusal()
    {
        using var certificates = new TestCertificates();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            // First connection: TLS with a certificate of a private CA. Every later one: plain HTTP.
            using (var first = await listener.AcceptTcpClientAsync())
            await using (var tls = new System.Net.Security.SslStream(first.GetStream()))
            {
                try
                {
                    // With TLS 1.3 the server's side may finish before the client refuses the certificate.
                    await tls.AuthenticateAsServerAsync(certificates.Server);
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                {
                }
            }

            while (true)
            {
                using var next = await listener.AcceptTcpClientAsync();
                try
                {
                    var stream = next.GetStream();
                    await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                    await stream.FlushAsync();
                }
                catch (IOException)
                {
                    // The client gave up on this connection first.
                }
            }
        });

        await using var sink = new SplunkHecSink(Options(o => { o.Url = $"https://127.0.0.1:{port}"; o.Token = "token"; }));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.StartAsync(CancellationToken.None));
        output.WriteLine(refused.Message);
        Assert.Contains("is not signed by a CA this system trusts", refused.Message, StringComparison.Ordinal);

        var outcome = await SendAsync(sink, [ZertEvent(1)]);
        output.WriteLine(outcome.Reason(0));
        Assert.Equal(ItemOutcome.Retry, outcome[0]);
        Assert.DoesNotContain("certificate", outcome.Reason(0), StringComparison.OrdinalIgnoreCase);
        Assert.False(server.IsFaulted, server.Exception?.ToString());
        listener.Stop();
    }

    [Fact]
    public void Validation_lists_every_problem_of_the_settings()
    {
        var options = new SplunkHecSinkOptions
        {
            Url = "splunk:8088",
            TokenFile = Path.Combine(_directory, "missing-token"),
            CaFile = Path.Combine(_directory, "missing-ca.pem"),
            Index = "_Main",
            AckTimeout = TimeSpan.Zero,
        };

        var problems = options.Validate();

        Assert.Contains(problems, p => p.StartsWith("Outputs:Splunk:Url must be an absolute", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Outputs:Splunk:Index '_Main'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Outputs:Splunk:AckTimeout", StringComparison.Ordinal));
        Assert.Contains("Outputs:Splunk: set exactly one of Token or TokenFile.", new SplunkHecSinkOptions { Url = "https://s:8088" }.Validate());
        Assert.Contains("Outputs:Splunk:Url must not carry credentials or a query; give the token as Token or TokenFile.",
            new SplunkHecSinkOptions { Url = "https://s:8088/?token=abc", Token = "t" }.Validate());
        Assert.Contains("Outputs:Splunk:Token: the token is empty or contains spaces or control characters.",
            new SplunkHecSinkOptions { Url = "https://s:8088", Token = "abc\ndef" }.Validate());
        Assert.Empty(new SplunkHecSinkOptions { Url = "https://s:8088", Token = "t", Index = "zos_security" }.Validate());

        // What the files hold is checked when the sink is built (and before that with the other start-up checks).
        var emptyToken = Path.Combine(_directory, "empty-token");
        File.WriteAllText(emptyToken, "\n");
        var tokenProblem = Assert.Throws<ArgumentException>(() => new SplunkHecSink(new SplunkHecSinkOptions { Url = "https://s:8088", TokenFile = emptyToken }));
        Assert.StartsWith($"Outputs:Splunk:TokenFile '{emptyToken}' is empty", tokenProblem.Message, StringComparison.Ordinal);
        var caProblem = Assert.Throws<ArgumentException>(() => new SplunkHecSink(new SplunkHecSinkOptions { Url = "https://s:8088", Token = "t", CaFile = options.CaFile }));
        Assert.StartsWith($"Outputs:Splunk:CaFile '{options.CaFile}' does not exist", caProblem.Message, StringComparison.Ordinal);
    }
}
