using System.Buffers.Binary;
using System.Net;

namespace ZertForwarder.Mapping.Tests.Support;

/// <summary>
/// Builds SMF 119-11/12 records byte by byte from the layout spec (smf119-zert-layout.md §1-3), independently of the
/// decoder: its own EBCDIC table, its own offsets. Sections are laid out after the self-defining section in triplet
/// order; absent sections get an all-zero triplet (§0).
/// </summary>
internal sealed class SpecRecordBuilder
{
    public SpecRecordBuilder(int subtype)
    {
        Subtype = subtype;
        Common = new byte[subtype == 11 ? 128 : 212];
        // §1.4 identification section defaults
        Text(Id, 0, 8, "SYSA");
        Text(Id, 8, 8, "PLEX1");
        Text(Id, 16, 8, "TCPIP");
        Text(Id, 24, 8, "CS V3R2");
        Text(Id, 32, 8, "STACK");
        Text(Id, 40, 8, "TCPIP");
        Text(Id, 48, 8, "TCPIPUSR");
        U16(Id, 58, 0x0041);
        Id[60] = 0x08; // event record (V.1)
    }

    public int Subtype { get; }
    public string SystemId { get; set; } = "SYSA";

    /// <summary>SMF119TME: hundredths since local midnight; SMF119DTE packed 0cyydddF.</summary>
    public DateTime LocalTime { get; set; } = new(2025, 10, 31, 9, 5, 0, 500);

    public byte[] Id { get; } = new byte[64];
    public byte[] Common { get; set; }
    public byte[]? IpFilter { get; set; }
    public byte[]? Tls { get; set; }
    public byte[]? Ssh { get; set; }
    public byte[]? Ipsec { get; set; }
    public byte[]? Enforcement { get; set; }
    public List<(ushort Type, byte[] Text)> Dns { get; } = [];

    public SpecRecordBuilder Dn(ushort type, string text)
    {
        Dns.Add((type, Ebcdic(text)));
        return this;
    }

    public byte[] Build()
    {
        // Subtype 11: ID, S1 common, S2 filter, S3 TLS, S4 SSH, S5 IPsec, S6 DN, (S7 enforcement, V2R5+) — §1.2.
        // Subtype 12: ID, S1 common, S2 TLS, S3 SSH, S4 IPsec, S5 DN — §1.3.
        var sections = Subtype == 11
            ? new List<byte[]?> { Id, Common, IpFilter, Tls, Ssh, Ipsec, null }
            : new List<byte[]?> { Id, Common, Tls, Ssh, Ipsec, null };
        var dnIndex = Subtype == 11 ? 6 : 5;
        if (Subtype == 11 && Enforcement is not null) sections.Add(Enforcement);
        var trn = sections.Count;
        var dnBytes = Dns.Sum(d => 4 + d.Text.Length);
        var length = 28 + trn * 8 + sections.Sum(s => s?.Length ?? 0) + dnBytes;
        var r = new byte[length];
        U16(r, 0, (ushort)length);
        r[4] = 0x5E; // X'40' subtypes used + version bits (§1.1)
        r[5] = 119;
        U32(r, 6, (uint)(LocalTime.TimeOfDay.Ticks / 100_000));
        U32(r, 10, PackedDate(DateOnly.FromDateTime(LocalTime)));
        Text(r, 14, 4, SystemId);
        Text(r, 18, 4, "TCP");
        U16(r, 22, (ushort)Subtype);
        U16(r, 24, (ushort)trn);
        var offset = 28 + trn * 8;
        for (var i = 0; i < trn; i++)
        {
            var t = 28 + i * 8;
            if (i == dnIndex)
            {
                if (Dns.Count == 0) continue;
                U32(r, t, (uint)offset);
                U16(r, t + 4, (ushort)dnBytes);
                U16(r, t + 6, (ushort)Dns.Count);
                foreach (var (type, text) in Dns)
                {
                    U16(r, offset, (ushort)(4 + text.Length));
                    U16(r, offset + 2, type);
                    text.CopyTo(r, offset + 4);
                    offset += 4 + text.Length;
                }
                continue;
            }
            var s = sections[i];
            if (s is null) continue;
            U32(r, t, (uint)offset);
            U16(r, t + 4, (ushort)s.Length);
            U16(r, t + 6, 1);
            s.CopyTo(r, offset);
            offset += s.Length;
        }
        return r;
    }

    /// <summary>Packed 0cyydddF (§C.3).</summary>
    public static uint PackedDate(DateOnly date)
    {
        var c = (date.Year - 1900) / 100;
        var yy = date.Year % 100;
        var ddd = date.DayOfYear;
        var digits = $"{c}{yy:D2}{ddd:D3}";
        uint v = 0;
        foreach (var ch in digits) v = (v << 4) | (uint)(ch - '0');
        return (v << 4) | 0xF;
    }

    public static void U16(byte[] b, int o, ushort v) => BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(o), v);
    public static void U32(byte[] b, int o, uint v) => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(o), v);
    public static void U64(byte[] b, int o, ulong v) => BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(o), v);

    /// <summary>EBCDIC text, blank (X'40') padded to the field length.</summary>
    public static void Text(byte[] b, int o, int length, string text)
    {
        var e = Ebcdic(text);
        if (e.Length > length) throw new ArgumentException($"'{text}' is longer than {length}");
        b.AsSpan(o, length).Fill(0x40);
        e.CopyTo(b, o);
    }

    /// <summary>IPv4 in bytes 0-3, zero rest; or a 16-byte IPv6 address (§0).</summary>
    public static void Ip(byte[] b, int o, string address)
    {
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        b.AsSpan(o, 16).Clear();
        bytes.CopyTo(b, o);
    }

    public static void Bytes(byte[] b, int o, byte[] value) => value.CopyTo(b, o);

    /// <summary>An independent IBM-1047 subset: letters, digits, blank and the punctuation certificate names use.</summary>
    public static byte[] Ebcdic(string text)
    {
        var result = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            result[i] = c switch
            {
                >= '0' and <= '9' => (byte)(0xF0 + (c - '0')),
                >= 'A' and <= 'I' => (byte)(0xC1 + (c - 'A')),
                >= 'J' and <= 'R' => (byte)(0xD1 + (c - 'J')),
                >= 'S' and <= 'Z' => (byte)(0xE2 + (c - 'S')),
                >= 'a' and <= 'i' => (byte)(0x81 + (c - 'a')),
                >= 'j' and <= 'r' => (byte)(0x91 + (c - 'j')),
                >= 's' and <= 'z' => (byte)(0xA2 + (c - 's')),
                ' ' => 0x40, '.' => 0x4B, '(' => 0x4D, '+' => 0x4E, '&' => 0x50, '*' => 0x5C, ')' => 0x5D, ';' => 0x5E,
                '-' => 0x60, '/' => 0x61, ',' => 0x6B, '_' => 0x6D, ':' => 0x7A, '#' => 0x7B, '@' => 0x7C, '\'' => 0x7D,
                '=' => 0x7E, '"' => 0x7F, '\t' => 0x05, '\n' => 0x15, '\r' => 0x0D,
                '\u0000' => 0x00, '\u001A' => 0x3F, '\u0085' => 0x25, '\u007F' => 0x07, // controls: SUB, NEL, DEL
                _ => throw new ArgumentException($"no EBCDIC code for '{c}' in the test table"),
            };
        }
        return result;
    }

    /// <summary>The record as readable hex: 16 bytes a line, offset first.</summary>
    public static string ToHex(byte[] record)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("# SMF 119 record, offsets from the RDW; regenerate with ZERT_UPDATE_GOLDEN=1\n");
        for (var i = 0; i < record.Length; i += 16)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i:X4}: ");
            sb.AppendJoin(' ', record.Skip(i).Take(16).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static byte[] FromHex(string text)
    {
        var bytes = new List<byte>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0) line = line[(colon + 1)..];
            foreach (var h in line.Split(' ', StringSplitOptions.RemoveEmptyEntries)) bytes.Add(Convert.ToByte(h, 16));
        }
        return [.. bytes];
    }
}
