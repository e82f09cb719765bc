using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The data of the page's TLS versions chart, summed as records are counted: its columns must be those of grouping
/// every counted record by column, for any span (so any column width) and any record order.
/// </summary>
public sealed class TlsTimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 8, 7, 31, TimeSpan.Zero);

    /// <summary>The chart's column widths, narrowest first.</summary>
    private static readonly TimeSpan[] Widths =
        [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromDays(1), TimeSpan.FromDays(7), TimeSpan.FromDays(30)];

    [Theory]
    [InlineData(0.01)] // one column
    [InlineData(2)] // 5-minute columns
    [InlineData(9)] // 15 minutes
    [InlineData(30)] // 1 hour
    [InlineData(200)] // 6 hours
    [InlineData(900)] // 1 day
    [InlineData(7000)] // 7 days
    [InlineData(30000)] // 30 days
    [InlineData(90000)] // 30 days, more than 40 columns
    public void Columns_are_the_sums_of_the_records_in_each_column(double spanHours)
    {
        var random = new Random(11);
        string[] versions = ["TLS 1.3", "TLS 1.2", "SSL 3.0", "TLS 1.0"];
        var span = TimeSpan.FromHours(spanHours);
        var entries = Enumerable.Range(0, 3000)
            .Select(_ => (Time: T0 + (span * random.NextDouble()), Version: versions[random.Next(random.Next(1, versions.Length + 1))], Connections: (long)random.Next(1, 50)))
            .ToList();
        var timeline = new TlsTimeline();
        foreach (var (time, version, connections) in entries) timeline.Add(time, version, connections);

        // Straight from the records: the narrowest width giving at most 40 columns over the span, records grouped by
        // the column their time falls in.
        var first = entries.Min(e => e.Time);
        var last = entries.Max(e => e.Time);
        var width = Widths.FirstOrDefault(w => (last - first).Ticks / w.Ticks < 40, Widths[^1]);
        var seen = entries.Select(e => e.Version).Distinct().Order(StringComparer.Ordinal).ToList();
        var expected = entries.GroupBy(e => e.Time.UtcTicks - (e.Time.UtcTicks % width.Ticks)).OrderBy(g => g.Key)
            .Select(g => $"{new DateTimeOffset(g.Key, TimeSpan.Zero):O} {string.Join(",", seen.Select(v => g.Where(e => e.Version == v).Sum(e => e.Connections)))}")
            .ToList();

        Assert.Equal(seen, timeline.Versions);
        Assert.Equal(expected, timeline.Columns().Select(c => $"{c.Start:O} {string.Join(",", c.Connections)}"));
        Assert.True(expected.Count > 1 || spanHours < 0.1, $"{expected.Count} columns");
    }

    [Fact]
    public void No_tls_connections_give_no_columns()
    {
        var timeline = new TlsTimeline();
        Assert.Empty(timeline.Columns());
        Assert.Empty(timeline.Versions);
    }
}
