using System.Buffers.Binary;
using ZertForwarder.Generator.Encoding;

namespace ZertForwarder.Generator.Scenario;

/// <summary>
/// Non-zERT records mixed into dumps so readers must filter on type and subtype (layout §6 step 1, §C.1):
/// the dump program's type 2 header and type 3 trailer (18-byte headers without subtype), SMF type 30 subtype 5
/// records, and SMF 119 subtype 2 (TCP connection termination) records.
/// </summary>
internal static class ForeignRecords
{
    /// <summary>Type 2 (dump header) or type 3 (dump trailer): an 18-byte header form without subtypes.</summary>
    public static byte[] DumpMarker(byte type, DateTime local, string smfId)
    {
        var r = new byte[18];
        BinaryPrimitives.WriteUInt16BigEndian(r, 18);
        r[4] = 0x1E; // version bits only: no subtype field
        r[5] = type;
        WriteTime(r, local);
        EbcdicText.WritePadded(r.AsSpan(14, 4), smfId);
        return r;
    }

    /// <summary>A job-termination style SMF 30 subtype 5 record with an opaque body.</summary>
    public static byte[] Type30(DeterministicRandom rng, DateTime local, string smfId, string jobName)
    {
        var length = rng.Between(300, 900);
        var r = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(r, (ushort)length);
        r[4] = 0x5E;
        r[5] = 30;
        WriteTime(r, local);
        EbcdicText.WritePadded(r.AsSpan(14, 4), smfId);
        EbcdicText.WritePadded(r.AsSpan(18, 4), "JES2");
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(22), 5);
        EbcdicText.WritePadded(r.AsSpan(24, 8), jobName);
        rng.NextBytes(r.AsSpan(32));
        return r;
    }

    /// <summary>An SMF 119 subtype 2 record: same header and ID-section shape as zERT records, different subtype.</summary>
    public static byte[] Type119Subtype2(DeterministicRandom rng, DateTime local, string smfId, string systemName, string stack)
    {
        // Self-defining section with 2 triplets: ID section (64) and one 160-byte TCP termination section.
        const int idOffset = 28 + 16;
        const int length = idOffset + 64 + 160;
        var r = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(r, length);
        r[4] = 0x5E;
        r[5] = 119;
        WriteTime(r, local);
        EbcdicText.WritePadded(r.AsSpan(14, 4), smfId);
        EbcdicText.WritePadded(r.AsSpan(18, 4), "");
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(22), 2);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(24), 2);
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(28), idOffset);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(32), 64);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(34), 1);
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(36), idOffset + 64);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(40), 160);
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(42), 1);
        var id = r.AsSpan(idOffset, 64);
        EbcdicText.WritePadded(id[..8], systemName);
        EbcdicText.WritePadded(id.Slice(8, 8), "");
        EbcdicText.WritePadded(id.Slice(16, 8), stack);
        EbcdicText.WritePadded(id.Slice(24, 8), "");
        EbcdicText.WritePadded(id.Slice(32, 8), "STACK");
        EbcdicText.WritePadded(id.Slice(40, 8), stack);
        EbcdicText.WritePadded(id.Slice(48, 8), "TCPIP");
        id[60] = 0x08;
        rng.NextBytes(r.AsSpan(idOffset + 64));
        return r;
    }

    private static void WriteTime(byte[] r, DateTime local)
    {
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(6), SmfTimeEncoding.HundredthsSinceMidnight(local));
        BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(10), SmfTimeEncoding.PackDate(DateOnly.FromDateTime(local)));
    }
}
