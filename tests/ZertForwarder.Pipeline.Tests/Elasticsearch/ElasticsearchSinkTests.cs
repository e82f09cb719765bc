using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.Sinks.Elasticsearch;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Elasticsearch;

public sealed class ElasticsearchSinkTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ApiKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";

    private readonly string _directory = Directory.CreateTempSubdirectory("zert-es-").FullName;
    private FakeElasticsearch _elasticsearch = null!;

    public async Task InitializeAsync() => _elasticsearch = await FakeElasticsearch.StartAsync();

    public async Task DisposeAsync()
    {
        await _elasticsearch.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private ElasticsearchSinkOptions Options(Action<ElasticsearchSinkOptions>? change = null)
    {
        var options = new ElasticsearchSinkOptions
        {
            Url = _elasticsearch.Url.ToString(),
            ApiKey = ApiKey,
            InstallTemplates = false,
            RequestTimeout = TimeSpan.FromSeconds(10),
        };
        change?.Invoke(options);
        return options;
    }

    private static SinkRunnerOptions FastRetries => new()
    {
        BufferCapacity = 1000,
        MaxBatchItems = 250,
        MaxBatchAge = TimeSpan.FromMilliseconds(10),
        InitialBackoff = TimeSpan.FromMilliseconds(10),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        RetryTimeLimit = TimeSpan.FromMinutes(2),
    };

    [Fact]
    public async Task Five_thousand_events_are_stored_exactly_once_through_429s_503s_a_timeout_and_a_replay()
    {
        const int count = 5000;
        var poisoned = TestEvents.Create(count); // the 5,001st event, which the cluster refuses to map
        _elasticsearch.ItemFault = (id, attempt) =>
            id == poisoned.EventId ? 400 :
            attempt == 1 && id[0] is '0' or '7' ? 429 : // about one in eight items, on their first try
            null;
        _elasticsearch.RequestFault = request => request is 3 or 8 ? 503 : null;
        _elasticsearch.RequestDelay = request => request == 5 ? TimeSpan.FromSeconds(2.5) : null; // past the 1 s timeout
        var deadLetterPath = Path.Combine(_directory, "dead-letters.ndjson");
        var tracker = new AckTracker();
        var metrics = new PipelineMetrics();

        await using (var deadLetters = new FileDeadLetterOutput(deadLetterPath))
        {
            var sink = new ElasticsearchSink(Options(o => o.RequestTimeout = TimeSpan.FromSeconds(1)));
            await using var runner = new SinkRunner(sink, FastRetries, deadLetters, metrics, TimeProvider.System, new Random(5));
            await runner.StartAsync(CancellationToken.None);
            for (var n = 0; n <= count; n++)
            {
                var forwardedEvent = n < count ? TestEvents.Create(n, tracker.Track(n + 1, 1)) : Reposition(poisoned, tracker.Track(n + 1, 1));
                await runner.WriteAsync(forwardedEvent, CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(CancellationToken.None));
        }

        // The request that timed out on the client is still processed by the cluster afterwards; its creates
        // then meet the documents the retry already stored and answer 409 (to nobody): still one copy each.
        await Eventually.TrueAsync(() => _elasticsearch.DelayedRequestsProcessed == 1 && _elasticsearch.BulkInFlight == 0, "the timed-out request processed late");
        output.WriteLine(
            $"first run: {_elasticsearch.BulkRequests} bulk requests, {_elasticsearch.ItemFaults} item faults (429 + 400), " +
            $"{_elasticsearch.RequestFaults} whole-request 503s, {_elasticsearch.DelayedRequests} timed-out request(s), " +
            $"{_elasticsearch.Created} created, {_elasticsearch.Conflicts} conflicts (409), {_elasticsearch.Documents.Count} documents");
        Assert.Equal(count, _elasticsearch.Created);
        Assert.Equal(count, _elasticsearch.Documents.Count);
        Assert.All(Enumerable.Range(0, count), n => Assert.Equal(1, _elasticsearch.DocumentsWithId(TestEvents.IdOf(n))));
        Assert.Equal(2, _elasticsearch.RequestFaults);
        Assert.Equal(1, _elasticsearch.DelayedRequests);
        Assert.True(_elasticsearch.ItemFaults > count / 20, "the script produced item-level 429s");
        Assert.Equal(count + 1, tracker.CommittedPosition);
        var deadLetter = Assert.Single(File.ReadAllLines(deadLetterPath));
        using (var record = JsonDocument.Parse(deadLetter))
        {
            Assert.Equal(poisoned.EventId, record.RootElement.GetProperty("event_id").GetString());
            Assert.Equal("elasticsearch", record.RootElement.GetProperty("sink").GetString());
            Assert.Equal(
                "item status 400: mapper_parsing_exception: failed to parse field [source.port] of type [long]",
                record.RootElement.GetProperty("reason").GetString());
        }

        // Replay the first 1,000 (e.g. a restart from an older checkpoint): every create is a 409, absorbed.
        var conflictsBefore = _elasticsearch.Conflicts;
        var replayTracker = new AckTracker();
        await using (var replay = new SinkRunner(new ElasticsearchSink(Options()), FastRetries, new MemoryDeadLetters(), metrics, TimeProvider.System, new Random(6)))
        {
            await replay.StartAsync(CancellationToken.None);
            for (var n = 0; n < 1000; n++)
            {
                await replay.WriteAsync(TestEvents.Create(n, replayTracker.Track(n + 1, 1)), CancellationToken.None);
            }

            Assert.True(await replay.CompleteAsync(CancellationToken.None));
        }

        output.WriteLine(
            $"after replaying 1000: {_elasticsearch.Created} created, {_elasticsearch.Conflicts - conflictsBefore} new conflicts, {_elasticsearch.Documents.Count} documents");
        Assert.Equal(1000, _elasticsearch.Conflicts - conflictsBefore);
        Assert.Equal(count, _elasticsearch.Created);
        Assert.Equal(count, _elasticsearch.Documents.Count);
        Assert.Equal(1000, replayTracker.CommittedPosition);
        Assert.Equal(count + 1000, metrics.Counter(PipelineMetricNames.EventsPublished, "", "sink").WithLabels("elasticsearch").Value);
    }

    [Fact]
    public async Task Each_item_status_becomes_delivered_retry_or_rejected()
    {
        await using var sink = new ElasticsearchSink(Options());
        var events = TestEvents.Many(5);
        await SendAsync(sink, [events[0]]); // stored before, so creating it again answers 409
        _elasticsearch.ItemFault = (id, _) =>
            id == events[1].EventId ? 429 :
            id == events[2].EventId ? 503 :
            id == events[3].EventId ? 400 :
            null;

        var outcome = await SendAsync(sink, events);

        Assert.Equal(
            [ItemOutcome.Delivered, ItemOutcome.Retry, ItemOutcome.Retry, ItemOutcome.Rejected, ItemOutcome.Delivered],
            Enumerable.Range(0, 5).Select(i => outcome[i]));
        Assert.Equal("item status 429: es_rejected_execution_exception: rejected execution of coordinating operation", outcome.Reason(1));
        Assert.Equal("item status 400: mapper_parsing_exception: failed to parse field [source.port] of type [long]", outcome.Reason(3));
    }

    [Fact]
    public async Task A_whole_request_503_or_a_timeout_marks_every_item_for_retry()
    {
        _elasticsearch.RequestFault = request => request == 1 ? 503 : null;
        _elasticsearch.RequestDelay = request => request == 2 ? TimeSpan.FromSeconds(2) : null;
        BatchOutcome unavailable, timedOut;
        await using (var patient = new ElasticsearchSink(Options()))
        {
            unavailable = await SendAsync(patient, TestEvents.Many(3));
        }

        await using (var impatient = new ElasticsearchSink(Options(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300))))
        {
            timedOut = await SendAsync(impatient, TestEvents.Many(3));
        }

        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Retry, unavailable[i]));
        Assert.StartsWith("HTTP 503: unavailable_shards_exception", unavailable.Reason(0), StringComparison.Ordinal);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Retry, timedOut[i]));
        Assert.Equal("bulk request timed out after 0.3 s", timedOut.Reason(0));
    }

    [Fact]
    public async Task A_bulk_response_whose_body_stalls_after_the_headers_times_out_and_every_item_is_retried()
    {
        // The client's own time limit ends when the headers arrive: this one must bound the body too.
        _elasticsearch.BulkBodyStall = request => request == 1;
        await using var sink = new ElasticsearchSink(Options(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300)));

        var stalled = await SendAsync(sink, TestEvents.Many(3)).WaitAsync(TimeSpan.FromSeconds(30));
        var next = await SendAsync(sink, TestEvents.Many(3)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, _elasticsearch.StalledResponses);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Retry, stalled[i]));
        Assert.Equal("bulk request timed out after 0.3 s", stalled.Reason(0));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Delivered, next[i]));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(404)]
    [InlineData(425)]
    public async Task A_whole_request_408_404_or_425_marks_every_item_for_retry_and_a_400_rejects_them(int status)
    {
        // 408/425: a proxy or the cluster says "not now"; 404: an ingress routing _bulk nowhere (while redeployed, say).
        _elasticsearch.RequestFault = request => request == 1 ? status : 400;
        await using var sink = new ElasticsearchSink(Options());

        var transient = await SendAsync(sink, TestEvents.Many(3));
        var malformed = await SendAsync(sink, TestEvents.Many(3));

        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Retry, transient[i]));
        Assert.StartsWith($"HTTP {status}: ", transient.Reason(0), StringComparison.Ordinal);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Rejected, malformed[i]));
        Assert.StartsWith("HTTP 400: ", malformed.Reason(0), StringComparison.Ordinal);
        Assert.Empty(_elasticsearch.Documents);
    }

    [Theory]
    [InlineData(403)]
    [InlineData(401)]
    public async Task Items_refused_for_lack_of_index_privileges_stop_the_sink_naming_the_data_stream_and_the_privileges(int status)
    {
        // Elasticsearch checks index privileges per item: a key without create_doc/auto_configure gets HTTP 200 and a
        // security_exception for every item. Dead-lettering them would throw the whole stream away while looking ready.
        await using var sink = new ElasticsearchSink(Options());
        var allowed = TestEvents.Create(1);
        var forbidden = TestEvents.Create(2, dataset: "zos.zert_summary");
        _elasticsearch.ItemFault = (id, _) => id == forbidden.EventId ? status : null;

        var outcome = new BatchOutcome(2);
        var fatal = await Assert.ThrowsAsync<SinkFatalException>(() => sink.SendAsync([allowed, forbidden], outcome, CancellationToken.None));

        output.WriteLine(fatal.Message);
        Assert.Contains("refused to write to the data stream logs-zos.zert_summary-default", fatal.Message, StringComparison.Ordinal);
        Assert.Contains($"item status {status}: security_exception", fatal.Message, StringComparison.Ordinal);
        Assert.Contains("create_doc and auto_configure on logs-zos.*", fatal.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, fatal.Message, StringComparison.Ordinal);
        Assert.NotEqual(ItemOutcome.Rejected, outcome[1]);
    }

    [Fact]
    public async Task Items_answered_index_not_found_stop_the_sink_saying_the_data_stream_is_missing()
    {
        // With action.auto_create_index off and no template for it, Elasticsearch will not create the data stream.
        await using var sink = new ElasticsearchSink(Options(o => o.Namespace = "prod"));
        _elasticsearch.ItemFault = (_, _) => 404;

        var outcome = new BatchOutcome(3);
        var fatal = await Assert.ThrowsAsync<SinkFatalException>(() => sink.SendAsync(TestEvents.Many(3), outcome, CancellationToken.None));

        output.WriteLine(fatal.Message);
        Assert.Contains("has no data stream logs-zos.zert_connection-prod and did not create it", fatal.Message, StringComparison.Ordinal);
        Assert.Contains("index_not_found_exception", fatal.Message, StringComparison.Ordinal);
        Assert.Contains("install the index templates", fatal.Message, StringComparison.Ordinal);
        Assert.All(Enumerable.Range(0, 3), i => Assert.NotEqual(ItemOutcome.Rejected, outcome[i]));
    }

    [Fact]
    public async Task A_probe_whose_body_stalls_after_the_headers_fails_the_start_saying_it_timed_out()
    {
        _elasticsearch.ProbeStall = ResponseStall.AfterHeaders;
        await using var sink = new ElasticsearchSink(Options(o => o.RequestTimeout = TimeSpan.FromSeconds(1)));

        // The probe waits at least MinimumStartupTimeout (5 s) whatever RequestTimeout says.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        output.WriteLine(failure.Message);
        Assert.Contains("did not answer GET / within 5 s (timed out)", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1, _elasticsearch.StalledResponses);
    }

    /// <summary>One component template to install from <c>templates/component_template</c>.</summary>
    private string OneComponentTemplate()
    {
        var templates = Path.Combine(_directory, "templates");
        Directory.CreateDirectory(Path.Combine(templates, "component_template"));
        Directory.CreateDirectory(Path.Combine(templates, "index_template"));
        File.WriteAllText(Path.Combine(templates, "component_template", "zert-settings.json"), """{"template":{"settings":{"index":{"codec":"best_compression"}}}}""");
        return templates;
    }

    [Fact]
    public async Task A_template_call_slower_than_RequestTimeout_still_installs_at_start()
    {
        // A 1 s RequestTimeout is for bulk requests (a slow one is retried); a template call's failure stops the run, so
        // it waits at least MinimumStartupTimeout (5 s), as the probe does: a loaded host's 2 s answer is not a failure.
        var templates = OneComponentTemplate();
        _elasticsearch.ApiDelay = api => api == "PUT /_component_template" ? TimeSpan.FromSeconds(2) : null;
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.RequestTimeout = TimeSpan.FromSeconds(1);
            o.InstallTemplates = true;
            o.TemplatesDirectory = templates;
        }));

        await sink.StartAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, _elasticsearch.HeldRequests);
        Assert.Equal(["/_component_template/zert-settings"], _elasticsearch.TemplatePuts);
    }

    [Fact]
    public async Task A_template_call_slower_than_the_start_up_limit_fails_the_start_saying_which_call_timed_out()
    {
        // The whole-call limit runs on the sink's clock: moved past MinimumStartupTimeout once the call is held, not waited for.
        var templates = OneComponentTemplate();
        _elasticsearch.ApiDelay = api => api == "PUT /_component_template" ? Timeout.InfiniteTimeSpan : null;
        var clock = new ObservedTimeProvider();
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.RequestTimeout = TimeSpan.FromSeconds(1);
            o.InstallTemplates = true;
            o.TemplatesDirectory = templates;
        }), timeProvider: clock);

        var starting = sink.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => _elasticsearch.HeldRequests == 1, "the template PUT held");
        clock.Advance(ElasticsearchConnection.MinimumStartupTimeout);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => starting.WaitAsync(TimeSpan.FromSeconds(30)));

        output.WriteLine(failure.Message);
        Assert.StartsWith("Elasticsearch at ", failure.Message, StringComparison.Ordinal);
        Assert.EndsWith(" did not answer PUT _component_template/zert-settings within 5 s (timed out).", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_elasticsearch.TemplatePuts);
    }

    [Theory]
    [InlineData(ResponseStall.BeforeHeaders)]
    [InlineData(ResponseStall.AfterHeaders)]
    public async Task A_stop_during_the_probe_is_a_cancellation_not_a_failure_to_start(ResponseStall stall)
    {
        // SIGTERM while the cluster is slow to answer GET /: the host must see a stop, not "A sink cannot work".
        _elasticsearch.ProbeStall = stall;
        await using var sink = new ElasticsearchSink(Options(o => o.RequestTimeout = TimeSpan.FromSeconds(30)));
        using var stop = new CancellationTokenSource();

        var starting = sink.StartAsync(stop.Token);
        await Eventually.TrueAsync(() => _elasticsearch.StalledResponses == 1, "the probe stalled");
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_connection_error_marks_every_item_for_retry()
    {
        var url = _elasticsearch.Url.ToString();
        await _elasticsearch.DisposeAsync();
        await using var sink = new ElasticsearchSink(Options(o => o.Url = url));

        var outcome = await SendAsync(sink, TestEvents.Many(2));

        Assert.Equal(ItemOutcome.Retry, outcome[0]);
        Assert.StartsWith("connection error:", outcome.Reason(1), StringComparison.Ordinal);
        _elasticsearch = await FakeElasticsearch.StartAsync(); // for DisposeAsync
    }

    [Fact]
    public async Task Documents_go_to_the_data_stream_of_their_dataset_and_namespace_with_the_event_id()
    {
        await using var sink = new ElasticsearchSink(Options(o => o.Namespace = "prod"));
        var connection = TestEvents.Create(1);
        var summary = TestEvents.Create(2, dataset: "zos.zert_summary");

        await SendAsync(sink, [connection, summary]);

        Assert.Equal(Encoding.UTF8.GetString(connection.Ecs.Span), _elasticsearch.Documents[("logs-zos.zert_connection-prod", connection.EventId)]);
        Assert.Equal(Encoding.UTF8.GetString(summary.Ecs.Span), _elasticsearch.Documents[("logs-zos.zert_summary-prod", summary.EventId)]);
    }

    [Fact]
    public async Task A_batch_larger_than_MaxBulkBytes_is_split_into_several_bulk_requests()
    {
        var eventBytes = TestEvents.Create(0).Ecs.Length + 100;
        await using var sink = new ElasticsearchSink(Options(o => o.MaxBulkBytes = eventBytes * 4));

        var outcome = await SendAsync(sink, TestEvents.Many(10));

        Assert.Equal(3, _elasticsearch.BulkRequests); // 4 + 4 + 2
        Assert.All(Enumerable.Range(0, 10), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
        Assert.Equal(10, _elasticsearch.Documents.Count);
    }

    [Fact]
    public async Task Bulk_bodies_are_gzip_compressed_by_default_and_plain_when_disabled()
    {
        await using (var compressed = new ElasticsearchSink(Options()))
        {
            await SendAsync(compressed, TestEvents.Many(5));
        }

        Assert.Equal(1, _elasticsearch.GzipRequests);
        await using (var plain = new ElasticsearchSink(Options(o => o.Gzip = false)))
        {
            await SendAsync(plain, [TestEvents.Create(9)]);
        }

        Assert.Equal(1, _elasticsearch.GzipRequests);
        Assert.Equal(2, _elasticsearch.BulkRequests);
        Assert.Equal(6, _elasticsearch.Documents.Count); // both bodies ended with the newline the bulk API requires
    }

    [Fact]
    public async Task Templates_are_installed_on_start_component_templates_before_index_templates()
    {
        var templates = Path.Combine(_directory, "templates");
        Directory.CreateDirectory(Path.Combine(templates, "component_template"));
        Directory.CreateDirectory(Path.Combine(templates, "index_template"));
        const string ecsMappings = """{"template":{"mappings":{"properties":{"source":{"properties":{"port":{"type":"long"}}}}}}}""";
        const string zertSettings = """{"template":{"settings":{"index":{"codec":"best_compression"}}}}""";
        const string indexTemplate = """{"index_patterns":["logs-zos.zert_*-*"],"data_stream":{},"composed_of":["zert-ecs-mappings","zert-settings"],"priority":200}""";
        File.WriteAllText(Path.Combine(templates, "component_template", "zert-settings.json"), zertSettings);
        File.WriteAllText(Path.Combine(templates, "component_template", "zert-ecs-mappings.json"), ecsMappings);
        File.WriteAllText(Path.Combine(templates, "index_template", "logs-zos.zert.json"), indexTemplate);
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.InstallTemplates = true;
            o.TemplatesDirectory = templates;
        }));

        await sink.StartAsync(CancellationToken.None);

        Assert.Equal(
            ["/_component_template/zert-ecs-mappings", "/_component_template/zert-settings", "/_index_template/logs-zos.zert"],
            _elasticsearch.TemplatePuts);
        // Sent through the typed API: the same template, re-serialized by the client.
        Assert.Equal("long", JsonNode.Parse(_elasticsearch.ComponentTemplates["zert-ecs-mappings"])!["template"]!["mappings"]!["properties"]!["source"]!["properties"]!["port"]!["type"]!.GetValue<string>());
        var installed = JsonNode.Parse(_elasticsearch.IndexTemplates["logs-zos.zert"])!;
        Assert.Equal(["zert-ecs-mappings", "zert-settings"], installed["composed_of"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(200, installed["priority"]!.GetValue<int>());
    }

    [Fact]
    public async Task Templates_are_installed_only_when_newer_and_carry_the_configured_lifecycle()
    {
        var templates = Path.Combine(_directory, "versioned");
        Directory.CreateDirectory(Path.Combine(templates, "component_template"));
        Directory.CreateDirectory(Path.Combine(templates, "index_template"));
        File.WriteAllText(Path.Combine(templates, "component_template", "logs-zos.zert_connection@mappings.json"),
            """{"version":2,"template":{"mappings":{"properties":{"data_stream":{"properties":{"dataset":{"type":"constant_keyword"}}}}}}}""");
        File.WriteAllText(Path.Combine(templates, "index_template", "logs-zos.zert_connection.json"),
            """{"version":2,"index_patterns":["logs-zos.zert_connection-*"],"data_stream":{},"priority":200,"composed_of":["logs-zos.zert_connection@mappings","logs-zos.zert_connection@custom"],"ignore_missing_component_templates":["logs-zos.zert_connection@custom"],"template":{"lifecycle":{"data_retention":"90d"}}}""");
        async Task StartAsync(Action<ElasticsearchSinkOptions> change)
        {
            await using var sink = new ElasticsearchSink(Options(o =>
            {
                o.InstallTemplates = true;
                o.TemplatesDirectory = templates;
                change(o);
            }));
            await sink.StartAsync(CancellationToken.None);
        }

        JsonNode IndexTemplate() => JsonNode.Parse(_elasticsearch.IndexTemplates["logs-zos.zert_connection"])!;

        await StartAsync(o => o.Retention = "30d");
        Assert.Equal(2, _elasticsearch.TemplatePuts.Count);
        Assert.Equal("30d", (string?)IndexTemplate()["template"]!["lifecycle"]!["data_retention"]);
        Assert.Equal(["logs-zos.zert_connection@custom"], IndexTemplate()["ignore_missing_component_templates"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("constant_keyword", (string?)JsonNode.Parse(_elasticsearch.ComponentTemplates["logs-zos.zert_connection@mappings"])!
            ["template"]!["mappings"]!["properties"]!["data_stream"]!["properties"]!["dataset"]!["type"]);

        await StartAsync(o => o.Retention = "30d"); // same version, same lifecycle: an administrator's edit survives
        Assert.Equal(2, _elasticsearch.TemplatePuts.Count);

        await StartAsync(o => o.Retention = "7d"); // a new retention replaces the index template only
        Assert.Equal(["/_component_template/logs-zos.zert_connection@mappings", "/_index_template/logs-zos.zert_connection", "/_index_template/logs-zos.zert_connection"],
            _elasticsearch.TemplatePuts);
        Assert.Equal("7d", (string?)IndexTemplate()["template"]!["lifecycle"]!["data_retention"]);

        await StartAsync(o => o.IlmPolicy = "zert-logs");
        Assert.Null(IndexTemplate()["template"]!["lifecycle"]);
        Assert.Equal("zert-logs", (string?)IndexTemplate()["template"]!["settings"]!["index.lifecycle.name"]);

        // An older version on the cluster is replaced.
        _elasticsearch.ComponentTemplates["logs-zos.zert_connection@mappings"] = """{"version":1,"template":{}}""";
        await StartAsync(o => o.IlmPolicy = "zert-logs");
        Assert.Equal(2, (int)JsonNode.Parse(_elasticsearch.ComponentTemplates["logs-zos.zert_connection@mappings"])!["version"]!);
    }

    /// <summary>
    /// A data stream takes its templates when it creates a backing index, so a replaced template would reach a running
    /// data stream only at its next lifecycle rollover: the installer marks the data streams its index templates make
    /// to roll over at their next write (lazy), only when it replaced a template, and a data stream that does not exist
    /// yet (404) does not stop the start.
    /// </summary>
    [Fact]
    public async Task Replacing_a_template_marks_the_data_streams_it_makes_to_roll_over_at_their_next_write()
    {
        var templates = Path.Combine(_directory, "rolled");
        Directory.CreateDirectory(Path.Combine(templates, "component_template"));
        Directory.CreateDirectory(Path.Combine(templates, "index_template"));
        void WriteTemplates(int version)
        {
            File.WriteAllText(Path.Combine(templates, "component_template", "logs-zos.zert_connection@mappings.json"),
                """{"version":VERSION,"template":{"settings":{"index":{"mapping":{"ignore_malformed":true}}},"mappings":{"properties":{"message":{"type":"match_only_text"}}}}}""".Replace("VERSION", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            foreach (var kind in new[] { "connection", "summary" })
            {
                File.WriteAllText(Path.Combine(templates, "index_template", $"logs-zos.zert_{kind}.json"),
                    $$"""{"version":{{version}},"index_patterns":["logs-zos.zert_{{kind}}-*"],"data_stream":{},"priority":200,"composed_of":["logs-zos.zert_connection@mappings"]}""");
            }
        }

        var log = new RecordingLog();
        async Task StartAsync()
        {
            await using var sink = new ElasticsearchSink(Options(o =>
            {
                o.InstallTemplates = true;
                o.TemplatesDirectory = templates;
                o.Namespace = "prod";
            }), log);
            await sink.StartAsync(CancellationToken.None);
        }

        WriteTemplates(1);
        await StartAsync(); // a new cluster: nothing replaced, nothing to roll over
        await using (var sink = new ElasticsearchSink(Options(o => o.Namespace = "prod")))
        {
            await SendAsync(sink, TestEvents.Many(3)); // the connection data stream now exists; the summary one does not
        }
        await StartAsync(); // the same version: kept
        Assert.Empty(_elasticsearch.Rollovers);

        WriteTemplates(2);
        await StartAsync(); // replaced: both data streams marked, the missing one answers 404 and the start goes on
        Assert.Equal(["/logs-zos.zert_connection-prod/_rollover?lazy=true", "/logs-zos.zert_summary-prod/_rollover?lazy=true"], _elasticsearch.Rollovers);
        Assert.Contains("Marked data stream logs-zos.zert_connection-prod to roll over at its next write: its next backing index has the new templates.", log.Messages);
        Assert.DoesNotContain(log.Messages, m => m.Contains("logs-zos.zert_summary-prod", StringComparison.Ordinal));

        await StartAsync(); // installed version 2 is kept: no further rollover
        Assert.Equal(2, _elasticsearch.Rollovers.Count);
    }

    [Fact]
    public async Task A_missing_templates_directory_fails_start_with_a_clear_message()
    {
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.InstallTemplates = true;
            o.TemplatesDirectory = Path.Combine(_directory, "nowhere");
        }));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.StartAsync(CancellationToken.None));
        Assert.Contains("component_template", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_API_key_read_from_a_file_is_sent_as_ApiKey_authorization()
    {
        var keyFile = Path.Combine(_directory, "api-key");
        File.WriteAllText(keyFile, ApiKey + "\n");
        _elasticsearch.RequiredAuthorization = "ApiKey " + ApiKey;
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.ApiKey = null;
            o.ApiKeyFile = keyFile;
        }));

        await sink.StartAsync(CancellationToken.None);
        var outcome = await SendAsync(sink, [TestEvents.Create(1)]);

        Assert.Equal(ItemOutcome.Delivered, outcome[0]);
        Assert.All(_elasticsearch.AuthorizationHeaders, header => Assert.Equal("ApiKey " + ApiKey, header));
    }

    [Fact]
    public async Task Basic_authentication_uses_the_username_and_the_password_file()
    {
        var passwordFile = Path.Combine(_directory, "password");
        File.WriteAllText(passwordFile, "s3cret:with:colons\n");
        _elasticsearch.RequiredAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("zert_writer:s3cret:with:colons"));
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.ApiKey = null;
            o.Username = "zert_writer";
            o.PasswordFile = passwordFile;
        }));

        await sink.StartAsync(CancellationToken.None);
        var outcome = await SendAsync(sink, [TestEvents.Create(1)]);

        Assert.Equal(ItemOutcome.Delivered, outcome[0]);
        Assert.Single(_elasticsearch.Documents);
    }

    [Fact]
    public async Task Wrong_credentials_fail_fast_at_start_and_on_bulk_instead_of_retrying()
    {
        _elasticsearch.RequiredAuthorization = "ApiKey the-right-one";
        await using var sink = new ElasticsearchSink(Options(o => o.ApiKey = "the-wrong-one"));

        var atStart = await Assert.ThrowsAsync<SinkFatalException>(() => sink.StartAsync(CancellationToken.None));
        var onBulk = await Assert.ThrowsAsync<SinkFatalException>(() => SendAsync(sink, [TestEvents.Create(1)]));

        Assert.Contains("HTTP 401", atStart.Message, StringComparison.Ordinal);
        Assert.Contains("security_exception", onBulk.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("the-wrong-one", atStart.Message + onBulk.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_is_verified_by_default_and_a_CaFile_trusts_a_private_authority()
    {
        using var certificates = new TestCertificates();
        await using var tlsElasticsearch = await FakeElasticsearch.StartAsync(certificates.Server);
        var url = $"https://127.0.0.1:{tlsElasticsearch.Url.Port}";

        await using (var untrusting = new ElasticsearchSink(Options(o => o.Url = url)))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => untrusting.StartAsync(CancellationToken.None));
            output.WriteLine($"without CaFile: {refused.Message}");
            Assert.Contains("is not trusted; set Outputs:Elasticsearch:CaFile", refused.Message, StringComparison.Ordinal);
        }

        await using var trusting = new ElasticsearchSink(Options(o =>
        {
            o.Url = url;
            o.CaFile = certificates.WriteAuthorityPem(_directory);
        }));
        await trusting.StartAsync(CancellationToken.None);
        var outcome = await SendAsync(trusting, [TestEvents.Create(1)]);

        Assert.Equal(ItemOutcome.Delivered, outcome[0]);
        Assert.Single(tlsElasticsearch.Documents);
    }

    [Fact]
    public async Task A_host_name_mismatch_is_refused_even_with_the_CaFile_and_the_message_says_why()
    {
        using var certificates = new TestCertificates(serverDnsName: "es.other.example");
        await using var tlsElasticsearch = await FakeElasticsearch.StartAsync(certificates.Server);
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.Url = $"https://127.0.0.1:{tlsElasticsearch.Url.Port}";
            o.CaFile = certificates.WriteAuthorityPem(_directory);
        }));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.StartAsync(CancellationToken.None));
        var outcome = await SendAsync(sink, [TestEvents.Create(1)]);

        output.WriteLine(refused.Message);
        Assert.Contains("host name mismatch: the certificate is for es.other.example, not '127.0.0.1'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(ItemOutcome.Retry, outcome[0]);
        Assert.Contains("host name mismatch", outcome.Reason(0), StringComparison.Ordinal);
        Assert.Empty(tlsElasticsearch.Documents);
    }

    [Fact]
    public async Task A_certificate_of_the_CaFile_that_is_not_for_a_server_is_refused_and_the_message_says_why()
    {
        // A client certificate of the same corporate CA (extended key usage clientAuth only) chains to the CaFile but
        // does not identify a server; the message said only "RemoteCertificateChainErrors".
        using var certificates = new TestCertificates(serverUsageOid: "1.3.6.1.5.5.7.3.2");
        await using var tlsElasticsearch = await FakeElasticsearch.StartAsync(certificates.Server);
        var url = $"https://127.0.0.1:{tlsElasticsearch.Url.Port}";
        await using var sink = new ElasticsearchSink(Options(o =>
        {
            o.Url = url;
            o.CaFile = certificates.WriteAuthorityPem(_directory);
        }));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.StartAsync(CancellationToken.None));
        var outcome = await SendAsync(sink, [TestEvents.Create(1)]);

        output.WriteLine(refused.Message);
        const string why = "is not for a TLS server: its extended key usage lacks serverAuth";
        Assert.Contains($"Cannot reach Elasticsearch at {url}: TLS certificate refused: the certificate of Elasticsearch (CN=localhost, issued by CN=ZertForwarder Test CA) {why}",
            refused.Message, StringComparison.Ordinal);
        Assert.Equal(ItemOutcome.Retry, outcome[0]);
        Assert.Contains(why, outcome.Reason(0), StringComparison.Ordinal);
        Assert.Empty(tlsElasticsearch.Documents);
    }

    [Fact]
    public async Task A_pinned_CertificateFingerprint_trusts_the_chain_without_a_CaFile_and_a_wrong_one_is_refused()
    {
        using var certificates = new TestCertificates();
        await using var tlsElasticsearch = await FakeElasticsearch.StartAsync(certificates.Server);
        var url = $"https://127.0.0.1:{tlsElasticsearch.Url.Port}";
        // Written as Elasticsearch prints its HTTP CA fingerprint at first start; here the server certificate's own.
        var fingerprint = string.Join(":", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificates.Server.RawData)).Chunk(2).Select(c => new string(c)));

        await using (var wrong = new ElasticsearchSink(Options(o =>
        {
            o.Url = url;
            o.CertificateFingerprint = new string('A', 64);
        })))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => wrong.StartAsync(CancellationToken.None));
            output.WriteLine(refused.Message);
            Assert.Contains("no certificate in the server's chain has the pinned CertificateFingerprint", refused.Message, StringComparison.Ordinal);
        }

        await using var pinned = new ElasticsearchSink(Options(o =>
        {
            o.Url = url;
            o.CertificateFingerprint = fingerprint;
        }));
        await pinned.StartAsync(CancellationToken.None);
        var outcome = await SendAsync(pinned, [TestEvents.Create(1)]);

        Assert.Equal(ItemOutcome.Delivered, outcome[0]);
        Assert.Single(tlsElasticsearch.Documents);
    }

    [Fact]
    public void Options_validation_names_each_problem()
    {
        var problems = new ElasticsearchSinkOptions
        {
            Url = "es.example:9200",
            Namespace = "Prod-1",
            ApiKey = "k",
            Username = "u",
            RequestTimeout = TimeSpan.Zero,
        }.Validate();

        Assert.Contains(problems, p => p.Contains("Url", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Namespace", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("not both", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Password", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("RequestTimeout", StringComparison.Ordinal));
        Assert.Empty(new ElasticsearchSinkOptions { Url = "https://es:9200" }.Validate());
        // A key with a line break failed the start with the HTTP client's "New-line or NUL characters are not allowed
        // in header values", naming no setting.
        Assert.Equal(["Outputs:Elasticsearch:ApiKey contains spaces, line breaks or control characters (an API key is one word; the value is not shown)."],
            new ElasticsearchSinkOptions { Url = "https://es:9200", ApiKey = "a2V5-part1\npart2" }.Validate());
        Assert.Contains(new ElasticsearchSinkOptions { Url = "https://es:9200/?api_key=k" }.Validate(),
            p => p.Contains("Outputs:Elasticsearch:Url must not carry a query", StringComparison.Ordinal) && !p.Contains("api_key", StringComparison.Ordinal));

        var more = new ElasticsearchSinkOptions
        {
            Url = "https://es:9200",
            Urls = ["https://es1:9200", "es2:9200"],
            CertificateFingerprint = "AB:CD",
            Retention = "forever",
        }.Validate();
        Assert.Contains(more, p => p.Contains("exactly one of Url, Urls or CloudId", StringComparison.Ordinal));
        Assert.Contains(more, p => p.Contains("Urls:1 must be an absolute", StringComparison.Ordinal));
        Assert.Contains(more, p => p.Contains("CertificateFingerprint must be a SHA-256", StringComparison.Ordinal));
        Assert.Contains(more, p => p.Contains("Retention must be a positive", StringComparison.Ordinal));
        Assert.Contains(new ElasticsearchSinkOptions { CloudId = "zert:" + Convert.ToBase64String("es.example.io$abc$def"u8.ToArray()) }.Validate(),
            p => p.Contains("CloudId needs ApiKey", StringComparison.Ordinal));
        Assert.Contains(new ElasticsearchSinkOptions { CloudId = "not-a-cloud-id", ApiKey = "k" }.Validate(), p => p.Contains("CloudId must be", StringComparison.Ordinal));
        Assert.Empty(new ElasticsearchSinkOptions { CloudId = "zert:" + Convert.ToBase64String("es.example.io$abc$def"u8.ToArray()), ApiKey = "k", IlmPolicy = "zert" }.Validate());
    }

    private static async Task<BatchOutcome> SendAsync(ElasticsearchSink sink, IReadOnlyList<ForwardedEvent> events)
    {
        var outcome = new BatchOutcome(events.Count);
        await sink.SendAsync(events, outcome, CancellationToken.None);
        return outcome;
    }

    private static ForwardedEvent Reposition(ForwardedEvent forwardedEvent, IEventAcknowledgement position) => new()
    {
        EventId = forwardedEvent.EventId,
        Dataset = forwardedEvent.Dataset,
        Ecs = forwardedEvent.Ecs,
        Position = position,
    };
}
