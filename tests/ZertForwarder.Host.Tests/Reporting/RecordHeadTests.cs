using ZertForwarder.Reporting;

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
        var normalizer = BothDocuments.Normalizer();
        var selected = normalizer.SelectEcsTargets(RecordHead.Targets);
        int heads = 0, withStart = 0, withEnd = 0, withLocalIp = 0, summaries = 0;
        long fewBytes = 0, wholeBytes = 0;
        foreach (var (whole, few, wholeSize, fewSize) in BothDocuments.Of(normalizer, selected))
        {
            var expected = RecordHead.FromEcs(whole);
            Assert.Equal(expected, RecordHead.FromEcs(few));
            Assert.True(fewSize < wholeSize, $"{fewSize} bytes of {wholeSize}: not a selection");
            fewBytes += fewSize;
            wholeBytes += wholeSize;
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
