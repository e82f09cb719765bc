using ZertForwarder.Generator.Containers;
using ZertForwarder.Generator.Scenario;

namespace ZertForwarder.Generator;

/// <summary>
/// Seeded, deterministic generator of realistic synthetic SMF 119 zERT dumps (subtypes 11 and 12) written from the
/// layout specification. The same seed and count always give the same records and, per container, the same bytes.
/// </summary>
/// <remarks>
/// The simulated installation has four systems (SYSA z/OS 3.2, SYSB V2R5, PRD1 3.1, DEV1 V2R4) and five TCP/IP
/// stacks serving CICS, Db2 DDF, MQ, FTP, sshd, TN3270 and web workloads plus outbound HTTPS/SFTP clients, IPsec
/// (IKEv1/IKEv2, tunnel/transport, ESP/AH, manual) and Enterprise Extender. Records come in time order; 119-12
/// interval summaries are the life-to-date aggregates of the same simulated connections. Dumps also carry non-zERT
/// records (SMF type 2/3 dump header/trailer, type 30, 119 subtype 2) that readers must skip.
/// </remarks>
public static class SmfDumpGenerator
{
    /// <summary>Seed used by the CLI when none is given.</summary>
    public const ulong DefaultSeed = 1;

    /// <summary>
    /// Streams the logical records of a dump: exactly <paramref name="zertCount"/> zERT records (subtype 11 and 12),
    /// with non-zERT records interleaved when <paramref name="includeForeignRecords"/> is true (a type 2 dump header
    /// first, a type 3 trailer last, and about 2% type 30 / 119-2 records in between).
    /// </summary>
    public static IEnumerable<GeneratedRecord> EnumerateRecords(ulong seed, int zertCount, bool includeForeignRecords = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(zertCount);
        return new ScenarioEngine(seed, includeForeignRecords).Run(zertCount);
    }

    /// <summary>
    /// Returns every logical record of the dump in stream order (RDW included, SMF119SEG = 0), each with the model
    /// it was written from (<see cref="GeneratedRecord.Zert"/>, null for non-zERT records). Concatenating
    /// <see cref="GeneratedRecord.Bytes"/> gives exactly the <see cref="SmfContainer.Rdw"/> dump.
    /// </summary>
    public static IReadOnlyList<GeneratedRecord> GenerateRecords(ulong seed, int zertCount, bool includeForeignRecords = true)
        => EnumerateRecords(seed, zertCount, includeForeignRecords).ToList();

    /// <summary>
    /// Writes a dump of <paramref name="zertCount"/> zERT records to <paramref name="output"/> in the chosen container
    /// (RDW-prefixed stream or VBS blocks of <paramref name="blockSize"/> bytes). Streams: memory use does not grow
    /// with the count. Returns the number of logical records written (zERT and non-zERT).
    /// </summary>
    public static long WriteDump(Stream output, ulong seed, int zertCount, SmfContainer container, int blockSize = SmfContainerWriter.DefaultBlockSize, bool includeForeignRecords = true)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = SmfContainerWriter.Create(output, container, blockSize);
        long written = 0;
        foreach (var record in EnumerateRecords(seed, zertCount, includeForeignRecords))
        {
            writer.WriteRecord(record.Bytes);
            written++;
        }

        writer.Complete();
        return written;
    }

    /// <summary>Convenience: the whole dump as a byte array (see <see cref="WriteDump"/>).</summary>
    public static byte[] GenerateDump(ulong seed, int zertCount, SmfContainer container, int blockSize = SmfContainerWriter.DefaultBlockSize, bool includeForeignRecords = true)
    {
        using var buffer = new MemoryStream();
        WriteDump(buffer, seed, zertCount, container, blockSize, includeForeignRecords);
        return buffer.ToArray();
    }
}
