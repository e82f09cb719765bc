using System.Threading.Channels;

namespace ZertForwarder.Pipeline;

/// <summary>
/// Feeds one sink: a bounded buffer, one loop that forms batches (max items / max bytes / max age), sends them,
/// and settles every item: delivered → acknowledged; rejected → dead-lettered, then acknowledged; retry →
/// re-sent alone after capped exponential back-off with full jitter until the retry time limit, then
/// dead-lettered with "retry limit exceeded: …" (guide §4.2, output contract §6).
/// </summary>
/// <remarks>
/// <para>Each event's <see cref="ForwardedEvent.Position"/> is completed exactly once by this runner, when it is done with it.</para>
/// <para>Batches are sent in input order, one at a time unless the sink allows more (<see cref="ISink.MaxConcurrentBatches"/>); retried items are re-sent alone.</para>
/// <para>The runner owns the sink and disposes it.</para>
/// </remarks>
public sealed class SinkRunner : IAsyncDisposable
{
    private readonly ISink _sink;
    private readonly SinkRunnerOptions _options;
    private readonly IDeadLetterOutput? _deadLetters;
    private readonly TimeProvider _time;
    private readonly IPipelineLog _log;
    private readonly ExponentialBackoff _backoff;
    private readonly BufferBudget _budget;

    /// <summary>
    /// The events admitted by <see cref="_budget"/> and not yet taken into a batch. Bounded at the budget's item limit,
    /// which it can never reach first (an event is written only after the budget admitted it), because a bounded
    /// channel keeps its items in one array that grows to what it holds. The unbounded channel's queue instead
    /// allocated a new segment every time one filled, doubling up to a million slots: a 16 MB large object per
    /// million events, which under the managed heap limit (Memory:HeapLimitMB) ended runs with "out of memory" at
    /// random (about one run in seven of 1 M records at the default limit) and raised the resident size.
    /// </summary>
    private readonly Channel<ForwardedEvent> _queue;

    private readonly CancellationTokenSource _abort = new();
    private readonly RunnerMetrics _metrics;
    private Task? _loop;
    private int _disposed;
    private volatile SinkFatalException? _fatal;
    private volatile bool _lastSendFailed;

    // Batches between a failed attempt and their final outcome: while there are any, no later batch is started.
    private int _retryingBatches;

    // SendPartialBatch: a request (1) and the signal a waiting batch wakes on, replaced at each request.
    private int _sendNowRequested;
    private TaskCompletionSource _sendNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="sink">The destination; owned (disposed) by the runner.</param>
    /// <param name="options">Buffer, batch and retry settings.</param>
    /// <param name="deadLetters">Where rejected and expired items go; when null they are logged, counted as dropped and acknowledged.</param>
    /// <param name="metrics">Registry for the runner's metrics; a private one when null.</param>
    /// <param name="timeProvider">Clock for batch age, back-off and retry limit.</param>
    /// <param name="jitter">Source of back-off jitter (seeded in tests for determinism).</param>
    /// <param name="log">Warnings about retries and dead letters; never contains payloads.</param>
    public SinkRunner(
        ISink sink,
        SinkRunnerOptions options,
        IDeadLetterOutput? deadLetters = null,
        PipelineMetrics? metrics = null,
        TimeProvider? timeProvider = null,
        Random? jitter = null,
        IPipelineLog? log = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid runner options for sink '{sink.Name}': {string.Join(" ", problems)}", nameof(options));
        }

        _sink = sink;
        _options = options;
        _deadLetters = deadLetters;
        _time = timeProvider ?? TimeProvider.System;
        _log = log ?? NullPipelineLog.Instance;
        _backoff = new ExponentialBackoff(options.InitialBackoff, options.MaxBackoff, jitter ?? Random.Shared);
        _budget = new BufferBudget(options.BufferCapacity, options.BufferBytes);
        _queue = Channel.CreateBounded<ForwardedEvent>(new BoundedChannelOptions(options.BufferCapacity)
        {
            SingleReader = false,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _metrics = new RunnerMetrics(metrics ?? new PipelineMetrics(), sink.Name);
    }

    public string SinkName => _sink.Name;

    /// <summary>This runner's place in its <see cref="EventRouter"/> (for <see cref="ISinkAcknowledgement"/>); set by the router.</summary>
    public int RouteIndex { get; internal set; }

    /// <summary>Events currently held: queued, in the batch being formed, or waiting for a retry.</summary>
    public int BufferedItems => _budget.Items;

    public long BufferedBytes => _budget.Bytes;

    /// <summary>
    /// True while the destination is not taking events: the last send failed as a whole (connection refused, timeout,
    /// disk full) or the sink stopped for good. Readiness (<c>/readyz</c>) answers 503 while any sink is down.
    /// </summary>
    public bool IsDown => _lastSendFailed || _fatal is not null;

    /// <summary>Why the sink stopped for good, once it did (null while it works).</summary>
    public SinkFatalException? Fatal => _fatal;

    /// <summary>Completes when the loop ends; faults with <see cref="SinkFatalException"/> when the sink gave up.</summary>
    public Task Completion => _loop ?? throw new InvalidOperationException("The runner was not started.");

    /// <summary>Prepares the sink (<see cref="ISink.StartAsync"/>) and starts the loop. Throws when the sink cannot work.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The runner is already started.");
        }

        await _sink.StartAsync(cancellationToken);
        _loop = Task.Run(() => RunAsync(_abort.Token), CancellationToken.None);
    }

    /// <summary>
    /// Hands one event to the runner. Waits while the buffer is full (back-pressure), never drops.
    /// Throws <see cref="InvalidOperationException"/> after completion or when the runner stopped.
    /// </summary>
    public ValueTask WriteAsync(ForwardedEvent forwardedEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(forwardedEvent);
        return WriteBatchAsync([forwardedEvent], include: null, cancellationToken);
    }

    /// <summary>
    /// Hands several events to the runner, in order, with the back-pressure and errors of <see cref="WriteAsync"/>;
    /// <paramref name="include"/> chooses which of them this runner takes. Room in the buffer is taken
    /// without awaiting while there is some, and the gauges are updated once: the router hands over a mapped batch at a
    /// time, and per-event awaits and gauge updates were a measurable share of a fast sink's cost (issue 9).
    /// </summary>
    public async ValueTask WriteBatchAsync(IReadOnlyList<ForwardedEvent> events, Func<ForwardedEvent, bool>? include, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        try
        {
            for (var i = 0; i < events.Count; i++)
            {
                var forwardedEvent = events[i];
                if (include is not null && !include(forwardedEvent))
                {
                    continue;
                }

                var size = forwardedEvent.SizeInBytes;
                try
                {
                    if (!_budget.TryAcquire(size))
                    {
                        UpdateBufferGauges();
                        // The writer (an input's reading flow, through the router) stops here until the sink frees
                        // room: the gauge says which sink holds the input back.
                        _metrics.BufferWaitingWriters.Add(1);
                        try
                        {
                            await _budget.AcquireAsync(size, cancellationToken);
                        }
                        finally
                        {
                            _metrics.BufferWaitingWriters.Add(-1);
                        }
                    }
                }
                catch (InvalidOperationException) when (_fatal is { } fatal)
                {
                    // The budget was closed because the sink gave up: the writer learns why.
                    throw new SinkFatalException(fatal.Message, fatal);
                }

                if (!_queue.Writer.TryWrite(forwardedEvent))
                {
                    _budget.Release(size);
                    if (_fatal is { } fatal)
                    {
                        throw new SinkFatalException(fatal.Message, fatal);
                    }

                    throw new InvalidOperationException($"Sink runner '{_sink.Name}' is completed and accepts no more events.");
                }
            }
        }
        finally
        {
            UpdateBufferGauges();
        }
    }

    /// <summary>
    /// Stops accepting events, waits until every buffered event is delivered or dead-lettered and the sink (and
    /// dead-letter output) flushed. Returns true when that finished; false when <paramref name="cancellationToken"/>
    /// cut it short (SIGTERM grace period over): the loop is stopped promptly and unfinished events stay
    /// unacknowledged, so the source checkpoint does not pass them and they are sent again on restart.
    /// Rethrows the <see cref="SinkFatalException"/> if the sink gave up.
    /// </summary>
    public async Task<bool> CompleteAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        var loop = Completion;
        try
        {
            await loop.WaitAsync(cancellationToken);
            return !_abort.IsCancellationRequested;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopLoopAsync();
            return false;
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Stops the loop at once (if running) and disposes the sink.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await StopLoopAsync();
        await _sink.DisposeAsync();
        _abort.Dispose();
    }

    private async Task StopLoopAsync()
    {
        await _abort.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (Exception)
            {
                // Stopped on purpose, or the failure was already reported through Completion / CompleteAsync.
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Up to MaxConcurrentBatches sends run at once, started in batch order; the oldest is awaited first, so a
        // failing sink still holds the loop (and through the bounded buffer, the source) instead of piling up work.
        var limit = Math.Max(1, _sink.MaxConcurrentBatches);
        var inFlight = new Queue<Task>(limit);
        var lastDelivery = Task.CompletedTask;
        try
        {
            while (true)
            {
                // Settle sends that finished, and while no input is waiting watch the oldest send too: a fatal sink
                // error must stop the loop (and reach writers and Completion) even when no further event arrives.
                while (inFlight.Count > 0 && inFlight.Peek().IsCompleted)
                {
                    await inFlight.Dequeue();
                }

                if (inFlight.Count > 0 && !_queue.Reader.TryPeek(out _))
                {
                    var oldest = inFlight.Peek();
                    var arrived = _queue.Reader.WaitToReadAsync(cancellationToken).AsTask();
                    if (await Task.WhenAny(arrived, oldest) == oldest)
                    {
                        await inFlight.Dequeue();
                        continue;
                    }
                }

                var batch = new List<ForwardedEvent>(_options.MaxBatchItems);
                if (!await FillBatchAsync(batch, cancellationToken))
                {
                    break;
                }

                if (inFlight.Count >= limit)
                {
                    await inFlight.Dequeue();
                }

                // A batch being retried holds the later ones back until it is settled, and retries go in batch order
                // (DeliverAsync waits for the batch before it): batches retried each on its own back-off overtook one
                // another, and after a Kafka outage longer than the message timeout a server's records stood out of
                // order in their partition.
                while (Volatile.Read(ref _retryingBatches) > 0 && inFlight.Count > 0)
                {
                    await inFlight.Dequeue();
                }

                lastDelivery = DeliverAsync(batch, lastDelivery, cancellationToken);
                inFlight.Enqueue(lastDelivery);
            }

            while (inFlight.Count > 0)
            {
                await inFlight.Dequeue();
            }

            await _sink.FlushAsync(cancellationToken);
            if (_deadLetters is not null)
            {
                await _deadLetters.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _budget.Close(new OperationCanceledException("The sink runner was stopped."));
            throw;
        }
        catch (SinkFatalException fatal)
        {
            // Not logged here: whoever runs the pipeline reports it once, in one line (the host: "A sink cannot work").
            _fatal = fatal;
            _budget.Close(fatal);
            _queue.Writer.TryComplete(fatal);
            // The batches still in flight behind the one that failed for good stop too (unacknowledged, read again after
            // a restart) instead of sending on to a sink that has given up or is being disposed.
            await _abort.CancelAsync();
            throw;
        }
        catch (Exception exception)
        {
            _log.Log(PipelineLogLevel.Error, _sink.Name, $"Sink '{_sink.Name}' stopped: {exception.Message}", exception);
            _budget.Close(exception);
            _queue.Writer.TryComplete(exception);
            throw;
        }
    }

    /// <summary>
    /// Sends the batch being filled now, with what it holds, instead of at its age limit (<see cref="SinkRunnerOptions.MaxBatchAge"/>).
    /// Called at the end of an input, whose reader then waits for its last records to be delivered: without it every
    /// file took at least the age limit (a second by default), and a backlog of thousands of small dumps took hours.
    /// </summary>
    public void SendPartialBatch()
    {
        Volatile.Write(ref _sendNowRequested, 1);
        Interlocked.Exchange(ref _sendNow, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Waits for a first event, then keeps adding until the batch is full by count or bytes, its age limit passes,
    /// <see cref="SendPartialBatch"/> is called, or the input is completed. Returns false when the input is completed
    /// and empty.
    /// </summary>
    private async Task<bool> FillBatchAsync(List<ForwardedEvent> batch, CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        if (!await reader.WaitToReadAsync(cancellationToken))
        {
            return false;
        }

        var started = _time.GetTimestamp();
        long bytes = 0;
        using var ageTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? ageElapsed = null;
        try
        {
            while (true)
            {
                while (batch.Count < _options.MaxBatchItems && reader.TryPeek(out var next))
                {
                    if (batch.Count > 0 && bytes + next.SizeInBytes > _options.MaxBatchBytes)
                    {
                        return true;
                    }

                    reader.TryRead(out _);
                    batch.Add(next);
                    bytes += next.SizeInBytes;
                }

                if (batch.Count >= _options.MaxBatchItems)
                {
                    return true;
                }

                // Taken before the request is looked at: a request made after the look completes this very signal.
                var sendNow = Volatile.Read(ref _sendNow).Task;
                if (Interlocked.Exchange(ref _sendNowRequested, 0) == 1)
                {
                    return true;
                }

                var remaining = _options.MaxBatchAge - _time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    return true;
                }

                ageElapsed ??= Task.Delay(remaining, _time, ageTimer.Token);
                var moreArrived = reader.WaitToReadAsync(ageTimer.Token).AsTask();
                var first = await Task.WhenAny(moreArrived, ageElapsed, sendNow);
                if (first == ageElapsed)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return true;
                }

                if (first == sendNow && !moreArrived.IsCompleted)
                {
                    continue; // the request is taken at the top of the loop, after anything that arrived with it
                }

                if (!await moreArrived)
                {
                    return true; // input completed: send what we have
                }
            }
        }
        finally
        {
            await ageTimer.CancelAsync();
        }
    }

    /// <summary>
    /// Sends the batch and settles every item, re-sending only the items that need a retry, each time after
    /// <paramref name="previous"/> (the batch before it) is settled.
    /// </summary>
    private async Task DeliverAsync(List<ForwardedEvent> batch, Task previous, CancellationToken cancellationToken)
    {
        var retrying = false; // counted in _retryingBatches from the first failed attempt until the batch is settled
        try
        {
            var pending = batch;
            var firstAttempt = _time.GetTimestamp();
            for (var attempt = 0; ; attempt++)
            {
                if (attempt > 0)
                {
                    // The batch before this one first (its outcome, fatal or not, is reported where it is awaited).
                    await previous.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var outcome = await SendOnceAsync(pending, cancellationToken);
                AcknowledgeDelivered(pending, outcome);
                List<ForwardedEvent>? retry = null;
                List<string?>? retryReasons = null;
                string? lastReason = null;
                for (var i = 0; i < pending.Count; i++)
                {
                    switch (outcome[i])
                    {
                        case ItemOutcome.Delivered:
                            break; // acknowledged above
                        case ItemOutcome.Rejected:
                            await DeadLetterAsync(pending[i], outcome.Reason(i) ?? "rejected", cancellationToken);
                            break;
                        default:
                            (retry ??= []).Add(pending[i]);
                            (retryReasons ??= []).Add(outcome.Reason(i));
                            lastReason = outcome.Reason(i);
                            break;
                    }
                }

                if (retry is null)
                {
                    return;
                }

                var elapsed = _time.GetElapsedTime(firstAttempt);
                if (elapsed >= _options.RetryTimeLimit)
                {
                    _log.Log(PipelineLogLevel.Error, _sink.Name,
                        $"Sink '{_sink.Name}': {retry.Count} event(s) still failing after {elapsed}; dead-lettering them. Last reason: {lastReason}");
                    for (var i = 0; i < retry.Count; i++)
                    {
                        await DeadLetterAsync(retry[i], $"retry limit exceeded: {retryReasons![i]}", cancellationToken);
                    }

                    return;
                }

                if (!retrying)
                {
                    retrying = true;
                    Interlocked.Increment(ref _retryingBatches);
                }

                _metrics.Retries.Increment(retry.Count);
                var delay = _backoff.NextDelay(attempt);
                var untilLimit = _options.RetryTimeLimit - elapsed;
                if (delay > untilLimit)
                {
                    delay = untilLimit; // one last attempt right at the limit
                }

                _log.Log(PipelineLogLevel.Warning, _sink.Name,
                    $"Sink '{_sink.Name}': retrying {retry.Count} of {pending.Count} event(s) in {delay.TotalMilliseconds:0} ms (attempt {attempt + 1}): {lastReason}");
                await Task.Delay(delay, _time, cancellationToken);
                pending = retry;
            }
        }
        finally
        {
            if (retrying) Interlocked.Decrement(ref _retryingBatches);
        }
    }

    private async Task<BatchOutcome> SendOnceAsync(List<ForwardedEvent> items, CancellationToken cancellationToken)
    {
        var outcome = new BatchOutcome(items.Count);
        var started = _time.GetTimestamp();
        try
        {
            await _sink.SendAsync(items, outcome, cancellationToken);
            outcome.SetPending(ItemOutcome.Retry, "the sink reported no outcome for this item");
            _lastSendFailed = NothingDelivered(outcome);
            // A send that failed as a whole also when the sink said so per item (syslog's refused connection, Kafka's
            // timed-out delivery reports) rather than by throwing.
            if (_lastSendFailed) _metrics.SendErrors.Increment();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (SinkFatalException)
        {
            throw;
        }
        catch (Exception exception)
        {
            // guide §4.2: a sink may throw when the whole batch failed; every undecided item is retried.
            _metrics.SendErrors.Increment();
            _lastSendFailed = true;
            outcome.SetPending(ItemOutcome.Retry, $"send failed: {exception.GetType().Name}: {exception.Message}");
        }

        _metrics.BatchDuration.Observe(_time.GetElapsedTime(started).TotalSeconds);
        return outcome;
    }

    /// <summary>True when a send delivered nothing and left something to retry: the destination is not taking events.</summary>
    private static bool NothingDelivered(BatchOutcome outcome)
    {
        var retried = false;
        for (var i = 0; i < outcome.Count; i++)
        {
            if (outcome[i] == ItemOutcome.Delivered)
            {
                return false;
            }

            retried |= outcome[i] == ItemOutcome.Retry;
        }

        return retried;
    }

    private async Task DeadLetterAsync(ForwardedEvent forwardedEvent, string reason, CancellationToken cancellationToken)
    {
        if (_deadLetters is null)
        {
            _log.Log(PipelineLogLevel.Error, _sink.Name,
                $"Sink '{_sink.Name}' dropped event {forwardedEvent.EventId} (no dead-letter output configured): {reason}");
            _metrics.Dropped.Increment();
            Acknowledge(forwardedEvent);
            return;
        }

        // The event is acknowledged only once the dead-letter output has it, so keep trying: losing it is not an option.
        // When the dead-letter output fails for the whole retry time limit too (e.g. it is on the same full disk), the
        // run stops (exit 2) with the event unacknowledged, so it is read again after the operator freed space.
        var firstAttempt = _time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _deadLetters.WriteAsync(forwardedEvent, _sink.Name, reason, cancellationToken);
                break;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (_time.GetElapsedTime(firstAttempt) >= _options.RetryTimeLimit)
                {
                    throw new SinkFatalException(
                        $"sink '{_sink.Name}' cannot deliver and the dead-letter output cannot take the events either: {exception.Message}", exception);
                }

                _log.Log(PipelineLogLevel.Error, _sink.Name, $"Dead-letter output failed for event {forwardedEvent.EventId}: {exception.Message}");
                await Task.Delay(_backoff.NextDelay(attempt), _time, cancellationToken);
            }
        }

        _metrics.DeadLettered.Increment();
        Acknowledge(forwardedEvent);
    }

    /// <summary>
    /// Acknowledges every delivered item of a send at once: one budget release, one metric and gauge update per batch
    /// rather than per event (the per-item locks were a measurable share of the cost of a fast sink).
    /// </summary>
    private void AcknowledgeDelivered(List<ForwardedEvent> items, BatchOutcome outcome)
    {
        var count = 0;
        long bytes = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (outcome[i] != ItemOutcome.Delivered)
            {
                continue;
            }

            var item = items[i];
            Complete(item.Position);
            item.Release();
            count++;
            bytes += item.SizeInBytes;
        }

        if (count == 0)
        {
            return;
        }

        _metrics.Published.Increment(count);
        _budget.Release(count, bytes);
        UpdateBufferGauges();
    }

    private void Acknowledge(ForwardedEvent forwardedEvent)
    {
        Complete(forwardedEvent.Position);
        var size = forwardedEvent.SizeInBytes;
        forwardedEvent.Release();
        _budget.Release(size);
        UpdateBufferGauges();
    }

    private void Complete(IEventAcknowledgement? position)
    {
        if (position is ISinkAcknowledgement perSink)
        {
            perSink.CompleteFor(RouteIndex);
        }
        else
        {
            position?.Complete();
        }
    }

    private void UpdateBufferGauges()
    {
        var (items, bytes) = _budget.Snapshot();
        _metrics.BufferItems.Set(items);
        _metrics.BufferBytes.Set(bytes);
    }

    /// <summary>The runner's metric children, labelled with the sink name.</summary>
    private sealed class RunnerMetrics
    {
        public RunnerMetrics(PipelineMetrics registry, string sink)
        {
            Published = registry.Counter(PipelineMetricNames.EventsPublished, "Events the destination confirmed.", "sink").WithLabels(sink);
            DeadLettered = registry.Counter(PipelineMetricNames.EventsDeadLettered, "Events written to the dead-letter output.", "sink").WithLabels(sink);
            Dropped = registry.Counter(PipelineMetricNames.EventsDropped, "Rejected events discarded because no dead-letter output is configured.", "sink").WithLabels(sink);
            Retries = registry.Counter(PipelineMetricNames.SinkRetries, "Event sends scheduled again after a transient failure.", "sink").WithLabels(sink);
            SendErrors = registry.Counter(PipelineMetricNames.SinkSendErrors, "Batch sends that failed as a whole: nothing delivered, something to retry (an exception, or every item answered retry).", "sink").WithLabels(sink);
            BatchDuration = registry.Histogram(PipelineMetricNames.BatchDuration, "Time one batch send took.", PipelineMetrics.DefaultDurationBuckets, "sink").WithLabels(sink);
            BufferItems = registry.Gauge(PipelineMetricNames.BufferItems, "Events held by the sink runner.", "sink").WithLabels(sink);
            BufferBytes = registry.Gauge(PipelineMetricNames.BufferBytes, "Bytes held by the sink runner.", "sink").WithLabels(sink);
            BufferWaitingWriters = registry.Gauge(PipelineMetricNames.BufferWaitingWriters,
                "Hand-overs waiting for room in the sink runner's buffer; above 0, this sink is holding the input back.", "sink").WithLabels(sink);
        }

        public Counter Published { get; }

        public Counter DeadLettered { get; }

        public Counter Dropped { get; }

        public Counter Retries { get; }

        public Counter SendErrors { get; }

        public Histogram BatchDuration { get; }

        public Gauge BufferItems { get; }

        public Gauge BufferBytes { get; }

        public Gauge BufferWaitingWriters { get; }
    }
}
