using System.Text.Json;
using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>Report records read from ECS documents a test writes, as <c>report</c> reads the forwarder's NDJSON.</summary>
internal static class CraftedEcs
{
    public static ReportRecord Read(string document)
    {
        using var json = JsonDocument.Parse(document);
        return ReportRecord.FromEcs(json.RootElement) ?? throw new ArgumentException("not a zERT record", nameof(document));
    }

    /// <summary>The report of <paramref name="records"/>, each counted as <c>report</c> counts it, without filters.</summary>
    public static Report ReportOf(params ReportRecord[] records)
    {
        var stacks = new StackFacts();
        foreach (var r in records) stacks.Learn(r.Head);
        var builder = new ReportBuilder(stacks, new ReportFilter());
        foreach (var r in records) builder.Add(r);
        return builder.Report;
    }
}
