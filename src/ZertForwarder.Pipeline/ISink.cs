namespace ZertForwarder.Pipeline;

/// <summary>What happened to one item of a batch that a sink tried to send.</summary>
public enum ItemOutcome : byte
{
    /// <summary>Not decided yet; a sink must decide every item before <see cref="ISink.SendAsync"/> returns.</summary>
    Pending = 0,

    /// <summary>The destination has it (including "already there", e.g. Elasticsearch 409 on create).</summary>
    Delivered,

    /// <summary>A transient failure: send it again after back-off, until the retry time limit.</summary>
    Retry,

    /// <summary>A permanent failure: retrying cannot help; the item goes to the dead-letter output with the reason.</summary>
    Rejected,
}

/// <summary>The per-item outcomes of one send. Index i belongs to item i of the batch.</summary>
public sealed class BatchOutcome
{
    private readonly ItemOutcome[] _outcomes;
    private readonly string?[] _reasons;

    public BatchOutcome(int count)
    {
        _outcomes = new ItemOutcome[count];
        _reasons = new string?[count];
    }

    public int Count => _outcomes.Length;

    public ItemOutcome this[int index] => _outcomes[index];

    /// <summary>Why the item was retried or rejected (shown in logs and in the dead-letter record).</summary>
    public string? Reason(int index) => _reasons[index];

    public void Delivered(int index) { _outcomes[index] = ItemOutcome.Delivered; _reasons[index] = null; }

    public void Retry(int index, string reason) { _outcomes[index] = ItemOutcome.Retry; _reasons[index] = reason; }

    public void Reject(int index, string reason) { _outcomes[index] = ItemOutcome.Rejected; _reasons[index] = reason; }

    /// <summary>Marks every item still <see cref="ItemOutcome.Pending"/> as <paramref name="outcome"/>.</summary>
    public void SetPending(ItemOutcome outcome, string? reason = null)
    {
        for (var i = 0; i < _outcomes.Length; i++)
        {
            if (_outcomes[i] == ItemOutcome.Pending)
            {
                _outcomes[i] = outcome;
                _reasons[i] = reason;
            }
        }
    }
}

/// <summary>
/// A destination. A sink only sends a batch and reports one outcome per item; batching, back-off,
/// retry limits, dead letters and acknowledgement live in the runner, written once.
/// </summary>
/// <remarks>
/// An event's bytes (<see cref="ForwardedEvent.Ecs"/>, <c>Leef</c>, <c>Flat</c>) may live in a pooled
/// <see cref="PayloadBlock"/> that is reused once every sink settled the event: a sink must not keep them after it
/// reported the item's outcome (copy what is needed later).
/// </remarks>
public interface ISink : IAsyncDisposable
{
    /// <summary>Short lower_snake name used in logs and metrics (<c>kafka</c>, <c>elasticsearch</c>, <c>syslog</c>, <c>file</c>).</summary>
    string Name { get; }

    /// <summary>One-time preparation (e.g. installing index templates). Throws when the sink cannot work at all.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="batch"/> and records an outcome for every item in <paramref name="outcome"/>.
    /// An exception means the whole batch failed transiently (the runner treats every pending item as Retry).
    /// </summary>
    Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken);

    /// <summary>Waits until everything handed to the destination is durable there (e.g. Kafka flush).</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>
    /// How many batches the runner may have in <see cref="SendAsync"/> at once. 1 (the default) keeps one send at a
    /// time. A sink that allows more must be safe for concurrent calls and keep the order it promises: the runner
    /// starts the sends in batch order. Pipelining matters where one send waits a round trip (Kafka acks).
    /// </summary>
    int MaxConcurrentBatches => 1;
}

/// <summary>
/// Called once per sink when that sink is finished with an event (delivered or dead-lettered).
/// Implementations count down and let the source checkpoint once every sink is done.
/// </summary>
public interface IEventAcknowledgement
{
    void Complete();
}
