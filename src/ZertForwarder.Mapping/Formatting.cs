using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;

namespace ZertForwarder.Mapping;

/// <summary>Allocation-free UTF-8 formatting of the value shapes the writers need.</summary>
internal static class Formatting
{
    private static ReadOnlySpan<byte> HexDigits => "0123456789ABCDEF"u8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Ip(ReadOnlySpan<byte> field, bool ipv6, Span<byte> destination)
    {
        if (!ipv6 && !field[4..].ContainsAnyExcept((byte)0))
        {
            // Dotted quad by hand: four short numbers, no formatting machinery.
            var n = 0;
            for (var i = 0; i < 4; i++)
            {
                if (i > 0) destination[n++] = (byte)'.';
                int b = field[i];
                if (b >= 100)
                {
                    destination[n++] = (byte)('0' + b / 100);
                    destination[n++] = (byte)('0' + b / 10 % 10);
                }
                else if (b >= 10)
                {
                    destination[n++] = (byte)('0' + b / 10);
                }
                destination[n++] = (byte)('0' + b % 10);
            }
            return n;
        }
        return Ipv6(field, destination);
    }

    /// <summary>
    /// IPv6 text through <see cref="IPAddress"/> (RFC 5952 form, embedded IPv4 as .NET writes it), remembered per
    /// thread for the last few addresses: a document writes the same two endpoints up to four times each (client,
    /// source, local, related), and each formatting allocates an address object.
    /// </summary>
    private static int Ipv6(ReadOnlySpan<byte> field, Span<byte> destination)
    {
        if (field.Length != 16)
        {
            new IPAddress(field).TryFormat(destination, out var direct);
            return direct;
        }
        var cache = t_ipv6 ??= new Ipv6Cache();
        var high = BinaryPrimitives.ReadUInt64LittleEndian(field);
        var low = BinaryPrimitives.ReadUInt64LittleEndian(field[8..]);
        for (var i = 0; i < Ipv6Cache.Size; i++)
        {
            if (cache.Length[i] > 0 && cache.High[i] == high && cache.Low[i] == low)
            {
                var text = cache.Text.AsSpan(i * Ipv6Cache.MaxText, cache.Length[i]);
                text.CopyTo(destination);
                return text.Length;
            }
        }
        new IPAddress(field).TryFormat(destination, out var written);
        var slot = cache.Next;
        cache.Next = (slot + 1) % Ipv6Cache.Size;
        cache.High[slot] = high;
        cache.Low[slot] = low;
        cache.Length[slot] = written;
        destination[..written].CopyTo(cache.Text.AsSpan(slot * Ipv6Cache.MaxText));
        return written;
    }

    [ThreadStatic] private static Ipv6Cache? t_ipv6;

    private sealed class Ipv6Cache
    {
        public const int Size = 4;
        public const int MaxText = 48; // the longest IPv6 text is 45 characters
        public readonly ulong[] High = new ulong[Size];
        public readonly ulong[] Low = new ulong[Size];
        public readonly int[] Length = new int[Size];
        public readonly byte[] Text = new byte[Size * MaxText];
        public int Next;
    }

    /// <summary>ISO 8601 UTC with milliseconds, or microseconds when the value has sub-millisecond ticks (contract §1).</summary>
    /// <remarks>
    /// Written digit by digit: the same characters as the custom formats <c>yyyy-MM-dd'T'HH:mm:ss.fff'Z'</c> and
    /// <c>...ss.ffffff'Z'</c> (fractions truncated, as <c>f</c> does), at a fraction of the cost; every document has
    /// several timestamps.
    /// </remarks>
    public static int Timestamp(DateTime utc, Span<byte> destination)
    {
        var n = Date(DateOnly.FromDateTime(utc), destination);
        destination[n++] = (byte)'T';
        var ticksOfDay = utc.Ticks % TimeSpan.TicksPerDay;
        var seconds = (int)(ticksOfDay / TimeSpan.TicksPerSecond);
        n += Clock(seconds / 3600, seconds / 60 % 60, seconds % 60, destination[n..]);
        destination[n++] = (byte)'.';
        var fraction = (int)(ticksOfDay % TimeSpan.TicksPerSecond); // 100 ns units, 7 digits
        if (utc.Ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            Digits(fraction / 10_000, 3, destination[n..]);
            n += 3;
        }
        else
        {
            Digits(fraction / 10, 6, destination[n..]);
            n += 6;
        }
        destination[n++] = (byte)'Z';
        return n;
    }

    /// <summary><c>yyyy-MM-dd</c> (the year zero-padded to four digits, as the custom format does).</summary>
    public static int Date(DateOnly date, Span<byte> destination)
    {
        Digits(date.Year, 4, destination);
        destination[4] = (byte)'-';
        Digits(date.Month, 2, destination[5..]);
        destination[7] = (byte)'-';
        Digits(date.Day, 2, destination[8..]);
        return 10;
    }

    /// <summary><c>HH:mm:ss.ff</c> (hundredths truncated, as the custom format does).</summary>
    public static int TimeOfDay(TimeOnly time, Span<byte> destination)
    {
        var n = Clock(time.Hour, time.Minute, time.Second, destination);
        destination[n++] = (byte)'.';
        Digits((int)(time.Ticks % TimeSpan.TicksPerSecond / 100_000), 2, destination[n..]);
        return n + 2;
    }

    private static int Clock(int hours, int minutes, int seconds, Span<byte> destination)
    {
        Digits(hours, 2, destination);
        destination[2] = (byte)':';
        Digits(minutes, 2, destination[3..]);
        destination[5] = (byte)':';
        Digits(seconds, 2, destination[6..]);
        return 8;
    }

    /// <summary>A non-negative value as exactly <paramref name="count"/> decimal digits, zero padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Digits(int value, int count, Span<byte> destination)
    {
        // Two digits per step from a table: a document has several timestamps of ~17 digits each.
        var i = count;
        while (i >= 2)
        {
            var pair = (value % 100) * 2;
            value /= 100;
            destination[i - 1] = TwoDigits[pair + 1];
            destination[i - 2] = TwoDigits[pair];
            i -= 2;
        }
        if (i == 1) destination[0] = (byte)('0' + value % 10);
    }

    private static ReadOnlySpan<byte> TwoDigits =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    public static int Ascii(string text, Span<byte> destination) => Encoding.UTF8.GetBytes(text, destination);

    /// <summary>
    /// A redacted distinguished name: <c>sha256:</c> and the upper-case hex of the first 16 bytes of SHA-256 over the
    /// DN's UTF-8 text. Unkeyed on purpose, so equal DNs still group across systems, runs and formats; written into
    /// <paramref name="destination"/>.
    /// </summary>
    public static ReadOnlySpan<byte> DnHash(ReadOnlySpan<byte> dnUtf8, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(dnUtf8, hash);
        "sha256:"u8.CopyTo(destination);
        var n = 7 + Hex(hash[..16], destination[7..]);
        return destination[..n];
    }

    public static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    /// <summary>
    /// A certificate notAfter without allocating: the EBCDIC characters chosen by the field's time-type byte, parsed
    /// by the decoder's rule (<see cref="ZertForwarder.Smf.SmfTime.TryParseCertificateTime"/>, layout §2.3).
    /// </summary>
    public static bool TryGetCertificateTime(ZertForwarder.Smf.Zert.ZertRecord record, ZertForwarder.Smf.Zert.ZertField field, out DateTimeOffset notAfter)
    {
        notAfter = default;
        var text = record.GetTextBytes(field);
        if (text.IsEmpty || text.Length > 32 || !record.TryGetCertificateTimeType(field, out var timeType)) return false;
        Span<char> chars = stackalloc char[text.Length];
        for (var i = 0; i < text.Length; i++) chars[i] = ZertForwarder.Smf.Ebcdic.ToChar(text[i]);
        return ZertForwarder.Smf.SmfTime.TryParseCertificateTime(timeType, chars, out notAfter);
    }
}
