using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator;

/// <summary>
/// One logical SMF record produced by <see cref="SmfDumpGenerator"/>, with the facts the generator put into it.
/// For zERT records the facts are the complete model (<see cref="Zert"/>): every field the bytes encode.
/// </summary>
public sealed class GeneratedRecord
{
    internal GeneratedRecord(byte[] bytes, ZertRecord? zert, string systemId, TimeSpan utcOffset, DateTime recordTimeUtc)
    {
        Bytes = bytes;
        Zert = zert;
        SystemId = systemId;
        UtcOffset = utcOffset;
        RecordTimeUtc = recordTimeUtc;
    }

    /// <summary>The complete logical record, RDW included (bytes 0-1 = length, bytes 2-3 = 0).</summary>
    public byte[] Bytes { get; }

    /// <summary>The zERT model this record was written from; null for the non-zERT records mixed into a dump.</summary>
    public ZertRecord? Zert { get; }

    /// <summary>The model when this is a 119-11 connection detail record.</summary>
    public ZertConnectionRecord? Connection => Zert as ZertConnectionRecord;

    /// <summary>The model when this is a 119-12 summary record.</summary>
    public ZertSummaryRecord? Summary => Zert as ZertSummaryRecord;

    /// <summary>True for SMF 119 subtype 11 or 12 records.</summary>
    public bool IsZert => Zert is not null;

    /// <summary>SMF record type (byte 5).</summary>
    public byte SmfType => Bytes[5];

    /// <summary>SMF subtype (bytes 22-23) when the header has the subtype form (flag X'40' and length ≥ 24), else null.</summary>
    public ushort? Subtype => Bytes.Length >= 24 && (Bytes[4] & 0x40) != 0 ? (ushort)((Bytes[22] << 8) | Bytes[23]) : null;

    /// <summary>SMF system id (header SID) of the writing system.</summary>
    public string SystemId { get; }

    /// <summary>Offset of the writing system's local time from UTC (local = UTC + offset); the header time is local.</summary>
    public TimeSpan UtcOffset { get; }

    /// <summary>Header time/date converted to UTC with <see cref="UtcOffset"/> (hundredth-second precision).</summary>
    public DateTime RecordTimeUtc { get; }
}
