using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// What the report's first reading learns (README "Counting rule"): the times a stack's interval summaries cover,
/// merged as the summaries come in any order, and the stack's own addresses.
/// </summary>
public sealed class StackFactsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double minutes) => T0.AddMinutes(minutes);

    [Fact]
    public void Coverage_holds_exactly_the_times_of_some_interval_whatever_order_the_intervals_come_in()
    {
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            // Few distinct boundaries, so intervals often overlap, touch, repeat or nest; some are empty or reversed.
            var intervals = Enumerable.Range(0, random.Next(1, 30))
                .Select(_ => (Start: At(random.Next(0, 60)), End: At(random.Next(0, 60)))).ToList();
            var coverage = new Coverage();
            foreach (var (start, end) in intervals) coverage.Add(start, end);

            var probes = intervals.SelectMany(i => new[] { i.Start, i.End }).SelectMany(t => new[] { t.AddTicks(-1), t, t.AddTicks(1) })
                .Concat(Enumerable.Range(-1, 62).Select(m => At(m + 0.5)));
            foreach (var t in probes)
            {
                var expected = intervals.Any(i => i.Start < t && t <= i.End);
                Assert.True(expected == coverage.Contains(t), $"round {round}, time {t:O}, intervals {string.Join(" ", intervals.Select(i => $"({i.Start:HH:mm},{i.End:HH:mm}]"))}");
            }
        }
    }

    [Fact]
    public void Consecutive_intervals_in_any_order_become_one_range_and_a_gap_keeps_two()
    {
        // Every session of a stack writes a summary per recording interval: 15-minute intervals that touch.
        var coverage = new Coverage();
        foreach (var i in new[] { 3, 0, 7, 1, 5, 2, 6, 4, 3, 0 }) coverage.Add(At(i * 15), At((i + 1) * 15));
        Assert.Equal(1, coverage.RangeCount);
        Assert.False(coverage.Contains(At(0)));
        Assert.True(coverage.Contains(At(0).AddTicks(1)));
        Assert.True(coverage.Contains(At(120)));
        Assert.False(coverage.Contains(At(120).AddTicks(1)));

        // Aggregation off for an hour, then on again; an interval that bridges the gap later joins everything.
        coverage.Add(At(180), At(195));
        Assert.Equal(2, coverage.RangeCount);
        Assert.False(coverage.Contains(At(150)));
        Assert.False(coverage.Contains(At(180)));
        Assert.True(coverage.Contains(At(181)));
        coverage.Add(At(110), At(190));
        Assert.Equal(1, coverage.RangeCount);
        Assert.True(coverage.Contains(At(150)));
    }

    [Fact]
    public void A_stack_learns_its_intervals_from_its_interval_summaries_and_its_addresses_from_its_connection_records()
    {
        var facts = new StackFacts();
        facts.Learn(Record(12, 1, "TCPIP", At(15), start: At(0)));
        facts.Learn(Record(12, 2, "TCPIP", At(45), start: At(30))); // not an interval summary: covers nothing
        facts.Learn(Record(11, 1, "TCPIP", At(50), localIp: "10.1.1.1"));
        facts.Learn(Record(11, 5, "TCPIP", At(50), localIp: "10.1.1.2")); // zERT enabled: still the stack's address
        facts.Learn(Record(12, 1, "TCPIP", At(60), start: At(45), localIp: "10.9.9.9")); // a summary's addresses are not learnt

        Assert.True(facts.Covers("PLEX1/SYSA/TCPIP", At(10)));
        Assert.False(facts.Covers("PLEX1/SYSA/TCPIP", At(40)));
        Assert.True(facts.Covers("PLEX1/SYSA/TCPIP", At(50)));
        Assert.False(facts.Covers("PLEX1/SYSA/TCPIPB", At(10)));
        Assert.Equal(["10.1.1.1", "10.1.1.2"], facts.Homes["PLEX1/SYSA/TCPIP"].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_connections_records_in_any_order_each_add_their_growth_over_the_records_before_them_in_time()
    {
        // Initiation, a protection change and termination of one connection (life-to-date counters grow), and another
        // connection's record with the same id but another start.
        var start = At(0);
        RecordHead Connection(double minutes, long bytesIn, long bytesOut, DateTimeOffset? connectionStart = null) =>
            new(11, 1, "PLEX1", "SYSA", "TCPIP", At(minutes), connectionStart ?? start, null, "10.1.1.1", 42, bytesIn, bytesOut);
        RecordHead[] records = [Connection(1, 100, 10), Connection(5, 250, 40), Connection(9, 400, 90)];
        var other = Connection(3, 7, 7, At(2));
        var expected = new Dictionary<RecordHead, (bool, long, long)>
        {
            [records[0]] = (true, 100, 10), [records[1]] = (false, 150, 30), [records[2]] = (false, 150, 50), [other] = (true, 7, 7),
        };
        foreach (var order in new[] { new[] { 0, 1, 2 }, [2, 1, 0], [1, 2, 0], [2, 0, 1] })
        {
            var facts = new StackFacts();
            foreach (var i in order.Reverse()) facts.Learn(records[i]);
            facts.Learn(other);
            foreach (var i in order)
            {
                var (earliest, growthIn, growthOut, repeated) = facts.ConnectionOf(records[i]).Count(records[i]);
                Assert.False(repeated);
                Assert.Equal(expected[records[i]], (earliest, growthIn, growthOut));
            }
            var again = facts.ConnectionOf(records[order[0]]).Count(records[order[0]]);
            Assert.True(again.Repeated, "the same record read again");
            var o = facts.ConnectionOf(other).Count(other);
            Assert.Equal(expected[other], (o.Earliest, o.GrowthIn, o.GrowthOut));
        }
    }

    private static RecordHead Record(int subtype, int eventType, string stack, DateTimeOffset time, DateTimeOffset? start = null, string? localIp = null) =>
        new(subtype, eventType, "PLEX1", "SYSA", stack, time, start, start is null ? null : time, localIp);
}
