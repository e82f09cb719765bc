using System.Globalization;
using System.Net;
using System.Text;

namespace ZertForwarder.Mapping;

/// <summary>Allocation-free UTF-8 formatting of the value shapes the writers need.</summary>
internal static class Formatting
{
    private static ReadOnlySpan<byte> HexDigits => "0123456789ABCDEF"u8;

    public static int Hex(ReadOnlySpan<byte> bytes, Span<byte> destination)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            destination[2 * i] = HexDigits[bytes[i] >> 4];
            destination[2 * i + 1] = HexDigits[bytes[i] & 0xF];
        }
        return bytes.Length * 2;
    }

    /// <summary>
    /// A 16-byte address field as text, by the decoder's rule (layout spec §0): IPv4 from bytes 0-3 unless the record is
    /// IPv6 or bytes 4-15 are not zero.
    /// </summary>
    public static int Ip(ReadOnlySpan<byte> field, bool ipv6, Span<byte> destination)
    {
        if (!ipv6 && !field[4..].ContainsAnyExcept((byte)0))
        {
            var n = 0;
            for (var i = 0; i < 4; i++)
            {
                if (i > 0) destination[n++] = (byte)'.';
                field[i].TryFormat(destination[n..], out var w, default, CultureInfo.InvariantCulture);
                n += w;
            }
            return n;
        }
        new IPAddress(field).TryFormat(destination, out var written);
        return written;
    }

    /// <summary>ISO 8601 UTC with milliseconds, or microseconds when the value has sub-millisecond ticks (contract §1).</summary>
    public static int Timestamp(DateTime utc, Span<byte> destination)
    {
        var format = utc.Ticks % TimeSpan.TicksPerMillisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss.fff'Z'" : "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
        utc.TryFormat(destination, out var n, format, CultureInfo.InvariantCulture);
        return n;
    }

    public static int Ascii(string text, Span<byte> destination) => Encoding.UTF8.GetBytes(text, destination);

    public static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    /// <summary>
    /// A certificate notAfter without allocating: the EBCDIC characters chosen by the field's time-type byte, parsed
    /// by the decoder's rule (<see cref="ZertForwarder.Smf.SmfTime.TryParseCertificateTime"/>, layout §2.3).
    /// </summary>
    public static bool TryGetCertificateTime(ZertForwarder.Smf.Zert.ZertRecord record, ZertForwarder.Smf.Zert.ZertField field, out DateTimeOffset notAfter)
    {
        notAfter = default;
        var text = record.GetTextBytes(field);
        if (text.IsEmpty || text.Length > 32 || field.TimeTypeOffset < 0) return false;
        var section = record.SectionBytes(field.Section);
        if (field.TimeTypeOffset >= section.Length) return false;
        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++) chars[i] = ZertForwarder.Smf.Ebcdic.ToChar(text[i]);
        return ZertForwarder.Smf.SmfTime.TryParseCertificateTime(section[field.TimeTypeOffset], chars, out notAfter);
    }
}
