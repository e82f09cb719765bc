using System.Runtime.InteropServices;
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
        Span<byte> hash = stackalloc byte[32];
        ReadOnlySpan<byte> zeros = [0, 0];
        // A record handed over with a segment descriptor still set is hashed as if reassembled (§1).
        var descriptorSet = record.Length >= 4 && (record[2] != 0 || record[3] != 0);
        if (OpenSslSha256.Available)
        {
            Span<byte> context = stackalloc byte[OpenSslSha256.ContextSize];
            OpenSslSha256.Init(context);
            if (descriptorSet)
            {
                OpenSslSha256.Update(context, record[..2]);
                OpenSslSha256.Update(context, zeros);
                OpenSslSha256.Update(context, record[4..]);
            }
            else
            {
                OpenSslSha256.Update(context, record);
            }
            OpenSslSha256.Final(context, hash);
        }
        else
        {
            var sha = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            if (descriptorSet)
            {
                sha.AppendData(record[..2]);
                sha.AppendData(zeros);
                sha.AppendData(record[4..]);
            }
            else
            {
                sha.AppendData(record);
            }
            sha.GetHashAndReset(hash);
        }
        ReadOnlySpan<byte> digits = "0123456789abcdef"u8;
        for (var i = 0; i < 16; i++)
        {
            destination[2 * i] = digits[hash[i] >> 4];
            destination[2 * i + 1] = digits[hash[i] & 0xF];
        }
    }

    /// <summary>
    /// OpenSSL's SHA-256 on a caller-owned context (SHA256_Init/Update/Final), on Linux when libcrypto 3 exports it.
    /// The same OpenSSL code the platform hash runs (SHA-NI where the CPU has it), without the EVP layer: per record,
    /// the EVP context reset and error-queue handling of <see cref="IncrementalHash"/> cost about as much as hashing the
    /// ~600 bytes. Checked once against the platform hash; anywhere else (or if the check fails) the platform hash is used.
    /// </summary>
    private static class OpenSslSha256
    {
        private const string Library = "libcrypto.so.3";

        /// <summary>sizeof(SHA256_CTX) is 112 bytes; room to spare.</summary>
        public const int ContextSize = 256;

        public static readonly bool Available = Probe();

        // Each returns 1 on success (OpenSSL SHA256_Init(3)); they cannot fail on a caller-owned context, but say so if they do.
        public static void Init(Span<byte> context) => Check(SHA256_Init(ref MemoryMarshal.GetReference(context)));

        public static void Update(Span<byte> context, ReadOnlySpan<byte> data) =>
            Check(SHA256_Update(ref MemoryMarshal.GetReference(context), ref MemoryMarshal.GetReference(data), (nuint)data.Length));

        public static void Final(Span<byte> context, Span<byte> digest) =>
            Check(SHA256_Final(ref MemoryMarshal.GetReference(digest), ref MemoryMarshal.GetReference(context)));

        private static void Check(int result)
        {
            if (result != 1) throw new CryptographicException("OpenSSL SHA-256 failed.");
        }

        private static bool Probe()
        {
            if (!OperatingSystem.IsLinux()) return false;
            try
            {
                var message = "zERT event id self-check: the same digest as the platform SHA-256"u8;
                Span<byte> context = stackalloc byte[ContextSize];
                Span<byte> digest = stackalloc byte[32];
                Init(context);
                Update(context, message[..7]);
                Update(context, message[7..]);
                Final(context, digest);
                return digest.SequenceEqual(SHA256.HashData(message));
            }
            catch (DllNotFoundException)
            {
                return false;
            }
            catch (EntryPointNotFoundException)
            {
                return false;
            }
            catch (BadImageFormatException)
            {
                return false;
            }
        }

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int SHA256_Init(ref byte context);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int SHA256_Update(ref byte context, ref byte data, nuint length);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int SHA256_Final(ref byte digest, ref byte context);
    }
}
