namespace ZertForwarder.Pipeline;

/// <summary>
/// Tracks, for one source, which input positions every sink is finished with, so the source checkpoints
/// only past events that were delivered or dead-lettered everywhere (guide §4.2, Vector finalizers).
/// </summary>
/// <remarks>
/// <para>
/// The source calls <see cref="Track"/> in input order with the position to resume from once that record is
/// done (for a file: the byte offset just after the record) and the number of completions to expect (the
/// number of sinks, or 0 for a record that produces no event). Each sink calls
/// <see cref="IEventAcknowledgement.Complete"/> once on the returned handle.
/// </para>
/// <para>
/// <see cref="CommittedPosition"/> is the highest tracked position P such that every position up to P is fully
/// acknowledged. Handles complete in any order; the committed position only moves over a contiguous prefix.
/// Each handle is enqueued and dequeued once, so the cost is O(1) amortized per record.
/// </para>
/// </remarks>
public sealed class AckTracker
{
    private readonly Lock _gate = new();
    private readonly Queue<Handle> _inFlight = new();
    private long _committed;
    private long _lastTracked;

    /// <param name="startPosition">Where the source starts reading (e.g. the resume offset); the initial committed position.</param>
    public AckTracker(long startPosition = 0)
    {
        _committed = startPosition;
        _lastTracked = startPosition;
    }

    /// <summary>The highest position up to which everything is fully acknowledged.</summary>
    public long CommittedPosition
    {
        get
        {
            lock (_gate)
            {
                return _committed;
            }
        }
    }

    /// <summary>How many tracked positions are not yet committed (waiting for completions or for an earlier position).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>
    /// Raised (outside the lock, on the thread whose completion advanced it) whenever <see cref="CommittedPosition"/>
    /// moves forward. Two threads may report in either order, so keep the maximum (as <see cref="FileCheckpointStore.Commit"/> does).
    /// </summary>
    public event Action<long>? Committed;

    /// <summary>
    /// Registers <paramref name="position"/>, which must not be lower than the previously tracked one, and returns
    /// the handle that sinks complete. With <paramref name="expectedCompletions"/> = 0 the position is done at once.
    /// </summary>
    public IEventAcknowledgement Track(long position, int expectedCompletions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedCompletions);
        var handle = new Handle(this, position, expectedCompletions);
        long? advancedTo;
        lock (_gate)
        {
            if (position < _lastTracked)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(position), position, $"Positions must be tracked in input order; the last one was {_lastTracked}.");
            }

            _lastTracked = position;
            _inFlight.Enqueue(handle);
            advancedTo = expectedCompletions == 0 ? AdvanceLocked() : null;
        }

        RaiseCommitted(advancedTo);
        return handle;
    }

    private void OnHandleDone()
    {
        long? advancedTo;
        lock (_gate)
        {
            advancedTo = AdvanceLocked();
        }

        RaiseCommitted(advancedTo);
    }

    private long? AdvanceLocked()
    {
        long? advancedTo = null;
        while (_inFlight.TryPeek(out var head) && head.IsDone)
        {
            _inFlight.Dequeue();
            _committed = head.Position;
            advancedTo = head.Position;
        }

        return advancedTo;
    }

    private void RaiseCommitted(long? advancedTo)
    {
        if (advancedTo is { } position)
        {
            Committed?.Invoke(position);
        }
    }

    private sealed class Handle(AckTracker owner, long position, int expected) : IEventAcknowledgement
    {
        private readonly int _expected = expected;
        private int _remaining = expected;

        public long Position { get; } = position;

        public bool IsDone => Volatile.Read(ref _remaining) == 0;

        public void Complete()
        {
            var remaining = Interlocked.Decrement(ref _remaining);
            if (remaining < 0)
            {
                Interlocked.Increment(ref _remaining);
                throw new InvalidOperationException(
                    $"Position {Position} was acknowledged more often than the {_expected} sink(s) it was tracked for.");
            }

            if (remaining == 0)
            {
                owner.OnHandleDone();
            }
        }
    }
}
