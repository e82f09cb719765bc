using System.Buffers.Binary;
using System.Net;

namespace ZertForwarder.Smf.Tests.Spec;

/// <summary>
/// Builds SMF 119-11 / 119-12 records section by section from the test-side layout (<see cref="SpecLayout"/>,
/// typed from the spec), with knobs that break them in the ways a decoder has to survive. Layout (§1): 24-byte
/// header, self-defining section (TRN, reserved, TRN triplets), identification section, then the present sections in
/// triplet order, the DN entries, the S7 enforcement bytes and any future-triplet bytes, all back to back.
/// </summary>
public sealed class SpecRecordBuilder
{
    private const int HeaderLength = 24;
    private const int TripletsStart = 28;
    private const int TripletSize = 8;

    private readonly Dictionary<string, byte[]> _sections = [];
    private readonly List<(ushort Type, byte[] Text, int? DnLenOverride)> _dns = [];
    private readonly List<byte[]> _futureSections = [];
    private readonly Dictionary<int, (uint? Offset, ushort? Length, ushort? Number)> _tripletOverrides = [];
    private byte[]? _enforcement;
    private ushort? _trnOverride;
    private ushort? _dnNumberOverride;
    private ushort? _dnLengthValue;
    private int _rdwDelta;
    private int? _truncateTo;
    private int _trailingBytes;

    private SpecRecordBuilder(int subtype)
    {
        Subtype = subtype;
        SubtypeField = (ushort)subtype;
        Section("Identification");
        Section("Common");
    }

    /// <summary>A 119-11 connection detail record with the identification and common sections (blank text, zero numbers).</summary>
    public static SpecRecordBuilder ConnectionDetail() => new(11);

    /// <summary>A 119-12 summary record with the identification and (3.2-length) common sections.</summary>
    public static SpecRecordBuilder Summary() => new(12);

    public int Subtype { get; }

    // §1.1 standard header.
    public byte Flags { get; set; } = 0x5E; // X'40' subtypes used + version bits, like the IBM sample
    public byte RecordType { get; set; } = 119;
    public ushort SubtypeField { get; set; }
    public uint TimeHundredths { get; set; } = SpecEncoding.Hundredths(9, 42, 32, 85);
    public byte[] HeaderDate { get; set; } = SpecEncoding.PackedDate(2024, 305);
    public string SystemId { get; set; } = "SYSA";
    public string SubsystemId { get; set; } = "TCP";

    /// <summary>Where each section / the DN entries / S7 landed in the last <see cref="Build"/> (offset from the RDW).</summary>
    public Dictionary<string, int> Offsets { get; } = [];

    /// <summary>
    /// Creates (or re-sizes) a section. Text and certificate-time fields start blank (X'40', §0); everything else zero.
    /// A length shorter than the known layout gives an older release's section; a longer one a newer release's.
    /// </summary>
    public SpecRecordBuilder Section(string name, int? length = null)
    {
        var layout = SpecLayout.Section(Subtype, name);
        var size = length ?? layout.Length;
        var bytes = new byte[size];
        foreach (var field in layout.Fields.Where(f => f.Kind is SpecKind.Text or SpecKind.CertTime))
        {
            for (var i = field.Offset; i < Math.Min(size, field.Offset + field.Length); i++) bytes[i] = SpecEncoding.EbcdicBlank;
        }
        if (_sections.TryGetValue(name, out var old)) old.AsSpan(0, Math.Min(old.Length, size)).CopyTo(bytes);
        _sections[name] = bytes;
        return this;
    }

    /// <summary>Removes a section: its triplet becomes all zero.</summary>
    public SpecRecordBuilder WithoutSection(string name)
    {
        _sections.Remove(name);
        return this;
    }

    /// <summary>The raw bytes of a section, for tests that write something the typed setters do not.</summary>
    public byte[] SectionBytes(string name) => _sections[name];

    public SpecRecordBuilder Set(string field, ulong value)
    {
        var (bytes, f) = Locate(field);
        SpecEncoding.BigEndian(value, f.Length).AsSpan().CopyTo(bytes.AsSpan(f.Offset));
        return this;
    }

    public SpecRecordBuilder SetText(string field, string text)
    {
        var (bytes, f) = Locate(field);
        SpecEncoding.EbcdicField(text, f.Length).CopyTo(bytes, f.Offset);
        return this;
    }

    /// <summary>Writes raw bytes at the start of the field (the rest of the field is left as it is).</summary>
    public SpecRecordBuilder SetBytes(string field, ReadOnlySpan<byte> value)
    {
        var (bytes, f) = Locate(field);
        if (value.Length > f.Length) throw new ArgumentException($"{value.Length} bytes do not fit {field}", nameof(value));
        value.CopyTo(bytes.AsSpan(f.Offset));
        return this;
    }

    /// <summary>16-byte address field: IPv4 in bytes 0-3 with bytes 4-15 zero, or all 16 bytes IPv6 (§0).</summary>
    public SpecRecordBuilder SetIp(string field, IPAddress address)
    {
        var (bytes, f) = Locate(field);
        bytes.AsSpan(f.Offset, 16).Clear();
        address.GetAddressBytes().CopyTo(bytes, f.Offset);
        return this;
    }

    /// <summary>A binary hex field and its *_Len partner: the significant length and the whole 'field' contents.</summary>
    public SpecRecordBuilder SetHex(string field, ReadOnlySpan<byte> fieldContents, int significantLength)
    {
        var (_, f) = Locate(field);
        SetBytes(field, fieldContents);
        return Set(f.Partner!, (ulong)significantLength);
    }

    /// <summary>A certificate notAfter: the time type byte and the characters (blank padded to 15).</summary>
    public SpecRecordBuilder SetCertTime(string field, int timeType, string text)
    {
        var (_, f) = Locate(field);
        SetText(field, text);
        return Set(f.Partner!, (ulong)timeType);
    }

    /// <summary>Adds a certificate DN entry (§2.7 / §3.5): DN_Len (2) + DN_Type (2) + EBCDIC text.</summary>
    public SpecRecordBuilder AddDn(ushort type, string text, int? dnLenOverride = null) => AddDnRaw(type, SpecEncoding.Ebcdic(text), dnLenOverride);

    public SpecRecordBuilder AddDnRaw(ushort type, byte[] text, int? dnLenOverride = null)
    {
        _dns.Add((type, text, dnLenOverride));
        return this;
    }

    /// <summary>V2R5+ 119-11: an S7 enforcement section with these raw bytes; TRN becomes 8 (§1.2, §2.6).</summary>
    public SpecRecordBuilder WithEnforcement(byte[] raw)
    {
        _enforcement = raw;
        return this;
    }

    /// <summary>A triplet beyond the ones the spec knows (a future release), pointing at these bytes.</summary>
    public SpecRecordBuilder WithFutureSection(byte[] raw)
    {
        _futureSections.Add(raw);
        return this;
    }

    // ---- corruption knobs -------------------------------------------------------------------------------------

    /// <summary>Writes this value into SMF119SD_TRN after the layout was made with the real count.</summary>
    public SpecRecordBuilder CorruptTripletCount(ushort trn)
    {
        _trnOverride = trn;
        return this;
    }

    /// <summary>Overwrites parts of one triplet after layout (e.g. an offset into the header, a length past the end).</summary>
    public SpecRecordBuilder CorruptTriplet(int index, uint? offset = null, ushort? length = null, ushort? number = null)
    {
        _tripletOverrides[index] = (offset, length, number);
        return this;
    }

    /// <summary>Writes this Number into the DN triplet (e.g. an absurd DN count).</summary>
    public SpecRecordBuilder CorruptDnCount(ushort number)
    {
        _dnNumberOverride = number;
        return this;
    }

    /// <summary>The Len value of the DN triplet (the spec does not say what it holds; default: longest entry).</summary>
    public SpecRecordBuilder DnTripletLength(ushort length)
    {
        _dnLengthValue = length;
        return this;
    }

    /// <summary>Makes SMF119LEN (the RDW) differ from the real length by <paramref name="delta"/>.</summary>
    public SpecRecordBuilder CorruptRdwLength(int delta)
    {
        _rdwDelta = delta;
        return this;
    }

    /// <summary>Cuts the built record to this many bytes (RDW still says the full length).</summary>
    public SpecRecordBuilder TruncateTo(int length)
    {
        _truncateTo = length;
        return this;
    }

    /// <summary>Appends bytes no triplet points at (the record is longer than its sections; the RDW counts them).</summary>
    public SpecRecordBuilder TrailingBytes(int count)
    {
        _trailingBytes = count;
        return this;
    }

    /// <summary>The number of triplets the layout writes: 7 / 8 (with S7) for 119-11, 6 for 119-12, plus future ones.</summary>
    public int TripletCount => (Subtype == 11 ? (_enforcement is null ? 7 : 8) : 6) + _futureSections.Count;

    public byte[] Build()
    {
        if (_futureSections.Count > 0 && Subtype == 11 && _enforcement is null)
        {
            throw new InvalidOperationException("A 119-11 future triplet comes after S7: add WithEnforcement first.");
        }
        var trn = TripletCount;
        var sectionsStart = TripletsStart + trn * TripletSize;
        var body = new List<byte>();
        var triplets = new (uint Offset, ushort Length, ushort Number)[trn];
        Offsets.Clear();

        void Place(int index, string name, byte[] bytes, ushort length, ushort number)
        {
            var offset = sectionsStart + body.Count;
            Offsets[name] = offset;
            triplets[index] = ((uint)offset, length, number);
            body.AddRange(bytes);
        }

        foreach (var layout in SpecLayout.Sections(Subtype))
        {
            if (_sections.TryGetValue(layout.Name, out var bytes)) Place(layout.TripletIndex, layout.Name, bytes, (ushort)bytes.Length, 1);
        }
        if (_dns.Count > 0)
        {
            var dnBytes = new List<byte>();
            var longest = 0;
            foreach (var (type, text, lenOverride) in _dns)
            {
                var entryLength = 4 + text.Length;
                longest = Math.Max(longest, entryLength);
                dnBytes.AddRange(SpecEncoding.BigEndian((ulong)(lenOverride ?? entryLength), 2));
                dnBytes.AddRange(SpecEncoding.BigEndian(type, 2));
                dnBytes.AddRange(text);
            }
            Place(SpecLayout.DnTripletIndex(Subtype), "DN", [.. dnBytes], _dnLengthValue ?? (ushort)longest, (ushort)_dns.Count);
        }
        if (_enforcement is not null) Place(SpecLayout.EnforcementTripletIndex, "Enforcement", _enforcement, (ushort)_enforcement.Length, 1);
        for (var i = 0; i < _futureSections.Count; i++)
        {
            Place(trn - _futureSections.Count + i, $"Future{i}", _futureSections[i], (ushort)_futureSections[i].Length, 1);
        }
        body.AddRange(new byte[_trailingBytes]);

        var record = new byte[sectionsStart + body.Count];
        var length = record.Length + _rdwDelta;
        BinaryPrimitives.WriteUInt16BigEndian(record, (ushort)length); // SMF119LEN
        // bytes 2-3 SMF119SEG = 0 (complete record)
        record[4] = Flags;
        record[5] = RecordType;
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(6), TimeHundredths);
        HeaderDate.CopyTo(record, 10);
        SpecEncoding.EbcdicField(SystemId, 4).CopyTo(record, 14);
        SpecEncoding.EbcdicField(SubsystemId, 4).CopyTo(record, 18);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(22), SubtypeField);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(24), _trnOverride ?? (ushort)trn); // SMF119SD_TRN
        for (var i = 0; i < trn; i++)
        {
            var (offset, len, number) = triplets[i];
            if (_tripletOverrides.TryGetValue(i, out var o))
            {
                offset = o.Offset ?? offset;
                len = o.Length ?? len;
                number = o.Number ?? number;
            }
            if (i == SpecLayout.DnTripletIndex(Subtype) && _dnNumberOverride is { } dnCount) number = dnCount;
            var t = record.AsSpan(TripletsStart + i * TripletSize);
            BinaryPrimitives.WriteUInt32BigEndian(t, offset);
            BinaryPrimitives.WriteUInt16BigEndian(t[4..], len);
            BinaryPrimitives.WriteUInt16BigEndian(t[6..], number);
        }
        body.CopyTo(record, sectionsStart);
        return _truncateTo is { } cut ? record[..cut] : record;
    }

    private (byte[] Bytes, SpecField Field) Locate(string name)
    {
        var (section, field) = SpecLayout.Find(Subtype, name);
        if (!_sections.TryGetValue(section.Name, out var bytes))
        {
            Section(section.Name);
            bytes = _sections[section.Name];
        }
        if (field.Offset + field.Length > bytes.Length)
        {
            throw new InvalidOperationException($"{name} does not fit the {bytes.Length}-byte {section.Name} section built here.");
        }
        return (bytes, field);
    }
}
