using System.Buffers;
using System.Text.Json;
using ZertForwarder.Generator;
using ZertForwarder.Mapping;
using ZertForwarder.Reporting;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The report's first reading takes each record's head from an ECS document with only the head's values
/// (<see cref="RecordHead.Targets"/>); the second reading takes it from the whole document. Both must see the same head,
/// or the counting rule would learn other intervals and addresses than it counts with.
/// </summary>
public sealed class RecordHeadTests
{
    [Fact]
    public void The_head_of_the_selected_values_is_the_head_of_the_whole_document()
    {
        var mappings = MappingSet.Load(Path.Combine(AppContext.BaseDirectory, "mappings"),
            new MappingOptions { UtcOffsets = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { ["SYSA"] = TimeSpan.FromHours(-5), ["PRD1"] = TimeSpan.FromHours(1) } });
        var normalizer = mappings.CreateNormalizer();
        var selected = normalizer.SelectEcsTargets(RecordHead.Targets);
        var whole = new ArrayBufferWriter<byte>();
        var few = new ArrayBufferWriter<byte>();
        int heads = 0, withStart = 0, withEnd = 0, withLocalIp = 0, summaries = 0;
        long fewBytes = 0, wholeBytes = 0;
        foreach (var generated in SmfDumpGenerator.GenerateRecords(119, 3000))
        {
            if (ZertRecordParser.Parse(generated.Bytes).Record is not { } record) continue;
            whole.ResetWrittenCount();
            few.ResetWrittenCount();
            normalizer.WriteEcs(record, whole);
            normalizer.WriteEcs(record, selected, few);
            using var wholeDoc = JsonDocument.Parse(whole.WrittenMemory);
            using var fewDoc = JsonDocument.Parse(few.WrittenMemory);
            var expected = RecordHead.FromEcs(wholeDoc.RootElement);
            Assert.Equal(expected, RecordHead.FromEcs(fewDoc.RootElement));
            Assert.True(few.WrittenCount < whole.WrittenCount, $"{few.WrittenCount} bytes of {whole.WrittenCount}: not a selection");
            fewBytes += few.WrittenCount;
            wholeBytes += whole.WrittenCount;
            heads++;
            if (expected!.Start is not null) withStart++;
            if (expected.End is not null) withEnd++;
            if (expected.LocalIp is not null) withLocalIp++;
            if (expected.Subtype == 12) summaries++;
        }
        // Every part of the head is exercised: both subtypes, and the optional times and address present and absent.
        Assert.True(heads > 2500, $"{heads} records");
        Assert.True(fewBytes * 5 < wholeBytes, $"{fewBytes} bytes of {wholeBytes}: the selection should be a small part");
        Assert.InRange(withStart, 1, heads - 1);
        Assert.InRange(withEnd, 1, heads - 1);
        Assert.InRange(withLocalIp, 1, heads);
        Assert.InRange(summaries, 1, heads - 1);
    }
}
