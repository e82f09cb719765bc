using System.Buffers;
using System.Collections.Concurrent;

namespace ZertForwarder.Pipeline;

/// <summary>
/// Pooled storage for the encodings (ECS, LEEF, flat) of one batch of events, written back to back into reused
/// segments. The segments go back to the pool when every event of the block has been settled by every sink it was
/// routed to (delivered or dead-lettered): see <see cref="ForwardedEvent.Payload"/>.
/// </summary>
/// <remarks>
/// <para>
/// Why: events wait in sink buffers (up to <see cref="SinkRunnerOptions.BufferCapacity"/>) and in librdkafka or an HTTP
/// request long enough to survive a young-generation collection, so one exact-size array per encoding was copied into
/// the older generations and left there until a full collection: the resident size of <c>run</c> grew to 300-500 MB
/// with 1 M records (issue 9). Segments from a pool are neither copied nor collected.
/// </para>
/// <para>
/// The rule this sets for sinks: a sink must not keep an event's bytes (<see cref="ForwardedEvent.Ecs"/>,
/// <see cref="ForwardedEvent.Leef"/>, <see cref="ForwardedEvent.Flat"/>) after it reported the event's outcome; what it
/// needs later it copies (every shipped sink writes, produces or serializes the bytes before reporting).
/// </para>
/// <para>
/// Writing is single-threaded (one mapping worker fills a block); releasing is thread-safe (sinks settle events on
/// their own threads). A block that is never fully released (a run stopped mid-way) is simply collected.
/// </para>
/// </remarks>
public sealed class PayloadBlock : IBufferWriter<byte>
{
    /// <summary>
    /// Segment size: about 20 ECS documents. Below the large-object threshold (85,000 bytes) on purpose: large objects
    /// live in their own 32 MB regions, which under a heap limit (Running/HeapLimit) fragmented into an out-of-memory
    /// failure at 128 MB where small segments run in less.
    /// </summary>
    public const int SegmentSize = 64 * 1024;

    /// <summary>
    /// Idle segments kept for reuse (8 MB); more than that go to the collector. Half the default sink buffer
    /// (<see cref="SinkRunnerOptions.BufferBytes"/>): the segments of settled events come back as new ones are
    /// written, so a small reserve covers the swing; kept idle segments count against the managed heap limit.
    /// </summary>
    private const int MaxPooledSegments = 128;

    private static readonly ConcurrentStack<byte[]> Pool = new();

    private readonly List<byte[]> _segments = [];
    private byte[] _current = [];
    private int _used;
    private int _itemStart;
    private int _holders;

    /// <summary>Events of this block not yet released by every sink they were routed to.</summary>
    public int PendingEvents => Volatile.Read(ref _holders);

    /// <summary>Starts an encoding: the bytes written from here to <see cref="EndItem"/> stay contiguous.</summary>
    public void BeginItem() => _itemStart = _used;

    /// <summary>Ends the encoding begun by <see cref="BeginItem"/> and returns its bytes.</summary>
    public ReadOnlyMemory<byte> EndItem() => _current.AsMemory(_itemStart, _used - _itemStart);

    /// <summary>Notes one more event whose encodings live in this block (released with <see cref="ReleaseEvent"/>).</summary>
    public void AddEvent() => Interlocked.Increment(ref _holders);

    /// <summary>
    /// Releases one event. When the last event is released the segments return to the pool; the block must not be
    /// used after that.
    /// </summary>
    public void ReleaseEvent()
    {
        var left = Interlocked.Decrement(ref _holders);
        if (left > 0)
        {
            return;
        }

        if (left < 0)
        {
            throw new InvalidOperationException("A payload block was released more often than it holds events.");
        }

        foreach (var segment in _segments)
        {
            if (segment.Length == SegmentSize && Pool.Count < MaxPooledSegments)
            {
                Pool.Push(segment);
            }
        }

        _segments.Clear();
        _current = [];
        _used = 0;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_used + count > _current.Length)
        {
            throw new InvalidOperationException("Advanced past the span handed out.");
        }

        _used += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _current.AsSpan(_used);
    }

    private void Reserve(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_current.Length - _used >= needed)
        {
            return;
        }

        // A new segment; the part of the current encoding written so far moves with it, so an encoding never spans
        // two segments.
        var partial = _used - _itemStart;
        var size = partial + needed;
        var next = size <= SegmentSize && Pool.TryPop(out var pooled) ? pooled : GC.AllocateUninitializedArray<byte>(Math.Max(SegmentSize, size));
        _current.AsSpan(_itemStart, partial).CopyTo(next);
        _segments.Add(next);
        _current = next;
        _itemStart = 0;
        _used = partial;
    }
}
