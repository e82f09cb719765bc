using System.Text.Json;
using System.Text.RegularExpressions;
using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>The data behind <c>report.html</c>'s charts (<see cref="HtmlReport"/>), from records written for one question each.</summary>
public sealed partial class HtmlReportTests
{
    /// <summary>An interval summary of one TLS or cleartext session with the assessment's level and reasons.</summary>
    private static ReportRecord Summary(string client, string protection, string level, string reason, int connections) => CraftedEcs.Read($$"""
        {"@timestamp":"2025-05-17T10:00:00.000Z","event":{"dataset":"zos.zert_summary","provider":"TCPIP"},
         "labels":{"sysplex":"PLEXA","smf_system_id":"SYSA"},"server":{"ip":"10.10.1.11","port":443},"client":{"ip":"{{client}}"},
         "network":{"transport":"tcp","direction":"ingress"},"process":{"name":"CICSPA01"},
         "zos":{"zert":{"event_type":1,"protection":["{{protection}}"],"summary":{"connections":{"delta":{{connections}} } },
           "assessment":{"level":"{{level}}","reasons":["{{reason}}"]} } } }
        """);

    [GeneratedRegex("<script id=\"report-data\" type=\"application/json\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ChartDataBlock();

    /// <summary>
    /// The "assessment reasons, weak and acceptable" chart counted the reason of cleartext sessions too: cleartext (which
    /// has a chart of its own) was one of its biggest bars and pushed weak ciphers out of the fifteen bars shown.
    /// </summary>
    [Fact]
    public void The_reasons_chart_has_the_reasons_of_weak_and_acceptable_sessions_only()
    {
        var report = CraftedEcs.ReportOf(
            Summary("10.20.1.1", "none", "cleartext", "cleartext", 50),
            Summary("10.20.1.2", "tls", "weak", "cipher:rc4", 3),
            Summary("10.20.1.3", "tls", "acceptable", "mac:sha1", 2));

        var html = HtmlReport.Render(report, expiryWarningDays: 30);
        using var data = JsonDocument.Parse(ChartDataBlock().Match(html).Groups[1].Value);
        var reasons = data.RootElement.GetProperty("weakReasons").EnumerateArray()
            .Select(r => $"{r.GetProperty("label").GetString()}={r.GetProperty("value").GetInt64()}").ToList();
        Assert.Equal(["cipher:rc4=3", "mac:sha1=2"], reasons);
    }
}
