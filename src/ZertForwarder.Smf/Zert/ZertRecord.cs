using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;

namespace ZertForwarder.Smf.Zert;

/// <summary>One certificate distinguished-name entry (layout spec §2.7 / §3.5): type and where its text lies.</summary>
public readonly record struct DnEntry(ushort Type, int TextOffset, int TextLength);

/// <summary>
/// What the DN walk (layout spec §2.7) read: the entries, how many of the triplet's Number it could not read, and the
/// record offset where it stopped (the end of the last entry read).
/// </summary>
internal readonly record struct DnWalk(DnEntry[] Entries, int UnwalkedCount, int StopOffset)
{
    public static DnWalk None => new([], 0, 0);
}

/// <summary>
/// Where a section lies in the record: offset from byte 0 of the RDW, its triplet length and its triplet number (how
/// many instances of that length follow one another).
/// </summary>
public readonly record struct SectionSlice(int Offset, int Length, int Number = 1)
{
    public bool IsPresent => Length > 0;
}

/// <summary>
/// A validated zERT record (SMF 119 subtype 11 or 12) as a view over its bytes: sections were located through the
/// triplets and bounds-checked once by <see cref="ZertRecordParser"/>; fields are read on demand from the bytes.
/// </summary>
/// <remarks>
/// A field is present only when its section is present and the section's triplet length covers the whole field
/// (layout spec §0: "decode the fields that fit inside it"). Absent fields read as false / null, never as errors.
/// </remarks>
public sealed class ZertRecord
{
    private readonly SectionSlice[] _sections;
    private readonly DnWalk _dnWalk;

    // The record's array, when its memory is one: fields are then sliced straight from it, without going through
    // ReadOnlyMemory<byte>.Span on each of the ~200 field reads a record's documents make.
    private readonly byte[]? _array;
    private readonly int _arrayOffset;

    internal ZertRecord(ReadOnlyMemory<byte> bytes, SmfHeader header, int tripletCount, SectionSlice[] sections, DnWalk dnWalk)
    {
        Bytes = bytes;
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment))
        {
            _array = segment.Array;
            _arrayOffset = segment.Offset;
        }
        Header = header;
        TripletCount = tripletCount;
        _sections = sections;
        _dnWalk = dnWalk;
        var flagsField = Subtype == 11 ? ZertFields.SC_SAFlags : ZertFields.SS_SAFlags;
        IsIpv6 = TryGetUnsigned(flagsField, out var flags) && (flags & 0x80) != 0;
    }

    /// <summary>The complete logical record, RDW included.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public SmfHeader Header { get; }

    /// <summary>11 (connection detail) or 12 (summary).</summary>
    public int Subtype => Header.Subtype;

    /// <summary>SMF119SD_TRN: the number of triplets in the self-defining section.</summary>
    public int TripletCount { get; }

    /// <summary>Addresses are IPv6: SMF119SC_SAFlags / SMF119SS_SAFlags X'80' (layout spec §6 step 4).</summary>
    public bool IsIpv6 { get; }

    /// <summary>Certificate DN entries in record order.</summary>
    public IReadOnlyList<DnEntry> DistinguishedNames => _dnWalk.Entries;

    /// <summary><see cref="DistinguishedNames"/> as a span: the writers look an entry up per DN rule, without interface calls.</summary>
    public ReadOnlySpan<DnEntry> DistinguishedNameEntries => _dnWalk.Entries;

    /// <summary>
    /// How many of the entries the DN triplet's Number announces the walk could not read (layout spec §2.7: it stops
    /// at the first entry that cannot be read whole); 0 when it read them all.
    /// </summary>
    public int UnwalkedDnCount => _dnWalk.UnwalkedCount;

    /// <summary>
    /// When the DN walk stopped early, the bytes from where it stopped to the record end (the record length is the
    /// walk's only bound, so whatever follows the DN entries is in there too); empty when every entry was read or the
    /// walk stopped exactly at the record end.
    /// </summary>
    public ReadOnlySpan<byte> UnwalkedDnBytes => _dnWalk.UnwalkedCount > 0 ? Bytes.Span[_dnWalk.StopOffset..] : default;

    public bool HasSection(ZertSection section) => _sections[(int)section].IsPresent;

    public SectionSlice Section(ZertSection section) => _sections[(int)section];

    /// <summary>The section's bytes as far as its triplet length goes (empty when absent).</summary>
    public ReadOnlySpan<byte> SectionBytes(ZertSection section)
    {
        var s = _sections[(int)section];
        return s.IsPresent ? Bytes.Span.Slice(s.Offset, s.Length) : default;
    }

    /// <summary>Bytes of a section beyond the layout this decoder knows (a newer release's additions), or empty.</summary>
    public ReadOnlySpan<byte> UnknownTail(ZertSection section)
    {
        var known = ZertFieldCatalog.KnownLength(Subtype, section);
        var bytes = SectionBytes(section);
        return bytes.Length > known ? bytes[known..] : default;
    }

    /// <summary>
    /// The instances after the first of a section whose triplet Number is above one (layout spec §0: the section spans
    /// Offset + Len x Num), or empty. Every known section has one instance; the others are kept raw, not interpreted.
    /// </summary>
    public ReadOnlySpan<byte> FurtherInstances(ZertSection section)
    {
        var s = _sections[(int)section];
        return s.IsPresent && s.Number > 1 ? Bytes.Span.Slice(s.Offset + s.Length, s.Length * (s.Number - 1)) : default;
    }

    /// <summary>The field's bytes when the section is present and long enough to hold the whole field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetBytes(ZertField field, out ReadOnlySpan<byte> value)
    {
        var s = _sections[(int)field.Section];
        if (field.Offset + field.Length > s.Length)
        {
            value = default;
            return false;
        }
        // The parser checked that every section lies inside the record, so the field lies inside the record too.
        value = _array is not null
            ? new ReadOnlySpan<byte>(_array, _arrayOffset + s.Offset + field.Offset, field.Length)
            : Bytes.Span.Slice(s.Offset + field.Offset, field.Length);
        return true;
    }

    /// <summary>
    /// The bytes of a field that starts inside its section but runs past the section's triplet length (a section that
    /// ends inside a field), or empty. Such a field has no value (<see cref="TryGetBytes"/> is false), and the raw decode
    /// keeps these bytes as hex so that no byte of a section disappears (layout spec §6 step 3).
    /// </summary>
    public ReadOnlySpan<byte> PartialFieldBytes(ZertField field)
    {
        var s = _sections[(int)field.Section];
        if (!s.IsPresent || field.Offset >= s.Length || field.Offset + field.Length <= s.Length) return default;
        return Bytes.Span.Slice(s.Offset + field.Offset, s.Length - field.Offset);
    }

    /// <summary>Unsigned big-endian value of a 1/2/4/8-byte field (masked where the spec says so).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetUnsigned(ZertField field, out ulong value)
    {
        var s = _sections[(int)field.Section];
        var length = field.Length;
        if (field.Offset + length > s.Length)
        {
            value = 0;
            return false;
        }
        // The parser checked that every section lies inside the record, so the field lies inside the record too.
        var bytes = _array is not null
            ? new ReadOnlySpan<byte>(_array, _arrayOffset + s.Offset + field.Offset, length)
            : Bytes.Span.Slice(s.Offset + field.Offset, length);
        value = length switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            8 => BinaryPrimitives.ReadUInt64BigEndian(bytes),
            _ => ReadVariable(bytes),
        };
        var mask = field.Mask;
        if (mask != 0) value &= mask;
        return true;
    }

    /// <summary>Trimmed EBCDIC text; null when absent or blank.</summary>
    public string? GetText(ZertField field)
    {
        if (!TryGetBytes(field, out var bytes)) return null;
        var text = Ebcdic.Decode(bytes);
        return text.Length == 0 ? null : text;
    }

    /// <summary>Trimmed EBCDIC bytes of a text field (for writers that transcode without a string); empty when absent.</summary>
    public ReadOnlySpan<byte> GetTextBytes(ZertField field) => TryGetBytes(field, out var bytes) ? Ebcdic.Trim(bytes) : default;

    /// <summary>
    /// The significant bytes of a binary field: as many as its *_Len field says (clamped to the field size, so a wrong
    /// length never reads outside the field), or the whole field when it has no length field. Empty when absent or zero.
    /// </summary>
    public ReadOnlySpan<byte> GetSignificantBytes(ZertField field)
    {
        if (!TryGetBytes(field, out var bytes)) return default;
        if (field.LengthFieldOffset < 0) return bytes;
        var s = _sections[(int)field.Section];
        if (field.LengthFieldOffset + field.LengthFieldSize > s.Length) return default;
        var lengthBytes = Bytes.Span.Slice(s.Offset + field.LengthFieldOffset, field.LengthFieldSize);
        var length = field.LengthFieldSize == 1 ? lengthBytes[0] : BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
        return bytes[..Math.Min(length, bytes.Length)];
    }

    /// <summary>Upper-case hex of the significant bytes; null when there are none.</summary>
    public string? GetHex(ZertField field)
    {
        var bytes = GetSignificantBytes(field);
        return bytes.IsEmpty ? null : Convert.ToHexString(bytes);
    }

    /// <summary>
    /// The address in a 16-byte field. IPv6 when the record's IPv6 flag is on; otherwise IPv4 from bytes 0-3 — unless
    /// bytes 4-15 are not zero, which an IPv4 field cannot be, and then the 16 bytes are shown as IPv6 rather than
    /// losing them (a cheap way for a real record to prove the flag rule wrong, spec §8).
    /// </summary>
    public bool TryGetAddress(ZertField field, out IPAddress address)
    {
        if (!TryGetBytes(field, out var bytes) || bytes.Length != 16)
        {
            address = IPAddress.None;
            return false;
        }
        address = IsIpv6 || bytes[4..].ContainsAnyExcept((byte)0) ? new IPAddress(bytes) : new IPAddress(bytes[..4]);
        return true;
    }

    /// <summary>True when the address field is present and not all zero.</summary>
    public bool HasNonZeroAddress(ZertField field) => TryGetBytes(field, out var bytes) && bytes.ContainsAnyExcept((byte)0);

    public bool TryGetDate(ZertField field, out DateOnly date)
    {
        date = default;
        return TryGetBytes(field, out var bytes) && SmfTime.TryDecodePackedDate(bytes, out date);
    }

    public bool TryGetTimeOfDay(ZertField field, out TimeOnly time)
    {
        time = default;
        return TryGetBytes(field, out var bytes) && SmfTime.TryDecodeHundredths(bytes, out time);
    }

    /// <summary>
    /// A certificate notAfter: the characters chosen by the time-type byte (1: 13, 2: 15), parsed to UTC. When the
    /// type is unknown or the text does not parse, <paramref name="rawText"/> still carries the trimmed characters.
    /// </summary>
    public bool TryGetCertificateTime(ZertField field, out DateTimeOffset notAfter, out string? rawText)
    {
        notAfter = default;
        rawText = GetText(field);
        if (rawText is null) return false;
        return TryGetCertificateTimeType(field, out var timeType) && SmfTime.TryParseCertificateTime(timeType, rawText, out notAfter);
    }

    /// <summary>
    /// The time-type byte of a certificate notAfter field (layout §2.3: 1 UTCTime, 2 GeneralizedTime, 0 not supplied),
    /// when the field has one and its section is long enough to hold it.
    /// </summary>
    public bool TryGetCertificateTimeType(ZertField field, out byte timeType)
    {
        timeType = 0;
        var s = _sections[(int)field.Section];
        if (field.TimeTypeOffset < 0 || field.TimeTypeOffset >= s.Length) return false;
        timeType = Bytes.Span[s.Offset + field.TimeTypeOffset];
        return true;
    }

    /// <summary>The DN text of an entry (EBCDIC, trimmed).</summary>
    public string GetDnText(DnEntry entry) => Ebcdic.Decode(Bytes.Span.Slice(entry.TextOffset, entry.TextLength));

    /// <summary>Trimmed EBCDIC bytes of a DN entry's text.</summary>
    public ReadOnlySpan<byte> GetDnTextBytes(DnEntry entry) => Ebcdic.Trim(Bytes.Span.Slice(entry.TextOffset, entry.TextLength));

    /// <summary>
    /// Tentative zERT enforcement rule name: bytes 0-47 of the S7 section as EBCDIC (layout spec §2.6: the field table
    /// is not available; a 48-byte rule name is the best hint). Null when there is no S7 section or it is blank.
    /// </summary>
    public string? GetTentativeEnforcementRuleName()
    {
        var bytes = SectionBytes(ZertSection.Enforcement);
        if (bytes.IsEmpty) return null;
        var text = Ebcdic.Decode(bytes[..Math.Min(48, bytes.Length)]);
        return text.Length == 0 ? null : text;
    }

    private static ulong ReadVariable(ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        foreach (var b in bytes[..Math.Min(8, bytes.Length)]) value = (value << 8) | b;
        return value;
    }
}
