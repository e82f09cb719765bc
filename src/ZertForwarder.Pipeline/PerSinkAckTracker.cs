namespace ZertForwarder.Pipeline;

/// <summary>
/// An acknowledgement that knows each sink apart: a sink that already has the event (it delivered it before a
/// restart) is not sent it again, and each sink's progress can be checkpointed on its own.
/// </summary>
public interface ISinkAcknowledgement : IEventAcknowledgement
{
    /// <summary>False when the sink at <paramref name="sinkIndex"/> (its place in the <see cref="EventRouter"/>) already has the event.</summary>
    bool IsExpectedBy(int sinkIndex);

    /// <summary>The sink at <paramref name="sinkIndex"/> is done with the event (delivered or dead-lettered).</summary>
    void CompleteFor(int sinkIndex);
}

/// <summary>
/// Follows one input's positions per sink: one <see cref="AckTracker"/> each, so every sink's committed position
/// moves as fast as that sink delivers, and the input's position (<see cref="CommittedPosition"/>) is the lowest.
/// </summary>
/// <remarks>
/// Checkpointing every sink's position is what bounds the repeats after a crash (<c>kill -9</c>): on restart the input
/// is read from the lowest position, and each sink is handed only the events past its own position. Before, one
/// position for all sinks made a fast sink (files) repeat everything a slow one (Elasticsearch) had not confirmed.
/// </remarks>
public sealed class PerSinkAckTracker
{
    private readonly AckTracker[] _sinks;
    private readonly long[] _resumeAfter;

    /// <summary>The handle of every frame that makes no event (several sinks): nothing to complete, so one serves all.</summary>
    private readonly Handle _noneExpected;
    private long _committed;

    /// <param name="startPosition">Where the input is read from (the lowest of the sinks' positions).</param>
    /// <param name="sinkResumePositions">Per sink, in router order: everything up to this position it already has.</param>
    public PerSinkAckTracker(long startPosition, IReadOnlyList<long> sinkResumePositions)
    {
        ArgumentNullException.ThrowIfNull(sinkResumePositions);
        _sinks = [.. sinkResumePositions.Select(_ => new AckTracker(startPosition))];
        _resumeAfter = [.. sinkResumePositions];
        _committed = startPosition;
        _noneExpected = new Handle(new IEventAcknowledgement[_sinks.Length], new bool[_sinks.Length]);
        foreach (var sink in _sinks)
        {
            sink.Committed += _ => OnSinkCommitted();
        }
    }

    public int SinkCount => _sinks.Length;

    /// <summary>The highest position every sink is done with.</summary>
    public long CommittedPosition => Interlocked.Read(ref _committed);

    /// <summary>The highest position the sink at <paramref name="sinkIndex"/> is done with.</summary>
    public long SinkCommittedPosition(int sinkIndex) => Math.Max(_sinks[sinkIndex].CommittedPosition, _resumeAfter[sinkIndex]);

    /// <summary>Raised when <see cref="CommittedPosition"/> moves forward (possibly from several threads: keep the maximum).</summary>
    public event Action<long>? Committed;

    /// <summary>
    /// Registers <paramref name="position"/> (in input order) for every sink: expected by the sinks that do not have it
    /// yet when <paramref name="expectsEvent"/>, done at once otherwise.
    /// </summary>
    public ISinkAcknowledgement Track(long position, bool expectsEvent)
    {
        if (_sinks.Length == 1)
        {
            // One output, the common case: no per-record arrays (a record is tracked for every frame read), and for a
            // frame no sink waits for (another SMF type, a record the sink already has) no handle of its own.
            var expectedByOnlySink = expectsEvent && position > _resumeAfter[0];
            var tracked = _sinks[0].Track(position, expectedByOnlySink ? 1 : 0);
            return expectedByOnlySink ? new SingleSinkHandle(tracked, expected: true) : SingleSinkHandle.NotExpected;
        }

        if (!expectsEvent)
        {
            foreach (var sink in _sinks) sink.Track(position, 0);
            return _noneExpected;
        }

        var handles = new IEventAcknowledgement[_sinks.Length];
        var expected = new bool[_sinks.Length];
        for (var i = 0; i < _sinks.Length; i++)
        {
            expected[i] = expectsEvent && position > _resumeAfter[i];
            handles[i] = _sinks[i].Track(position, expected[i] ? 1 : 0);
        }

        return new Handle(handles, expected);
    }

    private void OnSinkCommitted()
    {
        var lowest = long.MaxValue;
        foreach (var sink in _sinks)
        {
            lowest = Math.Min(lowest, sink.CommittedPosition);
        }

        long current;
        do
        {
            current = Interlocked.Read(ref _committed);
            if (lowest <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _committed, lowest, current) != current);

        Committed?.Invoke(lowest);
    }

    private sealed class SingleSinkHandle(IEventAcknowledgement? handle, bool expected) : ISinkAcknowledgement
    {
        /// <summary>The handle of every position the sink does not wait for: nothing to complete, so one serves all.</summary>
        public static readonly SingleSinkHandle NotExpected = new(null, expected: false);

        public bool IsExpectedBy(int sinkIndex) => OnlySink(sinkIndex) && expected;

        public void CompleteFor(int sinkIndex)
        {
            if (!IsExpectedBy(sinkIndex))
            {
                throw new InvalidOperationException($"Sink {sinkIndex} was not expected to complete this position.");
            }

            handle!.Complete();
        }

        public void Complete() => throw new InvalidOperationException("A per-sink acknowledgement is completed with CompleteFor(sink index).");

        private static bool OnlySink(int sinkIndex) =>
            sinkIndex == 0 ? true : throw new ArgumentOutOfRangeException(nameof(sinkIndex), sinkIndex, "The tracker follows one sink, index 0.");
    }

    private sealed class Handle(IEventAcknowledgement[] handles, bool[] expected) : ISinkAcknowledgement
    {
        public bool IsExpectedBy(int sinkIndex) => expected[sinkIndex];

        public void CompleteFor(int sinkIndex)
        {
            if (!expected[sinkIndex])
            {
                throw new InvalidOperationException($"Sink {sinkIndex} was not expected to complete this position.");
            }

            handles[sinkIndex].Complete();
        }

        /// <summary>Without a sink index the handle cannot tell who is done: sinks complete through <see cref="CompleteFor"/>.</summary>
        public void Complete() => throw new InvalidOperationException("A per-sink acknowledgement is completed with CompleteFor(sink index).");
    }
}
