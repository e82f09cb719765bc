using ZertForwarder.Generator;
using ZertForwarder.Generator.Containers;
using static ZertForwarder.Smf.Tests.Generator.IndependentSmfFraming;

namespace ZertForwarder.Smf.Tests.Generator;

/// <summary>Determinism of <see cref="SmfDumpGenerator"/> and framing invariants of both containers (layout §C).</summary>
public sealed class DumpContainerTests
{
    private const int Count = 1_500;

    [Fact]
    public void Same_seed_gives_identical_bytes_and_different_seeds_differ()
    {
        foreach (var container in new[] { SmfContainer.Rdw, SmfContainer.Vbs })
        {
            var first = SmfDumpGenerator.GenerateDump(42, Count, container);
            var again = SmfDumpGenerator.GenerateDump(42, Count, container);
            var other = SmfDumpGenerator.GenerateDump(43, Count, container);

            Assert.Equal(first, again);
            Assert.NotEqual(first, other);
        }
    }

    [Fact]
    public void Rdw_dump_is_the_concatenation_of_the_generated_records_and_chains_to_the_file_length()
    {
        var records = SmfDumpGenerator.GenerateRecords(7, Count);
        var dump = SmfDumpGenerator.GenerateDump(7, Count, SmfContainer.Rdw);

        var split = SplitRdwStream(dump);

        Assert.Equal(records.Count, split.Count);
        for (var i = 0; i < split.Count; i++)
        {
            Assert.Equal(records[i].Bytes, split[i]);
        }

        Assert.Equal(Count, records.Count(r => r.IsZert));
    }

    [Fact]
    public void Vbs_dump_with_default_block_size_chains_blocks_spans_records_and_reassembles_to_the_rdw_records()
    {
        var rdw = SplitRdwStream(SmfDumpGenerator.GenerateDump(7, Count, SmfContainer.Rdw));
        var vbs = SmfDumpGenerator.GenerateDump(7, Count, SmfContainer.Vbs);

        var read = ReadVbs(vbs, SmfContainerWriter.DefaultBlockSize);

        Assert.Equal(rdw.Count, read.Records.Count);
        for (var i = 0; i < rdw.Count; i++)
        {
            Assert.Equal(rdw[i], read.Records[i]);
        }

        Assert.True(read.SpannedRecords > 0, "records must be spanned across blocks");
        Assert.True(read.Blocks > 1);
        Assert.Equal(SmfContainerWriter.DefaultBlockSize, read.LargestBlock); // QSAM-style: full blocks
    }

    [Fact]
    public void Small_vbs_blocks_force_middle_segments_for_records_with_long_distinguished_names()
    {
        var records = SmfDumpGenerator.GenerateRecords(11, 400);
        Assert.Contains(records, r => r.Bytes.Length > 2 * 4_096); // long-DN records exist
        var vbs = SmfDumpGenerator.GenerateDump(11, 400, SmfContainer.Vbs, blockSize: 4_096);

        var read = ReadVbs(vbs, 4_096);

        Assert.True(read.MiddleSegments > 0, "a record longer than two blocks needs middle segments");
        Assert.Equal(records.Select(r => r.Bytes), read.Records);
    }

    [Fact]
    public void Vbs_writer_writes_a_fitting_record_as_one_complete_segment_whose_sdw_equals_its_rdw()
    {
        using var stream = new MemoryStream();
        var writer = new VbsBlockWriter(stream, 64);
        byte[] record = [0, 20, 0, 0, .. Enumerable.Range(1, 16).Select(i => (byte)i)];
        writer.WriteRecord(record);
        writer.Complete();

        var bytes = stream.ToArray();
        Assert.Equal(new byte[] { 0, 24, 0, 0 }, bytes[..4]);
        Assert.Equal(record, bytes[4..]);
    }

    [Fact]
    public void Vbs_writer_splits_a_record_into_first_middle_and_last_segments_across_64_byte_blocks()
    {
        using var stream = new MemoryStream();
        var writer = new VbsBlockWriter(stream, 64);
        var record = new byte[150];
        record[1] = 150;
        for (var i = 4; i < record.Length; i++)
        {
            record[i] = (byte)i;
        }

        writer.WriteRecord(record);
        writer.Complete();
        var bytes = stream.ToArray();

        // 146 data bytes: 56 in block 1 (first), 56 in block 2 (middle), 34 in block 3 (last).
        Assert.Equal(new byte[] { 0, 64, 0, 0, 0, 60, 1, 0 }, bytes[..8]);
        Assert.Equal(new byte[] { 0, 64, 0, 0, 0, 60, 3, 0 }, bytes[64..72]);
        Assert.Equal(new byte[] { 0, 42, 0, 0, 0, 38, 2, 0 }, bytes[128..136]);
        Assert.Equal(170, bytes.Length);
        Assert.Equal(record, ReadVbs(bytes, 64).Records.Single());
    }

    [Fact]
    public void Writers_reject_malformed_logical_records_and_bad_block_sizes()
    {
        using var stream = new MemoryStream();
        Assert.Throws<ArgumentException>(() => new RdwStreamWriter(stream).WriteRecord(new byte[] { 0, 9, 0, 0, 1, 2, 3, 4 }));
        Assert.Throws<ArgumentException>(() => new RdwStreamWriter(stream).WriteRecord(new byte[] { 0, 8, 1, 0, 1, 2, 3, 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VbsBlockWriter(stream, 32_761));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VbsBlockWriter(stream, 10));
    }

    [Fact]
    public void Dumps_carry_non_zert_records_readers_must_skip()
    {
        var records = SmfDumpGenerator.GenerateRecords(3, 2_000);

        Assert.Equal(2, records[0].SmfType); // dump header
        Assert.Equal(3, records[^1].SmfType); // dump trailer
        Assert.Equal(18, records[0].Bytes.Length);
        Assert.Contains(records, r => r.SmfType == 30);
        Assert.Contains(records, r => r is { SmfType: 119, Subtype: 2 });
        Assert.All(records.Where(r => !r.IsZert), r => Assert.False(r.SmfType == 119 && r.Subtype is 11 or 12));

        var withoutForeign = SmfDumpGenerator.GenerateRecords(3, 2_000, includeForeignRecords: false);
        Assert.All(withoutForeign, r => Assert.True(r.IsZert));
        Assert.Equal(records.Where(r => r.IsZert).Select(r => r.Bytes), withoutForeign.Select(r => r.Bytes));
    }
}
