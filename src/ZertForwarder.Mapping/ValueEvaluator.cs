using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using ZertForwarder.Smf;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

internal enum ValueKind : byte
{
    None,
    Number,

    /// <summary>A signed integer: <see cref="FieldValue.Number"/> holds its two's-complement bits.</summary>
    Signed,
    Float,
    Bool,
    Utf8,
    List,

    /// <summary>A list of UTF-8 items separated by commas in <see cref="FieldValue.Utf8"/> (items never contain one).</summary>
    Utf8List,

    /// <summary>A list of exactly one item, <see cref="FieldValue.Utf8"/>.</summary>
    Utf8Item,

    /// <summary>
    /// A non-negative integer too large for <see cref="FieldValue.Number"/>, as its decimal digits in
    /// <see cref="FieldValue.Utf8"/>: written as a number, never as a string.
    /// </summary>
    Digits,
}

/// <summary>One evaluated value. <see cref="Utf8"/> points into the caller's scratch buffer or a cached name.</summary>
internal ref struct FieldValue
{
    public ValueKind Kind;

    /// <summary>The number; for <see cref="ValueKind.Float"/> the double's bits, for <see cref="ValueKind.Bool"/> 0 or 1.</summary>
    /// <remarks>One slot for the three scalar shapes keeps the value small: ~200 are returned per document.</remarks>
    public ulong Number;
    public ReadOnlySpan<byte> Utf8;
    public EncodedList? List;

    /// <summary>For <see cref="ValueKind.Utf8"/>: the text needs no JSON escaping (see <see cref="PlainText"/>).</summary>
    public bool Plain;

    public readonly double Float => BitConverter.UInt64BitsToDouble(Number);
    public readonly long SignedNumber => unchecked((long)Number);
    public readonly bool Bool => Number != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue Num(ulong n) => new() { Kind = ValueKind.Number, Number = n };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue Signed(long n) => new() { Kind = ValueKind.Signed, Number = unchecked((ulong)n) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue Real(double d) => new() { Kind = ValueKind.Float, Number = BitConverter.DoubleToUInt64Bits(d) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue Text(ReadOnlySpan<byte> utf8) => new() { Kind = ValueKind.Utf8, Utf8 = utf8 };

    /// <summary>
    /// Text that needs no JSON escaping by construction: made by the formatters (hex digits, addresses, dates, fixed
    /// ASCII words, the event id) or a table name checked when the mapping was compiled. Text read from the record
    /// (names, DNs, rule names) is never plain: it goes through <see cref="Text"/> and the escaping check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue PlainText(ReadOnlySpan<byte> utf8) => new() { Kind = ValueKind.Utf8, Utf8 = utf8, Plain = true };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue Items(EncodedList list) => list.Count == 0 ? default : new() { Kind = ValueKind.List, List = list };

    /// <summary>A one-item list, the item as UTF-8 (written straight from the record, no string).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue Item(ReadOnlySpan<byte> utf8) => new() { Kind = ValueKind.Utf8Item, Utf8 = utf8 };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FieldValue Flag(bool b) => new() { Kind = ValueKind.Bool, Number = b ? 1UL : 0UL };
}

/// <summary>
/// A fixed list of strings with its output bytes encoded once: the items of a JSON array (<c>"a","b"</c>, escaped as
/// <see cref="CompactJsonWriter"/> escapes a value) and the comma-joined text of the flat and LEEF outputs. The lists
/// are few (flag names, event types, reasons) and every document has several.
/// </summary>
internal sealed class EncodedList
{
    public static readonly EncodedList Empty = new([]);

    public EncodedList(IReadOnlyList<string> items)
    {
        Items = items;
        var writer = new CompactJsonWriter(capacity: 256);
        foreach (var item in items) writer.WriteStringValue(Encoding.UTF8.GetBytes(item));
        JsonItems = writer.Written.ToArray();
        Joined = Encoding.UTF8.GetBytes(string.Join(',', items));
    }

    public IReadOnlyList<string> Items { get; }
    public int Count => Items.Count;

    /// <summary>The JSON array's content, without the brackets.</summary>
    public byte[] JsonItems { get; }

    /// <summary>The items joined with commas, UTF-8.</summary>
    public byte[] Joined { get; }
}

/// <summary>
/// Evaluates compiled rules against a record and its facts. One switch per rule, no reflection, no lookups by name:
/// the compiled plan of <see cref="MappingSet"/> is an array of <see cref="FieldRule"/> walked in order.
/// </summary>
internal static class ValueEvaluator
{
    private static readonly EncodedList Network = new(["network"]);
    private static readonly EncodedList Configuration = new(["configuration"]);
    private static readonly EncodedList TypeStart = new(["connection", "start"]);
    private static readonly EncodedList TypeProtocol = new(["connection", "protocol"]);
    private static readonly EncodedList TypeEnd = new(["connection", "end"]);
    private static readonly EncodedList TypeStartEnd = new(["connection", "start", "end"]);
    private static readonly EncodedList TypeChange = new(["change"]);
    private static readonly EncodedList TypeDenied = new(["connection", "denied"]);
    private static readonly EncodedList TypeInfo = new(["connection", "info"]);
    private static readonly string[][] ProtectionLists = BuildProtectionLists();
    private static readonly EncodedList[] EncodedProtectionLists = [.. ProtectionLists.Select(l => new EncodedList(l))];

    /// <summary>
    /// The protection list of every SASecProtos byte: <c>tls</c>, <c>ssh</c>, <c>ipsec</c> in that order (contract §2.1),
    /// then each bit the layout does not name as <c>unknown(0xNN)</c>, highest first, as the flat output's flag list
    /// writes it (contract §2.7: an unknown code is never dropped); <c>none</c> only for X'00'.
    /// </summary>
    private static string[][] BuildProtectionLists()
    {
        var lists = new string[256][];
        for (var i = 0; i < 256; i++)
        {
            var l = new List<string>();
            if ((i & 0x80) != 0) l.Add("tls");
            if ((i & 0x40) != 0) l.Add("ssh");
            if ((i & 0x20) != 0) l.Add("ipsec");
            for (var bit = 0x10; bit != 0; bit >>= 1)
                if ((i & bit) != 0) l.Add(ValueTable.UnknownLabel((uint)bit, 1));
            lists[i] = l.Count == 0 ? ["none"] : [.. l];
        }
        return lists;
    }

    /// <summary>The protection names of the known bits of <paramref name="protection"/> (<see cref="RecordFacts.Protection"/>).</summary>
    public static IReadOnlyList<string> ProtectionList(byte protection) => ProtectionLists[protection & 0xE0];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FieldValue Evaluate(FieldRule rule, RecordFacts f, MappingSet m, Span<byte> scratch)
    {
        var r = f.Record;
        if (rule.Only != RuleCondition.Always && !Holds(rule, f)) return default;
        switch (rule.Convert)
        {
            case Converter.Constant:
                return FieldValue.Text(rule.ConstantUtf8);
            case Converter.Derived:
                return Derive(rule.Derived, f, m, scratch);
            case Converter.Dn:
                if (m.Options.RedactDistinguishedNames == DnRedaction.Drop) return default;
                foreach (var dn in r.DistinguishedNameEntries)
                {
                    if (dn.Type != rule.DnType) continue;
                    var text = DnText(r, dn, m, scratch);
                    return text.IsEmpty ? default : FieldValue.Text(text);
                }
                return default;
            case Converter.DnUnknownType:
                return m.Options.RedactDistinguishedNames == DnRedaction.Drop ? default : UnknownTypeDns(rule, r, m, scratch);
        }
        var field = rule.Field!;
        switch (rule.Convert)
        {
            case Converter.Number:
                return r.TryGetUnsigned(field, out var n) ? FieldValue.Num(n) : default;
            case Converter.NumberNonZero:
                return r.TryGetUnsigned(field, out var nz) && nz != 0 ? FieldValue.Num(nz) : default;
            case Converter.Name:
            case Converter.NameNonZero:
                if (!r.TryGetUnsigned(field, out var code) || (code == 0 && rule.Convert == Converter.NameNonZero)) return default;
                if (rule.Only == RuleCondition.UnknownCode && rule.IsNamed(code)) return default;
                return rule.NamesArePlain ? FieldValue.PlainText(rule.NameOf(code, scratch)) : FieldValue.Text(rule.NameOf(code, scratch));
            case Converter.Flags:
                if (!r.TryGetUnsigned(field, out var bits) || bits == 0) return default;
                return FieldValue.Items(rule.FlagLists![bits & 0xFF]);
            case Converter.Bit:
                return r.TryGetUnsigned(field, out var b) ? FieldValue.Flag((b & rule.Mask) != 0) : default;
            case Converter.Text:
            {
                var text = r.GetTextBytes(field);
                return text.IsEmpty ? default : FieldValue.Text(scratch[..Ebcdic.TranscodeToUtf8(text, scratch)]);
            }
            case Converter.Hex:
            {
                var bytes = r.GetSignificantBytes(field);
                // A field without a length byte (the unexplained 119-12 TLS bytes 36-41) says nothing when all zero.
                if (bytes.IsEmpty || (field.LengthFieldOffset < 0 && Formatting.IsZero(bytes))) return default;
                return FieldValue.PlainText(scratch[..Formatting.Hex(bytes, scratch)]);
            }
            case Converter.Ip:
                return Ip(f, field);
            case Converter.Date:
            {
                if (!r.TryGetDate(field, out var date)) return default;
                return FieldValue.PlainText(scratch[..Formatting.Date(date, scratch)]);
            }
            case Converter.TimeOfDay:
            {
                if (!r.TryGetTimeOfDay(field, out var time)) return default;
                return FieldValue.PlainText(scratch[..Formatting.TimeOfDay(time, scratch)]);
            }
            case Converter.CertTime:
                return Formatting.TryGetCertificateTime(r, field, out var notAfter) ? FieldValue.PlainText(scratch[..Formatting.Timestamp(notAfter.UtcDateTime, scratch)]) : default;
            case Converter.CertTimeRaw:
            {
                if (!r.TryGetCertificateTimeType(field, out var timeType) || rule.IsNamed(timeType)) return default;
                var text = r.GetTextBytes(field);
                return text.IsEmpty ? default : FieldValue.Text(scratch[..Ebcdic.TranscodeToUtf8(text, scratch)]);
            }
            case Converter.TodMicros:
                return r.TryGetUnsigned(field, out var tod) ? FieldValue.Num(SmfTime.TodToMicroseconds(tod)) : default;
            case Converter.TlsProtocol:
            case Converter.TlsVersion:
            {
                if (!r.TryGetUnsigned(field, out var v)) return default;
                if (v is not (0x0200 or 0x0300 or 0x0301 or 0x0302 or 0x0303 or 0x0304)) return default;
                if (rule.Convert == Converter.TlsProtocol) return FieldValue.PlainText(v < 0x0301 ? "ssl"u8 : "tls"u8);
                return FieldValue.PlainText(v switch
                {
                    0x0200 => "2.0"u8,
                    0x0300 => "3.0"u8,
                    0x0301 => "1.0"u8,
                    0x0302 => "1.1"u8,
                    0x0303 => "1.2"u8,
                    _ => "1.3"u8,
                });
            }
            case Converter.CipherName:
            {
                var text = r.GetTextBytes(field);
                return f.Cipher switch
                {
                    CipherLookup.Known => FieldValue.Text(f.Suite!.NameUtf8),
                    CipherLookup.UnknownCode => FieldValue.Text(scratch[..Ebcdic.TranscodeToUtf8(text, scratch)]),
                    _ => default,
                };
            }
            case Converter.Delta:
                return r.TryGetUnsigned(field, out var end) && r.TryGetUnsigned(rule.BaseField!, out var start) ? FieldValue.Signed(Delta(end, start)) : default;
        }
        return default;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static FieldValue Derive(Derived d, RecordFacts f, MappingSet m, Span<byte> scratch)
    {
        var r = f.Record;
        var sub11 = f.Subtype == 11;
        var known = f.Role != LocalRole.Unknown;
        var localServer = f.Role == LocalRole.Server;
        switch (d)
        {
            case Derived.RecordTime:
                return f.RecordTime is { } rt ? FieldValue.PlainText(scratch[..Formatting.Timestamp(rt, scratch)]) : default;
            case Derived.RecordEpochMillis:
                // Milliseconds since 1970 (LEEF devTime): a header date before 1970 (a damaged SMF119DTE) has none, and
                // wrapped around to 18 digits as an unsigned number; the record's time stays in the ECS @timestamp.
                return f.RecordTime is { } rt2 && rt2 >= DateTime.UnixEpoch
                    ? FieldValue.Num((ulong)((rt2.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond))
                    : default;
            case Derived.EventId:
                return FieldValue.PlainText(f.EventIdUtf8);
            case Derived.EventCode:
            {
                var n = Formatting.Ascii("119-", scratch);
                f.Subtype.TryFormat(scratch[n..], out var w1, default, CultureInfo.InvariantCulture);
                n += w1;
                scratch[n++] = (byte)'-';
                f.EventType.TryFormat(scratch[n..], out var w2, default, CultureInfo.InvariantCulture);
                return FieldValue.PlainText(scratch[..(n + w2)]);
            }
            case Derived.EventKind:
                return FieldValue.PlainText(sub11 ? "event"u8 : "metric"u8);
            case Derived.EventAction:
            {
                var action = (sub11, f.EventType) switch
                {
                    (true, 1) => "connection-initiated"u8,
                    (true, 2) => "protection-changed"u8,
                    (true, 3) => "connection-terminated"u8,
                    (true, 4) => "short-connection-terminated"u8,
                    (true, 5) => "zert-enabled"u8,
                    (true, 6) => "zert-disabled"u8,
                    (true, 7) => "enforcement-audit"u8,
                    (false, 1) => "security-session-summary"u8,
                    (false, 2) => "aggregation-enabled"u8,
                    (false, 3) => "aggregation-disabled"u8,
                    _ => default,
                };
                return action.IsEmpty ? default : FieldValue.PlainText(action);
            }
            case Derived.EventCategory:
                return IsConfiguration(f) ? FieldValue.Items(Configuration) : f.IsConnectionEvent ? FieldValue.Items(Network) : default;
            case Derived.EventType:
                return (sub11, f.EventType) switch
                {
                    (true, 1) => FieldValue.Items(TypeStart),
                    (true, 2) => FieldValue.Items(TypeProtocol),
                    (true, 3) => FieldValue.Items(TypeEnd),
                    (true, 4) => FieldValue.Items(TypeStartEnd),
                    (true, 5) or (true, 6) or (false, 2) or (false, 3) => FieldValue.Items(TypeChange),
                    (true, 7) => FieldValue.Items(f.EnforcementReset ? TypeDenied : TypeInfo),
                    (false, 1) => FieldValue.Items(TypeInfo),
                    _ => default,
                };
            case Derived.EventOutcome:
                return FieldValue.PlainText(f.IsFailure ? "failure"u8 : "success"u8);
            case Derived.EventStart:
                return f.Start is { } s ? FieldValue.PlainText(scratch[..Formatting.Timestamp(s, scratch)]) : default;
            case Derived.EventEnd:
                return f.End is { } e ? FieldValue.PlainText(scratch[..Formatting.Timestamp(e, scratch)]) : default;
            case Derived.EventDuration:
                return f.Start is { } s2 && f.End is { } e2 && e2 >= s2 ? FieldValue.Num((ulong)(e2 - s2).Ticks * 100) : default;
            case Derived.RiskScore:
                return FieldValue.Real(f.RiskScore);
            case Derived.Dataset:
                return FieldValue.PlainText(sub11 ? "zos.zert_connection"u8 : "zos.zert_summary"u8);
            case Derived.Namespace:
                return FieldValue.Text(m.NamespaceUtf8);
            case Derived.SmfSystemId:
                return f.SystemId.Length == 0 ? default : FieldValue.Text(scratch[..Encoding.UTF8.GetBytes(f.SystemId, scratch)]);
            case Derived.NetworkType:
                return f.IsConnectionEvent ? FieldValue.PlainText(r.IsIpv6 ? "ipv6"u8 : "ipv4"u8) : default;
            case Derived.NetworkTransport:
                return f.IpProtocol switch { 6 => FieldValue.PlainText("tcp"u8), 17 => FieldValue.PlainText("udp"u8), _ => default };
            case Derived.NetworkIanaNumber:
            {
                var p = f.IpProtocol;
                if (p == 0) return default;
                p.TryFormat(scratch, out var w, default, CultureInfo.InvariantCulture);
                return FieldValue.Text(scratch[..w]);
            }
            case Derived.NetworkDirection:
                if (!f.IsConnectionEvent) return default;
                return FieldValue.Text(f.Role switch { LocalRole.Server => "ingress"u8, LocalRole.Client => "egress"u8, _ => "unknown"u8 });
            case Derived.NetworkBytes:
                return sub11 && f.IsConnectionEvent ? Sum(f.Counter(ZertFields.SC_SAInBytes), f.Counter(ZertFields.SC_SAOutBytes), scratch) : default;
            case Derived.NetworkPackets:
                return sub11 && f.IsConnectionEvent ? Sum(f.Counter(ZertFields.SC_SAInSegDG), f.Counter(ZertFields.SC_SAOutSegDG), scratch) : default;
            case Derived.CommunityId:
            {
                var id = f.CommunityId();
                return id.IsEmpty ? default : FieldValue.Text(id);
            }
            case Derived.ClientIp:
                if (!sub11) return Ip(f, ZertFields.SS_SACltIP);
                return known ? Ip(f, localServer ? ZertFields.SC_SARIP : ZertFields.SC_SALIP) : default;
            case Derived.ServerIp:
                if (!sub11) return Ip(f, ZertFields.SS_SASrvIP);
                return known ? Ip(f, localServer ? ZertFields.SC_SALIP : ZertFields.SC_SARIP) : default;
            case Derived.ClientPort:
                return sub11 && known ? NonZero(localServer ? f.RemotePort : f.LocalPort) : default;
            case Derived.ServerPort:
                if (!sub11) return NonZero(f.Counter(ZertFields.SS_SASrvPortStart));
                return known ? NonZero(localServer ? f.LocalPort : f.RemotePort) : default;
            case Derived.ClientBytes:
                return sub11 && known && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAInBytes : ZertFields.SC_SAOutBytes)) : default;
            case Derived.ServerBytes:
                return sub11 && known && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAOutBytes : ZertFields.SC_SAInBytes)) : default;
            case Derived.ClientPackets:
                return sub11 && known && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAInSegDG : ZertFields.SC_SAOutSegDG)) : default;
            case Derived.ServerPackets:
                return sub11 && known && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAOutSegDG : ZertFields.SC_SAInSegDG)) : default;
            case Derived.LeefSource:
                if (!sub11) return Ip(f, ZertFields.SS_SACltIP);
                return Ip(f, localServer ? ZertFields.SC_SARIP : ZertFields.SC_SALIP);
            case Derived.LeefDestination:
                if (!sub11) return Ip(f, ZertFields.SS_SASrvIP);
                return Ip(f, localServer ? ZertFields.SC_SALIP : ZertFields.SC_SARIP);
            case Derived.LeefSourcePort:
                return sub11 ? NonZero(localServer ? f.RemotePort : f.LocalPort) : default;
            case Derived.LeefDestinationPort:
                if (!sub11) return NonZero(f.Counter(ZertFields.SS_SASrvPortStart));
                return NonZero(localServer ? f.LocalPort : f.RemotePort);
            case Derived.LeefSourceBytes:
                return sub11 && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAInBytes : ZertFields.SC_SAOutBytes)) : default;
            case Derived.LeefDestinationBytes:
                return sub11 && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAOutBytes : ZertFields.SC_SAInBytes)) : default;
            case Derived.LeefSourcePackets:
                return sub11 && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAInSegDG : ZertFields.SC_SAOutSegDG)) : default;
            case Derived.LeefDestinationPackets:
                return sub11 && f.IsConnectionEvent ? FieldValue.Num(f.Counter(localServer ? ZertFields.SC_SAOutSegDG : ZertFields.SC_SAInSegDG)) : default;
            case Derived.LeefCategory:
                return FieldValue.Text((f.Protection >> 5) switch { 0 => "NONE"u8, 4 => "TLS"u8, 2 => "SSH"u8, 1 => "IPSEC"u8, _ => "MULTIPLE"u8 });
            case Derived.LeefSeverity:
                return FieldValue.Num((ulong)Math.Clamp((f.RiskScore + 9) / 10, 1, 10));
            case Derived.RelatedIp:
            {
                var ips = f.RelatedIps();
                return ips.IsEmpty ? default : new FieldValue { Kind = ValueKind.Utf8List, Utf8 = ips };
            }
            case Derived.RelatedUser:
            {
                var user = r.GetTextBytes(sub11 ? ZertFields.SC_SAUserID : ZertFields.SS_SAUserID);
                return user.IsEmpty ? default : FieldValue.Item(scratch[..Ebcdic.TranscodeToUtf8(user, scratch)]);
            }
            case Derived.RelatedHosts:
            {
                var host = r.GetTextBytes(ZertFields.TI_SYSName);
                return host.IsEmpty ? default : FieldValue.Item(scratch[..Ebcdic.TranscodeToUtf8(host, scratch)]);
            }
            case Derived.Protection:
                return FieldValue.Items(EncodedProtectionLists[f.SecurityProtocols]);
            case Derived.AssessmentLevel:
                return FieldValue.Text(m.LevelUtf8[(int)f.Level]);
            case Derived.AssessmentReasons:
                return FieldValue.Items(m.Policy.EncodedReasonList(f.ReasonBits));
            case Derived.TlsEstablished:
                return r.HasSection(ZertSection.Tls) ? FieldValue.Flag(!f.TlsFailed) : default;
            case Derived.TlsResumed:
                return sub11 && r.TryGetUnsigned(ZertFields.SC_TLS_Handshake_Type, out var ht) ? FieldValue.Flag(ht == 2) : default;
            case Derived.TlsEncryption:
                return f.TlsEncryption is { } enc ? FieldValue.Text(enc) : default;
            case Derived.TlsMac:
                return f.TlsMac is { } mac ? FieldValue.Text(mac) : default;
            case Derived.TlsKeyExchange:
                return f.TlsKeyExchange is { } kex ? FieldValue.Text(kex) : default;
            case Derived.AssessmentProfile:
                return FieldValue.Text(m.Policy.ProfileNameUtf8);
            case Derived.AssessmentCompliant:
                return f.Compliant == 0 ? default : FieldValue.Flag(f.Compliant == 2);
            case Derived.QuantumSafe:
                return f.QuantumSafe == 0 ? default : FieldValue.Flag(f.QuantumSafe == 2);
            case Derived.QuantumVulnerable:
                return f.QuantumVulnerable is { } parts ? FieldValue.Items(parts) : default;
            case Derived.Message:
            {
                var message = f.Message();
                return message.IsEmpty ? default : FieldValue.Text(message);
            }
            case Derived.PortRangeStart:
            case Derived.PortRangeEnd:
            {
                if (sub11 || !r.TryGetUnsigned(ZertFields.SS_SASrvPortStart, out var ps) || !r.TryGetUnsigned(ZertFields.SS_SASrvPortEnd, out var pe) || pe == ps || pe == 0) return default;
                return FieldValue.Num(d == Derived.PortRangeStart ? ps : pe);
            }
            case Derived.EnforcementRuleName:
            {
                if (!m.Options.SurfaceEnforcementRuleName || r.GetTentativeEnforcementRuleName() is not { } name) return default;
                return FieldValue.Text(scratch[..Encoding.UTF8.GetBytes(name, scratch)]);
            }
            case Derived.EnforcementRaw:
            {
                var raw = r.SectionBytes(ZertSection.Enforcement);
                return raw.IsEmpty ? default : FieldValue.Text(scratch[..Formatting.Hex(raw, scratch)]);
            }
        }
        return default;
    }

    /// <summary>The UTF-8 text of a DN entry, or its hash under <see cref="DnRedaction.Hash"/>; empty when blank.</summary>
    private static ReadOnlySpan<byte> DnText(ZertRecord r, DnEntry dn, MappingSet m, Span<byte> scratch)
    {
        var text = r.GetDnTextBytes(dn);
        if (text.IsEmpty) return default;
        var length = Ebcdic.TranscodeToUtf8(text, scratch);
        return m.Options.RedactDistinguishedNames == DnRedaction.Hash ? Formatting.DnHash(scratch[..length], scratch[length..]) : scratch[..length];
    }

    /// <summary>
    /// The DN entries whose type the rule's table (V.9) does not name, in record order, each as
    /// <c>unknown(0xNNNN): DN</c>. A list built per record: such entries are rare, and no other rule writes them.
    /// </summary>
    private static FieldValue UnknownTypeDns(FieldRule rule, ZertRecord r, MappingSet m, Span<byte> scratch)
    {
        List<string>? items = null;
        foreach (var dn in r.DistinguishedNameEntries)
        {
            if (rule.IsNamed(dn.Type)) continue;
            var text = DnText(r, dn, m, scratch);
            if (text.IsEmpty) continue;
            (items ??= []).Add(ValueTable.UnknownLabel(dn.Type, rule.Table!.Width) + ": " + Encoding.UTF8.GetString(text));
        }
        return items is null ? default : FieldValue.Items(new EncodedList(items));
    }

    /// <summary>
    /// Whether the record meets the rule's condition; <see cref="RuleCondition.UnknownCode"/> is judged on the code, where
    /// it is read.
    /// </summary>
    private static bool Holds(FieldRule rule, RecordFacts f) => rule.Only switch
    {
        RuleCondition.ConnectionEvents => f.IsConnectionEvent,
        RuleCondition.WithEnd => f.End is not null,
        RuleCondition.WithIke => HasIkeTunnel(f),
        RuleCondition.WithHandshake => !(rule.Field!.Section == ZertSection.Ssh ? f.SshFailed : f.TlsFailed),
        RuleCondition.Tcp => f.IsConnectionEvent && f.IpProtocol == 6,
        RuleCondition.WithRole => f.IsConnectionEvent && f.RoleFromFlags,
        _ => true,
    };

    /// <summary>
    /// Whether the IPsec section names an IKE (phase 1) tunnel: a non-zero IKE major version. A manual tunnel has none and
    /// leaves the IKE half and the SA lifetimes zero (layout §2.5, V.19-V.21: 0 = "unknown or manual tunnel"), so its
    /// minor version 0 or lifetime 0 is not a fact (contract §2: absent facts are omitted, never written as zeros).
    /// </summary>
    private static bool HasIkeTunnel(RecordFacts f) =>
        f.Record.TryGetUnsigned(f.Subtype == 11 ? ZertFields.SC_IPSec_IKEMajVer : ZertFields.SS_IPSec_IKEMajVer, out var major) && major != 0;

    private static bool IsConfiguration(RecordFacts f) => f.Subtype == 11 ? f.EventType is 5 or 6 : f.EventType is 2 or 3;

    /// <summary>
    /// An interval's end value minus its start value (contract §2.4 <c>delta</c>), signed: a counter lower at the end gives
    /// a negative delta. Exact for the 4-byte counters; for the 8-byte ones exact while the difference fits a signed
    /// 64-bit number (what Elasticsearch's <c>long</c> holds), and beyond that the step of a counter that passed
    /// 2^64 - 1 (2^64 - 1 to 4 is +5).
    /// </summary>
    public static long Delta(ulong end, ulong start) => unchecked((long)(end - start));

    /// <summary>
    /// The sum of two 8-byte counters (contract §2.3: in + out). Layout §2.1 gives them the full unsigned 64-bit range,
    /// so the sum can pass 2^64 - 1: it is then written as its digits rather than what is left after wrapping around.
    /// </summary>
    private static FieldValue Sum(ulong a, ulong b, Span<byte> scratch)
    {
        var sum = unchecked(a + b);
        if (sum >= a) return FieldValue.Num(sum);
        ((UInt128)a + b).TryFormat(scratch, out var written, default, CultureInfo.InvariantCulture);
        return new FieldValue { Kind = ValueKind.Digits, Utf8 = scratch[..written] };
    }

    private static FieldValue NonZero(ulong v) => v == 0 ? default : FieldValue.Num(v);

    private static FieldValue Ip(RecordFacts f, ZertField field)
    {
        var text = f.AddressText(field);
        return text.IsEmpty ? default : FieldValue.PlainText(text);
    }
}
