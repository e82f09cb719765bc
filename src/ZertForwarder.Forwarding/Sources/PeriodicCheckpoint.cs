using ZertForwarder.Pipeline;

namespace ZertForwarder.Forwarding;

/// <summary>
/// Hands an input's committed positions (the input's and each sink's) to the checkpoint store on a timer and once
/// more when disposed, instead of once per delivered record (the hot path then only moves numbers).
/// </summary>
internal sealed class PeriodicCheckpoint : IAsyncDisposable
{
    private readonly PerSinkAckTracker _tracker;
    private readonly string[] _sinkNames;
    private readonly Action<long, IReadOnlyDictionary<string, long>> _commit;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private long[] _written;
    private int _disposed;

    /// <param name="sinkNames">The sinks' names in router order (the keys of the per-sink offsets).</param>
    public PeriodicCheckpoint(PerSinkAckTracker tracker, string[] sinkNames, Action<long, IReadOnlyDictionary<string, long>> commit, TimeSpan period, TimeProvider time)
    {
        _tracker = tracker;
        _sinkNames = sinkNames;
        _commit = commit;
        _written = [.. Enumerable.Repeat(-1L, sinkNames.Length + 1)];
        var every = period > TimeSpan.FromMilliseconds(10) ? period : TimeSpan.FromMilliseconds(10);
        _timer = time.CreateTimer(_ => Flush(), null, every, every);
    }

    private void Flush()
    {
        lock (_gate)
        {
            var positions = new long[_sinkNames.Length + 1];
            positions[0] = _tracker.CommittedPosition;
            for (var i = 0; i < _sinkNames.Length; i++) positions[i + 1] = _tracker.SinkCommittedPosition(i);
            if (positions.AsSpan().SequenceEqual(_written)) return;
            var sinks = new Dictionary<string, long>(StringComparer.Ordinal);
            for (var i = 0; i < _sinkNames.Length; i++) sinks[_sinkNames[i]] = positions[i + 1];
            _commit(positions[0], sinks);
            _written = positions;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _timer.DisposeAsync();
        Flush();
    }
}
