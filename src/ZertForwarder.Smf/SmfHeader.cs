using System.Buffers.Binary;

namespace ZertForwarder.Smf;

/// <summary>
/// The standard SMF header with subtypes (layout spec §1.1): 24 bytes from the RDW on. Offsets are from byte 0
/// of the record, i.e. the first byte of the RDW.
/// </summary>
public readonly struct SmfHeader
{
    /// <summary>Header length with the subtype field (SMF119STY ends at offset 24).</summary>
    public const int Length = 24;

    /// <summary>The shortest record that carries a record type (RDW + flag + type).</summary>
    public const int MinimumLengthForType = 6;

    private const int FlagOffset = 4;      // SMF119FLG
    private const int TypeOffset = 5;      // SMF119RTY
    private const int TimeOffset = 6;      // SMF119TME
    private const int DateOffset = 10;     // SMF119DTE
    private const int SystemIdOffset = 14; // SMF119SID
    private const int SubsystemOffset = 18; // SMF119SSI
    private const int SubtypeOffset = 22;  // SMF119STY

    /// <summary>SMF119LEN: logical record length from the RDW.</summary>
    public ushort RecordLength { get; }

    /// <summary>SMF119SEG: segment descriptor (zero in a reassembled record).</summary>
    public ushort SegmentDescriptor { get; }

    /// <summary>SMF119FLG: system indicator bits (X'40' = subtypes used).</summary>
    public byte Flags { get; }

    /// <summary>SMF119RTY: the record type (119 for zERT).</summary>
    public byte RecordType { get; }

    /// <summary>SMF119TME raw: hundredths of a second since local midnight.</summary>
    public uint TimeHundredths { get; }

    /// <summary>SMF119DTE raw: packed 0cyydddF.</summary>
    public uint PackedDate { get; }

    /// <summary>SMF119SID: SMF system identifier, trimmed.</summary>
    public string SystemId { get; }

    /// <summary>SMF119SSI: subsystem identifier, trimmed.</summary>
    public string SubsystemId { get; }

    /// <summary>SMF119STY: record subtype, meaningful only when <see cref="HasSubtype"/>.</summary>
    public ushort Subtype { get; }

    /// <summary>
    /// Whether the record is long enough to carry the subtype. The X'40' "subtypes used" flag is not asked: the layout
    /// spec calls SMF119FLG informational and has the subtype read from bytes 22-23 (§1.1, §6 step 1).
    /// </summary>
    public bool HasSubtype { get; }

    private SmfHeader(ReadOnlySpan<byte> record)
    {
        RecordLength = BinaryPrimitives.ReadUInt16BigEndian(record);
        SegmentDescriptor = BinaryPrimitives.ReadUInt16BigEndian(record[2..]);
        Flags = record[FlagOffset];
        RecordType = record[TypeOffset];
        TimeHundredths = record.Length >= 10 ? BinaryPrimitives.ReadUInt32BigEndian(record[TimeOffset..]) : 0;
        PackedDate = record.Length >= 14 ? BinaryPrimitives.ReadUInt32BigEndian(record[DateOffset..]) : 0;
        SystemId = record.Length >= 18 ? InternedIds.Decode(record.Slice(SystemIdOffset, 4)) : string.Empty;
        SubsystemId = record.Length >= 22 ? InternedIds.Decode(record.Slice(SubsystemOffset, 4)) : string.Empty;
        HasSubtype = record.Length >= Length;
        Subtype = HasSubtype ? BinaryPrimitives.ReadUInt16BigEndian(record[SubtypeOffset..]) : (ushort)0;
    }

    /// <summary>Reads the header of a complete logical record (RDW first). False when it is too short to have a type.</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out SmfHeader header)
    {
        header = default;
        if (record.Length < MinimumLengthForType) return false;
        header = new SmfHeader(record);
        return true;
    }

    /// <summary>The record date (local to the z/OS system), when the packed date is valid.</summary>
    public bool TryGetDate(out DateOnly date)
    {
        Span<byte> raw = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(raw, PackedDate);
        return SmfTime.TryDecodePackedDate(raw, out date);
    }

    /// <summary>
    /// The record time as local date-time of the writing system (SMF119DTE + SMF119TME). False when either is invalid.
    /// </summary>
    public bool TryGetLocalTime(out DateTime localTime)
    {
        localTime = default;
        if (!TryGetDate(out var date) || TimeHundredths >= SmfTime.HundredthsPerDay) return false;
        localTime = date.ToDateTime(new TimeOnly(TimeHundredths * 100_000L), DateTimeKind.Unspecified);
        return true;
    }

    /// <summary>
    /// The 4-character system and subsystem ids, decoded once per distinct value: a sysplex has a handful of them and
    /// every record carries both, so decoding them anew would allocate two strings per record.
    /// </summary>
    private static class InternedIds
    {
        private sealed class Entry(uint key, string value)
        {
            public readonly uint Key = key;
            public readonly string Value = value;
        }

        // A small direct-mapped cache; a collision just decodes again. Entries are immutable, so a racing write is
        // harmless: every reader sees a whole entry, old or new.
        private static readonly Entry?[] Slots = new Entry?[64];

        public static string Decode(ReadOnlySpan<byte> four)
        {
            var key = BinaryPrimitives.ReadUInt32BigEndian(four);
            var slot = (int)((key * 2654435769u) >> 26);
            var entry = Volatile.Read(ref Slots[slot]);
            if (entry is not null && entry.Key == key) return entry.Value;
            var value = Ebcdic.Decode(four);
            Volatile.Write(ref Slots[slot], new Entry(key, value));
            return value;
        }
    }
}
