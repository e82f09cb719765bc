using System.Buffers;
using System.Text;
using ZertForwarder.Sinks.Syslog;

namespace ZertForwarder.Pipeline.Tests.Syslog;

/// <summary>The RFC 5424 header built around a LEEF line, with expected frames written out by hand.</summary>
public sealed class Rfc5424FormatterTests
{
    private const string ConnectionLine =
        "LEEF:2.0|IBM|zERT|1.0|ZERT_CONN_TERM|x09|devTime=1730365500500\tsrc=10.0.0.9\tdst=10.1.0.1\tsev=8\tidentHostName=SYSA\tTLS_PROTOCOL=TLSv1.3";

    private static string Frame(Rfc5424Formatter formatter, string leef)
    {
        var buffer = new ArrayBufferWriter<byte>();
        formatter.AppendFrame(buffer, Encoding.UTF8.GetBytes(leef));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Octet_counted_frame_uses_record_time_system_name_event_id_and_severity_from_leef()
    {
        var formatter = new Rfc5424Formatter("local4", "zertforwarder", hostname: "FALLBACK", octetCounting: true);

        var frame = Frame(formatter, ConnectionLine);

        // local4 = 20, sev 8 -> error (3): PRI 163. devTime 1730365500500 = 2024-10-31T09:05:00.500Z.
        var message = "<163>1 2024-10-31T09:05:00.500Z SYSA zertforwarder - ZERT_CONN_TERM - " + ConnectionLine;
        Assert.Equal($"{Encoding.UTF8.GetByteCount(message)} {message}", frame);
    }

    /// <summary>
    /// A line without identHostName (a LEEF mapping that leaves it out) still has the forwarder's SYSTEM_NAME: the header
    /// names the z/OS system from it rather than the configured Hostname (or "-", its default), so QRadar can tell the
    /// systems' log sources apart.
    /// </summary>
    [Fact]
    public void The_z_os_system_of_a_forwarder_line_is_the_hostname()
    {
        var formatter = new Rfc5424Formatter("local4", "zertforwarder", hostname: null, octetCounting: false);
        const string line = "LEEF:2.0|IBM|zERT|1.0|ZERT_SUMMARY|x09|devTime=1730365500500\tsev=3\tSMF_SYSTEM_ID=SYSB\tSYSTEM_NAME=SYSB\tSYSPLEX_NAME=PLEXA";

        Assert.StartsWith("<165>1 2024-10-31T09:05:00.500Z SYSB zertforwarder - ZERT_SUMMARY - LEEF:", Frame(formatter, line), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_leef_values_give_nilvalues_the_configured_host_and_notice()
    {
        var formatter = new Rfc5424Formatter("local0", "zf", hostname: "ZOSPLEX1", octetCounting: false);

        var frame = Frame(formatter, "LEEF:2.0|IBM|zERT|1.0|ZERT_SUMMARY|^|cat=TLS^SUMMARY_INTERVAL=900");

        // local0 = 16, notice = 5: PRI 133; LF framing ends the message with one LF.
        Assert.Equal("<133>1 - ZOSPLEX1 zf - ZERT_SUMMARY - LEEF:2.0|IBM|zERT|1.0|ZERT_SUMMARY|^|cat=TLS^SUMMARY_INTERVAL=900\n", frame);
    }

    [Fact]
    public void Multibyte_utf8_is_counted_in_octets_and_lf_inside_a_message_cannot_split_lf_framing()
    {
        var leef = "LEEF:2.0|IBM|zERT|1.0|ZERT_CONN_INIT|x09|usrName=Jürgen\tNOTE=a\nb";
        var counted = Frame(new Rfc5424Formatter("user", "zertforwarder", null, octetCounting: true), leef);
        var lines = Frame(new Rfc5424Formatter("user", "zertforwarder", null, octetCounting: false), leef);

        var message = "<13>1 - - zertforwarder - ZERT_CONN_INIT - " + leef;
        Assert.Equal($"{Encoding.UTF8.GetByteCount(message)} {message}", counted);
        Assert.Equal("<13>1 - - zertforwarder - ZERT_CONN_INIT - LEEF:2.0|IBM|zERT|1.0|ZERT_CONN_INIT|x09|usrName=Jürgen\tNOTE=a b\n", lines);
    }

    [Theory]
    [InlineData("1", 5)]
    [InlineData("4", 5)]
    [InlineData("5", 4)]
    [InlineData("6", 4)]
    [InlineData("7", 3)]
    [InlineData("9", 2)]
    [InlineData("10", 2)]
    [InlineData("11", 5)]
    [InlineData("high", 5)]
    public void Leef_sev_maps_to_syslog_severity(string sev, int severity)
    {
        var frame = Frame(new Rfc5424Formatter("kern", "a", null, octetCounting: false), $"LEEF:2.0|IBM|zERT|1.0|E|x09|sev={sev}");
        Assert.StartsWith($"<{severity}>1 ", frame, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_facility_is_a_configuration_error()
    {
        Assert.Throws<ArgumentException>(() => new Rfc5424Formatter("local9", "a", null, octetCounting: true));
        Assert.Equal(23, Rfc5424Formatter.ParseFacility("23"));
        Assert.Equal(10, Rfc5424Formatter.ParseFacility("AUTHPRIV"));
    }
}
