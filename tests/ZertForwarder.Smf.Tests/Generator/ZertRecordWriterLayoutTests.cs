using System.Net;
using ZertForwarder.Generator;
using ZertForwarder.Generator.Encoding;
using ZertForwarder.Generator.Model;
using static ZertForwarder.Smf.Tests.Generator.IndependentSmfFraming;

namespace ZertForwarder.Smf.Tests.Generator;

/// <summary>
/// Byte positions of records built by <see cref="ZertRecordWriter"/>, checked against values worked out by hand from
/// the layout spec (offsets from byte 0 of the RDW, sections back to back after the self-defining section).
/// </summary>
public sealed class ZertRecordWriterLayoutTests
{
    private static ZertConnectionRecord MinimalConnection()
    {
        var r = new ZertConnectionRecord();
        r.Header.Date = new DateOnly(2024, 10, 31);
        r.Header.Time = 3_495_285;
        r.Header.SystemId = "SYSA";
        r.Common.LocalIp = IPAddress.Parse("10.10.1.11");
        r.Common.RemoteIp = IPAddress.Parse("10.20.3.4");
        return r;
    }

    [Fact]
    public void Header_carries_length_type_time_packed_date_sid_and_subtype()
    {
        var bytes = ZertRecordWriter.ToArray(MinimalConnection());

        Assert.Equal(bytes.Length, U16(bytes, 0));
        Assert.Equal(0, U16(bytes, 2));
        Assert.Equal(0x77, bytes[5]);
        Assert.Equal(3_495_285u, U32(bytes, 6));
        Assert.Equal(0x0124305Fu, U32(bytes, 10)); // layout §C.3 example: 2024 day 305
        Assert.Equal(new byte[] { 0xE2, 0xE8, 0xE2, 0xC1 }, bytes[14..18]); // 'SYSA'
        Assert.Equal(11, U16(bytes, 22));
    }

    [Fact]
    public void Subtype_11_without_enforcement_has_7_triplets_and_id_then_common_back_to_back()
    {
        var bytes = ZertRecordWriter.ToArray(MinimalConnection());

        Assert.Equal(7, U16(bytes, 24));
        // ID section right after 28 + 7*8 = 84.
        Assert.Equal(84u, U32(bytes, 28));
        Assert.Equal(64, U16(bytes, 32));
        Assert.Equal(1, U16(bytes, 34));
        Assert.Equal(148u, U32(bytes, 36));
        Assert.Equal(128, U16(bytes, 40));
        Assert.Equal(1, U16(bytes, 42));
        for (var t = 2; t < 7; t++)
        {
            Assert.All(bytes[(28 + (t * 8))..(36 + (t * 8))], b => Assert.Equal(0, b));
        }

        Assert.Equal(148 + 128, bytes.Length);
        Assert.Equal("STACK", Ebcdic(bytes, 84 + 32, 8));
        Assert.Equal(0x08, bytes[84 + 60]);
    }

    [Fact]
    public void Every_subtype_11_section_lands_at_the_offset_its_triplet_names_in_triplet_order()
    {
        var r = MinimalConnection();
        r.IpFilter = new IpFilterSection { InboundAction = 1, InboundRuleName = "PERMIT_IN" };
        r.Tls = new TlsConnectionSection { ProtocolVersion = 0x0303, NegotiatedCipher = "C02F" };
        r.Ssh = new SshConnectionSection { Component = "SSHD" };
        r.Ipsec = new IpsecConnectionSection { IkeMajorVersion = 2 };
        r.DistinguishedNames.Add(new DistinguishedNameEntry(5, "CN=a"));
        r.DistinguishedNames.Add(new DistinguishedNameEntry(6, "CN=issuer"));
        r.Enforcement = [1, 2, 3, 4, 5];

        var bytes = ZertRecordWriter.ToArray(r);

        Assert.Equal(8, U16(bytes, 24));
        int[] expectedOffsets = [92, 156, 284, 384, 552, 836, 1072, 1072 + 8 + 13];
        int[] expectedLengths = [64, 128, 100, 168, 284, 236, 8 + 13, 5];
        int[] expectedNumbers = [1, 1, 1, 1, 1, 1, 2, 1];
        for (var t = 0; t < 8; t++)
        {
            Assert.Equal((uint)expectedOffsets[t], U32(bytes, 28 + (t * 8)));
            Assert.Equal(expectedLengths[t], U16(bytes, 32 + (t * 8)));
            Assert.Equal(expectedNumbers[t], U16(bytes, 34 + (t * 8)));
        }

        Assert.Equal(1072 + 21 + 5, bytes.Length);
        Assert.Equal(1, bytes[284 + 1]);
        Assert.Equal("PERMIT_IN", Ebcdic(bytes, 284 + 52, 40));
        Assert.Equal(0x0303, U16(bytes, 384));
        Assert.Equal(new byte[] { 0xC3, 0xF0, 0xF2, 0xC6, 0x40, 0x40 }, bytes[(384 + 56)..(384 + 62)]); // 'C02F  '
        Assert.Equal("SSHD", Ebcdic(bytes, 552 + 8, 8));
        Assert.Equal(2, bytes[836 + 4]);
        // DN entries: DN_Len includes DN_Len and DN_Type.
        Assert.Equal(8, U16(bytes, 1072));
        Assert.Equal(5, U16(bytes, 1074));
        Assert.Equal("CN=a", Ebcdic(bytes, 1076, 4));
        Assert.Equal(13, U16(bytes, 1080));
        Assert.Equal(6, U16(bytes, 1082));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, bytes[^5..]);
    }

    [Fact]
    public void Ipv4_addresses_use_bytes_0_to_3_and_ipv6_all_16_bytes()
    {
        var v4 = ZertRecordWriter.ToArray(MinimalConnection());
        var common = 148;
        Assert.Equal(new byte[] { 10, 20, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, v4[(common + 48)..(common + 64)]);
        Assert.Equal(new byte[] { 10, 10, 1, 11 }, v4[(common + 64)..(common + 68)]);

        var r = MinimalConnection();
        r.Common.Flags = 0x80;
        r.Common.RemoteIp = IPAddress.Parse("::ffff:10.20.3.4");
        r.Common.LocalIp = IPAddress.Parse("2001:db8::1");
        var v6 = ZertRecordWriter.ToArray(r);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 20, 3, 4 }, v6[(common + 48)..(common + 64)]);
        Assert.Equal(0x20, v6[common + 64]);
        Assert.Equal(1, v6[common + 79]);
    }

    [Fact]
    public void An_address_family_that_contradicts_the_ipv6_flag_is_rejected()
    {
        var r = MinimalConnection();
        r.Common.RemoteIp = IPAddress.Parse("2001:db8::9");
        Assert.Throws<ArgumentException>(() => ZertRecordWriter.ToArray(r));
    }

    [Fact]
    public void Certificate_group_has_left_aligned_serial_and_ebcdic_notafter_by_time_type()
    {
        var r = MinimalConnection();
        r.Tls = new TlsConnectionSection
        {
            ServerCertificate = new CertificateAttributes { SignatureMethod = 7, EncryptionMethod = 2, DigestAlgorithm = 6, Serial = [0x0A, 0xBC, 0xDE], TimeType = 1, NotAfter = new DateTime(2025, 3, 9, 23, 59, 58, DateTimeKind.Utc), KeyType = 2, KeyLength = 2048 },
            ClientCertificate = new CertificateAttributes { Serial = [0x7F], TimeType = 2, NotAfter = new DateTime(2051, 1, 2, 3, 4, 5, DateTimeKind.Utc), KeyType = 5, KeyLength = 256 },
        };
        var bytes = ZertRecordWriter.ToArray(r);
        var tls = (int)U32(bytes, 52);

        Assert.Equal(7, U16(bytes, tls + 72));
        Assert.Equal(2, U16(bytes, tls + 74));
        Assert.Equal(6, U16(bytes, tls + 76));
        Assert.Equal(3, bytes[tls + 79]);
        Assert.Equal(new byte[] { 0x0A, 0xBC, 0xDE, 0 }, bytes[(tls + 80)..(tls + 84)]);
        Assert.Equal(1, bytes[tls + 100]);
        Assert.Equal("250309235958Z", Ebcdic(bytes, tls + 101, 15));
        Assert.Equal(2048, U16(bytes, tls + 118));
        Assert.Equal(1, bytes[tls + 127]);
        Assert.Equal(0x7F, bytes[tls + 128]);
        Assert.Equal(2, bytes[tls + 148]);
        Assert.Equal("20510102030405Z", Ebcdic(bytes, tls + 149, 15));
        Assert.Equal(5, U16(bytes, tls + 164));
        Assert.Equal(256, U16(bytes, tls + 166));
    }

    [Fact]
    public void Subtype_12_has_6_triplets_and_section_lengths_by_release_form()
    {
        var pre32 = new ZertSummaryRecord { Tls = new TlsSummarySection(), Ipsec = new IpsecSummarySection() };
        var bytes = ZertRecordWriter.ToArray(pre32);
        Assert.Equal(12, U16(bytes, 22));
        Assert.Equal(6, U16(bytes, 24));
        Assert.Equal(76u, U32(bytes, 28));
        Assert.Equal(204, U16(bytes, 40));
        Assert.Equal(36, U16(bytes, 48));
        Assert.All(bytes[52..60], b => Assert.Equal(0, b));
        Assert.Equal(74, U16(bytes, 64));
        Assert.Equal(76 + 64 + 204 + 36 + 74, bytes.Length);

        var v32 = new ZertSummaryRecord
        {
            Tls = new TlsSummarySection { IncludeCertificateDetails = true, ServerCertificate = new CertificateAttributes { Serial = [1, 2], TimeType = 1, NotAfter = new DateTime(2030, 6, 1, 0, 0, 0, DateTimeKind.Utc) } },
            Ipsec = new IpsecSummarySection { IncludeCertificateDetails = true },
        };
        v32.Common.IncludeFailedHandshakeCounters = true;
        v32.Common.InitFailedHandshakes = 3;
        v32.Common.EndFailedHandshakes = 9;
        var b32 = ZertRecordWriter.ToArray(v32);
        Assert.Equal(212, U16(b32, 40));
        Assert.Equal(116, U16(b32, 48));
        Assert.Equal(148, U16(b32, 64));
        var s1 = (int)U32(b32, 36);
        Assert.Equal(3u, U32(b32, s1 + 204));
        Assert.Equal(9u, U32(b32, s1 + 208));
        var tls = (int)U32(b32, 44);
        Assert.Equal(s1 + 212, tls);
        Assert.Equal(2, b32[tls + 42]);
        Assert.Equal(new byte[] { 1, 2 }, b32[(tls + 43)..(tls + 45)]);
        Assert.Equal(1, b32[tls + 63]);
        Assert.Equal("300601000000Z", Ebcdic(b32, tls + 64, 15));
    }

    [Fact]
    public void Summary_common_section_places_counters_and_tod_duration_at_spec_offsets()
    {
        var r = new ZertSummaryRecord();
        r.Common.IntervalDuration = SmfTimeEncoding.ToTodUnits(TimeSpan.FromMinutes(15));
        r.Common.ServerPortStart = 12000;
        r.Common.ServerPortEnd = 12004;
        r.Common.SessionId = "T-ABC";
        r.Common.InitConnections = 5;
        r.Common.EndConnections = 7;
        r.Common.EndOutSegments = 0x0102030405060708;
        var bytes = ZertRecordWriter.ToArray(r);
        var s1 = (int)U32(bytes, 36);

        Assert.Equal(900_000_000UL << 12, U64(bytes, s1)); // 15 min in µs, bit 51 = 1 µs
        Assert.Equal(12000, U16(bytes, s1 + 60));
        Assert.Equal(12004, U16(bytes, s1 + 62));
        Assert.Equal("T-ABC", Ebcdic(bytes, s1 + 64, 42));
        Assert.Equal(5u, U32(bytes, s1 + 108));
        Assert.Equal(7u, U32(bytes, s1 + 156));
        Assert.Equal(0x0102030405060708UL, U64(bytes, s1 + 196));
    }

    [Theory]
    [InlineData(1999, 12, 31, 0x0099365Fu)]
    [InlineData(2000, 1, 1, 0x0100001Fu)]
    [InlineData(2024, 12, 31, 0x0124366Fu)]
    public void Packed_dates_follow_0cyydddF(int year, int month, int day, uint expected)
    {
        Assert.Equal(expected, SmfTimeEncoding.PackDate(new DateOnly(year, month, day)));
    }

    [Fact]
    public void Text_outside_the_shared_ebcdic_subset_or_too_long_is_rejected()
    {
        var r = MinimalConnection();
        r.Common.JobName = "JOB[1]";
        Assert.Throws<ArgumentException>(() => ZertRecordWriter.ToArray(r));
        r.Common.JobName = "TOOLONGJOB";
        Assert.Throws<ArgumentException>(() => ZertRecordWriter.ToArray(r));
    }

    [Fact]
    public void Records_beyond_the_smf_maximum_length_are_rejected()
    {
        var r = MinimalConnection();
        for (var i = 0; i < 40; i++)
        {
            r.DistinguishedNames.Add(new DistinguishedNameEntry(5, new string('A', 1000)));
        }

        Assert.Throws<ArgumentException>(() => ZertRecordWriter.ToArray(r));
    }
}
