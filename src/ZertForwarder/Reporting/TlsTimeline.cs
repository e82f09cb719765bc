namespace ZertForwarder.Reporting;

/// <summary>
/// TLS connections counted over time, by protocol version, for the page's versions-over-time chart. The chart's
/// column width depends on the whole span of the report, known only at the end, so the connections are summed per
/// version and five-minute slot as they come: every column width is a whole number of slots, and slots and columns
/// both start at multiples of their width, so each column is the sum of the slots inside it. What is kept grows with
/// the span of time and the versions, not with the records.
/// </summary>
internal sealed class TlsTimeline
{
    /// <summary>The chart's column widths, narrowest first; each is a whole number of the first, the slot.</summary>
    private static readonly TimeSpan[] ColumnWidths =
        [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromDays(1), TimeSpan.FromDays(7), TimeSpan.FromDays(30)];

    /// <summary>Columns the chart should not exceed, so it stays readable (a span over 40 times the widest width exceeds it).</summary>
    private const int MaxColumns = 40;

    private static readonly long SlotTicks = ColumnWidths[0].Ticks;

    /// <summary>Connections per slot (by the UTC ticks it starts at) and version.</summary>
    private readonly SortedDictionary<long, Dictionary<string, long>> _slots = [];

    private readonly SortedSet<string> _versions = new(StringComparer.Ordinal);

    private DateTimeOffset _first;
    private DateTimeOffset _last;

    /// <summary>The versions seen, in ordinal order: the chart's series.</summary>
    public IReadOnlyCollection<string> Versions => _versions;

    public void Add(DateTimeOffset time, string version, long connections)
    {
        if (_slots.Count == 0 || time < _first) _first = time;
        if (_slots.Count == 0 || time > _last) _last = time;
        var slot = time.UtcTicks - (time.UtcTicks % SlotTicks);
        if (!_slots.TryGetValue(slot, out var byVersion)) _slots[slot] = byVersion = new Dictionary<string, long>(StringComparer.Ordinal);
        byVersion[version] = Saturating.Add(byVersion.GetValueOrDefault(version), connections);
        _versions.Add(version);
    }

    /// <summary>
    /// The chart's columns in time order, those with connections only: each column's start and its connections per
    /// version in <see cref="Versions"/> order. The width is the narrowest that gives at most 40 columns between the
    /// first and the last time.
    /// </summary>
    public IEnumerable<(DateTimeOffset Start, long[] Connections)> Columns()
    {
        if (_slots.Count == 0) yield break;
        var width = ColumnWidths.FirstOrDefault(w => (_last - _first).Ticks / w.Ticks < MaxColumns, ColumnWidths[^1]).Ticks;
        var versions = _versions.ToList();
        long[]? connections = null;
        var start = 0L;
        // The slots come in time order, so a column's slots follow one another.
        foreach (var (slot, byVersion) in _slots)
        {
            var column = slot - (slot % width);
            if (connections is not null && column != start)
            {
                yield return (new DateTimeOffset(start, TimeSpan.Zero), connections);
                connections = null;
            }
            start = column;
            connections ??= new long[versions.Count];
            for (var i = 0; i < versions.Count; i++) connections[i] = Saturating.Add(connections[i], byVersion.GetValueOrDefault(versions[i]));
        }
        yield return (new DateTimeOffset(start, TimeSpan.Zero), connections!);
    }
}
