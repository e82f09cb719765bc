namespace ZertForwarder.Pipeline;

/// <summary>
/// Admission control for a runner's buffer: at most <c>maxItems</c> events and <c>maxBytes</c> bytes are held
/// (queued, batching or being retried). Writers wait in FIFO order when it is full, which is the back-pressure
/// that makes the source stop reading (guide §4.2: bounded channel in Wait mode, never drop).
/// </summary>
/// <remarks>A single event larger than the byte budget is admitted when the buffer is empty, so it cannot block forever.</remarks>
internal sealed class BufferBudget
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly int _maxItems;
    private readonly long _maxBytes;
    private int _items;
    private long _bytes;
    private Exception? _closedBecause;

    public BufferBudget(int maxItems, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        _maxItems = maxItems;
        _maxBytes = maxBytes;
    }

    /// <summary>Items and bytes held, read together (one lock for both gauges).</summary>
    public (int Items, long Bytes) Snapshot()
    {
        lock (_gate)
        {
            return (_items, _bytes);
        }
    }

    /// <summary>
    /// Takes room for one item of <paramref name="bytes"/> if there is room now and nobody is waiting (so waiting writers
    /// keep their order); false otherwise. Throws like <see cref="AcquireAsync"/> once closed.
    /// </summary>
    public bool TryAcquire(int bytes)
    {
        lock (_gate)
        {
            if (_closedBecause is not null)
            {
                throw new InvalidOperationException("The sink runner no longer accepts events.", _closedBecause);
            }

            if (_waiters.Count > 0 || !FitsLocked(bytes))
            {
                return false;
            }

            TakeLocked(bytes);
            return true;
        }
    }

    public int Items
    {
        get
        {
            lock (_gate)
            {
                return _items;
            }
        }
    }

    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Waits until an event of <paramref name="bytes"/> fits, then counts it in.</summary>
    public async ValueTask AcquireAsync(int bytes, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (_closedBecause is not null)
            {
                throw new InvalidOperationException("The sink runner no longer accepts events.", _closedBecause);
            }

            if (_waiters.Count == 0 && FitsLocked(bytes))
            {
                TakeLocked(bytes);
                return;
            }

            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }

        await using (cancellationToken.Register(() => Cancel(waiter, cancellationToken)))
        {
            await waiter.Granted.Task;
        }
    }

    /// <summary>Counts an event out (delivered or dead-lettered) and admits waiting writers that now fit.</summary>
    public void Release(int bytes) => Release(1, bytes);

    /// <summary>Counts <paramref name="items"/> events of <paramref name="bytes"/> in all out at once (a delivered batch).</summary>
    public void Release(int items, long bytes)
    {
        lock (_gate)
        {
            _items -= items;
            _bytes -= bytes;
            AdmitWaitersLocked();
        }
    }

    private void AdmitWaitersLocked()
    {
        while (_waiters.First is { } first && FitsLocked(first.Value.Bytes))
        {
            _waiters.RemoveFirst();
            first.Value.Node = null;
            TakeLocked(first.Value.Bytes);
            first.Value.Granted.TrySetResult();
        }
    }

    /// <summary>Fails every waiting and future writer (the runner stopped).</summary>
    public void Close(Exception reason)
    {
        List<Waiter> failed;
        lock (_gate)
        {
            _closedBecause ??= reason;
            failed = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var waiter in failed)
        {
            waiter.Node = null;
            waiter.Granted.TrySetException(new InvalidOperationException("The sink runner no longer accepts events.", reason));
        }
    }

    private bool FitsLocked(int bytes) => _items < _maxItems && (_items == 0 || _bytes + bytes <= _maxBytes);

    private void TakeLocked(int bytes)
    {
        _items++;
        _bytes += bytes;
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (waiter.Node is null)
            {
                return; // already admitted or failed
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            AdmitWaitersLocked(); // a smaller writer behind the cancelled one may fit now
        }

        waiter.Granted.TrySetCanceled(cancellationToken);
    }

    private sealed class Waiter(int bytes)
    {
        public int Bytes { get; } = bytes;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
