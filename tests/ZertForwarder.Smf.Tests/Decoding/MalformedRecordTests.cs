using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Smf.Tests.Decoding;

/// <summary>
/// Broken and unusual records (layout spec §0, §1, §2.7, §6): each corruption is reported as Malformed with a reason
/// naming the problem, never thrown; other types / subtypes are classified and skipped; absent, shorter and longer
/// sections are tolerated, and so are DN entries the §2.7 walk cannot read (it stops there, the record decodes).
/// </summary>
public sealed class MalformedRecordTests
{
    private static SpecRecordBuilder FullConnection()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        FieldPlan.FillAll(builder, ipv6: false, "Identification", "Common", "IpFilter", "Tls", "Ssh", "Ipsec");
        return builder.AddDn(5, "CN=one,O=Example").AddDn(6, "CN=two CA");
    }

    private static void AssertMalformed(byte[] record, params string[] keywords)
    {
        var result = ZertRecordParser.Parse(record);
        Assert.True(result.Status == ZertParseStatus.Malformed, $"expected Malformed, got {result.Status}");
        Assert.Null(result.Record);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
        foreach (var keyword in keywords)
        {
            Assert.True(result.Error!.Contains(keyword, StringComparison.OrdinalIgnoreCase), $"reason '{result.Error}' does not mention '{keyword}'");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Too_few_triplets_is_malformed(ushort trn)
    {
        AssertMalformed(FullConnection().CorruptTripletCount(trn).Build(), "SMF119SD_TRN", trn.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(65535)]
    public void A_triplet_count_whose_triplets_cannot_fit_the_record_is_malformed(ushort trn)
    {
        AssertMalformed(FullConnection().CorruptTripletCount(trn).Build(), "SMF119SD_TRN", "triplets need");
    }

    [Fact]
    public void A_wrong_but_fitting_triplet_count_that_makes_triplets_overlap_sections_is_malformed()
    {
        // TRN 20: the "triplets" now run over the ID section, so the sections' offsets point inside the triplet area.
        AssertMalformed(FullConnection().CorruptTripletCount(20).Build(), "inside the header or the triplets");
    }

    [Theory]
    [InlineData(3, (ushort)2000, (ushort)1)] // TLS: 2000 bytes from its offset run past the end
    [InlineData(5, (ushort)236, (ushort)9)] // IPsec: Len x Num past the end
    [InlineData(1, (ushort)60000, (ushort)1)]
    public void A_triplet_past_the_end_of_the_record_is_malformed(int index, ushort length, ushort number)
    {
        AssertMalformed(FullConnection().CorruptTriplet(index, length: length, number: number).Build(), "past the end", $"triplet {index}");
    }

    [Fact]
    public void A_triplet_offset_far_beyond_the_record_is_malformed()
    {
        AssertMalformed(FullConnection().CorruptTriplet(4, offset: 0xFFFFFFF0).Build(), "triplet 4", "past the end");
    }

    [Theory]
    [InlineData(0, 10u)]  // ID section inside the SMF header
    [InlineData(1, 30u)]  // common section inside the triplets
    [InlineData(3, 83u)]  // TLS section over the last triplet (triplets end at 28 + 7 x 8 = 84)
    public void A_section_offset_into_the_header_or_triplets_is_malformed(int index, uint offset)
    {
        AssertMalformed(FullConnection().CorruptTriplet(index, offset: offset).Build(), "inside the header", $"triplet {index}");
    }

    [Theory]
    [InlineData(0, "identification")]
    [InlineData(1, "common")]
    public void A_missing_identification_or_common_section_is_malformed(int index, string keyword)
    {
        AssertMalformed(FullConnection().CorruptTriplet(index, length: 0).Build(), keyword, "missing");
        AssertMalformed(FullConnection().CorruptTriplet(index, number: 0).Build(), keyword, "missing");
        AssertMalformed(FullConnection().CorruptTriplet(index, offset: 0).Build(), keyword, "missing");
    }

    [Theory]
    [InlineData(null, (ushort)0, null)]
    [InlineData(null, null, (ushort)0)]
    [InlineData(0u, null, null)]
    public void A_zero_offset_length_or_number_means_the_optional_section_is_absent(uint? offset, ushort? length, ushort? number)
    {
        // §0: present only when Offset, Length and Number are all non-zero.
        var builder = FullConnection();
        for (var index = 2; index <= 5; index++) builder.CorruptTriplet(index, offset, length, number);
        var record = DecodedAssert.Decode(builder.Build());

        foreach (var section in new[] { ZertSection.IpFilter, ZertSection.Tls, ZertSection.Ssh, ZertSection.Ipsec }) Assert.False(record.HasSection(section));
        var json = DecodedAssert.RawJson(record);
        Assert.False(json.TryGetProperty("SMF119SC_TLS_Prot_Ver", out _));
        Assert.False(json.TryGetProperty("SMF119SC_IPSec_TunID", out _));
        Assert.True(json.TryGetProperty("SMF119SC_SAJobname", out _));
        Assert.Equal(2, record.DistinguishedNames.Count);
    }

    [Fact]
    public void A_zero_dn_number_means_no_dn_entries()
    {
        var record = DecodedAssert.Decode(FullConnection().CorruptDnCount(0).Build());
        Assert.Empty(record.DistinguishedNames);
        Assert.False(DecodedAssert.RawJson(record).TryGetProperty("SMF119SC_DN_Entries", out _));
    }

    [Theory]
    [InlineData(0u, null)]
    [InlineData(null, (ushort)0)]
    public void A_zero_dn_offset_or_length_also_means_no_dn_entries(uint? offset, ushort? length)
    {
        // §0 holds for the DN triplet too: its Len is no bound for the walk (§2.7), but a zero one still means absent.
        var record = DecodedAssert.Decode(FullConnection().CorruptTriplet(6, offset, length).Build());
        Assert.Empty(record.DistinguishedNames);
        Assert.True(record.HasSection(ZertSection.Tls));
        Assert.False(DecodedAssert.RawJson(record).TryGetProperty("SMF119SC_DN_Entries", out _));
    }

    // ---- the DN walk (§2.7, inferred): it stops at the first entry that cannot be read whole ---------------------

    /// <summary>
    /// The record decodes in full (every planned field of every section), with the DN entries read
    /// before the stop; the raw decode says how many were not read and keeps the bytes from the stop to the record end.
    /// </summary>
    private static void AssertWalkStopped(SpecRecordBuilder builder, IReadOnlyDictionary<string, PlannedValue> plan,
        (int Type, string Text)[] walked, int unwalkedCount, int stopOffset)
    {
        var bytes = builder.Build();
        var record = DecodedAssert.Decode(bytes);
        var json = DecodedAssert.RawJson(record);
        var prefix = builder.Subtype == 11 ? "SMF119SC_" : "SMF119SS_";

        DecodedAssert.Accessors(record, plan);
        DecodedAssert.Json(json, plan);
        Assert.Equal(walked, record.DistinguishedNames.Select(d => ((int)d.Type, record.GetDnText(d))));
        Assert.Equal(walked.Length, json.TryGetProperty(prefix + "DN_Entries", out var list) ? list.GetArrayLength() : 0);
        Assert.Equal(unwalkedCount, record.UnwalkedDnCount);
        Assert.Equal(bytes[stopOffset..], record.UnwalkedDnBytes.ToArray());
        Assert.Equal(unwalkedCount, json.GetProperty(prefix + "DN_UnwalkedCount").GetInt32());
        Assert.Equal(Convert.ToHexString(bytes[stopOffset..]), json.GetProperty(prefix + "DN_Unwalked").GetString());
    }

    private static SpecRecordBuilder FullConnection(out IReadOnlyDictionary<string, PlannedValue> plan)
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        plan = FieldPlan.FillAll(builder, ipv6: false, "Identification", "Common", "IpFilter", "Tls", "Ssh", "Ipsec");
        return builder;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_dn_entry_shorter_than_its_header_stops_the_walk_and_the_record_decodes(int dnLen)
    {
        var builder = FullConnection(out var plan).AddDn(5, "CN=ok").AddDn(6, "CN=bad", dnLenOverride: dnLen).AddDn(7, "CN=after");
        builder.Build();
        AssertWalkStopped(builder, plan, [(5, "CN=ok")], unwalkedCount: 2, stopOffset: builder.Offsets["DN"] + 4 + 5);
    }

    [Fact]
    public void A_dn_entry_running_past_the_record_end_stops_the_walk_and_what_follows_still_decodes()
    {
        // S7 lies after the DN entries: the unwalked bytes run over it (the record length is the walk's only bound),
        // and it is decoded from its own triplet all the same.
        var rule = SpecEncoding.EbcdicField("RULE-AFTER-DNS", 48);
        var builder = FullConnection(out var plan).AddDn(5, "CN=ok").AddDn(6, "CN=long", dnLenOverride: 500).WithEnforcement(rule);
        builder.Build();
        AssertWalkStopped(builder, plan, [(5, "CN=ok")], unwalkedCount: 1, stopOffset: builder.Offsets["DN"] + 4 + 5);
        var record = DecodedAssert.Decode(builder.Build());
        Assert.Equal("RULE-AFTER-DNS", record.GetTentativeEnforcementRuleName());
        Assert.Equal(SpecEncoding.Hex(rule), DecodedAssert.RawJson(record).GetProperty("SMF119SC_Enforcement_Raw").GetString());
    }

    [Theory]
    [InlineData((ushort)3)]
    [InlineData((ushort)60000)]
    public void A_dn_count_larger_than_the_entries_present_keeps_the_entries_and_counts_the_missing_ones(ushort number)
    {
        // The walk reaches the record end after the two real entries: nothing is left to keep but the count.
        var builder = FullConnection(out var plan).AddDn(5, "CN=one,O=Example").AddDn(6, "CN=two CA").CorruptDnCount(number);
        var length = builder.Build().Length;
        AssertWalkStopped(builder, plan, [(5, "CN=one,O=Example"), (6, "CN=two CA")], unwalkedCount: number - 2, stopOffset: length);
    }

    [Fact]
    public void Fewer_than_four_bytes_after_the_last_entry_stop_the_walk_and_are_kept()
    {
        var builder = FullConnection(out var plan).AddDn(5, "CN=one").CorruptDnCount(2).TrailingBytes(3);
        var length = builder.Build().Length;
        AssertWalkStopped(builder, plan, [(5, "CN=one")], unwalkedCount: 1, stopOffset: length - 3);
    }

    [Fact]
    public void A_dn_offset_too_close_to_the_record_end_for_a_header_reads_no_entry()
    {
        var builder = FullConnection(out var plan).AddDn(5, "CN=one");
        var length = builder.Build().Length;
        builder.CorruptTriplet(6, offset: (uint)(length - 2));
        AssertWalkStopped(builder, plan, [], unwalkedCount: 1, stopOffset: length - 2);
    }

    [Fact]
    public void A_summary_record_stops_its_dn_walk_the_same_way()
    {
        var builder = SpecRecordBuilder.Summary();
        var plan = FieldPlan.FillAll(builder, ipv6: true, "Identification", "Common", "Tls", "Ssh", "Ipsec");
        builder.AddDn(1, "CN=local").AddDn(3, "CN=remote", dnLenOverride: 1);
        builder.Build();
        AssertWalkStopped(builder, plan, [(1, "CN=local")], unwalkedCount: 1, stopOffset: builder.Offsets["DN"] + 4 + 8);
    }

    [Fact]
    public void A_complete_dn_walk_writes_no_unwalked_keys_even_with_bytes_after_the_entries()
    {
        // Bytes after the last announced entry are no DN entry that failed: the walk read all it was told to.
        var record = DecodedAssert.Decode(FullConnection().TrailingBytes(9).Build());
        var json = DecodedAssert.RawJson(record);

        Assert.Equal(2, record.DistinguishedNames.Count);
        Assert.Equal(0, record.UnwalkedDnCount);
        Assert.True(record.UnwalkedDnBytes.IsEmpty);
        Assert.False(json.TryGetProperty("SMF119SC_DN_UnwalkedCount", out _));
        Assert.False(json.TryGetProperty("SMF119SC_DN_Unwalked", out _));
    }

    [Theory]
    [InlineData(8u)]
    [InlineData(0x7FFFFFFFu)]
    public void A_dn_offset_outside_the_record_body_is_malformed(uint offset)
    {
        AssertMalformed(FullConnection().CorruptTriplet(6, offset: offset).Build(), "DN", "outside the record");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(-10)]
    [InlineData(-1)]
    public void An_rdw_length_that_disagrees_with_the_record_is_malformed(int delta)
    {
        AssertMalformed(FullConnection().CorruptRdwLength(delta).Build(), "SMF119LEN");
    }

    [Fact]
    public void A_truncated_record_is_malformed()
    {
        var full = FullConnection().Build();
        AssertMalformed(FullConnection().TruncateTo(full.Length - 100).Build(), "SMF119LEN says");
        AssertMalformed(FullConnection().TruncateTo(30).Build(), "SMF119LEN says");
    }

    [Fact]
    public void Records_too_short_for_their_structures_are_malformed_with_the_reason()
    {
        var full = FullConnection().Build();

        var beforeTriplets = full[..26];
        beforeTriplets[0] = 0;
        beforeTriplets[1] = 26;
        AssertMalformed(beforeTriplets, "self-defining section");

        var shortHeader = full[..20];
        shortHeader[1] = 20;
        AssertMalformed(shortHeader, "24-byte header");

        AssertMalformed(full[..5], "too short");
        AssertMalformed([], "too short");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(13)]
    [InlineData(0xFFFF)]
    public void Other_subtypes_of_type_119_are_skipped(int subtype)
    {
        var builder = FullConnection();
        builder.SubtypeField = (ushort)subtype;
        var result = ZertRecordParser.Parse(builder.Build());

        Assert.Equal(ZertParseStatus.OtherSubtype, result.Status);
        Assert.Equal(119, result.RecordType);
        Assert.Equal(subtype, result.Subtype);
        Assert.Null(result.Record);
        Assert.Null(result.Error);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(2)]
    [InlineData(118)]
    [InlineData(120)]
    public void Other_record_types_are_skipped(int type)
    {
        var builder = FullConnection();
        builder.RecordType = (byte)type;
        var result = ZertRecordParser.Parse(builder.Build());

        Assert.Equal(ZertParseStatus.OtherRecordType, result.Status);
        Assert.Equal(type, result.RecordType);
        Assert.Null(result.Record);
    }

    [Fact]
    public void Another_type_is_skipped_even_when_its_body_would_be_malformed_as_zert()
    {
        var builder = FullConnection().CorruptTripletCount(0).CorruptRdwLength(3);
        builder.RecordType = 30;
        Assert.Equal(ZertParseStatus.OtherRecordType, ZertRecordParser.Parse(builder.Build()).Status);
    }

    [Fact]
    public void Longer_sections_of_a_newer_release_decode_and_keep_their_tail_bytes()
    {
        // §0: IBM grows sections at the end; decode what is known, keep the rest (§6 step 3).
        var builder = SpecRecordBuilder.ConnectionDetail();
        var plan = FieldPlan.FillAll(builder, ipv6: true, "Common", "Tls", "Ipsec");
        builder.Section("Tls", 168 + 6).Section("Ipsec", 236 + 3);
        builder.SectionBytes("Tls").AsSpan(168).Fill(0xAB);
        builder.SectionBytes("Ipsec").AsSpan(236).Fill(0xCD);
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        DecodedAssert.Accessors(record, plan);
        DecodedAssert.Json(json, plan);
        Assert.Equal(Enumerable.Repeat((byte)0xAB, 6), record.UnknownTail(ZertSection.Tls).ToArray());
        Assert.Equal("ABABABABABAB", json.GetProperty("SMF119SC_Tls_UnknownTail").GetString());
        Assert.Equal("CDCDCD", json.GetProperty("SMF119SC_Ipsec_UnknownTail").GetString());
        Assert.False(json.TryGetProperty("SMF119SC_Common_UnknownTail", out _));
    }

    [Fact]
    public void A_triplet_with_number_above_one_decodes_the_first_instance_and_keeps_the_others_as_hex()
    {
        // §0 / §6 steps 2-3: Offset + Len x Num is the extent; the decoder knows one instance of each section, so the
        // further instances are bytes it does not interpret, kept as hex like a longer section's tail.
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_TLS_Prot_Ver", 0x0303).Section("Tls", 3 * 168);
        builder.SectionBytes("Tls").AsSpan(168, 168).Fill(0xAB);
        builder.SectionBytes("Tls").AsSpan(336, 168).Fill(0xCD);
        builder.CorruptTriplet(3, length: 168, number: 3);
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.True(record.TryGetUnsigned(ZertFields.SC_TLS_Prot_Ver, out var version));
        Assert.Equal(0x0303UL, version);
        Assert.True(record.UnknownTail(ZertSection.Tls).IsEmpty);
        var further = string.Concat(Enumerable.Repeat("AB", 168)) + string.Concat(Enumerable.Repeat("CD", 168));
        Assert.Equal(further, json.GetProperty("SMF119SC_Tls_FurtherInstances").GetString());
        Assert.False(json.TryGetProperty("SMF119SC_Tls_UnknownTail", out _));
        Assert.False(json.TryGetProperty("SMF119SC_Common_FurtherInstances", out _));
    }

    [Fact]
    public void A_short_or_long_identification_section_decodes_as_far_as_it_goes()
    {
        var shortId = SpecRecordBuilder.ConnectionDetail();
        shortId.SetText("SMF119TI_SYSName", "SYSA").SetText("SMF119TI_SysplexName", "PLEX1").SetText("SMF119TI_Stack", "TCPIP").Section("Identification", 20);
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(shortId.Build()));
        Assert.Equal("SYSA", json.GetProperty("SMF119TI_SYSName").GetString());
        Assert.Equal("PLEX1", json.GetProperty("SMF119TI_SysplexName").GetString());
        Assert.False(json.TryGetProperty("SMF119TI_Stack", out _)); // 16-23 is cut at 20
        Assert.False(json.TryGetProperty("SMF119TI_Reason", out _));

        var longId = SpecRecordBuilder.ConnectionDetail();
        longId.Set("SMF119TI_Reason", 0x08).Section("Identification", 68);
        longId.SectionBytes("Identification").AsSpan(64).Fill(0x77);
        json = DecodedAssert.RawJson(DecodedAssert.Decode(longId.Build()));
        Assert.Equal(8, json.GetProperty("SMF119TI_Reason").GetInt32());
        Assert.Equal("77777777", json.GetProperty("SMF119SC_Identification_UnknownTail").GetString());
    }

    [Fact]
    public void A_header_time_past_the_end_of_the_day_is_written_as_its_number()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.TimeHundredths = 9_000_000;
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));
        Assert.Equal(9_000_000, json.GetProperty("SMF119TME").GetInt32());
    }

    [Fact]
    public void A_longer_summary_common_section_keeps_its_tail()
    {
        var builder = SpecRecordBuilder.Summary();
        builder.Set("SMF119SS_SAEndFailedHsConnCnt", 4).Section("Common", 220);
        builder.SectionBytes("Common").AsSpan(212).Fill(0x11);
        var record = DecodedAssert.Decode(builder.Build());

        Assert.True(record.TryGetUnsigned(ZertFields.SS_SAEndFailedHsConnCnt, out var failed));
        Assert.Equal(4UL, failed);
        Assert.Equal("1111111111111111", DecodedAssert.RawJson(record).GetProperty("SMF119SS_Common_UnknownTail").GetString());
    }

    [Fact]
    public void Shorter_119_11_sections_decode_as_far_as_they_go()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        var plan = FieldPlan.FillAll(builder, ipv6: false, "Tls", "Ssh");
        builder.Section("Tls", 70).Section("Ssh", 8); // TLS up to CryptoFlags; SSH up to the 3.2 flags byte
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        var fitting = plan.Where(p => p.Value.Field.Offset + p.Value.Field.Length <= (p.Key.Contains("_TLS_", StringComparison.Ordinal) ? 70 : 8)).ToDictionary();
        Assert.Contains("SMF119SC_TLS_CryptoFlags", fitting.Keys);
        Assert.Contains("SMF119SC_SSH_Flags", fitting.Keys);
        DecodedAssert.Accessors(record, fitting);
        DecodedAssert.Json(json, fitting);
        foreach (var absent in plan.Keys.Except(fitting.Keys)) Assert.False(json.TryGetProperty(absent, out _), absent);
        Assert.Null(record.GetHex(ZertFields.SC_TLS_SCert_Serial));
    }

    [Fact]
    public void A_hex_field_cut_off_by_the_section_end_is_absent_though_its_length_byte_is_there()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetHex("SMF119SC_TLS_Session_ID", Enumerable.Repeat((byte)0x5A, 32).ToArray(), 32).Section("Tls", 20);
        var record = DecodedAssert.Decode(builder.Build());

        Assert.True(record.TryGetUnsigned(ZertFields.SC_TLS_Session_ID_Len, out var len));
        Assert.Equal(32UL, len);
        Assert.Null(record.GetHex(ZertFields.SC_TLS_Session_ID));
    }

    [Fact]
    public void A_field_cut_off_by_the_section_end_keeps_its_bytes_as_hex_in_the_raw_decode()
    {
        // A TLS section of 20 bytes ends 12 bytes into the 32-byte Session_ID (offset 8): the field has no value, and
        // its 12 bytes are in the raw decode as <name>_Partial; the fields before it and the tail rules are unchanged.
        var builder = SpecRecordBuilder.ConnectionDetail();
        var sessionId = Enumerable.Range(0xA0, 32).Select(i => (byte)i).ToArray();
        builder.Set("SMF119SC_TLS_Prot_Ver", 0x0303).SetHex("SMF119SC_TLS_Session_ID", sessionId, 32).Section("Tls", 20);
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.Equal(sessionId[..12], record.PartialFieldBytes(ZertFields.SC_TLS_Session_ID).ToArray());
        Assert.Equal(Convert.ToHexString(sessionId[..12]), json.GetProperty("SMF119SC_TLS_Session_ID_Partial").GetString());
        Assert.False(json.TryGetProperty("SMF119SC_TLS_Session_ID", out _));
        Assert.Equal(0x0303, json.GetProperty("SMF119SC_TLS_Prot_Ver").GetInt32());
        // Whole fields and fields past the section end have no partial bytes.
        Assert.True(record.PartialFieldBytes(ZertFields.SC_TLS_Prot_Ver).IsEmpty);
        Assert.True(record.PartialFieldBytes(ZertFields.SC_TLS_Protocol_Provider).IsEmpty);
        Assert.False(json.TryGetProperty("SMF119SC_TLS_Protocol_Provider_Partial", out _));
    }

    [Fact]
    public void Hex_fields_clamp_a_length_byte_larger_than_the_field()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        var sessionId = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var fingerprint = Enumerable.Range(0x40, 64).Select(i => (byte)i).ToArray();
        builder.SetHex("SMF119SC_TLS_Session_ID", sessionId, 0xFF)       // 255 > 32
            .SetHex("SMF119SC_SSH_SKey_FP", fingerprint, 0x0100)         // 256 > 64, a 2-byte length
            .SetHex("SMF119SC_TLS_SCert_Serial", [0x01, 0x02, 0x03], 33); // 33 > 20: the serial reads 20 bytes, not 21
        builder.SetBytes("SMF119SC_TLS_SCert_Time_Type", [0x01]);        // the byte after the serial is not included
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.Equal(SpecEncoding.Hex(sessionId), json.GetProperty("SMF119SC_TLS_Session_ID").GetString());
        Assert.Equal(SpecEncoding.Hex(fingerprint), json.GetProperty("SMF119SC_SSH_SKey_FP").GetString());
        Assert.Equal("010203" + new string('0', 34), json.GetProperty("SMF119SC_TLS_SCert_Serial").GetString());
        Assert.Equal(255UL, json.GetProperty("SMF119SC_TLS_Session_ID_Len").GetUInt64());
    }

    [Fact]
    public void Hex_fields_with_length_zero_are_empty()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetHex("SMF119SC_TLS_Session_ID", [0xAA, 0xBB], 0).SetHex("SMF119SC_SSH_CKey_FP", [0xCC], 0);
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.Null(record.GetHex(ZertFields.SC_TLS_Session_ID));
        Assert.Equal("", json.GetProperty("SMF119SC_TLS_Session_ID").GetString());
        Assert.Equal("", json.GetProperty("SMF119SC_SSH_CKey_FP").GetString());
    }

    [Fact]
    public void Ike_versions_use_only_the_low_four_bits()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_IPSec_IKEMajVer", 0xF2).Set("SMF119SC_IPSec_IKEMinVer", 0x30);
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));
        Assert.Equal(2, json.GetProperty("SMF119SC_IPSec_IKEMajVer").GetInt32());
        Assert.Equal(0, json.GetProperty("SMF119SC_IPSec_IKEMinVer").GetInt32());
    }

    [Fact]
    public void A_trn_larger_than_known_is_tolerated_and_the_future_sections_ignored()
    {
        // §6 step 2: tolerate TRN larger than you know (future triplets).
        var builder = FullConnection().WithEnforcement(SpecEncoding.EbcdicField("RULE1", 48)).WithFutureSection([9, 9, 9]).WithFutureSection([8, 8]);
        builder.Set("SMF119SC_SARPort", 8443);
        var bytes = builder.Build();
        var record = DecodedAssert.Decode(bytes);

        Assert.Equal(10, record.TripletCount);
        Assert.True(record.TryGetUnsigned(ZertFields.SC_SARPort, out var port));
        Assert.Equal(8443UL, port);
        Assert.Equal("RULE1", record.GetTentativeEnforcementRuleName());
        Assert.Equal(2, record.DistinguishedNames.Count);
        Assert.Equal(10, DecodedAssert.RawJson(record).GetProperty("SMF119SD_TRN").GetInt32());
    }

    [Fact]
    public void A_future_triplet_pointing_into_the_header_does_not_break_the_known_sections()
    {
        // Decoder choice: future triplets are not interpreted at all, so their values are not validated either.
        var builder = FullConnection().WithEnforcement([1]).WithFutureSection([7]);
        builder.CorruptTriplet(8, offset: 4, length: 60000, number: 9);
        Assert.Equal(ZertParseStatus.Decoded, ZertRecordParser.Parse(builder.Build()).Status);
    }

    [Fact]
    public void A_broken_enforcement_triplet_of_a_trn_8_record_is_malformed()
    {
        var builder = FullConnection().WithEnforcement(new byte[48]).CorruptTriplet(7, length: 5000);
        AssertMalformed(builder.Build(), "triplet 7", "Enforcement", "past the end");
    }

    [Fact]
    public void A_trn_6_connection_record_of_an_imaginary_older_release_decodes_without_dn_entries()
    {
        // With TRN 6 the DN triplet (index 6) does not exist, whatever bytes follow.
        var builder = FullConnection().CorruptTripletCount(6);
        var record = DecodedAssert.Decode(builder.Build());
        Assert.Equal(6, record.TripletCount);
        Assert.Empty(record.DistinguishedNames);
        Assert.True(record.HasSection(ZertSection.Ipsec));
    }
}
