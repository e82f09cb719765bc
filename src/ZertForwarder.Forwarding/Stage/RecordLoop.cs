using ZertForwarder.Smf.Framing;

namespace ZertForwarder.Forwarding;

/// <summary>
/// The one record loop of the verbs that read SMF dumps (<c>decode</c>, <c>run</c>, and so <c>bench</c>, which
/// measures them): frames are read on the calling flow and copied into <see cref="FrameBatch"/>es; each full batch is
/// prepared on the reading flow, processed on the thread pool and consumed in input order on an
/// <see cref="OrderedParallelStage{TBatch, TResult}"/>. Reading, copying, batching, the broken-chain rule and stopping
/// on a failure live here once, so the verbs cannot drift apart on them; a verb supplies only what it does with a batch.
/// </summary>
/// <remarks>
/// At most <c>maxInFlight</c> batches are being processed or waiting to be consumed, so memory is bounded by the batch
/// size whatever the input size, and a slow consumer (stdout, a full sink buffer) holds the reader back.
/// A loop reads one input at a time; the batches it keeps for reuse are given back to the shared pool when it ends.
/// </remarks>
/// <typeparam name="TWork">What the stage's workers get: the batch itself, or what the preparing step made of it.</typeparam>
/// <typeparam name="TResult">What a worker makes of it, handed to the consumer in input order.</typeparam>
internal sealed class RecordLoop<TWork, TResult>
{
    private readonly int _batchSize;
    private readonly Func<FrameBatch, TWork> _prepare;
    private readonly OrderedParallelStage<Posted, Processed> _stage;
    // Batches are cleared and reused once consumed. Filling and consuming both happen on the reading flow (the stage
    // consumes while posting or draining), one step at a time, so a plain stack will do.
    private readonly Stack<FrameBatch> _free = new();

    /// <param name="batchSize">Frames per batch: large enough that handing a batch to the pool costs little per record.</param>
    /// <param name="maxInFlight">Batches processed or awaiting consumption at once.</param>
    /// <param name="prepare">
    /// Runs on the reading flow, once per batch in input order, before the batch goes to the pool (run registers each
    /// frame's acknowledgement here, so its input checkpoints in input order).
    /// </param>
    /// <param name="process">Runs on the thread pool, several batches at once: must be thread-safe.</param>
    /// <param name="consume">
    /// Awaited on the reading flow, one result at a time, in input order. The frames' bytes stay valid until it
    /// returns; the batch is reused afterwards.
    /// </param>
    public RecordLoop(int batchSize, int maxInFlight, Func<FrameBatch, TWork> prepare, Func<TWork, TResult> process, Func<TResult, ValueTask> consume)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _batchSize = batchSize;
        _prepare = prepare;
        _stage = new OrderedParallelStage<Posted, Processed>(
            posted => new Processed(posted.Frames, process(posted.Work)),
            async processed =>
            {
                await consume(processed.Result);
                processed.Frames.Clear();
                _free.Push(processed.Frames);
            },
            maxInFlight);
    }

    /// <summary>
    /// Reads every frame of <paramref name="reader"/> through the stage, until the input ends or
    /// <paramref name="cancellationToken"/> is cancelled (then what was read is still processed and consumed).
    /// </summary>
    /// <param name="skipBefore">A checkpoint: frames ending at or before it were delivered before and are skipped.</param>
    /// <param name="frameRead">Called with the reader's position after each frame read, skipped ones included.</param>
    /// <exception cref="SmfFramingException">
    /// The frame chain broke. Every frame read before the break has been processed and consumed first: the caller
    /// reports the break after them.
    /// </exception>
    /// <exception cref="InvalidDataException">The input is not an SMF dump; as for a broken chain.</exception>
    /// <param name="frameSkipped">Called for each frame skipped because it ends at or before <paramref name="skipBefore"/>.</param>
    public async Task ReadAsync(SmfRecordReader reader, long skipBefore = 0, Action<long>? frameRead = null, Action? frameSkipped = null,
        CancellationToken cancellationToken = default)
    {
        var finished = false;
        try
        {
            var batch = Rent();
            while (!cancellationToken.IsCancellationRequested)
            {
                SmfFrame frame;
                try
                {
                    if (!reader.TryReadNext(out frame)) break;
                }
                catch (Exception e) when (e is SmfFramingException or InvalidDataException)
                {
                    // The frames read before a broken chain are sound: they go out (the partly filled batch too)
                    // before the caller reports the break.
                    await FinishAsync(batch);
                    finished = true;
                    throw;
                }
                frameRead?.Invoke(reader.Position);
                if (frame.EndOffset <= skipBefore)
                {
                    frameSkipped?.Invoke();
                    continue;
                }
                batch.Add(frame);
                if (batch.IsFull)
                {
                    await PostAsync(batch);
                    batch = Rent();
                }
            }
            await FinishAsync(batch);
            finished = true;
        }
        finally
        {
            // Anything else (a batch that failed, stdout closed, a sink write that threw) ends the input here; batches
            // still being processed finish first, so nothing they use is released under them.
            if (!finished) _stage.Abandon();
            while (_free.TryPop(out var spare)) spare.Release();
        }
    }

    private FrameBatch Rent() => _free.TryPop(out var batch) ? batch : new FrameBatch(_batchSize);

    private ValueTask PostAsync(FrameBatch batch) => _stage.PostAsync(new Posted(batch, _prepare(batch)));

    private async ValueTask FinishAsync(FrameBatch last)
    {
        if (last.Count > 0) await PostAsync(last);
        else _free.Push(last); // its chunks go back to the pool with the others
        await _stage.DrainAsync();
    }

    private readonly record struct Posted(FrameBatch Frames, TWork Work);

    private readonly record struct Processed(FrameBatch Frames, TResult Result);
}
