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
}
