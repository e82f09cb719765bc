using System.Net;

namespace ZertForwarder.Smf.Tests.Spec;

/// <summary>The value a test put into one field and what it means (the decoder must give this back).</summary>
/// <param name="Value">
/// ulong for numbers, codes, flags, lengths, time types, IKE versions and TOD; string for text and hex; IPAddress;
/// DateOnly for packed dates; uint hundredths for times of day; DateTimeOffset for certificate notAfter.
/// </param>
public sealed record PlannedValue(SpecField Field, object Value);

/// <summary>
/// Fills EVERY field of the chosen sections with a distinctive value (different from its neighbours, high bits set so
/// byte order matters, reserved bytes filled with garbage) and remembers what each field must decode to.
/// </summary>
public static class FieldPlan
{
    public const byte ReservedGarbage = 0xEE;

    private static readonly (int TimeType, string Text, DateTimeOffset Meaning)[] CertTimes =
    [
        (1, "351231235958Z", new DateTimeOffset(2035, 12, 31, 23, 59, 58, TimeSpan.Zero)), // UTCTime YY < 50 -> 20YY
        (2, "20491130120001Z", new DateTimeOffset(2049, 11, 30, 12, 0, 1, TimeSpan.Zero)), // GeneralizedTime
        (1, "990228070809Z", new DateTimeOffset(1999, 2, 28, 7, 8, 9, TimeSpan.Zero)),     // UTCTime YY >= 50 -> 19YY
        (1, "490101000000Z", new DateTimeOffset(2049, 1, 1, 0, 0, 0, TimeSpan.Zero)),      // the last 20YY year
    ];

    private static readonly (DateOnly Date, int Sign)[] Dates =
    [
        (new DateOnly(2024, 10, 31), 0xF), // century digit 1, sign F
        (new DateOnly(1999, 12, 31), 0xC), // century digit 0, sign C
        (new DateOnly(2100, 3, 1), 0xF),   // century digit 2
    ];

    /// <summary>
    /// Writes every field of <paramref name="sectionNames"/> (sections at their full known length) and returns the
    /// planned values of the output fields, keyed by IBM name. <paramref name="ipv6"/> sets the record's IPv6 flag.
    /// </summary>
    public static Dictionary<string, PlannedValue> FillAll(SpecRecordBuilder builder, bool ipv6, params string[] sectionNames)
    {
        var planned = new Dictionary<string, PlannedValue>(StringComparer.Ordinal);
        var i = 0;
        foreach (var name in sectionNames)
        {
            var section = SpecLayout.Section(builder.Subtype, name);
            builder.Section(name);
            foreach (var field in section.Fields)
            {
                i++;
                Fill(builder, field, i, ipv6, planned);
            }
        }
        return planned;
    }

    private static void Fill(SpecRecordBuilder b, SpecField f, int i, bool ipv6, Dictionary<string, PlannedValue> planned)
    {
        switch (f.Kind)
        {
            case SpecKind.Number or SpecKind.Code or SpecKind.Flags:
            {
                var value = f.Name switch
                {
                    // The IPv6 flag decides how every address of the record reads (§6 step 4).
                    "SMF119SC_SAFlags" => ipv6 ? 0x90UL : 0x10UL,
                    "SMF119SS_SAFlags" => ipv6 ? 0xC0UL : 0x40UL,
                    _ => Distinct(f.Length, i),
                };
                b.Set(f.Name, value);
                planned[f.Name] = new(f, value);
                break;
            }
            case SpecKind.Low4:
            {
                var raw = 0xA0UL | (ulong)(1 + i % 9); // high nibble is not part of the value (§2.5)
                b.Set(f.Name, raw);
                planned[f.Name] = new(f, raw & 0x0F);
                break;
            }
            case SpecKind.Tod:
            {
                var value = SpecEncoding.TodFromMicroseconds(900_000_000UL + (ulong)i) | 0x123; // sub-microsecond bits too
                b.Set(f.Name, value);
                planned[f.Name] = new(f, value);
                break;
            }
            case SpecKind.Text:
            {
                var text = f.Length switch
                {
                    <= 6 => "C0" + (char)('A' + i % 26) + "F",             // 4 chars + 2 blanks, like a cipher code
                    <= 8 => "J" + (i * 7 % 1000).ToString("D3") + "a" + (char)('A' + i % 26), // 6 of 8: trailing blanks
                    _ => $"Rule {i}-a.b=c,d*E/x_y:z".PadRight(f.Length)[..(f.Length - 2)].TrimEnd(),
                };
                b.SetText(f.Name, text);
                planned[f.Name] = new(f, text);
                break;
            }
            case SpecKind.Ip:
            {
                var address = ipv6
                    ? IPAddress.Parse($"2001:db8:{i:x}:ffff::{i + 1:x}")
                    : new IPAddress([10, (byte)i, (byte)(i * 3), (byte)(i * 7 + 1)]);
                b.SetIp(f.Name, address);
                planned[f.Name] = new(f, address);
                break;
            }
            case SpecKind.PackedDate:
            {
                var (date, sign) = Dates[i % Dates.Length];
                b.SetBytes(f.Name, SpecEncoding.PackedDate(date, sign));
                planned[f.Name] = new(f, date);
                break;
            }
            case SpecKind.Hundredths:
            {
                var value = (uint)((i * 1_234_567L + 4_567) % 8_640_000);
                b.Set(f.Name, value);
                planned[f.Name] = new(f, value);
                break;
            }
            case SpecKind.Hex:
            {
                var contents = Enumerable.Range(0, f.Length).Select(k => (byte)(0xA0 + i + k)).ToArray();
                var significant = f.Length - 1 - i % 3; // fewer than the field holds: the bytes after must not show
                b.SetHex(f.Name, contents, significant);
                planned[f.Name] = new(f, SpecEncoding.Hex(contents.AsSpan(0, significant)));
                planned[f.Partner!] = new(SpecLayout.Find(b.Subtype, f.Partner!).Field, (ulong)significant);
                break;
            }
            case SpecKind.CertTime:
            {
                var (timeType, text, meaning) = CertTimes[i % CertTimes.Length];
                b.SetCertTime(f.Name, timeType, text);
                planned[f.Name] = new(f, meaning);
                planned[f.Partner!] = new(SpecLayout.Find(b.Subtype, f.Partner!).Field, (ulong)timeType);
                break;
            }
            case SpecKind.HexLength or SpecKind.TimeType:
                break; // written with the partner field (which comes after it or before it in the section)
            case SpecKind.Reserved:
                b.SetBytes(f.Name, Enumerable.Repeat(ReservedGarbage, f.Length).ToArray());
                break;
            case SpecKind.Opaque:
            {
                var raw = Enumerable.Range(0, f.Length).Select(k => (byte)(0xC1 + k)).ToArray();
                b.SetBytes(f.Name, raw);
                planned[f.Name] = new(f, SpecEncoding.Hex(raw));
                break;
            }
            default:
                throw new InvalidOperationException(f.Kind.ToString());
        }
    }

    /// <summary>A value with the top bit set (so byte order and width matter) that differs from field to field.</summary>
    private static ulong Distinct(int length, int i) => length switch
    {
        1 => (ulong)(0x80 | (i * 37 % 127 + 1)),
        2 => 0x8000UL | (ulong)(i * 0x0123 % 0x7FFF + 1),
        4 => 0x80000000UL | (ulong)((uint)i * 0x01020305u % 0x7FFFFFFF + 1),
        8 => 0x8000000000000000UL | ((ulong)i * 0x0102030405060709UL % 0x7FFFFFFFFFFFFFFFUL + 1),
        _ => throw new ArgumentOutOfRangeException(nameof(length)),
    };
}
