using System.Buffers.Binary;

namespace ZertForwarder.TestKit;

/// <summary>
/// Damages a valid SMF 119 zERT record in ways that mostly still decode, so that odd values reach the mapping and the
/// report: codes outside the tables, dates and times out of range, counters at their limits, EBCDIC control characters,
/// quotes and backslashes in text. The record keeps its length, so a dump of such records still frames.
/// </summary>
public static class RecordMutations
{
    /// <summary>
    /// A copy of <paramref name="record"/> (RDW included) with 1-4 spots changed past the header and the section
    /// triplets (layout §1: SMF119SD_TRN, the triplet count, at offset 24), or now and then in the SMF
    /// header's time, date and system id (bytes 6-17): single bytes, or 1, 2, 4 or 8 bytes set to all zero, all ones,
    /// the sign bit or random bytes, or a run of EBCDIC controls, quotes, backslashes and bars.
    /// </summary>
    public static byte[] MutateValues(byte[] record, Random random)
    {
        var bytes = (byte[])record.Clone();
        var triplets = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(24)); // SMF119SD_TRN
        var bodyStart = Math.Min(bytes.Length - 1, 28 + triplets * 8);
        var steps = 1 + random.Next(4);
        for (var s = 0; s < steps; s++)
        {
            var at = random.Next(10) == 0 ? random.Next(6, 18) : random.Next(bodyStart, bytes.Length);
            switch (random.Next(4))
            {
                case 0:
                    bytes[at] ^= (byte)random.Next(1, 256);
                    break;
                case 1:
                {
                    var width = new[] { 1, 2, 4, 8 }[random.Next(4)];
                    var span = bytes.AsSpan(at, Math.Min(width, bytes.Length - at));
                    switch (random.Next(4))
                    {
                        case 0: span.Clear(); break;
                        case 1: span.Fill(0xFF); break;
                        case 2: span.Clear(); span[0] = 0x80; break;
                        default: random.NextBytes(span); break;
                    }
                    break;
                }
                default:
                {
                    // EBCDIC: X'00' NUL, X'05' HT, X'15' NL, X'25' LF, X'0D' CR, X'3F' SUB, X'7F' quote, X'E0' backslash, X'4F' |.
                    byte[] odd = [0x00, 0x05, 0x15, 0x25, 0x0D, 0x3F, 0x7F, 0xE0, 0x4F, 0xFF];
                    for (var k = random.Next(1, 6); k > 0 && at < bytes.Length; k--, at++) bytes[at] = odd[random.Next(odd.Length)];
                    break;
                }
            }
        }
        return bytes;
    }
}
