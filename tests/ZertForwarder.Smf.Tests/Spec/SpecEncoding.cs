using System.Buffers.Binary;

namespace ZertForwarder.Smf.Tests.Spec;

/// <summary>
/// The encodings of the spec (§0, §C.3), written for the tests without the decoder's helpers: EBCDIC for the
/// characters zERT records use (identical in IBM-037 and IBM-1047), packed dates, hundredths.
/// </summary>
public static class SpecEncoding
{
    public const byte EbcdicBlank = 0x40;

    /// <summary>EBCDIC code of one character; only the characters the spec says zERT uses, plus a few punctuation marks.</summary>
    public static byte EbcdicOf(char c) => c switch
    {
        >= 'a' and <= 'i' => (byte)(0x81 + (c - 'a')),
        >= 'j' and <= 'r' => (byte)(0x91 + (c - 'j')),
        >= 's' and <= 'z' => (byte)(0xA2 + (c - 's')),
        >= 'A' and <= 'I' => (byte)(0xC1 + (c - 'A')),
        >= 'J' and <= 'R' => (byte)(0xD1 + (c - 'J')),
        >= 'S' and <= 'Z' => (byte)(0xE2 + (c - 'S')),
        >= '0' and <= '9' => (byte)(0xF0 + (c - '0')),
        ' ' => 0x40,
        '.' => 0x4B,
        '(' => 0x4D,
        '+' => 0x4E,
        '&' => 0x50,
        '*' => 0x5C,
        ')' => 0x5D,
        ';' => 0x5E,
        '-' => 0x60,
        '/' => 0x61,
        ',' => 0x6B,
        '_' => 0x6D,
        '?' => 0x6F,
        ':' => 0x7A,
        '#' => 0x7B,
        '@' => 0x7C,
        '\'' => 0x7D,
        '=' => 0x7E,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "no EBCDIC code in the test table"),
    };

    public static byte[] Ebcdic(string text) => [.. text.Select(EbcdicOf)];

    /// <summary>EBCDIC text left aligned in a field of <paramref name="length"/> bytes, padded with X'40' (§0).</summary>
    public static byte[] EbcdicField(string text, int length)
    {
        if (text.Length > length) throw new ArgumentException($"'{text}' does not fit {length} bytes", nameof(text));
        var field = Enumerable.Repeat(EbcdicBlank, length).ToArray();
        Ebcdic(text).CopyTo(field, 0);
        return field;
    }

    /// <summary>
    /// Packed date 0cyydddF (§C.3): c = century digit (0 = 19yy, 1 = 20yy, 2 = 21yy), yy, Julian day ddd, sign nibble.
    /// </summary>
    public static byte[] PackedDate(int year, int dayOfYear, int sign = 0xF)
    {
        var c = (year - 1900) / 100;
        var yy = year % 100;
        uint value = (uint)(c << 24 | (yy / 10) << 20 | (yy % 10) << 16 | (dayOfYear / 100) << 12 | (dayOfYear / 10 % 10) << 8 | (dayOfYear % 10) << 4 | sign);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] PackedDate(DateOnly date, int sign = 0xF) => PackedDate(date.Year, date.DayOfYear, sign);

    /// <summary>Hundredths of a second since midnight for a wall-clock time.</summary>
    public static uint Hundredths(int hours, int minutes, int seconds, int hundredths) =>
        (uint)(((hours * 60 + minutes) * 60 + seconds) * 100 + hundredths);

    /// <summary>"HH:mm:ss.ff" from hundredths since midnight, by arithmetic (the raw JSON time format).</summary>
    public static string FormatHundredths(uint value) =>
        $"{value / 360_000:D2}:{value / 6_000 % 60:D2}:{value / 100 % 60:D2}.{value % 100:D2}";

    /// <summary>TOD-clock units for a number of microseconds (bit 51 = 1 µs, §C.3).</summary>
    public static ulong TodFromMicroseconds(ulong microseconds) => microseconds << 12;

    public static byte[] BigEndian(ulong value, int length)
    {
        var bytes = new byte[length];
        for (var i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }
        return bytes;
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
