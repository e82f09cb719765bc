using System.Buffers;
using System.Text;
using ZertForwarder.Commands;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;
using ZertForwarder.Sinks.Syslog;

namespace ZertForwarder.Host.Tests;

/// <summary>LEEF lines as the syslog output frames them for QRadar (README "LEEF for QRadar").</summary>
public sealed class LeefOverSyslogTests
{
    /// <summary>
    /// QRadar's maximum TCP syslog payload counts the whole message, RFC 5424 header included: a capped line whose
    /// header took it past Mappings:LeefMaxLineLength lost its end (the last DN and its cut marker) at QRadar.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("a-rather-long-forwarder-host-name.example.org")]
    public void A_capped_line_fits_the_limit_with_its_syslog_header(string? hostname)
    {
        const int limit = 6000;
        using var directory = new TempDirectory();
        var dump = Dumps.Write(Path.Combine(directory.Path, "dump.smf"), seed: 5425, zertCount: 3000);
        var syslog = new SyslogSinkOptions { Host = "qradar.example.org", Hostname = hostname, AppName = "zertforwarder" };
        var options = new ForwarderOptions();
        options.Mappings.LeefMaxLineLength = limit;
        options.Outputs.Syslog = syslog;
        var normalizer = MappingLoading.CreateNormalizer(options);
        var formatter = new Rfc5424Formatter(syslog.Facility, syslog.AppName, syslog.Hostname, octetCounting: true);

        var capped = 0;
        using var stream = File.OpenRead(dump);
        using var reader = new SmfRecordReader(stream, SmfContainer.Auto);
        while (reader.TryReadNext(out var frame))
        {
            if (frame.IsError || ZertRecordParser.Parse(frame.Record.ToArray()) is not { Status: ZertParseStatus.Decoded, Record: { } record }) continue;
            var line = new ArrayBufferWriter<byte>();
            normalizer.WriteLeef(record, line);
            // A line whose cut DNs are all at the floor (32 bytes kept) may be longer than the limit by design, rather
            // than lose a key; a line with a DN cut less than that was shortened to fit.
            var cutDns = Encoding.UTF8.GetString(line.WrittenSpan).Split('\t').Where(a => a.StartsWith("DN_", StringComparison.Ordinal) && a.EndsWith("...[cut]", StringComparison.Ordinal));
            if (!cutDns.Any(a => Encoding.UTF8.GetByteCount(a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..]) > 32 + "...[cut]".Length)) continue;
            capped++;
            var framed = new ArrayBufferWriter<byte>();
            formatter.AppendFrame(framed, line.WrittenSpan);
            // MSG-LEN SP SYSLOG-MSG (RFC 6587 §3.4.1): the length QRadar's payload limit applies to.
            var text = Encoding.UTF8.GetString(framed.WrittenSpan);
            var messageLength = int.Parse(text[..text.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(messageLength <= limit, $"a syslog message of {messageLength} bytes (LEEF line {line.WrittenCount}) for a limit of {limit}");
        }

        Assert.True(capped > 0, "the dump must have lines the limit shortens to fit");
    }
}
