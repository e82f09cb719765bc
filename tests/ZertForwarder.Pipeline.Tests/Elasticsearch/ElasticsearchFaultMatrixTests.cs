using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.Sinks.Elasticsearch;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Elasticsearch;

/// <summary>
/// The Elasticsearch rows of the fault matrix (issue 8): each fault scripted on the fake bulk API, events pushed
/// through the real sink runner, and an account printed as sent / delivered / duplicated / dead-lettered / lost.
/// "Lost" is an event that is neither stored nor dead-lettered: it must always be 0.
/// </summary>
public sealed class ElasticsearchFaultMatrixTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Count = 1000;
    private FakeElasticsearch _elasticsearch = null!;

    public async Task InitializeAsync() => _elasticsearch = await FakeElasticsearch.StartAsync();

    public async Task DisposeAsync() => await _elasticsearch.DisposeAsync();

    private static SinkRunnerOptions FastRetries => new()
    {
        BufferCapacity = 2000,
        MaxBatchItems = 200,
        MaxBatchAge = TimeSpan.FromMilliseconds(10),
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        RetryTimeLimit = TimeSpan.FromMinutes(2),
    };

    private ElasticsearchSinkOptions Options(Action<ElasticsearchSinkOptions>? change = null)
    {
        var options = new ElasticsearchSinkOptions { Url = _elasticsearch.Url.ToString(), InstallTemplates = false, RequestTimeout = TimeSpan.FromSeconds(10) };
        change?.Invoke(options);
        return options;
    }

    [Fact]
    public async Task Item_429s_are_retried_until_every_event_is_stored_once()
    {
        _elasticsearch.ItemFault = (id, attempt) => attempt <= 2 && id[0] is '1' or '2' or '3' ? 429 : null;

        var account = await RunAsync("429 per item", Options());

        Assert.True(_elasticsearch.ItemFaults >= Count / 8, "the script produced item-level 429s");
        account.AssertAllDelivered();
    }

    [Fact]
    public async Task Whole_request_503s_are_retried_until_every_event_is_stored_once()
    {
        _elasticsearch.RequestFault = request => request <= 4 ? 503 : null;

        var account = await RunAsync("503 per request", Options());

        Assert.Equal(4, _elasticsearch.RequestFaults);
        account.AssertAllDelivered();
    }

    [Theory]
    [InlineData(408)]
    [InlineData(404)]
    public async Task Whole_request_408s_and_404s_are_retried_until_every_event_is_stored_once(int status)
    {
        // A proxy's request timeout, an ingress routing _bulk nowhere for a while: transient, not the events' fault.
        _elasticsearch.RequestFault = request => request <= 3 ? status : null;

        var account = await RunAsync($"{status} per request", Options());

        Assert.Equal(3, _elasticsearch.RequestFaults);
        account.AssertAllDelivered();
    }

    [Fact]
    public async Task Response_bodies_stalled_after_the_headers_are_retried_without_duplicates()
    {
        _elasticsearch.BulkBodyStall = request => request is 2 or 3;

        var account = await RunAsync("body stalled after the headers (limit 0.5 s)", Options(o => o.RequestTimeout = TimeSpan.FromMilliseconds(500)));

        Assert.Equal(2, _elasticsearch.StalledResponses);
        account.AssertAllDelivered();
    }

    [Fact]
    public async Task Item_400s_are_dead_lettered_with_the_reason_and_the_rest_stored()
    {
        var refused = Enumerable.Range(0, Count).Where(n => n % 97 == 0).Select(TestEvents.IdOf).ToHashSet();
        _elasticsearch.ItemFault = (id, _) => refused.Contains(id) ? 400 : null;

        var account = await RunAsync("400 per item", Options());

        Assert.Equal(refused.Count, account.DeadLettered);
        Assert.Equal(Count - refused.Count, account.Delivered);
        Assert.Equal(0, account.Lost);
        Assert.All(account.DeadLetters, d => Assert.StartsWith("item status 400: mapper_parsing_exception", d.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slow_responses_past_the_time_limit_are_retried_without_duplicates()
    {
        _elasticsearch.RequestDelay = request => request is 2 or 3 ? TimeSpan.FromSeconds(1.5) : null;

        var account = await RunAsync("slow responses (1.5 s, limit 0.5 s)", Options(o => o.RequestTimeout = TimeSpan.FromMilliseconds(500)));

        // The slow requests are still processed after the client gave up; their creates then answer 409.
        await Eventually.TrueAsync(() => _elasticsearch.DelayedRequestsProcessed == 2 && _elasticsearch.BulkInFlight == 0, "the slow requests processed late");
        account.AssertAllDelivered();
        Assert.Equal(0, DuplicatedDocuments());
    }

    [Fact]
    public async Task A_413_splits_the_request_and_a_single_event_too_large_is_dead_lettered_with_the_reason()
    {
        var oneItem = TestEvents.Create(0).Ecs.Length + 120;
        _elasticsearch.MaxContentLength = oneItem * 30; // a 200-event batch is far too large; halves of halves fit
        var huge = HugeEvent();

        var account = await RunAsync("413 request too large", Options(o => o.Gzip = false), extra: huge);

        Assert.True(_elasticsearch.TooLargeRequests > 0, "the fake answered 413");
        Assert.Equal(Count, account.Delivered);
        var deadLetter = Assert.Single(account.DeadLetters);
        Assert.Equal(huge.EventId, deadLetter.EventId);
        Assert.StartsWith("event too large for Elasticsearch", deadLetter.Reason, StringComparison.Ordinal);
        Assert.Equal(0, account.Lost);
    }

    [Fact]
    public async Task Connection_refused_then_back_delivers_everything_once()
    {
        var port = _elasticsearch.Url.Port;
        var url = _elasticsearch.Url.ToString();
        await _elasticsearch.DisposeAsync();
        var options = Options(o =>
        {
            o.Url = url;
            o.ProbeOnStart = false; // the outage under test is after start (a cluster down at start fails the start)
        });

        var sending = RunAsync("connection refused, then back", options, beforeComplete: async retries =>
        {
            // The node comes back only after sends have failed against it: the fault under test.
            await Eventually.TrueAsync(() => retries() > 0, "a send to the dead node failed and was retried", TimeSpan.FromSeconds(30));
            _elasticsearch = await FakeElasticsearch.StartAsync(port: port);
        });
        var account = await sending;

        Assert.True(account.Retries > 0, "sends failed while the node was down");
        account.AssertAllDelivered();
    }

    [Fact]
    public async Task With_Urls_a_dead_first_node_fails_over_to_the_live_one_and_every_event_is_stored_once()
    {
        var deadUrl = $"http://127.0.0.1:{FreePort()}";

        var account = await RunAsync("dead first node (Urls)", Options(o =>
        {
            o.Url = "";
            o.Urls = [deadUrl, _elasticsearch.Url.ToString()];
        }));

        account.AssertAllDelivered();
        Assert.Equal(0, DuplicatedDocuments());
        Assert.Equal(0, account.Retries); // the client failed over within each request
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task A_401_or_403_in_mid_run_is_fatal_for_the_sink_and_acknowledges_nothing_it_refused(int status)
    {
        _elasticsearch.RequestFault = request => request >= 3 ? status : null;
        await using var sink = new ElasticsearchSink(Options());
        await sink.StartAsync(CancellationToken.None);
        var (delivered, fatal) = await SendUntilFatalAsync(sink, beforeBatch: null, ItemOutcome.Delivered);

        output.WriteLine($"{status} mid-run: sent 300, delivered {delivered}, duplicated 0, dead-lettered 0, not acknowledged {300 - delivered} (re-read after the run stops); message: {fatal?.Message}");
        Assert.NotNull(fatal);
        Assert.Equal(200, delivered);
        Assert.Equal(200, _elasticsearch.Documents.Count);
        Assert.Contains($"HTTP {status}", fatal.Message, StringComparison.Ordinal);
        Assert.Contains("security_exception", fatal.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Sends up to five batches of 100 events until the sink stops for good; no item of the batch it stopped on may have
    /// the outcome <paramref name="notInFailedBatch"/>. Returns the events delivered before and the fatal error.
    /// </summary>
    private static async Task<(int Delivered, SinkFatalException? Fatal)> SendUntilFatalAsync(ElasticsearchSink sink, Action<int>? beforeBatch, ItemOutcome notInFailedBatch)
    {
        var delivered = 0;
        for (var batch = 0; batch < 5; batch++)
        {
            beforeBatch?.Invoke(batch);
            var events = Enumerable.Range(batch * 100, 100).Select(n => TestEvents.Create(n)).ToList();
            var outcome = new BatchOutcome(events.Count);
            try
            {
                await sink.SendAsync(events, outcome, CancellationToken.None);
                delivered += Enumerable.Range(0, events.Count).Count(i => outcome[i] == ItemOutcome.Delivered);
            }
            catch (SinkFatalException exception)
            {
                Assert.All(Enumerable.Range(0, events.Count), i => Assert.NotEqual(notInFailedBatch, outcome[i]));
                return (delivered, exception);
            }
        }
        return (delivered, null);
    }

    [Theory]
    [InlineData(403)]
    [InlineData(404)]
    public async Task Items_refused_403_or_index_not_found_in_mid_run_are_fatal_for_the_sink_and_nothing_is_dead_lettered(int status)
    {
        // From the third request on, every item is refused: a privilege removed from the key, a data stream deleted
        // with auto-creation off. The cluster answers HTTP 200 with the refusal per item.
        var refusing = false;
        _elasticsearch.ItemFault = (_, _) => Volatile.Read(ref refusing) ? status : null;
        await using var sink = new ElasticsearchSink(Options());
        await sink.StartAsync(CancellationToken.None);
        var (delivered, fatal) = await SendUntilFatalAsync(sink, batch => Volatile.Write(ref refusing, batch >= 2), ItemOutcome.Rejected);

        output.WriteLine($"item {status} mid-run: sent 300, delivered {delivered}, dead-lettered 0, not acknowledged {300 - delivered}; message: {fatal?.Message}");
        Assert.NotNull(fatal);
        Assert.Equal(200, delivered);
        Assert.Contains("logs-zos.zert_connection-default", fatal.Message, StringComparison.Ordinal);
        Assert.Contains(status == 403 ? "security_exception" : "index_not_found_exception", fatal.Message, StringComparison.Ordinal);
    }

    private async Task<Account> RunAsync(string row, ElasticsearchSinkOptions options, ForwardedEvent? extra = null, Func<Func<long>, Task>? beforeComplete = null)
    {
        var deadLetters = new MemoryDeadLetters();
        var acknowledged = new AckCounter();
        var metrics = new PipelineMetrics();
        await using (var runner = new SinkRunner(new ElasticsearchSink(options), FastRetries, deadLetters, metrics, TimeProvider.System, new Random(11)))
        {
            await runner.StartAsync(CancellationToken.None);
            for (var n = 0; n < Count; n++)
            {
                await runner.WriteAsync(TestEvents.Create(n, acknowledged.For(n)), CancellationToken.None);
            }

            if (extra is not null)
            {
                await runner.WriteAsync(new ForwardedEvent { EventId = extra.EventId, Dataset = extra.Dataset, Ecs = extra.Ecs, Position = acknowledged.For(Count) }, CancellationToken.None);
            }

            if (beforeComplete is not null)
            {
                await beforeComplete(() => (long)metrics.Counter(PipelineMetricNames.SinkRetries, "", "sink").WithLabels("elasticsearch").Value);
            }

            // Bounded (a send that never ends must fail the row, not hang it): past the retry limit, with room to spare.
            using var limit = new CancellationTokenSource(FastRetries.RetryTimeLimit * 1.5);
            Assert.True(await runner.CompleteAsync(limit.Token), "the runner finished within 1.5 times the retry limit");
        }

        var ids = Enumerable.Range(0, Count).Select(TestEvents.IdOf).Append(extra?.EventId).OfType<string>().ToList();
        var account = new Account(
            Sent: ids.Count,
            Delivered: ids.Count(id => _elasticsearch.DocumentsWithId(id) > 0),
            Duplicated: DuplicatedDocuments(),
            DeadLetters: deadLetters.Records,
            Retries: (long)metrics.Counter(PipelineMetricNames.SinkRetries, "", "sink").WithLabels("elasticsearch").Value);
        output.WriteLine(
            $"{row}: sent {account.Sent}, delivered {account.Delivered}, duplicated {account.Duplicated}, dead-lettered {account.DeadLettered}, lost {account.Lost} " +
            $"({account.Retries} retries, {_elasticsearch.BulkRequests} bulk requests, {_elasticsearch.Conflicts} answered 409)");
        Assert.All(Enumerable.Range(0, ids.Count), n => Assert.Equal(1, acknowledged.CountOf(n))); // every event acknowledged exactly once
        return account;
    }

    private int DuplicatedDocuments() => _elasticsearch.Documents.Keys.GroupBy(k => k.Id).Sum(g => g.Count() - 1);

    private static ForwardedEvent HugeEvent()
    {
        var id = TestEvents.IdOf(-1);
        var padding = new string('x', 64 * 1024);
        return new ForwardedEvent
        {
            EventId = id,
            Dataset = "zos.zert_connection",
            Ecs = System.Text.Encoding.UTF8.GetBytes($$$"""{"event":{"id":"{{{id}}}"},"labels":{"padding":"{{{padding}}}"}}"""),
        };
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again at once: nothing answers there
    }

    private sealed record Account(int Sent, int Delivered, int Duplicated, IReadOnlyList<(string EventId, string Sink, string Reason)> DeadLetters, long Retries)
    {
        public int DeadLettered => DeadLetters.Count;

        public int Lost => Sent - Delivered - DeadLetters.Select(d => d.EventId).Distinct().Count();

        public void AssertAllDelivered()
        {
            Assert.Equal(Sent, Delivered);
            Assert.Equal(0, Duplicated);
            Assert.Equal(0, DeadLettered);
            Assert.Equal(0, Lost);
        }
    }
}
