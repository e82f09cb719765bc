using System.Buffers.Binary;

namespace ZertForwarder.Smf.Zert;

/// <summary>What became of one logical SMF record.</summary>
public enum ZertParseStatus : byte
{
    /// <summary>A zERT record (119-11 or 119-12), validated.</summary>
    Decoded,

    /// <summary>Not SMF type 119: skipped and counted.</summary>
    OtherRecordType,

    /// <summary>SMF type 119 of another subtype: skipped and counted.</summary>
    OtherSubtype,

    /// <summary>A zERT record whose structure is inconsistent: reported with the reason, the next record is read.</summary>
    Malformed,
}

/// <summary>The outcome of <see cref="ZertRecordParser.Parse"/>.</summary>
public readonly record struct ZertParseResult(ZertParseStatus Status, ZertRecord? Record, string? Error, int RecordType, int Subtype)
{
    /// <summary>Why a malformed record is rejected, as every verb reports it (stderr of <c>decode</c>, the log and dead letters of <c>run</c>).</summary>
    public string RejectionReason => $"SMF 119 subtype {Subtype} record rejected: {Error}";
}

/// <summary>
/// Validates the structure of a logical SMF record and locates the zERT sections through the self-defining
/// section (layout spec §1.2, §1.3, §6). Never throws for bad input: a malformed record becomes a reason string.
/// </summary>
public static class ZertRecordParser
{
    /// <summary>SMF record type of TCP/IP statistics, including zERT.</summary>
    public const int RecordType119 = 119;

    private const int TripletCountOffset = 24; // SMF119SD_TRN
    private const int FirstTripletOffset = 28; // SMF119IDOff
    private const int TripletSize = 8;         // Off(4) Len(2) Num(2)
    private const int DnHeaderLength = 4;      // DN_Len(2) + DN_Type(2), §2.7

    /// <summary>
    /// What <see cref="Parse"/> makes of a record by its type (byte 5) and subtype (bytes 22-23) alone, without looking
    /// at the structure: <see cref="ZertParseStatus.OtherRecordType"/>, <see cref="ZertParseStatus.OtherSubtype"/>,
    /// <see cref="ZertParseStatus.Malformed"/> when too short to tell, else <see cref="ZertParseStatus.Decoded"/> for a
    /// zERT record that <see cref="Parse"/> may still find malformed. Lets a reader register a record for
    /// acknowledgement in input order before the full parse runs on another thread.
    /// </summary>
    public static ZertParseStatus Classify(ReadOnlySpan<byte> record)
    {
        if (record.Length < SmfHeader.MinimumLengthForType) return ZertParseStatus.Malformed;
        if (record[5] != RecordType119) return ZertParseStatus.OtherRecordType;
        if (record.Length < SmfHeader.Length) return ZertParseStatus.Malformed;
        return BinaryPrimitives.ReadUInt16BigEndian(record[22..]) is 11 or 12 ? ZertParseStatus.Decoded : ZertParseStatus.OtherSubtype;
    }

    /// <summary>Parses one complete logical record (RDW first). The record keeps a reference to <paramref name="record"/>.</summary>
    public static ZertParseResult Parse(ReadOnlyMemory<byte> record)
    {
        var span = record.Span;
        var kind = Classify(span);
        if (kind == ZertParseStatus.OtherRecordType) return new(kind, null, null, span[5], 0);
        if (kind == ZertParseStatus.Malformed)
        {
            return span.Length < SmfHeader.MinimumLengthForType
                ? Malformed($"record of {span.Length} bytes is too short for an SMF header", 0, 0)
                : Malformed($"SMF type 119 record of {span.Length} bytes is shorter than the 24-byte header with subtype", 119, 0);
        }
        SmfHeader.TryRead(span, out var header);
        if (kind == ZertParseStatus.OtherSubtype) return new(kind, null, null, 119, header.Subtype);
        var subtype = header.Subtype;
        if (header.RecordLength != span.Length)
        {
            return Malformed($"SMF119LEN says {header.RecordLength} bytes but the record has {span.Length}", 119, subtype);
        }
        if (span.Length < FirstTripletOffset)
        {
            return Malformed($"record of {span.Length} bytes ends before the self-defining section", 119, subtype);
        }

        var tripletCount = BinaryPrimitives.ReadUInt16BigEndian(span[TripletCountOffset..]);
        var tripletsEnd = FirstTripletOffset + tripletCount * TripletSize;
        if (tripletCount < 2)
        {
            return Malformed($"SMF119SD_TRN is {tripletCount}: a zERT record has at least the identification and common triplets", 119, subtype);
        }
        if (tripletsEnd > span.Length)
        {
            return Malformed($"SMF119SD_TRN is {tripletCount}: {tripletCount} triplets need {tripletsEnd} bytes, the record has {span.Length}", 119, subtype);
        }

        var sections = new SectionSlice[(int)ZertSection.Enforcement + 1];
        foreach (var section in Enum.GetValues<ZertSection>())
        {
            var index = ZertFieldCatalog.TripletIndex(subtype, section);
            if (index < 0 || index >= tripletCount) continue; // not in this subtype, or an older release without it
            var error = ReadSectionTriplet(span, index, tripletsEnd, section, out sections[(int)section]);
            if (error is not null) return Malformed(error, 119, subtype);
        }
        if (!sections[(int)ZertSection.Identification].IsPresent)
        {
            return Malformed("the TCP/IP identification section (triplet 0) is missing", 119, subtype);
        }
        if (!sections[(int)ZertSection.Common].IsPresent)
        {
            return Malformed($"the zERT {(subtype == 11 ? "connection detail" : "summary")} common section (triplet 1) is missing", 119, subtype);
        }

        var dns = DnWalk.None;
        var dnTriplet = ZertFieldCatalog.DnTriplet(subtype);
        if (dnTriplet < tripletCount)
        {
            var dnError = ReadDnEntries(span, dnTriplet, tripletsEnd, out dns);
            if (dnError is not null) return Malformed(dnError, 119, subtype);
        }

        return new(ZertParseStatus.Decoded, new ZertRecord(record, header, tripletCount, sections, dns), null, 119, subtype);
    }

    private static ZertParseResult Malformed(string reason, int type, int subtype) => new(ZertParseStatus.Malformed, null, reason, type, subtype);

    private static void ReadTriplet(ReadOnlySpan<byte> record, int index, out uint offset, out ushort length, out ushort number)
    {
        var t = record.Slice(FirstTripletOffset + index * TripletSize, TripletSize);
        offset = BinaryPrimitives.ReadUInt32BigEndian(t);
        length = BinaryPrimitives.ReadUInt16BigEndian(t[4..]);
        number = BinaryPrimitives.ReadUInt16BigEndian(t[6..]);
    }

    /// <summary>
    /// A section is present when Offset, Length and Number are all non-zero (IBM's SMF rule, spec §0); then it must lie
    /// after the triplets and Offset + Length × Number must stay inside the record (§6 step 2). Only the first of
    /// several instances is decoded (every known section has at most one); the others are kept raw
    /// (<see cref="ZertRecord.FurtherInstances"/>).
    /// </summary>
    private static string? ReadSectionTriplet(ReadOnlySpan<byte> record, int index, int tripletsEnd, ZertSection section, out SectionSlice slice)
    {
        slice = default;
        ReadTriplet(record, index, out var offset, out var length, out var number);
        if (offset == 0 || length == 0 || number == 0) return null;
        if (offset < tripletsEnd)
        {
            return $"triplet {index} ({section} section) offset {offset} points inside the header or the triplets (they end at {tripletsEnd})";
        }
        var end = offset + (ulong)length * number;
        if (end > (ulong)record.Length)
        {
            return $"triplet {index} ({section} section) runs past the end of the record: offset {offset} + length {length} x number {number} = {end} > record length {record.Length}";
        }
        slice = new SectionSlice((int)offset, length, number);
        return null;
    }

    /// <summary>
    /// Walks the DN entries as §2.7 says (an inferred rule): from the DN triplet's offset, Number times, each advancing
    /// by its own DN_Len; the triplet's Len is no bound, the record length is. The walk stops at the first entry that
    /// cannot be read whole (fewer than 4 bytes left, a DN_Len below its own 4-byte header, or an entry passing the
    /// record end): the entries before it are kept, the rest stays raw (<see cref="ZertRecord.UnwalkedDnBytes"/>), so
    /// a doubtful DN area never costs the record's connection facts. Only an offset outside the record body is a broken
    /// triplet, as for any section (§6 step 2), and makes the record malformed.
    /// </summary>
    private static string? ReadDnEntries(ReadOnlySpan<byte> record, int index, int tripletsEnd, out DnWalk walk)
    {
        walk = DnWalk.None;
        ReadTriplet(record, index, out var offset, out var length, out var number);
        if (offset == 0 || length == 0 || number == 0) return null;
        if (offset < tripletsEnd || offset >= (uint)record.Length)
        {
            return $"triplet {index} (DN entries) offset {offset} is outside the record body ({tripletsEnd}..{record.Length - 1})";
        }
        // Every entry read takes at least its header, so no more than this many fit, whatever Number says.
        var entries = new DnEntry[Math.Min(number, (record.Length - (int)offset) / DnHeaderLength)];
        var read = 0;
        var position = (int)offset;
        while (read < number)
        {
            if (record.Length - position < DnHeaderLength) break;
            var entryLength = BinaryPrimitives.ReadUInt16BigEndian(record[position..]);
            if (entryLength < DnHeaderLength || entryLength > record.Length - position) break;
            var type = BinaryPrimitives.ReadUInt16BigEndian(record[(position + 2)..]);
            entries[read++] = new DnEntry(type, position + DnHeaderLength, entryLength - DnHeaderLength);
            position += entryLength;
        }
        walk = new DnWalk(read == entries.Length ? entries : entries[..read], number - read, position);
        return null;
    }
}
