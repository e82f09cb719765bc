using System.Text.Json;
using ZertForwarder.Mapping;
using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The report's second reading takes each record from an ECS document with only the values the report reads
/// (<see cref="ReportRecord.Targets"/>). The record must be the one the whole document gives (the one an NDJSON input of
/// the forwarder's own output gives), or an SMF dump and its forwarded ECS lines would make different reports.
/// </summary>
public sealed class ReportRecordTargetTests
{
    [Fact]
    public void The_record_of_the_selected_values_is_the_record_of_the_whole_document()
    {
        var normalizer = BothDocuments.Normalizer();
        var selected = normalizer.SelectEcsTargets(ReportRecord.Targets);
        var compared = Compare(normalizer, selected, out var fewBytes, out var wholeBytes, out var seen);

        Assert.True(compared > 2500, $"{compared} records");
        Assert.True(fewBytes * 3 < wholeBytes * 2, $"{fewBytes} bytes of {wholeBytes}: the selection should be well under the whole");
        // Every part of the record was there to compare: each protocol, certificates, summaries, assessments.
        foreach (var part in new[] { "tls", "ssh", "ipsec", "certificate", "summary", "reasons", "quantum" })
        {
            Assert.True(seen.Contains(part), $"no record with {part} facts among the generated ones");
        }
    }

    [Theory]
    [InlineData("zos.zert.ssh")]
    [InlineData("tls")]
    [InlineData("zos.zert.summary.session_id")]
    [InlineData("process.name")]
    public void Leaving_out_a_target_the_record_reads_changes_records(string left)
    {
        var normalizer = BothDocuments.Normalizer();
        var selected = normalizer.SelectEcsTargets([.. ReportRecord.Targets.Where(t => t != left)]);
        Assert.Throws<Xunit.Sdk.EqualException>(() => Compare(normalizer, selected, out _, out _, out _));
    }

    [Fact]
    public void A_target_naming_an_object_selects_every_value_below_it_and_nothing_beside_it()
    {
        var normalizer = BothDocuments.Normalizer();
        var selected = normalizer.SelectEcsTargets(["zos.zert.tls", "event.dataset"]);
        foreach (var (whole, few, _, _) in BothDocuments.Of(normalizer, selected, count: 400))
        {
            if (!whole.GetProperty("zos").GetProperty("zert").TryGetProperty("tls", out var expected)) continue;
            Assert.Equal(expected.GetRawText(), few.GetProperty("zos").GetProperty("zert").GetProperty("tls").GetRawText());
            // Beside it: the dataset asked for, and no other member of zos.zert.
            Assert.Equal(["event", "zos"], few.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(["tls"], few.GetProperty("zos").GetProperty("zert").EnumerateObject().Select(p => p.Name));
            return;
        }
        Assert.Fail("no TLS record generated");
    }

    /// <summary>Reads 3,000 generated records both ways and asserts each pair equal; returns how many were compared.</summary>
    private static int Compare(ZertNormalizer normalizer, EcsTargets selected, out long fewBytes, out long wholeBytes, out HashSet<string> seen)
    {
        var compared = 0;
        fewBytes = wholeBytes = 0;
        seen = [];
        foreach (var (whole, few, wholeSize, fewSize) in BothDocuments.Of(normalizer, selected))
        {
            var expected = ReportRecord.FromEcs(whole)!;
            // Records hold lists and nested records: compared through their serialized properties, all of them.
            Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(ReportRecord.FromEcs(few)));
            fewBytes += fewSize;
            wholeBytes += wholeSize;
            compared++;
            if (expected.Tls is not null) seen.Add("tls");
            if (expected.Ssh is not null) seen.Add("ssh");
            if (expected.Ipsec is not null) seen.Add("ipsec");
            if (expected.Tls?.Server is not null || expected.Ssh?.Server is not null) seen.Add("certificate");
            if (expected.SummarySessionId is not null) seen.Add("summary");
            if (expected.Reasons.Count > 0) seen.Add("reasons");
            if (expected.QuantumVulnerable.Count > 0) seen.Add("quantum");
        }
        return compared;
    }
}
