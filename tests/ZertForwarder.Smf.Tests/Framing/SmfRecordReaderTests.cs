using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;
using static ZertForwarder.Smf.Tests.Framing.Containers;

namespace ZertForwarder.Smf.Tests.Framing;

/// <summary>The streaming SMF reader over RDW files (§C.2) and raw VBS blocks (§C.1).</summary>
public sealed class SmfRecordReaderTests
{
    private static byte[] Connection(string jobname)
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetText("SMF119SC_SAJobname", jobname).Set("SMF119SC_SARPort", 443);
        return builder.AddDn(5, "CN=" + jobname).Build();
    }

    private static byte[] Summary(string jobname)
    {
        var builder = SpecRecordBuilder.Summary();
        builder.SetText("SMF119SS_SAJobname", jobname);
        return builder.Build();
    }

    /// <summary>A record long enough to need spanning in small blocks: 119-11 with twelve 1,000-character DNs.</summary>
    private static byte[] LongConnection()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        for (ushort t = 1; t <= 12; t++) builder.AddDn(t, ("CN=" + new string((char)('A' + t), 994) + ",O=X")[..1000]);
        return builder.Build();
    }

    // ---- RDW files ---------------------------------------------------------------------------------------------

    [Fact]
    public void Rdw_file_yields_every_record_with_its_offsets_and_the_reader_does_not_filter()
    {
        byte[][] records = [Connection("JOBA"), OtherRecord(30, 4, 300), Summary("JOBB"), OtherRecord(119, 2, 120), Connection("JOBC")];
        var frames = ReadAll(Concat(records));

        Assert.Equal(records.Length, frames.Count);
        long offset = 0;
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Null(frames[i].Error);
            Assert.Equal(records[i], frames[i].Record);
            Assert.Equal(offset, frames[i].Offset);
            offset += records[i].Length;
            Assert.Equal(offset, frames[i].End);
        }
        Assert.Equal(
            [ZertParseStatus.Decoded, ZertParseStatus.OtherRecordType, ZertParseStatus.Decoded, ZertParseStatus.OtherSubtype, ZertParseStatus.Decoded],
            frames.Select(f => ZertRecordParser.Parse(f.Record).Status));
    }

    [Fact]
    public void Auto_detection_reports_rdw_for_an_rdw_file_and_vbs_for_blocks()
    {
        using (var reader = new SmfRecordReader(new MemoryStream(Concat(Connection("A"), Summary("B")))))
        {
            Assert.True(reader.TryReadNext(out _));
            Assert.Equal(SmfContainer.Rdw, reader.Container);
        }
        using (var reader = new SmfRecordReader(new MemoryStream(Block(Complete(Connection("A")), Complete(Summary("B"))))))
        {
            Assert.True(reader.TryReadNext(out _));
            Assert.Equal(SmfContainer.Vbs, reader.Container);
        }
    }

    /// <summary>
    /// §C.1: a block over 32,760 bytes (tape) has the extended BDW, whose length can be more than the 64 KiB auto
    /// detection looks at. Such a dump was "not an SMF dump" unless --container vbs was given; the segments inside the
    /// window show it is VBS.
    /// </summary>
    [Fact]
    public void An_extended_bdw_block_longer_than_the_detection_window_is_detected_as_vbs()
    {
        var record = Connection("TAPE");
        var count = SmfRecordReader.DetectionWindow / record.Length + 2;
        var dump = Concat(ExtendedBlock([.. Enumerable.Repeat(record, count)]), Block(Complete(Summary("B"))));
        Assert.True(dump.Length > SmfRecordReader.DetectionWindow);

        using var reader = new SmfRecordReader(new MemoryStream(dump));
        var records = new List<byte[]>();
        while (reader.TryReadNext(out var frame))
        {
            Assert.Null(frame.Error);
            records.Add(frame.Record.ToArray());
        }
        Assert.Equal(SmfContainer.Vbs, reader.Container);
        Assert.Equal([.. Enumerable.Repeat(record, count), Summary("B")], records);
    }

    /// <summary>
    /// A VBS dump whose third segment descriptor is damaged: the block descriptors still chain like RDWs, and auto
    /// detection read it as RDW, every block one "record" of another type: the whole dump lost, exit 0. It is VBS: the
    /// two records before the damage are read and the damage is reported at its offset.
    /// </summary>
    [Fact]
    public void A_vbs_dump_with_one_damaged_segment_descriptor_is_still_read_as_vbs_and_the_damage_reported()
    {
        var third = Block(Complete(Connection("C")));
        third[BdwLengthForTests + 1] = 3; // the segment descriptor's length: 3, shorter than the descriptor itself
        third[BdwLengthForTests] = 0;
        var dump = Concat(Block(Complete(Connection("A"))), Block(Complete(Summary("B"))), third, Block(Complete(Connection("D"))));

        using var reader = new SmfRecordReader(new MemoryStream(dump));
        Assert.True(reader.TryReadNext(out var first));
        Assert.Equal(SmfContainer.Vbs, reader.Container);
        Assert.Equal(ZertParseStatus.Decoded, ZertRecordParser.Parse(first.Record).Status);
        Assert.True(reader.TryReadNext(out _));
        var error = Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _));
        Assert.Equal(dump.Length - third.Length - Block(Complete(Connection("D"))).Length + BdwLengthForTests, error.Offset);
    }

    private const int BdwLengthForTests = 4;

    [Fact]
    public void A_file_without_rdws_is_rejected_with_a_message_about_rdws()
    {
        // FTP binary without RDW: each record starts at its flag byte (§C.2).
        var stripped = Concat(Connection("A")[4..], Summary("B")[4..]);
        using var reader = new SmfRecordReader(new MemoryStream(stripped));
        var error = Assert.Throws<InvalidDataException>(() => reader.TryReadNext(out _));
        Assert.Contains("without RDWs", error.Message, StringComparison.Ordinal);
        Assert.Contains("SITE RDW", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dump_without_rdws_that_starts_with_another_record_type_gets_the_same_advice()
    {
        // A dump usually starts with the dump program's own record (type 2), not a 119: the packed date at offset 6
        // still gives the missing RDWs away. Flag X'1E', type 2, time, date X'0124305F', SID, then data.
        byte[] header = [0x1E, 0x02, 0x00, 0x35, 0x55, 0x75, 0x01, 0x24, 0x30, 0x5F, 0xE2, 0xE8, 0xE2, 0xC1];
        var stripped = Concat(header, new byte[40], Connection("A")[4..]);
        using var reader = new SmfRecordReader(new MemoryStream(stripped));
        var error = Assert.Throws<InvalidDataException>(() => reader.TryReadNext(out _));
        Assert.Contains("without RDWs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_neither_rdw_nor_vbs_is_rejected_with_a_message_naming_both()
    {
        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is a text file, not an SMF dump\n", 40)));
        using var reader = new SmfRecordReader(new MemoryStream(text));
        var error = Assert.Throws<InvalidDataException>(() => reader.TryReadNext(out _));
        Assert.Contains("RDW", error.Message, StringComparison.Ordinal);
        Assert.Contains("VBS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_input_has_no_records()
    {
        using var reader = new SmfRecordReader(new MemoryStream([]));
        Assert.False(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        using var vbs = new SmfRecordReader(new MemoryStream([]), SmfContainer.Vbs);
        Assert.False(vbs.TryReadNext(out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5000)]
    public void Trailing_zero_padding_ends_an_rdw_file_cleanly(int zeros)
    {
        byte[][] records = [Connection("A"), Summary("B")];
        var frames = ReadAll(Concat([.. records, new byte[zeros]]));
        Assert.Equal(records, frames.Select(f => f.Record));
        Assert.All(frames, f => Assert.Null(f.Error));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(27998)]
    public void Trailing_zero_padding_ends_a_vbs_file_cleanly(int zeros)
    {
        var input = Concat(Block(Complete(Connection("A"))), Block(Complete(Summary("B"))), new byte[zeros]);
        var frames = ReadAll(input);
        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.Null(f.Error));
    }

    [Theory]
    [InlineData(SmfContainer.Rdw, false)]
    [InlineData(SmfContainer.Vbs, true)]
    [InlineData(SmfContainer.Auto, false)]
    [InlineData(SmfContainer.Auto, true)]
    public void Zero_padding_longer_than_the_detection_window_also_ends_the_file_cleanly(SmfContainer container, bool vbs)
    {
        // Padding of a copied data set can be longer than 64 KiB (e.g. to a 1 MiB allocation boundary).
        byte[][] records = [Connection("A"), Summary("B")];
        var body = vbs ? Concat(Block(Complete(records[0])), Block(Complete(records[1]))) : Concat(records);
        var frames = ReadAll(Concat(body, new byte[1024 * 1024 - body.Length]), container);
        Assert.Equal(records, frames.Select(f => f.Record));
    }

    [Fact]
    public void A_zero_run_followed_by_data_is_not_padding()
    {
        var first = Connection("A");
        using var reader = new SmfRecordReader(new MemoryStream(Concat(first, new byte[100], Summary("B"))), SmfContainer.Rdw);
        Assert.True(reader.TryReadNext(out _));
        Assert.Equal(first.Length, Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _)).Offset);
    }

    [Fact]
    public void Bad_rdw_bytes_2_3_break_the_chain_at_that_record()
    {
        var first = Connection("A");
        var second = Summary("B");
        second[2] = 0x01; // a segment descriptor in an RDW file
        using var reader = new SmfRecordReader(new MemoryStream(Concat(first, second, Connection("C"))), SmfContainer.Rdw);

        Assert.True(reader.TryReadNext(out var frame));
        Assert.Equal(first, frame.Record.ToArray());
        var error = Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _));
        Assert.Equal(first.Length, error.Offset);
        Assert.Contains("bytes 2-3", error.Reason, StringComparison.Ordinal);
        Assert.Contains(first.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void An_rdw_length_below_4_breaks_the_chain(int length)
    {
        var first = Connection("A");
        var bad = new byte[] { 0, (byte)length, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF };
        using var reader = new SmfRecordReader(new MemoryStream(Concat(first, bad, Connection("C"))), SmfContainer.Rdw);

        Assert.True(reader.TryReadNext(out _));
        var error = Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _));
        Assert.Equal(first.Length, error.Offset);
    }

    [Fact]
    public void A_file_ending_inside_a_record_breaks_the_chain_at_that_record()
    {
        var first = Connection("A");
        var second = Summary("B");
        using var reader = new SmfRecordReader(new MemoryStream(Concat(first, second[..100])), SmfContainer.Rdw);

        Assert.True(reader.TryReadNext(out _));
        var error = Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _));
        Assert.Equal(first.Length, error.Offset);
        Assert.Contains("ends inside a record", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_ending_with_a_partial_rdw_breaks_the_chain()
    {
        var first = Connection("A");
        using var reader = new SmfRecordReader(new MemoryStream(Concat(first, [0x01, 0x00])), SmfContainer.Rdw);
        Assert.True(reader.TryReadNext(out _));
        Assert.Equal(first.Length, Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _)).Offset);
    }

    [Theory]
    [InlineData(300)]  // break at ~87 KB: past the 64 KiB detection window, inside the reader's first buffer fill
    [InlineData(1000)] // break at ~290 KB: past the first buffer fill too
    public void A_break_beyond_the_detection_window_is_found_with_auto_detection_too(int count)
    {
        // Only DetectionWindow bytes decide the container; a break after them is a framing error at its offset,
        // not "this is not an SMF dump".
        var records = Enumerable.Range(0, count).Select(i => Connection($"J{i}")).ToArray();
        var good = Concat(records);
        Assert.True(good.Length > SmfRecordReader.DetectionWindow);
        var broken = Concat(good, [0x00, 0x40, 0x12, 0x34], new byte[60]);
        using var reader = new SmfRecordReader(new MemoryStream(broken));

        var read = 0;
        var error = Assert.Throws<SmfFramingException>(() => { while (reader.TryReadNext(out _)) read++; });
        Assert.Equal(count, read);
        Assert.Equal(good.Length, error.Offset);
        Assert.Equal(SmfContainer.Rdw, reader.Container);
    }

    [Theory]
    [InlineData(SmfContainer.Auto)]
    [InlineData(SmfContainer.Rdw)]
    public void An_rdw_of_length_0_after_ten_good_records_yields_them_and_reports_the_break_at_its_offset(SmfContainer container)
    {
        // Found by a user: auto-detection called such a file "not an SMF dump ... offset 0" and decoded nothing.
        var records = Enumerable.Range(0, 10).Select(i => i % 3 == 2 ? Summary($"S{i}") : Connection($"J{i}")).ToArray();
        var good = Concat(records);
        using var reader = new SmfRecordReader(new MemoryStream(Concat(good, [0, 0, 0, 0, 0xC1, 0xC2], Connection("AFTER"))), container);

        var read = new List<byte[]>();
        var error = Assert.Throws<SmfFramingException>(() => { while (reader.TryReadNext(out var frame)) read.Add(frame.Record.ToArray()); });
        Assert.Equal(records, read);
        Assert.Equal(good.Length, error.Offset);
        Assert.Equal(SmfContainer.Rdw, reader.Container);
    }

    [Fact]
    public void A_vbs_chain_that_breaks_early_is_still_read_as_vbs()
    {
        var blocks = Concat(Enumerable.Range(0, 5).Select(i => Block(Complete(Connection($"J{i}")))).ToArray());
        using var reader = new SmfRecordReader(new MemoryStream(Concat(blocks, [0, 0, 0, 0, 0xC1, 0xC2, 0xC3, 0xC4])));

        var read = 0;
        var error = Assert.Throws<SmfFramingException>(() => { while (reader.TryReadNext(out _)) read++; });
        Assert.Equal(SmfContainer.Vbs, reader.Container);
        Assert.Equal(5, read);
        Assert.Equal(blocks.Length, error.Offset);
    }

    [Fact]
    public void Random_bytes_are_still_not_an_smf_dump()
    {
        var random = new byte[4096];
        new Random(8).NextBytes(random);
        using var reader = new SmfRecordReader(new MemoryStream(random));
        Assert.Contains("not an SMF dump", Assert.Throws<InvalidDataException>(() => reader.TryReadNext(out _)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_too_short_for_a_type_is_an_error_frame_and_reading_continues()
    {
        var first = Connection("A");
        var third = Summary("C");
        var frames = ReadAll(Concat(first, [0, 5, 0, 0, 0x5E], third), SmfContainer.Rdw);

        Assert.Equal(3, frames.Count);
        Assert.Null(frames[0].Error);
        Assert.NotNull(frames[1].Error);
        Assert.Equal(first.Length, frames[1].Offset);
        Assert.Equal(third, frames[2].Record);
    }

    [Theory]
    [InlineData(4, 0)]
    [InlineData(5, 0)]
    [InlineData(4, 1)]
    [InlineData(5, 1)]
    public void A_record_too_short_for_a_type_among_the_first_two_leaves_auto_detection_at_rdw(int length, int position)
    {
        // Detection accepts the units the RDW reader accepts: a 4-5 byte record first or second used to make the whole
        // dump "not an SMF dump".
        var tooShort = new byte[] { 0, (byte)length, 0, 0, 0x5E }[..length];
        byte[][] records = [Connection("A"), Summary("B"), Connection("C")];
        var parts = records.ToList();
        parts.Insert(position, tooShort);
        var input = Concat(parts.ToArray());

        var frames = ReadAll(input, SmfContainer.Auto);

        Assert.Equal(4, frames.Count);
        Assert.Equal(position, frames.FindIndex(f => f.Error is not null));
        Assert.Equal(records, frames.Where(f => f.Error is null).Select(f => f.Record));
    }

    [Fact]
    public void A_corrupt_zert_record_among_good_ones_does_not_stop_the_others()
    {
        var bad = SpecRecordBuilder.ConnectionDetail().CorruptTripletCount(1).Build();
        byte[][] records = [Connection("A"), bad, Summary("B"), Connection("C")];
        var frames = ReadAll(Concat(records));

        Assert.Equal(records, frames.Select(f => f.Record));
        var statuses = frames.Select(f => ZertRecordParser.Parse(f.Record)).ToArray();
        Assert.Equal([ZertParseStatus.Decoded, ZertParseStatus.Malformed, ZertParseStatus.Decoded, ZertParseStatus.Decoded], statuses.Select(s => s.Status));
        Assert.Contains("SMF119SD_TRN is 1", statuses[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_to_a_reported_end_offset_resumes_with_the_next_record()
    {
        byte[][] records = [Connection("A"), Summary("B"), Connection("C"), Summary("D")];
        var input = Concat(records);
        long resumeAt;
        using (var reader = new SmfRecordReader(new MemoryStream(input)))
        {
            reader.TryReadNext(out _);
            reader.TryReadNext(out var second);
            resumeAt = second.EndOffset;
            Assert.Equal(resumeAt, reader.Position);
        }
        using (var reader = new SmfRecordReader(new PipeLikeStream(new MemoryStream(input)), SmfContainer.Rdw))
        {
            reader.SkipTo(resumeAt);
            Assert.True(reader.TryReadNext(out var third));
            Assert.Equal(records[2], third.Record.ToArray());
            Assert.Equal(resumeAt, third.Offset);
        }
        using (var reader = new SmfRecordReader(new MemoryStream(input), SmfContainer.Rdw))
        {
            Assert.Throws<SmfFramingException>(() => reader.SkipTo(input.Length + 10));
        }
    }

    // ---- VBS blocks ----------------------------------------------------------------------------------------------

    [Fact]
    public void Vbs_complete_segments_in_several_blocks_are_the_records()
    {
        byte[][] records = [Connection("A"), Summary("B"), OtherRecord(2, 0, 40), Connection("C")];
        var input = Concat(Block(Complete(records[0]), Complete(records[1])), Block(Complete(records[2]), Complete(records[3])));
        var frames = ReadAll(input);

        Assert.Equal(records, frames.Select(f => f.Record));
        Assert.Equal([4L, 4L + records[0].Length, 8L + records[0].Length + records[1].Length, 8L + records[0].Length + records[1].Length + records[2].Length],
            frames.Select(f => f.Offset));
    }

    [Fact]
    public void A_spanned_record_with_first_middle_and_last_segments_across_blocks_reassembles_to_the_original()
    {
        var longRecord = LongConnection();
        var (a, b) = (Connection("A"), Summary("B"));
        var segments = Span(longRecord, 5000, 9000, 11000);
        var input = Concat(
            Block(Complete(a), segments[0]),
            Block(segments[1]),
            Block(segments[2], segments[3], Complete(b)));
        var frames = ReadAll(input);

        Assert.Equal(3, frames.Count);
        Assert.Equal(a, frames[0].Record);
        Assert.Equal(longRecord, frames[1].Record); // RDW rebuilt with the total length, SMF119SEG zero
        Assert.Equal(4 + a.Length, frames[1].Offset);  // the first segment's SDW
        Assert.Equal(b, frames[2].Record);
        var decoded = DecodedAssert.Decode(frames[1].Record);
        Assert.Equal(12, decoded.DistinguishedNames.Count);
    }

    [Fact]
    public void A_spanned_record_within_one_block_and_in_an_extended_bdw_block_reassembles()
    {
        var record = Connection("SPAN");
        var segments = Span(record, 10, 200);
        var frames = ReadAll(Concat(Block(segments), ExtendedBlock(Complete(Summary("B")))), SmfContainer.Vbs);

        Assert.Equal(2, frames.Count);
        Assert.Equal(record, frames[0].Record);
        Assert.Equal(Summary("B"), frames[1].Record);
    }

    [Theory]
    [InlineData(3)] // middle without first
    [InlineData(2)] // last without first
    public void An_orphan_middle_or_last_segment_is_an_error_frame_and_reading_continues(int control)
    {
        var next = Summary("NEXT");
        var input = Concat(Block(Complete(Connection("A")), Segment(control, new byte[50])), Block(Complete(next)));
        var frames = ReadAll(input);

        Assert.Equal(3, frames.Count);
        Assert.Null(frames[0].Error);
        Assert.Contains("without its first segment", frames[1].Error, StringComparison.Ordinal);
        Assert.Empty(frames[1].Record);
        Assert.Equal(next, frames[2].Record);
    }

    [Fact]
    public void A_first_segment_without_its_last_is_an_error_frame_and_the_next_record_is_read()
    {
        var record = LongConnection();
        var segments = Span(record, 3000, 6000);
        var next = Connection("NEXT");
        var input = Concat(Block(segments[0]), Block(segments[1]), Block(Complete(next)), Block(Span(record, 7000)));
        var frames = ReadAll(input);

        Assert.Equal(3, frames.Count);
        Assert.Contains("no last segment", frames[0].Error, StringComparison.Ordinal);
        Assert.Equal(4, frames[0].Offset);
        Assert.Equal(next, frames[1].Record);
        Assert.Equal(record, frames[2].Record); // a complete spanned record after the broken one still reassembles
    }

    [Fact]
    public void A_vbs_dump_cut_inside_its_second_block_is_still_read_as_vbs()
    {
        // A short dump whose transfer was cut (or is still arriving): "not an SMF dump" lost the whole first block.
        var first = Block(Complete(Summary("A")), Complete(Connection("B")));
        var second = Block(Complete(Summary("C")));
        using var reader = new SmfRecordReader(new MemoryStream(Concat(first, second[..(second.Length / 2)])));
        Assert.True(reader.TryReadNext(out var a));
        Assert.True(reader.TryReadNext(out var b));
        Assert.Equal(SmfContainer.Vbs, reader.Container);
        Assert.Null(a.Error);
        Assert.Null(b.Error);
        Assert.Equal(first.Length + 4, Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _)).Offset); // at its segment, after the BDW
    }

    [Fact]
    public void A_first_segment_at_the_end_of_the_input_breaks_the_chain_at_that_segment()
    {
        // A dump that ends inside a spanned record is truncated or still arriving: the chain breaks at the record's
        // first segment (as an RDW file ending inside a record does), so a watched dump is read on from there.
        var record = LongConnection();
        var first = Block(Complete(Summary("A")));
        var segments = Span(record, 3000);
        using var truncated = new SmfRecordReader(new MemoryStream(Concat(first, Block(segments[0]))));
        Assert.True(truncated.TryReadNext(out _));
        var error = Assert.Throws<SmfFramingException>(() => truncated.TryReadNext(out _));
        Assert.Equal(first.Length + 4, error.Offset); // the first segment, after its block's descriptor
        Assert.Contains("ends before the last segment", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_complete_segment_too_short_for_a_record_type_is_an_error_frame_and_reading_continues()
    {
        var next = Summary("NEXT");
        var frames = ReadAll(Concat(Block(Complete(Connection("A")), Segment(0, [0x5E])), Block(Complete(next))), SmfContainer.Vbs);

        Assert.Equal(3, frames.Count);
        Assert.Contains("too short", frames[1].Error, StringComparison.Ordinal);
        Assert.Equal(next, frames[2].Record);
    }

    [Fact]
    public void A_spanned_record_longer_than_an_rdw_can_say_is_an_error_frame_and_reading_continues()
    {
        var middle = Segment(3, new byte[30000]);
        var next = Connection("NEXT");
        var input = Concat(
            Block(Segment(1, new byte[20000])), Block(middle), Block(Segment(2, new byte[20000])),
            Block(Complete(next)));
        var frames = ReadAll(input, SmfContainer.Vbs);

        Assert.Equal(2, frames.Count);
        Assert.Contains("longer than", frames[0].Error, StringComparison.Ordinal);
        Assert.Equal(4, frames[0].Offset);
        Assert.Equal(next, frames[1].Record);
    }

    [Fact]
    public void A_reassembled_record_too_short_for_a_type_is_an_error_frame()
    {
        var next = Summary("NEXT");
        var frames = ReadAll(Concat(Block(Segment(1, []), Segment(2, [0x5E])), Block(Complete(next))), SmfContainer.Vbs);

        Assert.Equal(2, frames.Count);
        Assert.Contains("too short", frames[0].Error, StringComparison.Ordinal);
        Assert.Equal(next, frames[1].Record);
    }

    [Fact]
    public void A_segment_longer_than_its_block_breaks_the_chain_at_the_segment()
    {
        var first = Block(Complete(Connection("A")));
        var second = Block(Complete(Summary("B")), Complete(Connection("C")));
        var sdwAt = first.Length + 4 + Summary("B").Length;
        second[sdwAt - first.Length] = 0x7F; // the C segment now claims ~32 KB
        using var reader = new SmfRecordReader(new MemoryStream(Concat(first, second)), SmfContainer.Vbs);

        Assert.True(reader.TryReadNext(out _));
        Assert.True(reader.TryReadNext(out _));
        var error = Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _));
        Assert.Equal(sdwAt, error.Offset);
        Assert.Contains("does not fit", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_segment_control_bytes_and_bad_block_descriptors_break_the_chain()
    {
        var good = Block(Complete(Connection("A")));
        var badControl = Block(Complete(Summary("B")));
        badControl[4 + 2] = 0x04;
        using (var reader = new SmfRecordReader(new MemoryStream(Concat(good, badControl)), SmfContainer.Vbs))
        {
            Assert.True(reader.TryReadNext(out _));
            Assert.Equal(good.Length + 4, Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _)).Offset);
        }

        var badBdw = Block(Complete(Summary("B")));
        badBdw[3] = 0x01;
        using (var reader = new SmfRecordReader(new MemoryStream(Concat(good, badBdw)), SmfContainer.Vbs))
        {
            Assert.True(reader.TryReadNext(out _));
            Assert.Equal(good.Length, Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _)).Offset);
        }

        using (var reader = new SmfRecordReader(new MemoryStream(Concat(good, [0, 6, 0, 0, 0, 2])), SmfContainer.Vbs))
        {
            Assert.True(reader.TryReadNext(out _));
            Assert.Equal(good.Length, Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _)).Offset);
        }
    }

    [Fact]
    public void A_vbs_file_ending_inside_a_block_breaks_the_chain()
    {
        var good = Block(Complete(Connection("A")));
        var cut = Block(Complete(Summary("B")))[..60];
        using var reader = new SmfRecordReader(new MemoryStream(Concat(good, cut)), SmfContainer.Vbs);
        Assert.True(reader.TryReadNext(out _));
        Assert.Equal(good.Length + 4, Assert.Throws<SmfFramingException>(() => reader.TryReadNext(out _)).Offset);
    }

    // ---- streams -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(7)]
    public void A_non_seekable_stdin_like_stream_gives_the_same_frames(int bytesPerRead)
    {
        byte[][] records = [Connection("A"), OtherRecord(30, 1, 500), Summary("B"), LongConnection()];
        var rdw = Concat(records);
        var vbs = Concat(Block(Complete(records[0]), Complete(records[1])), Block(Complete(records[2]), Span(records[3], 100)[0]), Block(Span(records[3], 100)[1]));

        Assert.Equal(records, ReadAll(new PipeLikeStream(new MemoryStream(rdw), bytesPerRead)).Select(f => f.Record));
        Assert.Equal(records, ReadAll(new PipeLikeStream(new MemoryStream(vbs), bytesPerRead)).Select(f => f.Record));
    }

    [Fact]
    public void The_reader_leaves_the_stream_open_only_when_asked()
    {
        var kept = new MemoryStream(Connection("A"));
        using (new SmfRecordReader(kept, leaveOpen: true)) { }
        Assert.True(kept.CanRead);
        var closed = new MemoryStream(Connection("A"));
        using (new SmfRecordReader(closed)) { }
        Assert.False(closed.CanRead);
    }

    [Fact]
    public void Reading_200_MB_of_rdw_records_keeps_memory_bounded()
    {
        var pattern = Concat(Connection("MEMORY"), Summary("BOUNDED"), OtherRecord(30, 5, 333));
        var repeats = 200L * 1024 * 1024 / pattern.Length;
        var input = new RepeatingStream(pattern, repeats);
        using var reader = new SmfRecordReader(input);

        var before = GC.GetAllocatedBytesForCurrentThread();
        long frames = 0, bytes = 0;
        while (reader.TryReadNext(out var frame))
        {
            Assert.False(frame.IsError);
            frames++;
            bytes += frame.Record.Length;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(repeats * 3, frames);
        Assert.Equal(input.TotalLength, bytes);
        Assert.True(allocated < 16 * 1024 * 1024, $"reading {input.TotalLength:N0} bytes allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Reading_64_MB_of_vbs_blocks_with_spanned_records_keeps_memory_bounded()
    {
        var spanned = LongConnection();
        var parts = Span(spanned, 4000, 8000);
        var pattern = Concat(Block(Complete(Connection("A")), parts[0]), Block(parts[1]), Block(parts[2], Complete(Summary("B"))));
        var repeats = 64L * 1024 * 1024 / pattern.Length;
        using var reader = new SmfRecordReader(new RepeatingStream(pattern, repeats));

        var before = GC.GetAllocatedBytesForCurrentThread();
        long frames = 0, spannedSeen = 0;
        while (reader.TryReadNext(out var frame))
        {
            Assert.False(frame.IsError);
            frames++;
            if (frame.Record.Length == spanned.Length)
            {
                spannedSeen++;
                if (spannedSeen % 997 == 1) Assert.True(frame.Record.Span.SequenceEqual(spanned));
            }
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(repeats * 3, frames);
        Assert.Equal(repeats, spannedSeen);
        Assert.True(allocated < 16 * 1024 * 1024, $"allocated {allocated:N0} bytes");
    }
}
