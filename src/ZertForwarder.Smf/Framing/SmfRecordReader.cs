using System.Buffers.Binary;

namespace ZertForwarder.Smf.Framing;

/// <summary>
/// Streams logical SMF records out of an RDW-prefixed file or raw VBS blocks (layout spec §C.1, §C.2), reassembling
/// spanned records. Memory stays bounded by the read buffer plus one logical record, whatever the input size.
/// </summary>
/// <remarks>
/// Problems are split by whether reading can go on (the Vector codec rule): a spanned record with a missing
/// segment comes back as an error frame and reading continues with the next record; a length that breaks the
/// chain, or an input that ends inside a frame, throws <see cref="SmfFramingException"/> with the offset, since
/// no later record boundary can be trusted.
/// </remarks>
public sealed class SmfRecordReader : IDisposable
{
    /// <summary>How much of the input is examined to detect the container.</summary>
    public const int DetectionWindow = 64 * 1024;

    /// <summary>Upper bound for one reassembled record: SMF records are at most 32,756 bytes; the RDW holds 65,535.</summary>
    public const int MaxRecordLength = ushort.MaxValue;

    private const int SdwLength = 4;
    private const int BdwLength = 4;

    /// <summary>
    /// The shortest RDW unit: the RDW alone. Detection accepts what the reader accepts; a unit of 4 or 5 bytes is a
    /// record too short for an SMF type, which the reader reports and passes over, so it must not turn a whole dump
    /// into "not an SMF dump" when it comes first.
    /// </summary>
    private const int RdwLength = 4;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    /// <summary>Size of the read buffer (the program keeps arrays of this size off the large-object heap).</summary>
    public const int BufferBytes = 256 * 1024;

    private byte[] _buffer = new byte[BufferBytes];
    private int _start;
    private int _end;
    private long _bufferOffset; // input offset of _buffer[0]
    private bool _eof;

    // VBS state
    private long _blockRemaining;
    private readonly byte[] _assembly = new byte[MaxRecordLength];
    private int _assemblyLength = -1; // -1: not inside a spanned record
    private long _assemblyOffset;
    private bool _assemblyOverflow;

    public SmfRecordReader(Stream stream, SmfContainer container = SmfContainer.Auto, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Container = container;
    }

    /// <summary>The container in use; after the first read, the detected one when <see cref="SmfContainer.Auto"/> was asked.</summary>
    public SmfContainer Container { get; private set; }

    /// <summary>Bytes consumed from the input so far (for progress reporting and resume offsets).</summary>
    public long Position => _bufferOffset + _start;

    /// <summary>
    /// Reads the next frame. Returns false at the clean end of the input.
    /// </summary>
    /// <exception cref="SmfFramingException">The frame chain is broken; the offset says where.</exception>
    /// <exception cref="InvalidDataException">The input is not an SMF dump in a supported container.</exception>
    public bool TryReadNext(out SmfFrame frame)
    {
        if (Container == SmfContainer.Auto) Container = Detect();
        return Container == SmfContainer.Rdw ? TryReadRdw(out frame) : TryReadVbs(out frame);
    }

    /// <summary>Skips forward to <paramref name="offset"/> (a record boundary previously reported as an RDW record's end).</summary>
    /// <remarks>Only for RDW inputs, where every record end is a frame boundary; VBS inputs resume by reading and skipping.</remarks>
    public void SkipTo(long offset)
    {
        while (Position < offset)
        {
            if (_start == _end && !Fill(1)) throw new SmfFramingException(Position, $"cannot resume at offset {offset}: the input is only {Position} bytes long");
            var step = (int)Math.Min(_end - _start, offset - Position);
            _start += step;
        }
    }

    /// <summary>
    /// Checks that <paramref name="message"/> is exactly one RDW-prefixed logical record (§C.2), as a stream input
    /// such as a Kafka topic carries it: RDW bytes 2-3 zero and the RDW length equal to the message size.
    /// Returns null when it is, otherwise the reason it is not.
    /// </summary>
    public static string? CheckSingleRecord(ReadOnlySpan<byte> message)
    {
        if (message.Length < 4) return $"a message of {message.Length} bytes cannot hold an RDW";
        if (message[2] != 0 || message[3] != 0)
        {
            return $"RDW bytes 2-3 are X'{message[2]:X2}{message[3]:X2}', expected X'0000': the message is not an RDW-prefixed SMF record";
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(message);
        if (length != message.Length) return $"RDW length {length} does not match the message size {message.Length}";
        if (length < SmfHeader.MinimumLengthForType) return $"record of {length} bytes is too short to carry an SMF record type";
        return null;
    }

    private SmfContainer Detect()
    {
        Fill(DetectionWindow);
        var available = _end - _start;
        var window = _buffer.AsSpan(_start, Math.Min(available, DetectionWindow)); // only the window decides
        var atEnd = _eof && window.Length == available;
        if (window.IsEmpty) return SmfContainer.Rdw; // empty input: nothing to read either way
        if (LooksLikeVbs(window, atEnd)) return SmfContainer.Vbs;
        // A VBS dump with one damaged segment descriptor is not a sound VBS chain, but its block descriptors still
        // chain like RDWs: read as RDW, every block became one "record" of another type and the whole dump was lost
        // without an error. Blocks that mostly open with a valid segment descriptor are VBS; the reader then reports
        // the damage at its offset.
        if (LooksLikeRdw(window, atEnd)) return MostlyVbsBlocks(window) ? SmfContainer.Vbs : SmfContainer.Rdw;
        // A sound chain of records that breaks early (an RDW of length 0 after ten good records) is still an SMF dump:
        // reading it in its container yields the good records and reports the break at its offset, as an explicit
        // --container does. A VBS chain also reads as an RDW chain (a BDW has the RDW's shape), so VBS is asked first.
        var sound = SoundRdwPrefix(window);
        if (sound.Records >= MinimumRecordsBeforeEarlyBreak)
        {
            return LooksLikeVbs(window[..sound.Length], atEnd: true) ? SmfContainer.Vbs : SmfContainer.Rdw;
        }
        // Without RDWs a record starts at its flag byte, so the packed date SMFxxDTE sits at offset 6 (§C.2, §C.3).
        if (window.Length >= 10 && SmfTime.TryDecodePackedDate(window.Slice(6, 4), out _))
        {
            throw new InvalidDataException(
                "The input starts like SMF records without RDWs (a packed date at offset 6): it was probably transferred in binary " +
                "without RDWs. Transfer the dump with FTP 'SITE RDW' (or 'LOCSITE RDW' on z/OS) or as raw VBS blocks.");
        }
        throw new InvalidDataException(
            "The input is not an SMF dump: no chain of RDWs or of VBS block/segment descriptors starts at offset 0. " +
            "Expected RDW-prefixed records (FTP binary with 'SITE RDW') or raw VBS blocks.");
    }

    /// <summary>
    /// True when every complete block in the window has BDW bytes 2-3 zero and SDW segments that tile the block
    /// exactly with valid control bytes (§C.1). Checked before RDWs because a BDW also passes as an RDW.
    /// </summary>
    internal static bool LooksLikeVbs(ReadOnlySpan<byte> data, bool atEnd)
    {
        var position = 0;
        var blocks = 0;
        while (position + BdwLength <= data.Length)
        {
            if (data[position] == 0 && data[position + 1] == 0 && IsAllZero(data[position..])) break; // padding (the reader checks the rest)
            if (!TryReadBlockLength(data[position..], out var blockLength) || blockLength < BdwLength + SdwLength) return false;
            if (position + blockLength > data.Length)
            {
                // A dump that ends inside a block (truncated, or still arriving) is VBS if the blocks before are: the
                // reader then reports the cut at its offset. Only a first block that does not fit says nothing.
                if (atEnd) return blocks > 0;
                // A first block longer than the window: a tape block with the extended BDW (§C.1) can announce more
                // than the window holds. The segments inside the window show whether it is one.
                return blocks > 0 || SegmentsTile(data, position, blockLength);
            }
            if (!SegmentsTile(data, position, blockLength)) return false;
            blocks++;
            position += (int)blockLength;
        }
        return blocks > 0;
    }

    /// <summary>
    /// True when the segments of the block at <paramref name="blockStart"/> tile it with valid descriptors (§C.1):
    /// length at least 4 and inside the block, control byte bits 0-5 zero, byte 3 zero. Of a block that runs past
    /// <paramref name="data"/>, the segments inside it are checked, and at least one descriptor must be there.
    /// </summary>
    private static bool SegmentsTile(ReadOnlySpan<byte> data, int blockStart, long blockLength)
    {
        var blockEnd = blockStart + blockLength;
        var first = blockStart + BdwLength;
        var segment = first;
        while (segment < blockEnd)
        {
            if (segment + SdwLength > blockEnd) return false;
            if (segment + SdwLength > data.Length) return segment > first; // the window ends inside the block
            var segmentLength = BinaryPrimitives.ReadUInt16BigEndian(data[segment..]);
            if (segmentLength < SdwLength || segment + segmentLength > blockEnd) return false;
            if ((data[segment + 2] & 0xFC) != 0 || data[segment + 3] != 0) return false;
            segment += segmentLength;
        }
        return true;
    }

    /// <summary>
    /// True when at least two of the RDW-shaped units of <paramref name="data"/>, and more than half of them, open with a
    /// segment descriptor that fits in the unit (length 4 or more, control byte bits 0-5 zero, byte 3 zero: §C.1). An SMF
    /// record's bytes 4-7 are its flag, type and the top of its time (hundredths of a second since midnight): the flag
    /// and type make a length of 0x1E00 or more and byte 7 is zero only in the first 11 minutes of the day, so real RDW
    /// records almost never pass, let alone most of them.
    /// </summary>
    internal static bool MostlyVbsBlocks(ReadOnlySpan<byte> data)
    {
        var position = 0;
        var units = 0;
        var blocks = 0;
        while (position + 4 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (length < SmfHeader.MinimumLengthForType || position + length > data.Length) break;
            units++;
            var segmentLength = BinaryPrimitives.ReadUInt16BigEndian(data[(position + BdwLength)..]);
            if (length >= BdwLength + SdwLength && segmentLength >= SdwLength && segmentLength <= length - BdwLength
                && (data[position + BdwLength + 2] & 0xFC) == 0 && data[position + BdwLength + 3] == 0)
            {
                blocks++;
            }
            position += length;
        }
        return blocks >= 2 && blocks * 2 > units;
    }

    /// <summary>How many whole records a chain must hold before its break for the input to count as an SMF dump anyway.</summary>
    private const int MinimumRecordsBeforeEarlyBreak = 2;

    /// <summary>The whole records at the start of <paramref name="data"/> whose RDWs chain (bytes 2-3 zero, length at least 4), and their total length.</summary>
    internal static (int Records, int Length) SoundRdwPrefix(ReadOnlySpan<byte> data)
    {
        var position = 0;
        var records = 0;
        while (position + 4 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (data[position + 2] != 0 || data[position + 3] != 0 || length < RdwLength || position + length > data.Length) break;
            records++;
            position += length;
        }
        return (records, position);
    }

    /// <summary>True when the window is a chain of RDWs (bytes 2-3 zero, length at least 4) ending exactly at the end.</summary>
    internal static bool LooksLikeRdw(ReadOnlySpan<byte> data, bool atEnd)
    {
        var position = 0;
        var records = 0;
        while (position + 4 <= data.Length)
        {
            if (IsAllZero(data[position..])) return records > 0; // padding (the reader checks the rest)
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (data[position + 2] != 0 || data[position + 3] != 0 || length < RdwLength) return false;
            if (position + length > data.Length)
            {
                if (atEnd) return false;
                break;
            }
            records++;
            position += length;
        }
        return records > 0 && (!atEnd || position == data.Length || IsAllZero(data[position..])); // 1-3 trailing zero bytes are padding too
    }

    private bool TryReadRdw(out SmfFrame frame)
    {
        frame = default;
        if (!Fill(4))
        {
            if (_start == _end) return false;
            if (RestIsZero()) return ConsumeZeroPadding();
            throw new SmfFramingException(Position, $"the input ends with {_end - _start} bytes that cannot hold an RDW");
        }
        if (_buffer[_start] == 0 && _buffer[_start + 1] == 0 && RestIsZero()) return ConsumeZeroPadding();
        var span = _buffer.AsSpan(_start); // taken after RestIsZero, which may move the buffer
        var length = BinaryPrimitives.ReadUInt16BigEndian(span);
        if (span[2] != 0 || span[3] != 0)
        {
            throw new SmfFramingException(Position, $"RDW bytes 2-3 are X'{span[2]:X2}{span[3]:X2}', expected X'0000' (a segment descriptor inside an RDW file?)");
        }
        if (length < 4) throw new SmfFramingException(Position, $"RDW length {length} is shorter than the RDW itself");
        if (!Fill(length))
        {
            throw new SmfFramingException(Position, $"the input ends inside a record: the RDW says {length} bytes, {_end - _start} are left");
        }
        var offset = Position;
        var record = new ReadOnlyMemory<byte>(_buffer, _start, length);
        _start += length;
        frame = length < SmfHeader.MinimumLengthForType
            ? new SmfFrame(offset, Position, ReadOnlyMemory<byte>.Empty, $"record of {length} bytes is too short to carry an SMF record type")
            : new SmfFrame(offset, Position, record, null);
        return true;
    }

    private bool TryReadVbs(out SmfFrame frame)
    {
        frame = default;
        while (true)
        {
            if (_blockRemaining == 0)
            {
                if (!StartBlock())
                {
                    // The input ends inside a spanned record: a truncated dump, or one still being written (a
                    // transfer that paused at a block boundary). Like an RDW file that ends inside a record, that breaks
                    // the chain at the record's first segment instead of passing the record over: a watched dump is then
                    // read on from there once it grows, where an error frame had let the dump count as read and lost
                    // the rest of it.
                    if (_assemblyLength >= 0) throw new SmfFramingException(_assemblyOffset, "the input ends before the last segment of a spanned record");
                    return false;
                }
            }

            if (!Fill(SdwLength)) throw new SmfFramingException(Position, "the input ends inside a block, before a segment descriptor");
            var sdw = _buffer.AsSpan(_start, SdwLength);
            var segmentLength = BinaryPrimitives.ReadUInt16BigEndian(sdw);
            var control = sdw[2];
            if (segmentLength < SdwLength || segmentLength > _blockRemaining)
            {
                throw new SmfFramingException(Position, $"segment length {segmentLength} does not fit the {_blockRemaining} bytes left in the block");
            }
            if ((control & 0xFC) != 0 || sdw[3] != 0)
            {
                throw new SmfFramingException(Position, $"segment descriptor X'{control:X2}{sdw[3]:X2}' in bytes 2-3 is not a valid control byte and zero");
            }
            if (!Fill(segmentLength)) throw new SmfFramingException(Position, $"the input ends inside a segment of {segmentLength} bytes");

            var segmentOffset = Position;
            var kind = control & 0x03;
            // A new record (complete or first segment) while a spanned one is open: the open one lost its last segment.
            // Report it and come back for this segment on the next call (nothing is consumed).
            if (_assemblyLength >= 0 && (kind == 0 || kind == 1))
            {
                frame = OrphanFrame("a spanned record has no last segment (a new record starts)");
                return true;
            }

            var data = _buffer.AsSpan(_start + SdwLength, segmentLength - SdwLength);
            _start += segmentLength;
            _blockRemaining -= segmentLength;
            switch (kind)
            {
                case 0: // complete record: the SDW is the record's RDW (§C.1)
                    if (segmentLength < SmfHeader.MinimumLengthForType)
                    {
                        frame = new SmfFrame(segmentOffset, Position, ReadOnlyMemory<byte>.Empty, $"record of {segmentLength} bytes is too short to carry an SMF record type");
                        return true;
                    }
                    frame = new SmfFrame(segmentOffset, Position, new ReadOnlyMemory<byte>(_buffer, _start - segmentLength, segmentLength), null);
                    return true;
                case 1: // first segment
                    _assemblyLength = 0;
                    _assemblyOffset = segmentOffset;
                    _assemblyOverflow = false;
                    Append(data);
                    continue;
                case 3: // middle segment
                    if (_assemblyLength < 0)
                    {
                        frame = new SmfFrame(segmentOffset, Position, ReadOnlyMemory<byte>.Empty, "middle segment of a spanned record without its first segment");
                        return true;
                    }
                    Append(data);
                    continue;
                default: // 2: last segment
                    if (_assemblyLength < 0)
                    {
                        frame = new SmfFrame(segmentOffset, Position, ReadOnlyMemory<byte>.Empty, "last segment of a spanned record without its first segment");
                        return true;
                    }
                    Append(data);
                    frame = CompleteAssembly();
                    return true;
            }
        }
    }

    private bool StartBlock()
    {
        if (!Fill(BdwLength))
        {
            if (_start == _end) return false;
            if (RestIsZero()) return ConsumeZeroPadding();
            throw new SmfFramingException(Position, $"the input ends with {_end - _start} bytes that cannot hold a block descriptor");
        }
        if (_buffer[_start] == 0 && _buffer[_start + 1] == 0 && RestIsZero()) return ConsumeZeroPadding();
        var span = _buffer.AsSpan(_start, _end - _start); // taken after RestIsZero, which may move the buffer
        if (!TryReadBlockLength(span, out var blockLength))
        {
            throw new SmfFramingException(Position, $"block descriptor bytes 2-3 are X'{span[2]:X2}{span[3]:X2}', expected X'0000'");
        }
        if (blockLength < BdwLength + SdwLength) throw new SmfFramingException(Position, $"block length {blockLength} cannot hold a segment");
        _start += BdwLength;
        _blockRemaining = blockLength - BdwLength;
        return true;
    }

    /// <summary>Reads a BDW: 2-byte length + X'0000', or the extended 4-byte form with the high bit set (§C.1, tape blocks).</summary>
    private static bool TryReadBlockLength(ReadOnlySpan<byte> bdw, out long length)
    {
        if ((bdw[0] & 0x80) != 0)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(bdw) & 0x7FFFFFFF;
            return true;
        }
        length = BinaryPrimitives.ReadUInt16BigEndian(bdw);
        return bdw[2] == 0 && bdw[3] == 0;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_assemblyOverflow) return;
        if (_assemblyLength + SdwLength + data.Length > MaxRecordLength)
        {
            _assemblyOverflow = true;
            return;
        }
        data.CopyTo(_assembly.AsSpan(SdwLength + _assemblyLength));
        _assemblyLength += data.Length;
    }

    private SmfFrame CompleteAssembly()
    {
        var offset = _assemblyOffset;
        var length = _assemblyLength + SdwLength;
        var overflow = _assemblyOverflow;
        _assemblyLength = -1;
        if (overflow)
        {
            return new SmfFrame(offset, Position, ReadOnlyMemory<byte>.Empty, $"spanned record longer than {MaxRecordLength} bytes");
        }
        // Rebuild the RDW with the total length; SMF119SEG of a reassembled record is X'0000' (§C.1).
        BinaryPrimitives.WriteUInt16BigEndian(_assembly, (ushort)length);
        _assembly[2] = 0;
        _assembly[3] = 0;
        if (length < SmfHeader.MinimumLengthForType)
        {
            return new SmfFrame(offset, Position, ReadOnlyMemory<byte>.Empty, $"record of {length} bytes is too short to carry an SMF record type");
        }
        return new SmfFrame(offset, Position, new ReadOnlyMemory<byte>(_assembly, 0, length), null);
    }

    private SmfFrame OrphanFrame(string reason)
    {
        var offset = _assemblyOffset;
        _assemblyLength = -1;
        return new SmfFrame(offset, Position, ReadOnlyMemory<byte>.Empty, reason);
    }

    private bool RestIsZero()
    {
        // Zero padding may be longer than the buffer: drop zero chunks until the end (memory stays bounded). A zero
        // run followed by data is a broken chain at the run's start.
        var runStart = Position;
        while (true)
        {
            Fill(DetectionWindow);
            if (!IsAllZero(_buffer.AsSpan(_start, _end - _start)))
            {
                if (Position == runStart) return false; // the caller reports the bad descriptor at its offset
                throw new SmfFramingException(runStart, "a run of zero bytes is followed by more data");
            }
            if (_eof) return true;
            _start = _end;
        }
    }

    private bool ConsumeZeroPadding()
    {
        _start = _end;
        return false;
    }

    private static bool IsAllZero(ReadOnlySpan<byte> data) => !data.ContainsAnyExcept((byte)0);

    /// <summary>Makes at least <paramref name="count"/> unread bytes available; false when the input ends first.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count) return true;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }
        if (count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(count, _buffer.Length * 2));
        while (_end < count && !_eof)
        {
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0) _eof = true;
            _end += read;
        }
        return _end - _start >= count;
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
