using ZertForwarder.Pipeline;

namespace ZertForwarder.Running;

/// <summary>
/// Hands an input's committed position to the checkpoint store on a timer and once more when disposed, instead of
/// once per delivered record (the hot path then only moves a number).
/// </summary>
internal sealed class PeriodicCheckpoint : IAsyncDisposable
{
    private readonly Action<long> _commit;
    private readonly ITimer _timer;
    private long _latest = -1;
    private long _written = -1;
    private int _disposed;

    public PeriodicCheckpoint(AckTracker tracker, Action<long> commit, TimeSpan period, TimeProvider time)
    {
        _commit = commit;
        tracker.Committed += OnCommitted;
        var every = period > TimeSpan.FromMilliseconds(10) ? period : TimeSpan.FromMilliseconds(10);
        _timer = time.CreateTimer(_ => Flush(), null, every, every);
    }

    private void OnCommitted(long position)
    {
        // Reports may arrive out of order across threads: keep the maximum.
        long current;
        do
        {
            current = Interlocked.Read(ref _latest);
            if (position <= current) return;
        }
        while (Interlocked.CompareExchange(ref _latest, position, current) != current);
    }

    private void Flush()
    {
        lock (_commit)
        {
            var latest = Interlocked.Read(ref _latest);
            if (latest <= _written) return;
            _commit(latest);
            _written = latest;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _timer.DisposeAsync();
        Flush();
    }
}
