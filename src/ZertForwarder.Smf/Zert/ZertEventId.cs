using System.Security.Cryptography;

namespace ZertForwarder.Smf.Zert;

/// <summary>
/// The event id of a record (output contract §1): lower-case hex of the first 16 bytes of SHA-256 over the complete
/// logical record, RDW included, segment-descriptor bytes 2-3 zero. The same bytes always give the same id, which
/// is what lets Elasticsearch <c>create</c> and Kafka consumers absorb replays.
/// </summary>
public static class ZertEventId
{
    public static string Compute(ReadOnlySpan<byte> record)
    {
        Span<byte> hash = stackalloc byte[32];
        if (record.Length >= 4 && (record[2] != 0 || record[3] != 0))
        {
            // A record handed over with a segment descriptor still set: hash it as if reassembled (§1).
            var copy = record.ToArray();
            copy[2] = 0;
            copy[3] = 0;
            SHA256.HashData(copy, hash);
        }
        else
        {
            SHA256.HashData(record, hash);
        }
        return Convert.ToHexStringLower(hash[..16]);
    }
}
