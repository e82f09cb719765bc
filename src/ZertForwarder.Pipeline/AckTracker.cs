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
/// <para>
/// Positions that need no completion, tracked one after another while an earlier one waits (the SMF records of other
/// types between two zERT records, while a sink is slow or down), share one entry at the latest of them: committing
/// it once the earlier ones are done is what committing each in turn would have come to. Without this the queue held
/// one entry per skipped record for as long as the oldest event waited: a full SMF dump with 100 other records per
/// zERT record, during an outage with 10,000 events buffered, about a million (80 MB).
/// </para>
/// </remarks>
public sealed class AckTracker
{
    private readonly Lock _gate = new();
    private readonly Queue<Handle> _inFlight = new();
    private Handle? _last; // the last handle enqueued: still in _inFlight while that is not empty
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
        long? advancedTo;
        Handle handle;
        lock (_gate)
        {
            if (position < _lastTracked)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(position), position, $"Positions must be tracked in input order; the last one was {_lastTracked}.");
            }

            _lastTracked = position;
            if (expectedCompletions == 0 && _inFlight.Count > 0 && _last!.Expected == 0)
            {
                // Behind a waiting position, after one that needs no completion either: one entry for the run.
                _last.Position = position;
                return _last;
            }

            handle = new Handle(this, position, expectedCompletions);
            _inFlight.Enqueue(handle);
            _last = handle;
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

        public int Expected => _expected;

        /// <summary>Moved forward (under the tracker's lock) while the handle stands for a run of positions that need no completion.</summary>
        public long Position = position;

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
