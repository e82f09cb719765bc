using System.Text.Json;
using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>The <c>report</c> filters (<see cref="ReportFilter"/>) against the records the rows count.</summary>
public sealed class ReportFilterTests
{
    /// <summary>An interval summary's ECS document with the given <c>zos.zert.protection</c> list.</summary>
    private static ReportRecord Summary(params string[] protection) => CraftedEcs.Read("""
            {"@timestamp":"2025-05-17T10:00:00.000Z","event":{"dataset":"zos.zert_summary","provider":"TCPIP"},
             "labels":{"sysplex":"PLEXA","smf_system_id":"SYSA"},"server":{"ip":"10.10.1.11","port":23},"client":{"ip":"10.20.1.5"},
             "network":{"transport":"tcp","direction":"ingress"},
             "zos":{"zert":{"event_type":1,"protection":PROTECTION,"summary":{"connections":{"delta":1}}}}}
            """.Replace("PROTECTION", JsonSerializer.Serialize(protection), StringComparison.Ordinal));

    private static bool Matches(ReportRecord r, string protection)
    {
        var filter = new ReportFilter();
        filter.Protections.Add(protection);
        return filter.Matches(r);
    }

    /// <summary>
    /// A record whose only protection bit the layout does not name (contract §2.7: <c>unknown(0xNN)</c>) is cleartext
    /// to the assessment and is counted in the <c>none</c> columns and sessions; <c>--protection none</c> dropped it, so
    /// the cleartext the full report showed was missing from the report of cleartext alone.
    /// </summary>
    [Fact]
    public void Protection_none_keeps_every_record_the_rows_count_as_cleartext()
    {
        var unnamed = Summary("unknown(0x10)");
        Assert.True(unnamed.IsCleartext);
        Assert.Equal(["none"], unnamed.Layers);
        Assert.True(Matches(unnamed, "none"));
        Assert.False(Matches(unnamed, "tls"));

        Assert.True(Matches(Summary("none"), "none"));
        Assert.True(Matches(Summary(), "none"));

        var tls = Summary("tls", "unknown(0x10)");
        Assert.True(Matches(tls, "tls"));
        Assert.False(Matches(tls, "none"));
    }
}
