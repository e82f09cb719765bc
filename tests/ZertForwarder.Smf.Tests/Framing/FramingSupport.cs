using System.Buffers.Binary;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Tests.Spec;

namespace ZertForwarder.Smf.Tests.Framing;

/// <summary>Containers built by hand from the layout spec §C.1 / §C.2, for the reader tests.</summary>
public static class Containers
{
    /// <summary>A non-zERT SMF record: standard header (§1.1) of the given type/subtype, then filler.</summary>
    public static byte[] OtherRecord(byte type, ushort subtype, int length, byte fill = 0x5A)
    {
        var record = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)length);
        record[4] = 0x5E;
        record[5] = type;
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(6), 360_000);
        SpecEncoding.PackedDate(2024, 305).CopyTo(record, 10);
        if (length >= 24) BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(22), subtype);
        record.AsSpan(Math.Min(24, length)).Fill(fill);
        return record;
    }

    /// <summary>§C.1 segment: SDW (length incl. SDW, control byte, X'00') + data. Control 0 complete, 1 first, 2 last, 3 middle.</summary>
    public static byte[] Segment(int control, ReadOnlySpan<byte> data)
    {
        var segment = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, (ushort)segment.Length);
        segment[2] = (byte)control;
        data.CopyTo(segment.AsSpan(4));
        return segment;
    }

    /// <summary>An unspanned record as a segment: the SDW is the record's own RDW (§C.1).</summary>
    public static byte[] Complete(byte[] record) => record;

    /// <summary>§C.1 block: BDW (length incl. BDW, X'0000') + segments.</summary>
    public static byte[] Block(params byte[][] segments)
    {
        var length = 4 + segments.Sum(s => s.Length);
        var block = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(block, (ushort)length);
        var at = 4;
        foreach (var s in segments)
        {
            s.CopyTo(block, at);
            at += s.Length;
        }
        return block;
    }

    /// <summary>Extended BDW (§C.1, tape): 4-byte length with the high bit set.</summary>
    public static byte[] ExtendedBlock(params byte[][] segments)
    {
        var block = Block(segments);
        BinaryPrimitives.WriteUInt32BigEndian(block, 0x80000000u | (uint)block.Length);
        return block;
    }

    /// <summary>
    /// Splits a logical record into spanned segments: its data after the RDW, cut at <paramref name="cuts"/> (offsets
    /// into that data); first segment control 1, middles 3, last 2 (§C.1).
    /// </summary>
    public static byte[][] Span(byte[] record, params int[] cuts)
    {
        var data = record.AsSpan(4);
        var bounds = new[] { 0 }.Concat(cuts).Concat([data.Length]).ToArray();
        var segments = new byte[bounds.Length - 1][];
        for (var i = 0; i < segments.Length; i++)
        {
            var control = i == 0 ? 1 : i == segments.Length - 1 ? 2 : 3;
            segments[i] = Segment(control, data[bounds[i]..bounds[i + 1]]);
        }
        return segments;
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>Every frame of an input; records copied (a frame's memory is only valid until the next read).</summary>
    public static List<(long Offset, long End, byte[] Record, string? Error)> ReadAll(Stream input, SmfContainer container = SmfContainer.Auto)
    {
        using var reader = new SmfRecordReader(input, container);
        var frames = new List<(long, long, byte[], string?)>();
        while (reader.TryReadNext(out var frame)) frames.Add((frame.Offset, frame.EndOffset, frame.Record.ToArray(), frame.Error));
        return frames;
    }

    public static List<(long Offset, long End, byte[] Record, string? Error)> ReadAll(byte[] input, SmfContainer container = SmfContainer.Auto) =>
        ReadAll(new MemoryStream(input), container);
}

/// <summary>Like stdin or a pipe: no seeking, no length, and (optionally) only a few bytes per read.</summary>
public sealed class PipeLikeStream(Stream inner, int maxBytesPerRead = int.MaxValue) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, maxBytesPerRead));
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// A long non-seekable input synthesized on the fly: <paramref name="pattern"/> repeated <paramref name="repeats"/>
/// times, without ever holding more than the pattern in memory.
/// </summary>
public sealed class RepeatingStream(byte[] pattern, long repeats) : Stream
{
    private long _position;

    public long TotalLength => pattern.Length * repeats;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length && _position < TotalLength)
        {
            var inPattern = (int)(_position % pattern.Length);
            var n = (int)Math.Min(Math.Min(buffer.Length - written, pattern.Length - inPattern), TotalLength - _position);
            pattern.AsSpan(inPattern, n).CopyTo(buffer[written..]);
            written += n;
            _position += n;
        }
        return written;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
