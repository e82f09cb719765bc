using System.Buffers;
using System.Security.Cryptography;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Smf.Tests.Decoding;

/// <summary>The standard SMF header (§1.1), SMF time encodings (§C.3) and EBCDIC text (§0).</summary>
public sealed class SmfHeaderAndEncodingTests
{
    /// <summary>
    /// The real IBM SMF type 115 record of smf-header-sample.md (IBM MQ docs, Figure 19): its first 0x50 bytes as
    /// printed, the rest of its 512 bytes zero (they are MQ data the sample does not show).
    /// </summary>
    internal static byte[] IbmType115Sample()
    {
        const string dump =
            "02000000 5E730035 55750100 223FD4E5" +
            "F4F1D4D8 F0F70001 F6F0F000 000001DC" +
            "00240001 00000000 00000000 00000000" +
            "00000000 00000000 00000000 0000007C" +
            "00400001 000000BC 00600001 00000000";
        var start = Convert.FromHexString(dump.Replace(" ", "", StringComparison.Ordinal));
        var record = new byte[512];
        start.CopyTo(record, 0);
        return record;
    }

    [Fact]
    public void The_IBM_type_115_sample_header_decodes_to_the_documented_values()
    {
        var bytes = IbmType115Sample();
        Assert.True(SmfHeader.TryRead(bytes, out var header));

        Assert.Equal(512, header.RecordLength);
        Assert.Equal(0, header.SegmentDescriptor);
        Assert.Equal(0x5E, header.Flags);
        Assert.Equal(115, header.RecordType);
        Assert.Equal(3_495_285u, header.TimeHundredths);
        Assert.Equal(0x0100223Fu, header.PackedDate);
        Assert.Equal("MV41", header.SystemId);
        Assert.Equal("MQ07", header.SubsystemId);
        Assert.True(header.HasSubtype);
        Assert.Equal(1, header.Subtype);
        Assert.True(header.TryGetDate(out var date));
        Assert.Equal(new DateOnly(2000, 8, 10), date);
        Assert.True(header.TryGetLocalTime(out var local));
        Assert.Equal(new DateTime(2000, 8, 10, 9, 42, 32, 850), local);
    }

    [Fact]
    public void The_IBM_sample_read_as_an_rdw_file_is_one_frame_that_the_parser_classifies_as_another_type()
    {
        using var reader = new SmfRecordReader(new MemoryStream(IbmType115Sample()));
        Assert.True(reader.TryReadNext(out var frame));
        Assert.Equal(SmfContainer.Rdw, reader.Container);
        Assert.False(frame.IsError);
        Assert.Equal(512, frame.Record.Length);

        var result = ZertRecordParser.Parse(frame.Record.ToArray());
        Assert.Equal(ZertParseStatus.OtherRecordType, result.Status);
        Assert.Equal(115, result.RecordType);
        Assert.False(reader.TryReadNext(out _));
    }

    [Theory]
    [InlineData("0124305F", 2024, 10, 31)] // the §C.3 example
    [InlineData("0100223F", 2000, 8, 10)]  // the IBM header sample
    [InlineData("0099365F", 1999, 12, 31)] // century digit 0 = 19yy
    [InlineData("0099001C", 1999, 1, 1)]   // sign C accepted
    [InlineData("0124366F", 2024, 12, 31)] // day 366 of a leap year
    [InlineData("0200060F", 2100, 3, 1)]   // century digit 2 = 21yy; 2100 is not a leap year
    public void Packed_dates_decode(string hex, int year, int month, int day)
    {
        Assert.True(SmfTime.TryDecodePackedDate(Convert.FromHexString(hex), out var date));
        Assert.Equal(new DateOnly(year, month, day), date);
        Assert.Equal(Convert.FromHexString(hex)[..3], SpecEncoding.PackedDate(date, Convert.FromHexString(hex)[3] & 0xF)[..3]);
    }

    [Theory]
    [InlineData("00000000")] // zero: not set
    [InlineData("0123366F")] // day 366 of a common year
    [InlineData("0124000F")] // day 0
    [InlineData("0124305A")] // sign A
    [InlineData("0124305D")] // sign D (negative)
    [InlineData("0324305F")] // century digit 3
    [InlineData("012A305F")] // non-digit nibble in the year
    [InlineData("01243A5F")] // non-digit nibble in the day
    [InlineData("1124305F")] // first nibble must be 0
    public void Invalid_packed_dates_are_rejected(string hex)
    {
        Assert.False(SmfTime.TryDecodePackedDate(Convert.FromHexString(hex), out _));
    }

    [Theory]
    [InlineData(0u, "00:00:00.00")]
    [InlineData(3_495_285u, "09:42:32.85")]
    [InlineData(8_639_999u, "23:59:59.99")]
    public void Hundredths_since_midnight_decode(uint value, string expected)
    {
        Assert.True(SmfTime.TryDecodeHundredths(SpecEncoding.BigEndian(value, 4), out var time));
        Assert.Equal(expected, time.ToString("HH:mm:ss.ff", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, SpecEncoding.FormatHundredths(value));
    }

    [Fact]
    public void A_time_past_the_end_of_the_day_is_rejected_and_shown_raw_in_json()
    {
        Assert.False(SmfTime.TryDecodeHundredths(SpecEncoding.BigEndian(8_640_000, 4), out _));

        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_SASTime", 8_640_000);
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));
        Assert.Equal("0x0083D600", json.GetProperty("SMF119SC_SASTime").GetString());
    }

    [Fact]
    public void Packed_dates_in_a_record_cover_every_century_digit_both_signs_and_invalid_and_zero_values()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetBytes("SMF119SC_SASDate", SpecEncoding.PackedDate(1985, 32, 0xC));
        builder.SetBytes("SMF119SC_SAEDate", SpecEncoding.PackedDate(2100, 365));
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));
        Assert.Equal("1985-02-01", json.GetProperty("SMF119SC_SASDate").GetString());
        Assert.Equal("2100-12-31", json.GetProperty("SMF119SC_SAEDate").GetString());

        builder.SetBytes("SMF119SC_SASDate", [0x01, 0x24, 0x30, 0x5B]); // bad sign: kept raw
        builder.SetBytes("SMF119SC_SAEDate", [0, 0, 0, 0]);           // zero: not set
        var record = DecodedAssert.Decode(builder.Build());
        json = DecodedAssert.RawJson(record);
        Assert.Equal("0x0124305B", json.GetProperty("SMF119SC_SASDate").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("SMF119SC_SAEDate").ValueKind);
        Assert.False(record.TryGetDate(ZertFields.SC_SASDate, out _));
        Assert.False(record.TryGetDate(ZertFields.SC_SAEDate, out _));
    }

    [Fact]
    public void An_invalid_header_date_is_written_raw()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.HeaderDate = [0x01, 0x24, 0x99, 0x9F];
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));
        Assert.Equal("0x0124999F", json.GetProperty("SMF119DTE").GetString());
    }

    [Fact]
    public void Tod_epoch_constant_is_the_unix_epoch_in_microseconds_since_1900()
    {
        // §C.3: Unix µs = (TOD >> 12) - 2,208,988,800,000,000.
        Assert.Equal(2_208_988_800_000_000UL, SmfTime.TodToMicroseconds(SmfTime.TodUnixEpoch));
        Assert.Equal(1UL, SmfTime.TodToMicroseconds(0x1000));
        Assert.Equal(0UL, SmfTime.TodToMicroseconds(0xFFF));
    }

    [Theory]
    [InlineData(1, "491231235959Z", 2049, 12, 31, 23, 59, 59)] // YY < 50 -> 20YY (RFC 5280)
    [InlineData(1, "500101000000Z", 1950, 1, 1, 0, 0, 0)]      // YY >= 50 -> 19YY
    [InlineData(1, "000229120000Z", 2000, 2, 29, 12, 0, 0)]
    [InlineData(2, "20501231235959Z", 2050, 12, 31, 23, 59, 59)]
    [InlineData(2, "19991231000000Z", 1999, 12, 31, 0, 0, 0)]
    public void Certificate_not_after_times_parse_by_time_type(int type, string text, int y, int mo, int d, int h, int mi, int s)
    {
        Assert.True(SmfTime.TryParseCertificateTime(type, text, out var value));
        Assert.Equal(new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero), value);
    }

    [Theory]
    [InlineData(0, "491231235959Z")]    // type 0: not supplied
    [InlineData(3, "491231235959Z")]    // unknown type
    [InlineData(1, "491231235959")]     // no Z
    [InlineData(1, "491331235959Z")]    // month 13
    [InlineData(1, "490230235959Z")]    // 30 February
    [InlineData(2, "491231235959Z")]    // UTCTime text under the GeneralizedTime type
    [InlineData(1, "4912312359 9Z")]    // blank inside
    public void Malformed_certificate_times_are_rejected(int type, string text)
    {
        Assert.False(SmfTime.TryParseCertificateTime(type, text, out _));
    }

    [Fact]
    public void A_generalized_time_of_year_0000_is_rejected_not_thrown()
    {
        // A provider that fills "not supplied" with EBCDIC zeros under time type 2 gives year 0000, which has no
        // DateTime; it must be an unparsable time (written as its characters), not an exception.
        Assert.False(SmfTime.TryParseCertificateTime(2, "00000000000000Z", out _));
        Assert.False(SmfTime.TryParseCertificateTime(2, "00001231235959Z", out _));

        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetCertTime("SMF119SC_TLS_SCert_Time", 2, "00000000000000Z");
        var record = DecodedAssert.Decode(builder.Build());
        Assert.False(record.TryGetCertificateTime(ZertFields.SC_TLS_SCert_Time, out _, out var raw));
        Assert.Equal("00000000000000Z", raw);
        Assert.Equal("00000000000000Z", DecodedAssert.RawJson(record).GetProperty("SMF119SC_TLS_SCert_Time").GetString());
    }

    [Fact]
    public void Unparsable_certificate_time_in_a_record_is_written_as_its_characters()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetCertTime("SMF119SC_TLS_SCert_Time", 1, "ABCDEFGHIJKLM").SetCertTime("SMF119SC_TLS_CCert_Time", 7, "351231235958Z");
        var record = DecodedAssert.Decode(builder.Build());
        var json = DecodedAssert.RawJson(record);

        Assert.Equal("ABCDEFGHIJKLM", json.GetProperty("SMF119SC_TLS_SCert_Time").GetString());
        Assert.Equal("351231235958Z", json.GetProperty("SMF119SC_TLS_CCert_Time").GetString()); // time type 7 is unknown
        Assert.False(record.TryGetCertificateTime(ZertFields.SC_TLS_SCert_Time, out _, out var raw));
        Assert.Equal("ABCDEFGHIJKLM", raw);
    }

    [Fact]
    public void A_utctime_uses_only_its_first_13_characters()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.SetBytes("SMF119SC_TLS_SCert_Time", SpecEncoding.Ebcdic("300615081522ZAB")); // 2 extra characters
        builder.Set("SMF119SC_TLS_SCert_Time_Type", 1);
        var json = DecodedAssert.RawJson(DecodedAssert.Decode(builder.Build()));
        Assert.Equal("2030-06-15T08:15:22Z", json.GetProperty("SMF119SC_TLS_SCert_Time").GetString());
    }

    [Fact]
    public void Ebcdic_decoding_maps_the_zert_character_set_and_trims_trailing_padding()
    {
        const string text = "ABCXYZ abcxyz 0189 .-*=,/_:@#()+&;?'";
        var encoded = SpecEncoding.Ebcdic(text);
        Assert.Equal(text, Ebcdic.Decode(encoded));
        Assert.Equal(encoded, Ebcdic.Encode(text));
        Assert.Equal("IBM System SSL", Ebcdic.Decode(SpecEncoding.EbcdicField("IBM System SSL", 16)));
        Assert.Equal("SSHD", Ebcdic.Decode([.. SpecEncoding.Ebcdic("SSHD"), 0x40, 0x00, 0x40, 0x00]));
        Assert.Equal("", Ebcdic.Decode([0x40, 0x40, 0x40]));
        Assert.Equal("", Ebcdic.Decode([0x00, 0x00]));
        Assert.Equal('A', Ebcdic.ToChar(0xC1));
        Assert.Equal('¢', Ebcdic.ToChar(0x4A));
    }

    [Fact]
    public void Ebcdic_to_utf8_transcoding_handles_characters_outside_ascii()
    {
        var writer = new ArrayBufferWriter<byte>();
        var n = Ebcdic.TranscodeToUtf8([0xC1, 0x4A, 0x40, 0x40], writer); // "A¢" + blanks
        Assert.Equal(3, n);
        Assert.Equal("A¢", System.Text.Encoding.UTF8.GetString(writer.WrittenSpan));
    }

    [Fact]
    public void Event_id_is_the_first_16_bytes_of_sha256_over_the_record_with_segment_bytes_zeroed()
    {
        var record = SpecRecordBuilder.ConnectionDetail().Build();
        var expected = Convert.ToHexString(SHA256.HashData(record)[..16]).ToLowerInvariant();
        Assert.Equal(expected, ZertEventId.Compute(record));

        var segmented = (byte[])record.Clone();
        segmented[2] = 0x01; // a first-segment descriptor left in place
        Assert.Equal(expected, ZertEventId.Compute(segmented));
        Assert.Equal(0x01, segmented[2]); // the caller's bytes are not changed
    }
}
