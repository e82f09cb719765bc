using System.Buffers;
using System.Text.Json;
using ZertForwarder.Generator;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// Generated zERT records, each written as its whole ECS document and as the document of selected targets: what the
/// report's readings write (<see cref="ZertNormalizer.SelectEcsTargets"/>) against what the forwarder's output holds.
/// </summary>
internal static class BothDocuments
{
    /// <summary>The shipped mappings, with UTC offsets for two of the generated systems and none for the others.</summary>
    public static ZertNormalizer Normalizer() =>
        MappingSet.Load(Path.Combine(AppContext.BaseDirectory, "mappings"),
            new MappingOptions { UtcOffsets = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { ["SYSA"] = TimeSpan.FromHours(-5), ["PRD1"] = TimeSpan.FromHours(1) } })
            .CreateNormalizer();

    /// <summary>
    /// Both documents of each of <paramref name="count"/> generated records, with their sizes; the elements are valid
    /// until the next one is taken.
    /// </summary>
    public static IEnumerable<(JsonElement Whole, JsonElement Selected, int WholeBytes, int SelectedBytes)> Of(
        ZertNormalizer normalizer, EcsTargets selected, int count = 3000)
    {
        var whole = new ArrayBufferWriter<byte>();
        var few = new ArrayBufferWriter<byte>();
        foreach (var generated in SmfDumpGenerator.GenerateRecords(119, count))
        {
            if (ZertRecordParser.Parse(generated.Bytes).Record is not { } record) continue;
            whole.ResetWrittenCount();
            few.ResetWrittenCount();
            normalizer.WriteEcs(record, whole);
            normalizer.WriteEcs(record, selected, few);
            using var wholeDoc = JsonDocument.Parse(whole.WrittenMemory);
            using var fewDoc = JsonDocument.Parse(few.WrittenMemory);
            yield return (wholeDoc.RootElement, fewDoc.RootElement, whole.WrittenCount, few.WrittenCount);
        }
    }
}
