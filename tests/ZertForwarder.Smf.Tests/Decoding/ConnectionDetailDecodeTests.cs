using System.Net;
using System.Text.Json;
using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Smf.Tests.Decoding;

/// <summary>119-11 connection detail (layout spec §2): every field of every section, set distinctively, read back.</summary>
public sealed class ConnectionDetailDecodeTests
{
    private static readonly string[] AllSections = ["Identification", "Common", "IpFilter", "Tls", "Ssh", "Ipsec"];

    /// <summary>Header keys of the raw JSON (§1.1 names; SMF119SEG is always zero in a logical record and is not written).</summary>
    internal static readonly string[] HeaderKeys =
        ["SMF119LEN", "SMF119FLG", "SMF119RTY", "SMF119TME", "SMF119DTE", "SMF119SID", "SMF119SSI", "SMF119STY", "SMF119SD_TRN"];

    private static (byte[] Record, Dictionary<string, PlannedValue> Plan) FullRecord(bool ipv6)
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        var plan = FieldPlan.FillAll(builder, ipv6, AllSections);
        builder.AddDn(5, "CN=server.example.com,O=Example,C=US")
            .AddDn(6, "CN=Example Issuing CA 2,O=Example")
            .AddDn(12, "CN=ssh-ca  ");
        return (builder.Build(), plan);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_field_of_every_section_reads_back_through_the_record_accessors(bool ipv6)
    {
        var (bytes, plan) = FullRecord(ipv6);
        var record = DecodedAssert.Decode(bytes);

        Assert.Equal(11, record.Subtype);
        Assert.Equal(7, record.TripletCount);
        Assert.Equal(ipv6, record.IsIpv6);
        foreach (var section in new[] { ZertSection.Identification, ZertSection.Common, ZertSection.IpFilter, ZertSection.Tls, ZertSection.Ssh, ZertSection.Ipsec })
        {
            Assert.True(record.HasSection(section), section.ToString());
        }
        Assert.False(record.HasSection(ZertSection.Enforcement));
        Assert.Equal(128 + 100 + 168 + 284 + 236 + 64, AllSections.Sum(s => record.SectionBytes(Enum.Parse<ZertSection>(s)).Length));
        DecodedAssert.Accessors(record, plan);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_field_of_every_section_is_in_the_raw_json_under_its_IBM_name(bool ipv6)
    {
        var (bytes, plan) = FullRecord(ipv6);
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(bytes));

        DecodedAssert.Json(json, plan);
        Assert.Equal(bytes.Length, json.GetProperty("SMF119LEN").GetInt32());
        Assert.Equal(119, json.GetProperty("SMF119RTY").GetInt32());
        Assert.Equal(11, json.GetProperty("SMF119STY").GetInt32());
        Assert.Equal(7, json.GetProperty("SMF119SD_TRN").GetInt32());
    }

    [Fact]
    public void The_raw_json_holds_exactly_the_header_the_non_reserved_fields_and_the_dn_list()
    {
        var (bytes, _) = FullRecord(ipv6: false);
        var keys = DecodedAssert.Keys(DecodedAssert.RawJson(DecodedAssert.Decode(bytes)));

        var expected = new HashSet<string>(HeaderKeys) { "SMF119SC_DN_Entries" };
        foreach (var section in AllSections)
        {
            foreach (var field in SpecLayout.Section(11, section).Fields.Where(f => f.IsOutput)) expected.Add(field.Name);
        }
        Assert.Empty(keys.Except(expected)); // e.g. no reserved field, no unknown tail of a full-length section
        Assert.Empty(expected.Except(keys)); // no field missing
        Assert.DoesNotContain(keys, k => k.Contains("Rsvd", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Reserved_bytes_do_not_leak_into_neighbouring_fields()
    {
        // Only reserved bytes are set (to X'EE'); every real field next to them must still read zero / blank.
        var builder = SpecRecordBuilder.ConnectionDetail();
        foreach (var section in AllSections)
        {
            builder.Section(section);
            foreach (var field in SpecLayout.Section(11, section).Fields.Where(f => f.Kind == SpecKind.Reserved))
            {
                builder.SetBytes(field.Name, Enumerable.Repeat(FieldPlan.ReservedGarbage, field.Length).ToArray());
            }
        }
        var record = DecodedAssert.Decode(builder.Build());

        foreach (var field in AllSections.SelectMany(s => SpecLayout.Section(11, s).Fields).Where(f => f.Kind is SpecKind.Number or SpecKind.Code or SpecKind.Flags or SpecKind.HexLength))
        {
            Assert.True(record.TryGetUnsigned(DecodedAssert.DecoderField(11, field.Name), out var value));
            Assert.True(value == 0, $"{field.Name} reads {value:X} from reserved bytes");
        }
    }

    [Fact]
    public void Dn_entries_are_walked_by_their_own_length_in_record_order()
    {
        var (bytes, _) = FullRecord(ipv6: false);
        var record = DecodedAssert.Decode(bytes);

        Assert.Equal([5, 6, 12], record.DistinguishedNames.Select(d => (int)d.Type));
        Assert.Equal("CN=server.example.com,O=Example,C=US", record.GetDnText(record.DistinguishedNames[0]));
        Assert.Equal("CN=Example Issuing CA 2,O=Example", record.GetDnText(record.DistinguishedNames[1]));
        Assert.Equal("CN=ssh-ca", record.GetDnText(record.DistinguishedNames[2])); // trailing blanks trimmed

        var list = DecodedAssert.RawJson(record).GetProperty("SMF119SC_DN_Entries").EnumerateArray().ToArray();
        Assert.Equal(3, list.Length);
        Assert.Equal(5, list[0].GetProperty("SMF119SC_DN_Type").GetInt32());
        Assert.Equal("CN=server.example.com,O=Example,C=US", list[0].GetProperty("SMF119SC_DN").GetString());
        Assert.Equal(6, list[1].GetProperty("SMF119SC_DN_Type").GetInt32());
        Assert.Equal("CN=Example Issuing CA 2,O=Example", list[1].GetProperty("SMF119SC_DN").GetString());
        Assert.Equal(12, list[2].GetProperty("SMF119SC_DN_Type").GetInt32());
        Assert.Equal("CN=ssh-ca", list[2].GetProperty("SMF119SC_DN").GetString());
    }

    [Fact]
    public void All_twelve_dn_types_decode_and_the_dn_triplet_length_is_not_used_as_a_bound()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        for (ushort type = 1; type <= 12; type++) builder.AddDn(type, $"CN=name{type},OU=unit {type}");
        builder.DnTripletLength(4); // §2.7: what S6Len holds is unknown; the walk must rely on DN_Len only
        var record = DecodedAssert.Decode(builder.Build());

        Assert.Equal(Enumerable.Range(1, 12), record.DistinguishedNames.Select(d => (int)d.Type));
        for (var i = 0; i < 12; i++) Assert.Equal($"CN=name{i + 1},OU=unit {i + 1}", record.GetDnText(record.DistinguishedNames[i]));
    }

    [Fact]
    public void A_dn_entry_with_only_its_header_has_empty_text()
    {
        var builder = SpecRecordBuilder.ConnectionDetail().AddDn(7, "").AddDn(8, "CN=after");
        var record = DecodedAssert.Decode(builder.Build());

        Assert.Equal("", record.GetDnText(record.DistinguishedNames[0]));
        Assert.Equal("CN=after", record.GetDnText(record.DistinguishedNames[1]));
    }

    [Fact]
    public void Enforcement_section_of_a_trn_8_record_is_kept_raw_and_the_rule_name_only_on_request()
    {
        // §2.6: layout unknown; keep the raw bytes, tentatively surface bytes 0-47 as a rule name behind a flag.
        var raw = SpecEncoding.EbcdicField("ZERT-DENY-OLD-TLS", 48).Concat(new byte[] { 0x01, 0x02, 0xFF, 0x00 }).ToArray();
        var builder = SpecRecordBuilder.ConnectionDetail().WithEnforcement(raw);
        builder.Set("SMF119SC_SAEvent_Type", 7);
        var bytes = builder.Build();
        var record = DecodedAssert.Decode(bytes);

        Assert.Equal(8, record.TripletCount);
        Assert.True(record.HasSection(ZertSection.Enforcement));
        Assert.Equal(raw, record.SectionBytes(ZertSection.Enforcement).ToArray());
        Assert.Equal("ZERT-DENY-OLD-TLS", record.GetTentativeEnforcementRuleName());

        var plain = DecodedAssert.RawJson(record);
        Assert.Equal(8, plain.GetProperty("SMF119SD_TRN").GetInt32());
        Assert.Equal(SpecEncoding.Hex(raw), plain.GetProperty("SMF119SC_Enforcement_Raw").GetString());
        Assert.False(plain.TryGetProperty("SMF119SC_Enforcement_RuleName", out _));
        var flagged = DecodedAssert.RawJson(record, surfaceEnforcementRuleName: true);
        Assert.Equal("ZERT-DENY-OLD-TLS", flagged.GetProperty("SMF119SC_Enforcement_RuleName").GetString());
    }

    [Fact]
    public void A_v2r5_record_with_trn_8_and_a_zero_s7_triplet_has_no_enforcement_section()
    {
        // §1.2: V2R5+ stacks write 8 triplets; the S7 triplet is zero when the event is not an enforcement audit.
        var builder = SpecRecordBuilder.ConnectionDetail().WithEnforcement(new byte[8]).CorruptTriplet(7, offset: 0, length: 0, number: 0);
        var record = DecodedAssert.Decode(builder.Build());

        Assert.Equal(8, record.TripletCount);
        Assert.False(record.HasSection(ZertSection.Enforcement));
        Assert.False(DecodedAssert.RawJson(record).TryGetProperty("SMF119SC_Enforcement_Raw", out _));
    }

    [Fact]
    public void A_trn_7_record_has_no_enforcement_section_even_if_bytes_follow_the_triplets()
    {
        var record = DecodedAssert.Decode(SpecRecordBuilder.ConnectionDetail().TrailingBytes(16).Build());

        Assert.False(record.HasSection(ZertSection.Enforcement));
        Assert.Null(record.GetTentativeEnforcementRuleName());
        Assert.False(DecodedAssert.RawJson(record).TryGetProperty("SMF119SC_Enforcement_Raw", out _));
    }

    [Fact]
    public void IPv4_addresses_sit_in_bytes_0_to_3_when_the_ipv6_flag_is_off()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_SAFlags", 0x10)
            .SetIp("SMF119SC_SARIP", IPAddress.Parse("192.168.1.20"))
            .SetIp("SMF119SC_SALIP", IPAddress.Parse("10.0.0.1"))
            .SetIp("SMF119SC_IPSec_IKETunLclEndpt", IPAddress.Parse("172.16.0.1"))
            .SetIp("SMF119SC_IPSec_IKETunRmtEndpt", IPAddress.Parse("172.16.0.2"));
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.False(record.IsIpv6);
        Assert.Equal("192.168.1.20", json.GetProperty("SMF119SC_SARIP").GetString());
        Assert.Equal("10.0.0.1", json.GetProperty("SMF119SC_SALIP").GetString());
        Assert.Equal("172.16.0.1", json.GetProperty("SMF119SC_IPSec_IKETunLclEndpt").GetString());
        Assert.Equal("172.16.0.2", json.GetProperty("SMF119SC_IPSec_IKETunRmtEndpt").GetString());
        Assert.True(record.TryGetAddress(ZertFields.SC_SARIP, out var remote));
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, remote.AddressFamily);
    }

    [Fact]
    public void IPv6_addresses_use_all_16_bytes_when_the_flag_is_on_and_mapped_addresses_stay_as_the_stack_gives_them()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_SAFlags", 0x80)
            .SetIp("SMF119SC_SARIP", IPAddress.Parse("2001:db8::1:2"))
            .SetIp("SMF119SC_SALIP", IPAddress.Parse("::ffff:10.1.2.3"))
            .SetIp("SMF119SC_IPSec_IKETunLclEndpt", IPAddress.Parse("fe80::1"));
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.True(record.IsIpv6);
        Assert.Equal(IPAddress.Parse("2001:db8::1:2"), IPAddress.Parse(json.GetProperty("SMF119SC_SARIP").GetString()!));
        Assert.Equal(IPAddress.Parse("::ffff:10.1.2.3"), IPAddress.Parse(json.GetProperty("SMF119SC_SALIP").GetString()!));
        Assert.Equal(IPAddress.Parse("fe80::1"), IPAddress.Parse(json.GetProperty("SMF119SC_IPSec_IKETunLclEndpt").GetString()!));
        // The IKE remote endpoint was left zero: with the flag on it is the IPv6 unspecified address.
        Assert.Equal(IPAddress.IPv6Any, IPAddress.Parse(json.GetProperty("SMF119SC_IPSec_IKETunRmtEndpt").GetString()!));
    }

    [Fact]
    public void An_ipv4_field_with_nonzero_bytes_4_to_15_is_shown_whole_rather_than_truncated()
    {
        // Decoder rule (ZertRecord.TryGetAddress): bytes 4-15 of an IPv4 field must be zero (§0); if not, the 16 bytes
        // are kept as IPv6 so a real record proving the flag rule wrong loses nothing.
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetBytes("SMF119SC_SARIP", [0x0A, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
        var record = DecodedAssert.Decode(builder.Build());

        Assert.True(record.TryGetAddress(ZertFields.SC_SARIP, out var address));
        Assert.Equal(IPAddress.Parse("a00:1::9"), address);
    }

    [Fact]
    public void Text_fields_drop_trailing_blanks_and_zeros_but_keep_inner_blanks()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetText("SMF119SC_TLS_Protocol_Provider", "IBM System SSL")
            .SetText("SMF119SC_TLS_Neg_Cipher", "C02F")
            .SetBytes("SMF119SC_SAJobname", [.. SpecEncoding.Ebcdic("FTPD1"), 0x00, 0x00, 0x00]) // zero padded
            .SetText("SMF119SC_SAUserID", "");                                                  // all blank
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.Equal("IBM System SSL", record.GetText(ZertFields.SC_TLS_Protocol_Provider));
        Assert.Equal("C02F", json.GetProperty("SMF119SC_TLS_Neg_Cipher").GetString());
        Assert.Equal("FTPD1", json.GetProperty("SMF119SC_SAJobname").GetString());
        Assert.Null(record.GetText(ZertFields.SC_SAUserID));
        Assert.Equal("", json.GetProperty("SMF119SC_SAUserID").GetString());
    }

    [Fact]
    public void Failed_tls_handshake_of_z_os_3_2_keeps_the_ffffff_cipher_and_unknown_version()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_SASecProtos", 0x80)
            .Set("SMF119SC_TLS_Prot_Ver", 0x0000)
            .Set("SMF119SC_TLS_Source", 2)
            .Set("SMF119SC_TLS_Handshake_Type", 3)
            .SetText("SMF119SC_TLS_Protocol_Provider", "IBM System SSL")
            .SetText("SMF119SC_TLS_Neg_Cipher", "FFFFFF");
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));

        Assert.Equal("FFFFFF", json.GetProperty("SMF119SC_TLS_Neg_Cipher").GetString());
        Assert.Equal(3, json.GetProperty("SMF119SC_TLS_Handshake_Type").GetInt32());
        Assert.Equal(0, json.GetProperty("SMF119SC_TLS_Prot_Ver").GetInt32());
        Assert.Equal("", json.GetProperty("SMF119SC_TLS_Session_ID").GetString()); // Session_ID_Len 0
        Assert.Equal("", json.GetProperty("SMF119SC_TLS_SCert_Time").GetString()); // blank, type 0
    }

    [Fact]
    public void Section_order_in_the_record_does_not_matter_only_the_triplets_do()
    {
        // §1: "a decoder must use the triplet offsets, not assumed positions": move the common section to the end of
        // the record, zero its usual place and point its triplet at the new place.
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetText("SMF119SC_SAJobname", "MOVED").Set("SMF119SC_SARPort", 4443);
        var original = builder.Build();
        var commonAt = builder.Offsets["Common"];
        var moved = new byte[original.Length + 128];
        original.CopyTo(moved, 0);
        original.AsSpan(commonAt, 128).CopyTo(moved.AsSpan(original.Length));
        moved.AsSpan(commonAt, 128).Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(moved, (ushort)moved.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(moved.AsSpan(36), (uint)original.Length); // SMF119S1Off

        var record = DecodedAssert.Decode(moved);
        Assert.Equal("MOVED", record.GetText(ZertFields.SC_SAJobname));
        Assert.True(record.TryGetUnsigned(ZertFields.SC_SARPort, out var port));
        Assert.Equal(4443UL, port);
    }

    [Fact]
    public void Header_fields_are_in_the_raw_json()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.TimeHundredths = SpecEncoding.Hundredths(23, 59, 59, 99);
        builder.HeaderDate = SpecEncoding.PackedDate(2025, 1);
        builder.SystemId = "MV41";
        builder.SubsystemId = "TCP";
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));

        Assert.Equal("23:59:59.99", json.GetProperty("SMF119TME").GetString());
        Assert.Equal("2025-01-01", json.GetProperty("SMF119DTE").GetString());
        Assert.Equal("MV41", json.GetProperty("SMF119SID").GetString());
        Assert.Equal("TCP", json.GetProperty("SMF119SSI").GetString());
        Assert.Equal(0x5E, json.GetProperty("SMF119FLG").GetInt32());
    }

    [Fact]
    public void Ids_and_common_only_record_like_an_enable_event_decodes_with_other_sections_absent()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_SAEvent_Type", 5).Set("SMF119TI_Reason", 0x08);
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.False(record.HasSection(ZertSection.Tls));
        Assert.False(record.TryGetUnsigned(ZertFields.SC_TLS_Prot_Ver, out _));
        Assert.Null(record.GetHex(ZertFields.SC_TLS_Session_ID));
        Assert.Empty(record.DistinguishedNames);
        Assert.False(json.TryGetProperty("SMF119SC_TLS_Prot_Ver", out _));
        Assert.False(json.TryGetProperty("SMF119SC_IPFlt_OutAct", out _));
        Assert.False(json.TryGetProperty("SMF119SC_DN_Entries", out _));
        Assert.Equal(5, json.GetProperty("SMF119SC_SAEvent_Type").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("SMF119SC_SAEDate").ValueKind); // zero end date = not set (§C.3)
    }
}
