using System.Buffers;
using System.Text.Json;
using ZertForwarder.Generator;
using ZertForwarder.Mapping;
using ZertForwarder.Reporting;
using ZertForwarder.Smf.Zert;

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
        var normalizer = Normalizer();
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
        var normalizer = Normalizer();
        var selected = normalizer.SelectEcsTargets([.. ReportRecord.Targets.Where(t => t != left)]);
        Assert.Throws<Xunit.Sdk.EqualException>(() => Compare(normalizer, selected, out _, out _, out _));
    }

    [Fact]
    public void A_target_naming_an_object_selects_every_value_below_it_and_nothing_beside_it()
    {
        var normalizer = Normalizer();
        var selected = normalizer.SelectEcsTargets(["zos.zert.tls", "event.dataset"]);
        var few = new ArrayBufferWriter<byte>();
        var whole = new ArrayBufferWriter<byte>();
        foreach (var generated in SmfDumpGenerator.GenerateRecords(119, 400))
        {
            if (ZertRecordParser.Parse(generated.Bytes).Record is not { } record || !record.HasSection(ZertSection.Tls)) continue;
            few.ResetWrittenCount();
            whole.ResetWrittenCount();
            normalizer.WriteEcs(record, selected, few);
            normalizer.WriteEcs(record, whole);
            using var fewDoc = JsonDocument.Parse(few.WrittenMemory);
            using var wholeDoc = JsonDocument.Parse(whole.WrittenMemory);
            var expected = wholeDoc.RootElement.GetProperty("zos").GetProperty("zert").GetProperty("tls").GetRawText();
            Assert.Equal(expected, fewDoc.RootElement.GetProperty("zos").GetProperty("zert").GetProperty("tls").GetRawText());
            // Beside it: the dataset asked for, and no other member of zos.zert.
            Assert.Equal(["event", "zos"], fewDoc.RootElement.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(["tls"], fewDoc.RootElement.GetProperty("zos").GetProperty("zert").EnumerateObject().Select(p => p.Name));
            return;
        }
        Assert.Fail("no TLS record generated");
    }

    private static ZertNormalizer Normalizer() =>
        MappingSet.Load(Path.Combine(AppContext.BaseDirectory, "mappings"),
            new MappingOptions { UtcOffsets = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { ["SYSA"] = TimeSpan.FromHours(-5) } })
            .CreateNormalizer();

    /// <summary>Reads 3,000 generated records both ways and asserts each pair equal; returns how many were compared.</summary>
    private static int Compare(ZertNormalizer normalizer, EcsTargets selected, out long fewBytes, out long wholeBytes, out HashSet<string> seen)
    {
        var whole = new ArrayBufferWriter<byte>();
        var few = new ArrayBufferWriter<byte>();
        var compared = 0;
        fewBytes = wholeBytes = 0;
        seen = [];
        foreach (var generated in SmfDumpGenerator.GenerateRecords(119, 3000))
        {
            if (ZertRecordParser.Parse(generated.Bytes).Record is not { } record) continue;
            whole.ResetWrittenCount();
            few.ResetWrittenCount();
            normalizer.WriteEcs(record, whole);
            normalizer.WriteEcs(record, selected, few);
            using var wholeDoc = JsonDocument.Parse(whole.WrittenMemory);
            using var fewDoc = JsonDocument.Parse(few.WrittenMemory);
            var expected = ReportRecord.FromEcs(wholeDoc.RootElement)!;
            // Records hold lists and nested records: compared through their serialized properties, all of them.
            Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(ReportRecord.FromEcs(fewDoc.RootElement)));
            fewBytes += few.WrittenCount;
            wholeBytes += whole.WrittenCount;
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
