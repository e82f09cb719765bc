using System.Buffers.Binary;

namespace ZertForwarder.Generator.Containers;

/// <summary>How logical SMF records are framed in a file (layout §C).</summary>
public enum SmfContainer
{
    /// <summary>Each logical record prefixed by its own 4-byte RDW, back to back (FTP binary with RDW, layout §C.2).</summary>
    Rdw,

    /// <summary>Raw RECFM=VBS blocks: BDW + SDW segments, records spanned across blocks (layout §C.1).</summary>
    Vbs,
}

/// <summary>Writes complete logical SMF records (RDW included, SMF119SEG = 0) into a container.</summary>
public interface ISmfContainerWriter
{
    /// <summary>Appends one logical record. Its bytes 0-1 must equal its length and bytes 2-3 must be zero.</summary>
    void WriteRecord(ReadOnlySpan<byte> logicalRecord);

    /// <summary>Writes anything still buffered (the last partial block for VBS). Call once after the last record.</summary>
    void Complete();
}

/// <summary>Factory for <see cref="ISmfContainerWriter"/>.</summary>
public static class SmfContainerWriter
{
    /// <summary>Default VBS block size (BDW included) used by SMF dump data sets.</summary>
    public const int DefaultBlockSize = 27_998;

    /// <summary>Creates a writer for <paramref name="container"/> on <paramref name="output"/> (not disposed by the writer).</summary>
    public static ISmfContainerWriter Create(Stream output, SmfContainer container, int blockSize = DefaultBlockSize) => container switch
    {
        SmfContainer.Rdw => new RdwStreamWriter(output),
        SmfContainer.Vbs => new VbsBlockWriter(output, blockSize),
        _ => throw new ArgumentOutOfRangeException(nameof(container), container, "Unknown container."),
    };

    internal static void ValidateLogicalRecord(ReadOnlySpan<byte> record)
    {
        if (record.Length < 5 || BinaryPrimitives.ReadUInt16BigEndian(record) != record.Length || record[2] != 0 || record[3] != 0)
        {
            throw new ArgumentException("A logical record must start with an RDW whose length equals the record length and whose segment descriptor is zero.", nameof(record));
        }
    }
}

/// <summary>
/// RDW-prefixed stream: the logical records are written unchanged one after another, exactly what FTP binary with
/// <c>SITE RDW</c> delivers (layout §C.2).
/// </summary>
public sealed class RdwStreamWriter : ISmfContainerWriter
{
    private readonly Stream _output;

    /// <summary>Creates a writer on <paramref name="output"/>.</summary>
    public RdwStreamWriter(Stream output)
    {
        _output = output ?? throw new ArgumentNullException(nameof(output));
    }

    /// <inheritdoc />
    public void WriteRecord(ReadOnlySpan<byte> logicalRecord)
    {
        SmfContainerWriter.ValidateLogicalRecord(logicalRecord);
        _output.Write(logicalRecord);
    }

    /// <inheritdoc />
    public void Complete() => _output.Flush();
}

/// <summary>
/// RECFM=VBS block writer (layout §C.1). Each block is a BDW (block length incl. BDW, X'0000') followed by segments,
/// each an SDW (segment length incl. SDW, control byte, X'00') plus data. Like QSAM, the writer fills every block:
/// a record that does not fit in the space left is split, its first segment (control X'01') filling the block, middle
/// segments (X'03', bits 11) filling whole blocks, and a last segment (X'02', bits 10) in a following block.
/// A record that fits is written as one complete segment (X'00') whose SDW equals its RDW. A new block is started
/// when fewer than 5 bytes (SDW + 1 data byte) remain.
/// </summary>
public sealed class VbsBlockWriter : ISmfContainerWriter
{
    /// <summary>Segment control: complete record.</summary>
    public const byte ControlComplete = 0x00;

    /// <summary>Segment control: first segment of a spanned record (bits 01).</summary>
    public const byte ControlFirst = 0x01;

    /// <summary>Segment control: last segment (bits 10).</summary>
    public const byte ControlLast = 0x02;

    /// <summary>Segment control: middle segment (bits 11).</summary>
    public const byte ControlMiddle = 0x03;

    private const int DescriptorLength = 4;
    private readonly Stream _output;
    private readonly byte[] _block;
    private int _position = DescriptorLength;

    /// <summary>Creates a writer with the given maximum block size (BDW included, 64 … 32,760).</summary>
    public VbsBlockWriter(Stream output, int blockSize = SmfContainerWriter.DefaultBlockSize)
    {
        _output = output ?? throw new ArgumentNullException(nameof(output));
        if (blockSize is < 64 or > 32_760)
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "VBS block size must be between 64 and 32,760 bytes.");
        }

        _block = new byte[blockSize];
    }

    /// <summary>Maximum block length in bytes, BDW included.</summary>
    public int BlockSize => _block.Length;

    /// <inheritdoc />
    public void WriteRecord(ReadOnlySpan<byte> logicalRecord)
    {
        SmfContainerWriter.ValidateLogicalRecord(logicalRecord);
        var data = logicalRecord[DescriptorLength..];
        var first = true;
        while (true)
        {
            var space = _block.Length - _position - DescriptorLength;
            if (space < 1)
            {
                FlushBlock();
                continue;
            }

            if (data.Length <= space)
            {
                WriteSegment(data, first ? ControlComplete : ControlLast);
                return;
            }

            WriteSegment(data[..space], first ? ControlFirst : ControlMiddle);
            data = data[space..];
            first = false;
            FlushBlock();
        }
    }

    /// <inheritdoc />
    public void Complete()
    {
        if (_position > DescriptorLength)
        {
            FlushBlock();
        }

        _output.Flush();
    }

    private void WriteSegment(ReadOnlySpan<byte> data, byte control)
    {
        var segment = _block.AsSpan(_position);
        BinaryPrimitives.WriteUInt16BigEndian(segment, (ushort)(data.Length + DescriptorLength));
        segment[2] = control;
        segment[3] = 0;
        data.CopyTo(segment[DescriptorLength..]);
        _position += data.Length + DescriptorLength;
    }

    private void FlushBlock()
    {
        BinaryPrimitives.WriteUInt16BigEndian(_block, (ushort)_position);
        _block[2] = 0;
        _block[3] = 0;
        _output.Write(_block, 0, _position);
        _position = DescriptorLength;
    }
}
