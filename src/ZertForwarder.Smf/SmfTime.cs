using System.Buffers.Binary;

namespace ZertForwarder.Smf;

/// <summary>SMF date and time encodings (layout spec §C.3).</summary>
public static class SmfTime
{
    /// <summary>Hundredths of a second in a day: the largest valid time field is one less.</summary>
    public const uint HundredthsPerDay = 8_640_000;

    /// <summary>TOD clock value of 1970-01-01T00:00:00Z (epoch 1900): X'7D91048BCA000000'.</summary>
    public const ulong TodUnixEpoch = 0x7D91048BCA000000UL;

    /// <summary>
    /// Decodes a 4-byte packed date <c>0cyydddF</c>: century digit c (0 = 19yy, 1 = 20yy, 2 = 21yy), year yy,
    /// Julian day ddd, sign nibble F (C is accepted too). Returns false for zero ("not set") and for any
    /// nibble that is not a valid digit, a day outside the year, or an unknown sign.
    /// </summary>
    public static bool TryDecodePackedDate(ReadOnlySpan<byte> field, out DateOnly date)
    {
        date = default;
        if (field.Length < 4) return false;
        var raw = BinaryPrimitives.ReadUInt32BigEndian(field);
        if (raw == 0) return false;
        var n0 = (raw >> 28) & 0xF; // always 0
        var c = (raw >> 24) & 0xF;
        var y1 = (raw >> 20) & 0xF;
        var y2 = (raw >> 16) & 0xF;
        var d1 = (raw >> 12) & 0xF;
        var d2 = (raw >> 8) & 0xF;
        var d3 = (raw >> 4) & 0xF;
        var sign = raw & 0xF;
        if (n0 != 0 || c > 2 || y1 > 9 || y2 > 9 || d1 > 9 || d2 > 9 || d3 > 9) return false;
        if (sign != 0xF && sign != 0xC) return false;
        var year = 1900 + (int)(100 * c + 10 * y1 + y2);
        var day = (int)(100 * d1 + 10 * d2 + d3);
        if (day < 1 || day > (DateTime.IsLeapYear(year) ? 366 : 365)) return false;
        date = new DateOnly(year, 1, 1).AddDays(day - 1);
        return true;
    }

    /// <summary>
    /// Decodes a 4-byte time of day in hundredths of a second since midnight. False when past the end of a day.
    /// </summary>
    public static bool TryDecodeHundredths(ReadOnlySpan<byte> field, out TimeOnly time)
    {
        time = default;
        if (field.Length < 4) return false;
        var hundredths = BinaryPrimitives.ReadUInt32BigEndian(field);
        if (hundredths >= HundredthsPerDay) return false;
        time = new TimeOnly(hundredths * 100_000L);
        return true;
    }

    /// <summary>Combines a packed date and a hundredths time field into one UTC-unspecified instant.</summary>
    public static bool TryDecodeDateTime(ReadOnlySpan<byte> dateField, ReadOnlySpan<byte> timeField, out DateTime value)
    {
        value = default;
        if (!TryDecodePackedDate(dateField, out var date) || !TryDecodeHundredths(timeField, out var time)) return false;
        value = date.ToDateTime(time, DateTimeKind.Unspecified);
        return true;
    }

    /// <summary>A TOD-clock duration (bit 51 = 1 microsecond) in microseconds.</summary>
    public static ulong TodToMicroseconds(ulong tod) => tod >> 12;

    /// <summary>
    /// Parses an X.509 notAfter carried as characters (layout spec §2.3 SCert_Time): type 1 = UTCTime, first 13
    /// characters <c>YYMMDDhhmmssZ</c> (YY &lt; 50 means 20YY, RFC 5280 §4.1.2.5.1); type 2 = GeneralizedTime,
    /// 15 characters <c>YYYYMMDDhhmmssZ</c>. The text is already decoded from EBCDIC.
    /// </summary>
    public static bool TryParseCertificateTime(int timeType, ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        int year;
        ReadOnlySpan<char> rest;
        if (timeType == 1)
        {
            if (text.Length < 13 || text[12] != 'Z' || !TryDigits(text[..2], out var yy)) return false;
            year = yy < 50 ? 2000 + yy : 1900 + yy;
            rest = text[2..12];
        }
        else if (timeType == 2)
        {
            if (text.Length < 15 || text[14] != 'Z' || !TryDigits(text[..4], out year)) return false;
            rest = text[4..14];
        }
        else
        {
            return false;
        }
        if (!TryDigits(rest[..2], out var month) || !TryDigits(rest[2..4], out var day) ||
            !TryDigits(rest[4..6], out var hour) || !TryDigits(rest[6..8], out var minute) ||
            !TryDigits(rest[8..10], out var second)) return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
        value = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
