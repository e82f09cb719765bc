using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace ZertForwarder.Sinks.Syslog;

/// <summary>The few LEEF 2.0 values the syslog header is built from (output contract §4).</summary>
public readonly record struct LeefSummary(string? EventId, long? DevTimeMilliseconds, string? IdentHostName, int? Severity)
{
    /// <summary>
    /// Reads the header's EventID and the <c>devTime</c>, <c>identHostName</c> (the z/OS system, output contract §4; else
    /// ZertForwarder's <c>SYSTEM_NAME</c>, for a LEEF mapping that leaves identHostName out) and <c>sev</c> attributes of a LEEF
    /// 1.0 or 2.0 line (<c>LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|attributes</c>). Anything missing or
    /// malformed is null; the line itself is never changed.
    /// </summary>
    public static LeefSummary Parse(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith("LEEF:"u8))
        {
            return default;
        }

        var isVersion2 = line[5..].StartsWith("2"u8);
        var headerFields = isVersion2 ? 6 : 5;
        Span<int> pipes = stackalloc int[6];
        var found = 0;
        for (var i = 0; i < line.Length && found < headerFields; i++)
        {
            if (line[i] == (byte)'|')
            {
                pipes[found++] = i;
            }
        }

        if (found < 5)
        {
            return default;
        }

        var eventId = Encoding.UTF8.GetString(line[(pipes[3] + 1)..pipes[4]]);
        byte delimiter = (byte)'\t';
        int attributesStart;
        if (isVersion2 && found == 6)
        {
            delimiter = ParseDelimiter(line[(pipes[4] + 1)..pipes[5]]);
            attributesStart = pipes[5] + 1;
        }
        else
        {
            attributesStart = pipes[4] + 1;
        }

        long? devTime = null;
        string? host = null;
        string? systemName = null;
        int? severity = null;
        var rest = line[attributesStart..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf(delimiter);
            var attribute = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            var equals = attribute.IndexOf((byte)'=');
            if (equals <= 0)
            {
                continue;
            }

            var key = attribute[..equals];
            var value = attribute[(equals + 1)..];
            if (key.SequenceEqual("devTime"u8) && Utf8Parser.TryParse(value, out long milliseconds, out var used) && used == value.Length)
            {
                devTime = milliseconds;
            }
            else if (key.SequenceEqual("identHostName"u8) && !value.IsEmpty)
            {
                host = Encoding.UTF8.GetString(value);
            }
            else if (key.SequenceEqual("SYSTEM_NAME"u8) && !value.IsEmpty)
            {
                systemName = Encoding.UTF8.GetString(value);
            }
            else if (key.SequenceEqual("sev"u8) && Utf8Parser.TryParse(value, out int sev, out used) && used == value.Length && sev is >= 1 and <= 10)
            {
                severity = sev;
            }
        }

        return new LeefSummary(eventId.Length == 0 ? null : eventId, devTime, host ?? systemName, severity);
    }

    /// <summary>LEEF 2.0 delimiter field: a single character, or its code as <c>xHH</c> / <c>0xHH</c>; TAB when empty.</summary>
    private static byte ParseDelimiter(ReadOnlySpan<byte> field)
    {
        if (field.Length == 1)
        {
            return field[0];
        }

        var hex = field.StartsWith("0x"u8) || field.StartsWith("0X"u8) ? field[2..]
            : field.StartsWith("x"u8) || field.StartsWith("X"u8) ? field[1..]
            : [];
        return Utf8Parser.TryParse(hex, out byte code, out var used, 'X') && used == hex.Length ? code : (byte)'\t';
    }
}

/// <summary>
/// Builds one framed RFC 5424 message per LEEF line: <c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME APP-NAME - MSGID - LEEF…</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>TIMESTAMP is the record time from LEEF <c>devTime</c> (UTC, milliseconds), never the wall clock, so the same
/// input always gives the same bytes (output contract, determinism); NILVALUE <c>-</c> without it.</item>
/// <item>HOSTNAME is the z/OS system (LEEF <c>identHostName</c>, or <c>SYSTEM_NAME</c> as the forwarder writes it),
/// else the configured <c>Hostname</c>, else <c>-</c>.</item>
/// <item>MSGID is the LEEF EventID (e.g. <c>ZERT_CONN_TERM</c>); PROCID and STRUCTURED-DATA are NILVALUE.</item>
/// <item>Severity follows LEEF <c>sev</c> (1-4 notice, 5-6 warning, 7-8 error, 9-10 critical), notice without it.</item>
/// <item>MSG is the LEEF line as is, without the optional UTF-8 BOM, because QRadar matches the line on its
/// <c>LEEF:</c> prefix (RFC 5424 MSG-ANY).</item>
/// </list>
/// </remarks>
public sealed class Rfc5424Formatter
{
    private const int DefaultSeverity = 5; // notice

    private readonly int _facility;
    private readonly string _appName;
    private readonly string _fallbackHostname;
    private readonly bool _octetCounting;

    public Rfc5424Formatter(string facility, string appName, string? hostname, bool octetCounting)
    {
        _facility = ParseFacility(facility);
        _appName = HeaderToken(appName, 48);
        _fallbackHostname = HeaderToken(hostname, 255);
        _octetCounting = octetCounting;
    }

    /// <summary>Appends the framed message for <paramref name="leefLine"/> (octet count prefix, or trailing LF).</summary>
    public void AppendFrame(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> leefLine)
    {
        ArgumentNullException.ThrowIfNull(output);
        var summary = LeefSummary.Parse(leefLine);
        var severity = summary.Severity switch
        {
            null => DefaultSeverity,
            <= 4 => 5,
            <= 6 => 4,
            <= 8 => 3,
            _ => 2,
        };
        var timestamp = summary.DevTimeMilliseconds is { } ms && ms is >= 0 and <= 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
            : "-";
        var hostname = summary.IdentHostName is { } ident ? HeaderToken(ident, 255) : _fallbackHostname;
        var msgId = HeaderToken(summary.EventId, 32);
        var header = string.Create(CultureInfo.InvariantCulture, $"<{(_facility * 8) + severity}>1 {timestamp} {hostname} {_appName} - {msgId} - ");
        var headerLength = Encoding.ASCII.GetByteCount(header);
        var messageLength = headerLength + leefLine.Length;

        if (_octetCounting)
        {
            // RFC 6587 §3.4.1: MSG-LEN SP SYSLOG-MSG, the length in octets; the content needs no escaping.
            var prefix = string.Create(CultureInfo.InvariantCulture, $"{messageLength} ");
            Encoding.ASCII.GetBytes(prefix, output);
            Encoding.ASCII.GetBytes(header, output);
            output.Write(leefLine);
        }
        else
        {
            // RFC 6587 §3.4.2: LF ends the message, so a CR or LF inside it would split it; the LEEF encoder never
            // emits one (output contract §4), this only keeps framing intact if one slips through.
            Encoding.ASCII.GetBytes(header, output);
            var span = output.GetSpan(leefLine.Length + 1);
            leefLine.CopyTo(span);
            span[..leefLine.Length].Replace((byte)'\n', (byte)' ');
            span[..leefLine.Length].Replace((byte)'\r', (byte)' ');
            span[leefLine.Length] = (byte)'\n';
            output.Advance(leefLine.Length + 1);
        }
    }

    /// <summary>
    /// The longest header <see cref="AppendFrame"/> puts in front of a LEEF line for <paramref name="options"/>: PRI (at
    /// most <c>&lt;191&gt;</c>), VERSION, the millisecond TIMESTAMP, HOSTNAME (the z/OS system name, IEASYSxx SYSNAME
    /// of at most 8 characters, or the configured <c>Hostname</c> when longer), APP-NAME, MSGID (at most 32) and the
    /// NILVALUE fields with their spaces. The octet count of the framing is not part of the message.
    /// </summary>
    internal static int LongestHeaderLength(SyslogSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const int SystemNameLength = 8;
        var hostname = Math.Max(SystemNameLength, HeaderToken(options.Hostname, 255).Length);
        return "<191>1 ".Length + "yyyy-MM-ddTHH:mm:ss.fffZ".Length + 1 + hostname + 1 + HeaderToken(options.AppName, 48).Length
            + " - ".Length + 32 + " - ".Length;
    }

    /// <summary>RFC 5424 facility codes (§6.2.1).</summary>
    public static int ParseFacility(string facility) =>
        TryParseFacility(facility, out var code)
            ? code
            : throw new ArgumentException($"Unknown syslog facility '{facility}' (kern … local7 or 0-23).", nameof(facility));

    /// <summary>A facility name (<c>kern</c> … <c>local7</c>, any case) or its number 0-23 (RFC 5424 §6.2.1).</summary>
    public static bool TryParseFacility(string? facility, out int code)
    {
        string[] names = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
            "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"];
        code = Array.IndexOf(names, facility?.Trim().ToLowerInvariant());
        if (code >= 0)
        {
            return true;
        }

        return int.TryParse(facility, NumberStyles.None, CultureInfo.InvariantCulture, out code) && code is >= 0 and <= 23;
    }

    /// <summary>A header field: printable US-ASCII without spaces (RFC 5424 §6), at most <paramref name="maxLength"/>; else NILVALUE.</summary>
    private static string HeaderToken(string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }

        var token = value.Length > maxLength ? value[..maxLength] : value;
        return token.All(c => c is >= '!' and <= '~') ? token : new string(token.Select(c => c is >= '!' and <= '~' ? c : '_').ToArray());
    }
}
