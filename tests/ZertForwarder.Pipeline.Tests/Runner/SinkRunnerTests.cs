using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Runner;

public sealed class SinkRunnerTests
{
    private static readonly int EventSize = TestEvents.Create(0).SizeInBytes;

    private static SinkRunner NewRunner(
        ISink sink, SinkRunnerOptions options, ObservedTimeProvider time, IDeadLetterOutput? deadLetters = null, PipelineMetrics? metrics = null) =>
        new(sink, options, deadLetters, metrics, time, new Random(20261125));

    private static async Task WriteAllAsync(SinkRunner runner, IEnumerable<ForwardedEvent> events)
    {
        foreach (var forwardedEvent in events)
        {
            await runner.WriteAsync(forwardedEvent, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_batch_is_sent_when_it_reaches_MaxBatchItems_and_the_rest_waits_for_the_age_limit()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { BufferCapacity = 100, MaxBatchItems = 10, MaxBatchAge = TimeSpan.FromHours(1) }, time);
        await WriteAllAsync(runner, TestEvents.Many(25));

        await runner.StartAsync(CancellationToken.None);
        await time.WaitForTimerAsync(0); // the third batch is parked on its age timer

        Assert.Equal([10, 10], sink.Batches.Select(b => b.Count));
        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        Assert.Equal(2, sink.SendCalls);
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => sink.SendCalls == 3, "the age-limited third batch");
        Assert.Equal(5, sink.Batches[2].Count);
    }

    [Fact]
    public async Task A_batch_never_grows_past_MaxBatchBytes()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink();
        var options = new SinkRunnerOptions { BufferCapacity = 100, MaxBatchItems = 100, MaxBatchBytes = (3 * EventSize) + (EventSize / 2), MaxBatchAge = TimeSpan.FromHours(1) };
        await using var runner = NewRunner(sink, options, time);
        await WriteAllAsync(runner, TestEvents.Many(7));

        await runner.StartAsync(CancellationToken.None);
        await time.WaitForTimerAsync(0);

        Assert.Equal([3, 3], sink.Batches.Select(b => b.Count));
        time.Advance(TimeSpan.FromHours(1));
        await Eventually.TrueAsync(() => sink.SendCalls == 3, "the last, age-limited batch");
        Assert.Single(sink.Batches[2]);
    }

    [Fact]
    public async Task A_partial_batch_is_sent_exactly_when_its_age_reaches_MaxBatchAge()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 100, MaxBatchAge = TimeSpan.FromSeconds(1) }, time);
        await WriteAllAsync(runner, TestEvents.Many(3));

        await runner.StartAsync(CancellationToken.None);
        await time.WaitForTimerAsync(0);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, sink.SendCalls);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await Eventually.TrueAsync(() => sink.SendCalls == 1, "the batch after 1 s");
        Assert.Equal(3, sink.Batches[0].Count);
    }

    [Fact]
    public async Task A_partial_batch_goes_out_at_once_when_asked_at_the_end_of_an_input()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 100, MaxBatchAge = TimeSpan.FromHours(1) }, time);
        await WriteAllAsync(runner, TestEvents.Many(3));
        await runner.StartAsync(CancellationToken.None);
        await time.WaitForTimerAsync(0); // the batch of 3 waits for its age limit

        runner.SendPartialBatch(); // the clock does not move
        await Eventually.TrueAsync(() => sink.SendCalls == 1, "the partial batch sent on request");
        Assert.Equal(3, sink.Batches[0].Count);
    }

    [Theory]
    [InlineData(10, long.MaxValue, 10)] // limited by item count
    [InlineData(1000, 4, 4)]            // limited by bytes: room for 4 events
    public async Task A_full_buffer_blocks_the_writer_instead_of_growing_or_dropping(int capacity, long budgetInEvents, int expectedAccepted)
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink { Script = (_, _) => (ItemOutcome.Retry, "HTTP 503: unavailable") };
        var options = new SinkRunnerOptions
        {
            BufferCapacity = capacity,
            BufferBytes = budgetInEvents == long.MaxValue ? long.MaxValue : budgetInEvents * EventSize,
            MaxBatchItems = Math.Min(5, capacity),
            MaxBatchAge = TimeSpan.Zero,
        };
        var runner = NewRunner(sink, options, time);
        await runner.StartAsync(CancellationToken.None);
        // Nothing frees room: the sink answers "retry" and the back-off timer never fires (time is not advanced). A
        // write with room completes at once; so every write up to the limit completes at once and the next one waits.
        var events = TestEvents.Many(100).ToList();
        for (var i = 0; i < expectedAccepted; i++)
        {
            Assert.True(runner.WriteAsync(events[i], CancellationToken.None).AsTask().IsCompletedSuccessfully, $"write {i + 1} of {expectedAccepted} has room");
        }

        var blocked = runner.WriteAsync(events[expectedAccepted], CancellationToken.None).AsTask();
        // The runner has taken the first batch out of its buffer and is waiting to retry it: still no room.
        await time.WaitForTimerAsync(0);
        Assert.False(blocked.IsCompleted, "a write past the limit waits for room");
        Assert.True(runner.BufferedItems <= expectedAccepted);
        Assert.True(runner.BufferedBytes <= options.BufferBytes);

        await runner.DisposeAsync(); // stopping the runner releases the blocked writer with an error, not silently
        await Assert.ThrowsAsync<InvalidOperationException>(() => blocked);
    }

    [Fact]
    public async Task Retried_items_are_sent_again_after_backoff_and_then_delivered_once()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink { Script = (_, attempt) => attempt <= 2 ? (ItemOutcome.Retry, "HTTP 429: too many requests") : (ItemOutcome.Delivered, null) };
        var metrics = new PipelineMetrics();
        var acks = new AckCounter();
        var options = new SinkRunnerOptions { MaxBatchItems = 4, InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(8) };
        await using var runner = NewRunner(sink, options, time, metrics: metrics);
        await WriteAllAsync(runner, TestEvents.Many(4, acks.For));
        await runner.StartAsync(CancellationToken.None);

        await time.WaitForTimerAsync(0); // back-off after the first failure
        Assert.Equal(1, sink.SendCalls);
        time.Advance(TimeSpan.FromSeconds(1)); // first back-off is below InitialBackoff
        await time.WaitForTimerAsync(1);
        Assert.Equal(2, sink.SendCalls);
        time.Advance(TimeSpan.FromSeconds(2)); // second below 2 × InitialBackoff
        await Eventually.TrueAsync(() => acks.Counts.Count == 4, "all four acknowledged");

        Assert.Equal([4, 4, 4], sink.Batches.Select(b => b.Count));
        Assert.All(sink.Delivered.Values, count => Assert.Equal(1, count));
        Assert.All(Enumerable.Range(0, 4), n => Assert.Equal(1, acks.CountOf(n)));
        Assert.Equal(8, metrics.Counter(PipelineMetricNames.SinkRetries, "", "sink").WithLabels("scripted").Value);
        // Two sends that delivered nothing (every item answered retry, as a refused syslog connection or timed-out
        // Kafka reports do) are sends that failed as a whole, though the sink did not throw.
        Assert.Equal(2, metrics.Counter(PipelineMetricNames.SinkSendErrors, "", "sink").WithLabels("scripted").Value);
    }

    [Fact]
    public async Task A_batch_being_retried_holds_later_batches_back_so_events_are_delivered_in_order()
    {
        // Kafka keeps a key's records in order only if they are produced in order: a batch retried on its own back-off
        // while later batches went through put its events behind theirs.
        var time = new ObservedTimeProvider();
        var firstBatch = TestEvents.Many(3).Select(e => e.EventId).ToHashSet();
        var delivered = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var sink = new ScriptedSink
        {
            MaxConcurrentBatches = 4,
            Script = (e, attempt) =>
            {
                if (attempt == 1 && firstBatch.Contains(e.EventId)) return (ItemOutcome.Retry, "message timed out");
                delivered.Enqueue(e.EventId);
                return (ItemOutcome.Delivered, null);
            },
        };
        var options = new SinkRunnerOptions { MaxBatchItems = 3, MaxBatchAge = TimeSpan.Zero, InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(1) };
        await using var runner = NewRunner(sink, options, time);
        var events = TestEvents.Many(12).ToList();
        await WriteAllAsync(runner, events);
        await runner.StartAsync(CancellationToken.None);

        await time.WaitForTimerAsync(0); // the first batch's back-off
        Assert.Empty(delivered); // nothing after it went ahead
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => delivered.Count == 12, "all twelve delivered");
        Assert.Equal(events.Select(e => e.EventId), delivered);
    }

    [Fact]
    public async Task Only_the_items_that_need_a_retry_are_sent_again()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink
        {
            Script = (e, attempt) => attempt == 1 && Array.IndexOf(Ids(6), e.EventId) % 2 == 0
                ? (ItemOutcome.Retry, "item status 429")
                : (ItemOutcome.Delivered, null),
        };
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 6, InitialBackoff = TimeSpan.FromSeconds(1) }, time);
        await WriteAllAsync(runner, TestEvents.Many(6));
        await runner.StartAsync(CancellationToken.None);

        await time.AdvanceUntilAsync(() => sink.Delivered.Count == 6, TimeSpan.FromSeconds(1), "all six delivered");

        Assert.Equal(2, sink.SendCalls);
        Assert.Equal(Ids(6), sink.Batches[0]);
        Assert.Equal([TestEvents.IdOf(0), TestEvents.IdOf(2), TestEvents.IdOf(4)], sink.Batches[1]);
    }

    [Fact]
    public async Task Items_still_failing_at_the_retry_time_limit_are_dead_lettered_with_the_last_reason()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink { Script = (_, attempt) => (ItemOutcome.Retry, $"HTTP 503: unavailable (attempt {attempt})") };
        var deadLetters = new MemoryDeadLetters();
        var acks = new AckCounter();
        var options = new SinkRunnerOptions { MaxBatchItems = 2, InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(4), RetryTimeLimit = TimeSpan.FromSeconds(30) };
        await using var runner = NewRunner(sink, options, time, deadLetters);
        await WriteAllAsync(runner, TestEvents.Many(2, acks.For));
        await runner.StartAsync(CancellationToken.None);

        await time.AdvanceUntilAsync(() => deadLetters.Records.Count == 2, TimeSpan.FromSeconds(4), "two dead letters");

        var lastAttempt = sink.SendCalls;
        Assert.All(deadLetters.Records, r => Assert.Equal($"retry limit exceeded: HTTP 503: unavailable (attempt {lastAttempt})", r.Reason));
        Assert.All(deadLetters.Records, r => Assert.Equal("scripted", r.Sink));
        Assert.Equal(1, acks.CountOf(0));
        Assert.Equal(1, acks.CountOf(1));
        Assert.True(lastAttempt >= 30 / 4, $"kept retrying until the limit ({lastAttempt} sends, each back-off at most 4 s)");
    }

    [Fact]
    public async Task A_rejected_item_goes_to_the_dead_letter_output_with_its_reason_and_the_others_are_delivered()
    {
        var time = new ObservedTimeProvider();
        var poisoned = TestEvents.IdOf(1);
        var sink = new ScriptedSink
        {
            Script = (e, _) => e.EventId == poisoned
                ? (ItemOutcome.Rejected, "item status 400: mapper_parsing_exception: failed to parse field [source.port]")
                : (ItemOutcome.Delivered, null),
        };
        var deadLetters = new MemoryDeadLetters();
        var acks = new AckCounter();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 3 }, time, deadLetters);
        await WriteAllAsync(runner, TestEvents.Many(3, acks.For));
        await runner.StartAsync(CancellationToken.None);

        await Eventually.TrueAsync(() => acks.Counts.Count == 3, "three acknowledgements");

        var record = Assert.Single(deadLetters.Records);
        Assert.Equal(poisoned, record.EventId);
        Assert.Equal("item status 400: mapper_parsing_exception: failed to parse field [source.port]", record.Reason);
        Assert.Equal(1, sink.SendCalls);
        Assert.Equal(2, sink.Delivered.Count);
    }

    [Fact]
    public async Task A_send_that_throws_retries_every_item_and_an_undecided_item_is_retried_too()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink
        {
            BeforeSend = (call, _) => call == 1 ? throw new IOException("connection reset") : Task.CompletedTask,
            Script = (e, attempt) => e.EventId == TestEvents.IdOf(2) && attempt == 1 ? (ItemOutcome.Pending, null) : (ItemOutcome.Delivered, null),
        };
        var metrics = new PipelineMetrics();
        var acks = new AckCounter();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 3 }, time, metrics: metrics);
        await WriteAllAsync(runner, TestEvents.Many(3, acks.For));
        await runner.StartAsync(CancellationToken.None);

        await time.AdvanceUntilAsync(() => acks.Counts.Count == 3, TimeSpan.FromSeconds(1), "three acknowledgements");

        Assert.Equal([3, 3, 1], sink.Batches.Select(b => b.Count));
        Assert.Equal(TestEvents.IdOf(2), sink.Batches[2][0]);
        Assert.Equal(1, metrics.Counter(PipelineMetricNames.SinkSendErrors, "", "sink").WithLabels("scripted").Value);
    }

    [Fact]
    public async Task Every_event_is_acknowledged_exactly_once_whatever_its_outcome()
    {
        var time = new ObservedTimeProvider();
        var ids = Ids(40);
        var sink = new ScriptedSink
        {
            Script = (e, attempt) => (Array.IndexOf(ids, e.EventId) % 4) switch
            {
                0 => (ItemOutcome.Delivered, null),
                1 => (ItemOutcome.Rejected, "bad document"),
                2 => attempt == 1 ? (ItemOutcome.Retry, "busy") : (ItemOutcome.Delivered, null),
                _ => (ItemOutcome.Retry, "always busy"),
            },
        };
        var deadLetters = new MemoryDeadLetters();
        var acks = new AckCounter();
        var options = new SinkRunnerOptions { MaxBatchItems = 7, MaxBatchAge = TimeSpan.FromSeconds(1), RetryTimeLimit = TimeSpan.FromSeconds(20), MaxBackoff = TimeSpan.FromSeconds(2) };
        await using var runner = NewRunner(sink, options, time, deadLetters);
        await runner.StartAsync(CancellationToken.None);
        await WriteAllAsync(runner, TestEvents.Many(40, acks.For));

        await time.AdvanceUntilAsync(() => acks.Counts.Count == 40, TimeSpan.FromSeconds(2), "forty acknowledgements");
        Assert.True(await runner.CompleteAsync(CancellationToken.None));

        Assert.All(Enumerable.Range(0, 40), n => Assert.Equal(1, acks.CountOf(n)));
        Assert.Equal(20, sink.Delivered.Count);
        Assert.All(sink.Delivered.Values, count => Assert.Equal(1, count));
        Assert.Equal(10, deadLetters.Records.Count(r => r.Reason == "bad document"));
        Assert.Equal(10, deadLetters.Records.Count(r => r.Reason == "retry limit exceeded: always busy"));
    }

    [Fact]
    public async Task With_two_sinks_a_position_is_committed_only_after_both_are_done_with_it()
    {
        var time = new ObservedTimeProvider();
        var fast = new ScriptedSink("fast");
        var releaseSlow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new ScriptedSink("slow") { BeforeSend = (_, ct) => releaseSlow.Task.WaitAsync(ct) };
        var options = new SinkRunnerOptions { MaxBatchItems = 5, MaxBatchAge = TimeSpan.Zero };
        await using var fastRunner = NewRunner(fast, options, time);
        await using var slowRunner = NewRunner(slow, options, time);
        var router = new EventRouter([fastRunner, slowRunner]);
        var tracker = new AckTracker(startPosition: 0);
        await fastRunner.StartAsync(CancellationToken.None);
        await slowRunner.StartAsync(CancellationToken.None);

        for (var n = 0; n < 5; n++)
        {
            var position = (n + 1) * 100L; // the offset after record n
            await router.WriteAsync(TestEvents.Create(n, tracker.Track(position, router.SinkCount)), CancellationToken.None);
        }

        await Eventually.TrueAsync(() => fast.Delivered.Count == 5 && slow.SendCalls >= 1, "the fast sink delivered, the slow one is sending");
        Assert.Equal(0, tracker.CommittedPosition);
        Assert.Equal(5, tracker.PendingCount);

        releaseSlow.SetResult();
        await Eventually.TrueAsync(() => tracker.CommittedPosition == 500, "everything committed");
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public async Task Completing_drains_every_buffered_event_then_flushes_the_sink()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink();
        var acks = new AckCounter();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 20, MaxBatchAge = TimeSpan.FromHours(1) }, time);
        await runner.StartAsync(CancellationToken.None);
        await WriteAllAsync(runner, TestEvents.Many(50, acks.For));

        Assert.True(await runner.CompleteAsync(CancellationToken.None)); // no clock movement needed: completion ends the last batch

        Assert.Equal(50, sink.Delivered.Count);
        Assert.Equal(50, acks.Counts.Count);
        Assert.Equal(1, sink.Flushes);
        Assert.Equal(sink.SendCalls, sink.SendCallsAtLastFlush);
        Assert.Equal(0, runner.BufferedItems);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await runner.WriteAsync(TestEvents.Create(99), CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_completion_stops_promptly_and_leaves_undelivered_events_unacknowledged()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink { Script = (_, _) => (ItemOutcome.Retry, "HTTP 503") };
        var tracker = new AckTracker();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 5 }, time);
        await runner.StartAsync(CancellationToken.None);
        for (var n = 0; n < 5; n++)
        {
            await runner.WriteAsync(TestEvents.Create(n, tracker.Track(n + 1, 1)), CancellationToken.None);
        }

        await Eventually.TrueAsync(() => sink.SendCalls >= 1, "a first send");
        using var gracePeriod = new CancellationTokenSource();
        var completing = runner.CompleteAsync(gracePeriod.Token);
        Assert.False(completing.IsCompleted); // still retrying: the clock has not moved
        await gracePeriod.CancelAsync();

        Assert.False(await completing);
        Assert.Equal(0, tracker.CommittedPosition);
        Assert.Equal(0, sink.Flushes);
    }

    [Fact]
    public async Task A_fatal_sink_error_stops_the_runner_and_reaches_writers_and_completion()
    {
        var time = new ObservedTimeProvider();
        var sink = new ScriptedSink { BeforeSend = (_, _) => throw new SinkFatalException("HTTP 401: check the API key") };
        var acks = new AckCounter();
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 2 }, time);
        await runner.StartAsync(CancellationToken.None);
        await WriteAllAsync(runner, TestEvents.Many(2, acks.For));

        var fatal = await Assert.ThrowsAsync<SinkFatalException>(() => runner.Completion);
        Assert.Contains("401", fatal.Message, StringComparison.Ordinal);
        // Writers learn why the runner stopped (the host then stops reading and exits 2).
        var refused = await Assert.ThrowsAsync<SinkFatalException>(async () => await runner.WriteAsync(TestEvents.Create(3), CancellationToken.None));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        Assert.True(runner.IsDown);
        await Assert.ThrowsAsync<SinkFatalException>(() => runner.CompleteAsync(CancellationToken.None));
        Assert.Empty(acks.Counts);
    }

    [Fact]
    public async Task Runner_metrics_are_rendered_with_the_sink_label()
    {
        var time = new ObservedTimeProvider();
        var metrics = new PipelineMetrics();
        var sink = new ScriptedSink("file") { Script = (e, _) => e.EventId == TestEvents.IdOf(0) ? (ItemOutcome.Rejected, "no") : (ItemOutcome.Delivered, null) };
        await using var runner = NewRunner(sink, new SinkRunnerOptions { MaxBatchItems = 4 }, time, new MemoryDeadLetters(), metrics);
        await runner.StartAsync(CancellationToken.None);
        await WriteAllAsync(runner, TestEvents.Many(4));
        Assert.True(await runner.CompleteAsync(CancellationToken.None));

        var text = metrics.Render();
        Assert.Contains("zertforwarder_events_published_total{sink=\"file\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("zertforwarder_events_dead_lettered_total{sink=\"file\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("zertforwarder_batch_duration_seconds_count{sink=\"file\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("zertforwarder_buffer_items{sink=\"file\"} 0\n", text, StringComparison.Ordinal);
    }

    private static string[] Ids(int count) => [.. Enumerable.Range(0, count).Select(TestEvents.IdOf)];
}
