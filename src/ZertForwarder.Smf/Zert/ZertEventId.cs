using System.Security.Cryptography;

namespace ZertForwarder.Smf.Zert;

/// <summary>
/// The event id of a record (output contract §1): lower-case hex of the first 16 bytes of SHA-256 over the complete
/// logical record, RDW included, segment-descriptor bytes 2-3 zero. The same bytes always give the same id, which
/// is what lets Elasticsearch <c>create</c> and Kafka consumers absorb replays.
/// </summary>
public static class ZertEventId
{
    /// <summary>Length of the id in characters (and in UTF-8 bytes): 16 bytes as hex.</summary>
    public const int Length = 32;

    // One reusable hash per thread: the one-shot API creates and frees a native digest context per call, which cost
    // as much as hashing a whole record.
    [ThreadStatic] private static IncrementalHash? t_sha256;

    public static string Compute(ReadOnlySpan<byte> record)
    {
        Span<byte> hex = stackalloc byte[Length];
        ComputeUtf8(record, hex);
        return System.Text.Encoding.ASCII.GetString(hex);
    }

    /// <summary>The id as 32 lower-case hex ASCII bytes written into <paramref name="destination"/>, without allocating.</summary>
    public static void ComputeUtf8(ReadOnlySpan<byte> record, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Length, nameof(destination));
        var sha = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> hash = stackalloc byte[32];
        if (record.Length >= 4 && (record[2] != 0 || record[3] != 0))
        {
            // A record handed over with a segment descriptor still set: hash it as if reassembled (§1).
            ReadOnlySpan<byte> zeros = [0, 0];
            sha.AppendData(record[..2]);
            sha.AppendData(zeros);
            sha.AppendData(record[4..]);
        }
        else
        {
            sha.AppendData(record);
        }
        sha.GetHashAndReset(hash);
        ReadOnlySpan<byte> digits = "0123456789abcdef"u8;
        for (var i = 0; i < 16; i++)
        {
            destination[2 * i] = digits[hash[i] >> 4];
            destination[2 * i + 1] = digits[hash[i] & 0xF];
        }
    }
}
