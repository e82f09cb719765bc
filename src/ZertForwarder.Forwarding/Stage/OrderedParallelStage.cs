namespace ZertForwarder.Forwarding;

/// <summary>
/// An ordered parallel stage: each posted batch is processed on the thread pool, and the results are consumed by the
/// posting flow strictly in the order the batches were posted. At most <c>maxInFlight</c> batches are being
/// processed or waiting to be consumed; posting one more first waits for the oldest and consumes it, so a slow
/// consumer (or slow workers) holds the producer back and memory stays bounded.
/// </summary>
/// <remarks>
/// The stage under the one <see cref="RecordLoop{TWork, TResult}"/> of every verb that maps records: <c>decode</c>
/// consumes with a write to stdout that never waits, <c>run</c>'s <see cref="RecordProcessor"/> with a hand-over to
/// the router, which waits while a sink's buffer is full. A worker's failure surfaces on the posting flow when that
/// batch's turn comes, so a failed batch stops the producer: there is no separate consumer loop that could die while
/// the producer waits for it.
/// </remarks>
/// <typeparam name="TBatch">What the producer hands over, e.g. a batch of frames.</typeparam>
/// <typeparam name="TResult">What a worker makes of it, e.g. the formatted bytes of the batch.</typeparam>
internal sealed class OrderedParallelStage<TBatch, TResult>
{
    private readonly Func<TBatch, TResult> _process;
    private readonly Func<TResult, ValueTask> _consume;
    private readonly int _maxInFlight;
    private readonly Queue<Task<TResult>> _inFlight;

    /// <param name="process">Runs on the thread pool, several batches at once: must be thread-safe.</param>
    /// <param name="consume">
    /// Awaited by the posting flow, one result at a time, in posting order: a consumer that waits (a full sink buffer)
    /// holds the poster back.
    /// </param>
    /// <param name="maxInFlight">Batches processed or awaiting consumption at once (at least 1).</param>
    public OrderedParallelStage(Func<TBatch, TResult> process, Func<TResult, ValueTask> consume, int maxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _process = process;
        _consume = consume;
        _maxInFlight = maxInFlight;
        _inFlight = new Queue<Task<TResult>>(maxInFlight);
    }

    /// <summary>The default bound: two batches per core, so every core has the next batch ready when it finishes one.</summary>
    public static int DefaultMaxInFlight => Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>Batches processed or awaiting consumption right now.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>
    /// Starts processing <paramref name="batch"/>. Results that are already done at the head of the queue are consumed
    /// first; when the bound is reached the oldest is waited for. A worker's exception is rethrown here (or by
    /// <see cref="DrainAsync"/>) when its turn to be consumed comes, after every earlier result has been consumed.
    /// </summary>
    public async ValueTask PostAsync(TBatch batch)
    {
        while (HeadIsDue) await ConsumeOldestAsync();
        Start(batch);
    }

    /// <summary>Waits for and consumes every posted batch, in order.</summary>
    public async ValueTask DrainAsync()
    {
        while (_inFlight.Count > 0) await ConsumeOldestAsync();
    }

    /// <summary>
    /// After a failure: waits for every batch still being processed without consuming it, so nothing the workers use
    /// (formatters, buffers) is released under them. Their own failures are not reported again.
    /// </summary>
    public void Abandon()
    {
        // Synchronous on purpose: it runs in finally blocks and waits only for CPU work already started.
        while (_inFlight.TryDequeue(out var batch))
        {
            try
            {
                batch.Wait();
            }
            catch (AggregateException)
            {
                // The first failure is the one being reported.
            }
        }
    }

    /// <summary>Whether the oldest batch must be consumed before another starts: the bound is reached, or it is done anyway.</summary>
    private bool HeadIsDue => _inFlight.Count > 0 && (_inFlight.Count >= _maxInFlight || _inFlight.Peek().IsCompleted);

    // The record loop posts from a pool thread (its flow resumes there after awaiting a batch). Task.Run would put the
    // batch on that thread's local queue, which the thread works through newest first, so the oldest batch, the one
    // the loop waits for next, could wait behind later ones. PreferFairness uses the pool's global queue, first in
    // first out, as when decode posted from its main thread (measured: decode's wall time back to what it was).
    private void Start(TBatch batch) =>
        _inFlight.Enqueue(Task.Factory.StartNew(() => _process(batch), CancellationToken.None, TaskCreationOptions.PreferFairness, TaskScheduler.Default));

    private async ValueTask ConsumeOldestAsync()
    {
        // Dequeued before waiting: a faulted batch is not consumed twice if the caller drains after catching.
        var oldest = _inFlight.Dequeue();
        await _consume(await oldest);
    }
}
