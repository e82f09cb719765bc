using System.Net;
using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Smf.Tests.Decoding;

/// <summary>119-12 summary records (layout spec §3), z/OS 3.2 section lengths and the older shorter forms.</summary>
public sealed class SummaryDecodeTests
{
    private static readonly string[] AllSections = ["Identification", "Common", "Tls", "Ssh", "Ipsec"];

    private static (byte[] Record, Dictionary<string, PlannedValue> Plan) FullRecord(bool ipv6)
    {
        var builder = SpecRecordBuilder.Summary();
        var plan = FieldPlan.FillAll(builder, ipv6, AllSections);
        builder.AddDn(1, "CN=IKE local,O=Bank").AddDn(4, "CN=Peer CA,O=Partner  ");
        return (builder.Build(), plan);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_field_of_every_3_2_section_reads_back_through_the_record_accessors(bool ipv6)
    {
        var (bytes, plan) = FullRecord(ipv6);
        var record = DecodedAssert.Decode(bytes);

        Assert.Equal(12, record.Subtype);
        Assert.Equal(6, record.TripletCount);
        Assert.Equal(ipv6, record.IsIpv6);
        Assert.Equal(212, record.SectionBytes(ZertSection.Common).Length);
        Assert.Equal(116, record.SectionBytes(ZertSection.Tls).Length);
        Assert.Equal(46, record.SectionBytes(ZertSection.Ssh).Length);
        Assert.Equal(148, record.SectionBytes(ZertSection.Ipsec).Length);
        Assert.False(record.HasSection(ZertSection.IpFilter));
        DecodedAssert.Accessors(record, plan);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_field_of_every_3_2_section_is_in_the_raw_json_under_its_IBM_name(bool ipv6)
    {
        var (bytes, plan) = FullRecord(ipv6);
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(bytes));

        DecodedAssert.Json(json, plan);
        Assert.Equal(12, json.GetProperty("SMF119STY").GetInt32());
        Assert.Equal(6, json.GetProperty("SMF119SD_TRN").GetInt32());
    }

    [Fact]
    public void The_raw_json_holds_exactly_the_header_the_non_reserved_fields_and_the_dn_list()
    {
        var (bytes, _) = FullRecord(ipv6: false);
        var keys = DecodedAssert.Keys(DecodedAssert.RawJson(DecodedAssert.Decode(bytes)));

        var expected = new HashSet<string>(ConnectionDetailDecodeTests.HeaderKeys) { "SMF119SS_DN_Entries" };
        foreach (var section in AllSections)
        {
            foreach (var field in SpecLayout.Section(12, section).Fields.Where(f => f.IsOutput)) expected.Add(field.Name);
        }
        Assert.Empty(keys.Except(expected));
        Assert.Empty(expected.Except(keys));
    }

    [Fact]
    public void Dn_entries_of_a_summary_record_are_listed_under_the_SS_prefix()
    {
        var (bytes, _) = FullRecord(ipv6: false);
        var record = DecodedAssert.Decode(bytes);
        var list = DecodedAssert.RawJson(record).GetProperty("SMF119SS_DN_Entries").EnumerateArray().ToArray();

        Assert.Equal([1, 4], record.DistinguishedNames.Select(d => (int)d.Type));
        Assert.Equal(2, list.Length);
        Assert.Equal(1, list[0].GetProperty("SMF119SS_DN_Type").GetInt32());
        Assert.Equal("CN=IKE local,O=Bank", list[0].GetProperty("SMF119SS_DN").GetString());
        Assert.Equal(4, list[1].GetProperty("SMF119SS_DN_Type").GetInt32());
        Assert.Equal("CN=Peer CA,O=Partner", list[1].GetProperty("SMF119SS_DN").GetString());
    }

    [Fact]
    public void Pre_3_2_sections_decode_as_far_as_they_go_and_the_3_2_fields_are_absent()
    {
        // §3.1: counters at 204/208 valid only when S1Len >= 212; §3.2 TLS 36 bytes before 3.2; §3.4 IPsec 74.
        var builder = SpecRecordBuilder.Summary();
        var plan = FieldPlan.FillAll(builder, ipv6: false, "Common", "Tls", "Ipsec");
        builder.Section("Common", 204).Section("Tls", 36).Section("Ipsec", 74);
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        var older = plan.Where(p => FitsIn(p.Value.Field, p.Value.Field.Name.StartsWith("SMF119SS_TLS_", StringComparison.Ordinal) ? 36
            : p.Value.Field.Name.StartsWith("SMF119SS_IPSec_", StringComparison.Ordinal) ? 74 : 204)).ToDictionary();
        var newer = plan.Keys.Except(older.Keys).ToArray();
        Assert.Equal(
            ["SMF119SS_IPSec_LclCert_Serial", "SMF119SS_IPSec_LclCert_Serial_Len", "SMF119SS_IPSec_LclCert_Time", "SMF119SS_IPSec_LclCert_Time_Type",
             "SMF119SS_IPSec_RmtCert_Serial", "SMF119SS_IPSec_RmtCert_Serial_Len", "SMF119SS_IPSec_RmtCert_Time", "SMF119SS_IPSec_RmtCert_Time_Type",
             "SMF119SS_SAEndFailedHsConnCnt", "SMF119SS_SAInitFailedHsConnCnt",
             "SMF119SS_TLS_CCert_Serial", "SMF119SS_TLS_CCert_Serial_Len", "SMF119SS_TLS_CCert_Time", "SMF119SS_TLS_CCert_Time_Type",
             "SMF119SS_TLS_SCert_Serial", "SMF119SS_TLS_SCert_Serial_Len", "SMF119SS_TLS_SCert_Time", "SMF119SS_TLS_SCert_Time_Type",
             "SMF119SS_TLS_Unknown36"],
            newer.Order());

        DecodedAssert.Accessors(record, older);
        DecodedAssert.Json(json, older);
        foreach (var name in newer)
        {
            Assert.False(json.TryGetProperty(name, out _), $"{name} is beyond the pre-3.2 section and must be absent");
            var field = DecodedAssert.DecoderField(12, name);
            Assert.False(record.TryGetBytes(field, out _), name);
            Assert.Null(record.GetHex(field));
        }
        Assert.False(record.TryGetUnsigned(ZertFields.SS_SAEndFailedHsConnCnt, out _));
        Assert.False(record.TryGetCertificateTime(ZertFields.SS_TLS_SCert_Time, out _, out _));
        Assert.False(json.TryGetProperty("SMF119SS_Common_UnknownTail", out _));
    }

    private static bool FitsIn(SpecField field, int length) => field.Offset + field.Length <= length;

    [Fact]
    public void A_section_cut_inside_a_field_drops_that_field_but_keeps_the_ones_before_it()
    {
        // 210 bytes: InitFailedHsConnCnt (204-207) fits, EndFailedHsConnCnt (208-211) does not.
        var builder = SpecRecordBuilder.Summary();
        builder.Set("SMF119SS_SAInitFailedHsConnCnt", 17).Set("SMF119SS_SAEndFailedHsConnCnt", 23).Section("Common", 210);
        var record = DecodedAssert.Decode(builder.Build());

        Assert.True(record.TryGetUnsigned(ZertFields.SS_SAInitFailedHsConnCnt, out var init));
        Assert.Equal(17UL, init);
        Assert.False(record.TryGetUnsigned(ZertFields.SS_SAEndFailedHsConnCnt, out _));
    }

    [Fact]
    public void Interval_duration_is_a_tod_value_whose_bits_above_12_are_microseconds()
    {
        // §3.1 / §C.3: 15 minutes = 900,000,000 µs = 900,000,000 << 12 TOD units.
        var tod = SpecEncoding.TodFromMicroseconds(900_000_000);
        var builder = SpecRecordBuilder.Summary();
        builder.Set("SMF119SS_SAIntervalDuration", tod);
        var record = DecodedAssert.Decode(builder.Build());

        Assert.True(record.TryGetUnsigned(ZertFields.SS_SAIntervalDuration, out var raw));
        Assert.Equal(tod, raw);
        Assert.Equal(900_000_000UL, SmfTime.TodToMicroseconds(raw));
        Assert.Equal(3_686_400_000_000UL, DecodedAssert.RawJson(record).GetProperty("SMF119SS_SAIntervalDuration").GetUInt64());
    }

    [Fact]
    public void Summary_addresses_follow_the_SS_ipv6_flag()
    {
        var v4 = SpecRecordBuilder.Summary();
        v4.Set("SMF119SS_SAFlags", 0x40).SetIp("SMF119SS_SASrvIP", IPAddress.Parse("10.20.30.40")).SetIp("SMF119SS_IPSec_IKETunRmtEndpt", IPAddress.Parse("192.0.2.7"));
        var v6 = SpecRecordBuilder.Summary();
        v6.Set("SMF119SS_SAFlags", 0xA0).SetIp("SMF119SS_SASrvIP", IPAddress.Parse("2001:db8::40")).SetIp("SMF119SS_IPSec_IKETunRmtEndpt", IPAddress.Parse("2001:db8::7"));

        var j4 = DecodedAssert.RawJson(DecodedAssert.Decode(v4.Build()));
        var j6 = DecodedAssert.RawJson(DecodedAssert.Decode(v6.Build()));

        Assert.Equal("10.20.30.40", j4.GetProperty("SMF119SS_SASrvIP").GetString());
        Assert.Equal("192.0.2.7", j4.GetProperty("SMF119SS_IPSec_IKETunRmtEndpt").GetString());
        Assert.Equal("0.0.0.0", j4.GetProperty("SMF119SS_SACltIP").GetString());
        Assert.Equal(IPAddress.Parse("2001:db8::40"), IPAddress.Parse(j6.GetProperty("SMF119SS_SASrvIP").GetString()!));
        Assert.Equal(IPAddress.Parse("2001:db8::7"), IPAddress.Parse(j6.GetProperty("SMF119SS_IPSec_IKETunRmtEndpt").GetString()!));
    }

    [Fact]
    public void Aggregation_event_records_with_only_id_and_common_decode()
    {
        var builder = SpecRecordBuilder.Summary();
        builder.Set("SMF119SS_SAEvent_Type", 2).Set("SMF119TI_Reason", 0x08).SetText("SMF119SS_SASessionID", "t-10.1.1.1:443");
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.Equal(2, json.GetProperty("SMF119SS_SAEvent_Type").GetInt32());
        Assert.Equal("t-10.1.1.1:443", json.GetProperty("SMF119SS_SASessionID").GetString());
        Assert.False(json.TryGetProperty("SMF119SS_TLS_Source", out _));
        Assert.False(json.TryGetProperty("SMF119SS_SSH_Source", out _));
        Assert.False(json.TryGetProperty("SMF119SS_IPSec_IKEMajVer", out _));
    }

    [Fact]
    public void A_trn_7_summary_record_as_pacsys_prints_it_still_decodes()
    {
        // §1.3: pacsys prints "(7)" for 119-12; always trust the record's value. A 7th triplet is tolerated.
        var builder = SpecRecordBuilder.Summary().WithFutureSection([1, 2, 3, 4]);
        builder.Set("SMF119SS_SAInitLifeConnCnt", 99);
        var record = DecodedAssert.Decode(builder.Build());

        Assert.Equal(7, record.TripletCount);
        Assert.True(record.TryGetUnsigned(ZertFields.SS_SAInitLifeConnCnt, out var count));
        Assert.Equal(99UL, count);
    }
}
