using System.Buffers.Binary;

namespace ZertForwarder.Smf.Tests.Generator;

/// <summary>
/// A deliberately tiny framing reader written from layout §C for checking the generator's containers. It shares no
/// code with the generator (or the decoder) so that framing mistakes cannot cancel out.
/// </summary>
internal static class IndependentSmfFraming
{
    /// <summary>Splits an RDW-prefixed stream; fails when a length does not chain or bytes 2-3 are not zero.</summary>
    public static List<byte[]> SplitRdwStream(byte[] file)
    {
        var records = new List<byte[]>();
        var pos = 0;
        while (pos < file.Length)
        {
            Assert.True(pos + 4 <= file.Length, $"truncated RDW at {pos}");
            var length = (file[pos] << 8) | file[pos + 1];
            Assert.True(length >= 18, $"record at {pos} has length {length}");
            Assert.Equal(0, file[pos + 2]);
            Assert.Equal(0, file[pos + 3]);
            Assert.True(pos + length <= file.Length, $"record at {pos} runs past the end");
            records.Add(file.AsSpan(pos, length).ToArray());
            pos += length;
        }

        Assert.Equal(file.Length, pos);
        return records;
    }

    internal sealed record VbsReadResult(List<byte[]> Records, int Blocks, int SpannedRecords, int MiddleSegments, int LargestBlock);

    /// <summary>
    /// Reads raw VBS blocks: BDW (length incl. itself, X'0000'), then SDW segments (length incl. SDW, control, X'00').
    /// Control 0 = complete, 1 = first, 3 = middle, 2 = last. Spanned records are reassembled with a rebuilt RDW.
    /// </summary>
    public static VbsReadResult ReadVbs(byte[] file, int maxBlockSize)
    {
        var records = new List<byte[]>();
        var pos = 0;
        var blocks = 0;
        var spanned = 0;
        var middles = 0;
        var largest = 0;
        List<byte>? pending = null;
        while (pos < file.Length)
        {
            var blockLength = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(pos));
            Assert.Equal(0, file[pos + 2]);
            Assert.Equal(0, file[pos + 3]);
            Assert.InRange(blockLength, 9, maxBlockSize);
            Assert.True(pos + blockLength <= file.Length, "block runs past the end");
            largest = Math.Max(largest, blockLength);
            var end = pos + blockLength;
            var seg = pos + 4;
            while (seg < end)
            {
                var segmentLength = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(seg));
                var control = file[seg + 2];
                Assert.Equal(0, file[seg + 3]);
                Assert.InRange(segmentLength, 5, end - seg);
                var data = file.AsSpan(seg + 4, segmentLength - 4);
                switch (control)
                {
                    case 0:
                        Assert.Null(pending);
                        records.Add(file.AsSpan(seg, segmentLength).ToArray());
                        break;
                    case 1:
                        Assert.Null(pending);
                        pending = [.. data];
                        spanned++;
                        break;
                    case 3:
                        Assert.NotNull(pending);
                        pending.AddRange(data.ToArray());
                        middles++;
                        break;
                    case 2:
                        Assert.NotNull(pending);
                        pending.AddRange(data.ToArray());
                        var whole = new byte[pending.Count + 4];
                        BinaryPrimitives.WriteUInt16BigEndian(whole, (ushort)whole.Length);
                        pending.CopyTo(whole, 4);
                        records.Add(whole);
                        pending = null;
                        break;
                    default:
                        Assert.Fail($"segment control X'{control:X2}' at {seg}");
                        break;
                }

                seg += segmentLength;
            }

            Assert.Equal(end, seg);
            pos = end;
            blocks++;
        }

        Assert.Null(pending);
        return new VbsReadResult(records, blocks, spanned, middles, largest);
    }

    public static ushort U16(byte[] r, int offset) => BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(offset));

    public static uint U32(byte[] r, int offset) => BinaryPrimitives.ReadUInt32BigEndian(r.AsSpan(offset));

    public static ulong U64(byte[] r, int offset) => BinaryPrimitives.ReadUInt64BigEndian(r.AsSpan(offset));

    /// <summary>Unpacks 0cyydddF (layout §C.3) digit by digit.</summary>
    public static DateOnly UnpackDate(uint packed)
    {
        int Nibble(int shift) => (int)((packed >> shift) & 0xF);
        Assert.Equal(0xF, Nibble(0));
        var year = 1900 + (100 * Nibble(24)) + (10 * Nibble(20)) + Nibble(16);
        var day = (100 * Nibble(12)) + (10 * Nibble(8)) + Nibble(4);
        return new DateOnly(year, 1, 1).AddDays(day - 1);
    }

    /// <summary>EBCDIC to text for the common IBM-037/1047 letters, digits and the punctuation the layout uses.</summary>
    public static string Ebcdic(byte[] r, int offset, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            var b = r[offset + i];
            chars[i] = b switch
            {
                0x40 => ' ',
                0x4B => '.',
                0x4D => '(',
                0x5D => ')',
                0x5C => '*',
                0x60 => '-',
                0x61 => '/',
                0x6B => ',',
                0x6D => '_',
                0x7A => ':',
                0x7D => '\'',
                0x7E => '=',
                >= 0x81 and <= 0x89 => (char)('a' + b - 0x81),
                >= 0x91 and <= 0x99 => (char)('j' + b - 0x91),
                >= 0xA2 and <= 0xA9 => (char)('s' + b - 0xA2),
                >= 0xC1 and <= 0xC9 => (char)('A' + b - 0xC1),
                >= 0xD1 and <= 0xD9 => (char)('J' + b - 0xD1),
                >= 0xE2 and <= 0xE9 => (char)('S' + b - 0xE2),
                >= 0xF0 and <= 0xF9 => (char)('0' + b - 0xF0),
                0x00 => '\0',
                _ => '?',
            };
        }

        return new string(chars).TrimEnd(' ', '\0');
    }
}
