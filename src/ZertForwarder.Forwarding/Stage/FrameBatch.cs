using System.Buffers;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Forwarding;

/// <summary>
/// A run of frames copied out of an <see cref="SmfRecordReader"/>, which reuses its buffer for the next frame. The
/// records are copied back to back into pooled chunks that the batch keeps when it is reused, so the record loop
/// copies each record once into memory that is already there, instead of allocating an array per record that lives
/// until its batch is consumed and so is copied again by the collector (issue 9).
/// </summary>
/// <remarks>
/// Filled on the reading thread, then read (not changed) by one worker of the parallel stage, then cleared by the
/// <see cref="RecordLoop{TWork, TResult}"/> once its batch is consumed: never touched by two threads at once.
/// </remarks>
internal sealed class FrameBatch
{
    // Below the large-object threshold, like PayloadBlock's segments; a whole record always fits in one chunk.
    private const int ChunkSize = 64 * 1024;

    private readonly SmfFrame[] _frames;
    private readonly List<byte[]> _chunks = [];
    private int _chunk = -1; // the chunk being filled, an index into _chunks
    private int _used;       // bytes used in it

    public FrameBatch(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _frames = new SmfFrame[capacity];
    }

    public int Count { get; private set; }

    public bool IsFull => Count == _frames.Length;

    /// <summary>
    /// The frames in input order. Each <see cref="SmfFrame.Record"/> points into this batch's chunks and stays valid
    /// until the batch is cleared; an error frame's record is empty.
    /// </summary>
    public ReadOnlySpan<SmfFrame> Frames => _frames.AsSpan(0, Count);

    /// <summary>Copies <paramref name="frame"/> (its record bytes included) into the batch.</summary>
    public void Add(in SmfFrame frame)
    {
        var record = frame.IsError ? default : Copy(frame.Record.Span);
        _frames[Count++] = new SmfFrame(frame.Offset, frame.EndOffset, record, frame.Error);
    }

    /// <summary>
    /// Decodes the frames in input order, the way <c>decode</c> and <c>report</c> read a dump: each frame is counted once
    /// in <paramref name="counts"/>; a frame the reader could not take apart and a record that fails to decode add
    /// their line (<c>origin:offset: reason</c>) to <paramref name="rejections"/>; each zERT record goes to
    /// <paramref name="decoded"/>, valid only during the call (it points into this batch). Other SMF types and 119
    /// subtypes are counted as skipped.
    /// </summary>
    public void DecodeEach<TState>(string origin, RecordCounts counts, List<string> rejections, TState state, Action<ZertRecord, TState> decoded)
    {
        foreach (var frame in Frames)
        {
            if (frame.Error is not null)
            {
                rejections.Add(counts.CountFramingError(origin, frame.Offset, frame.Error));
                continue;
            }
            var result = ZertRecordParser.Parse(frame.Record);
            if (counts.CountParsed(result, origin, frame.Offset) is { } rejection) rejections.Add(rejection);
            else if (result.Status == ZertParseStatus.Decoded) decoded(result.Record!, state);
        }
    }

    /// <summary>Empties the batch for reuse; its chunks stay, to be filled again.</summary>
    public void Clear()
    {
        Array.Clear(_frames, 0, Count); // no stale error strings kept alive
        Count = 0;
        _chunk = _chunks.Count > 0 ? 0 : -1;
        _used = 0;
    }

    /// <summary>Gives the chunks back to the shared pool; the batch must not be used afterwards.</summary>
    public void Release()
    {
        foreach (var chunk in _chunks) ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
        Count = 0;
        _chunk = -1;
    }

    private ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> record)
    {
        if (_chunk < 0 || _chunks[_chunk].Length - _used < record.Length)
        {
            // On to the next chunk: the one kept from an earlier use if it is large enough, else a new one.
            _chunk++;
            _used = 0;
            if (_chunk == _chunks.Count || _chunks[_chunk].Length < record.Length)
                _chunks.Insert(_chunk, ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, record.Length)));
        }
        var memory = _chunks[_chunk].AsMemory(_used, record.Length);
        record.CopyTo(memory.Span);
        _used += record.Length;
        return memory;
    }
}
