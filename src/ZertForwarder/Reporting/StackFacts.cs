namespace ZertForwarder.Reporting;

/// <summary>
/// What the counting rule must know of every stack before it can count any record (see <see cref="ReportBuilder"/>):
/// the times its interval summaries cover and its own addresses. The report reads its inputs twice, and the first
/// reading learns only these; they grow with the stacks, their addresses and the gaps between their intervals, not
/// with the records.
/// </summary>
internal sealed class StackFacts
{
    private readonly Dictionary<string, Coverage> _coverage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _homes = new(StringComparer.Ordinal);

    /// <summary>The stacks' own addresses, learnt from 119-11 local endpoints (a summary only says server and client).</summary>
    public IReadOnlyDictionary<string, HashSet<string>> Homes => _homes;

    public void Learn(RecordHead r)
    {
        if (r.IsIntervalSummary && r.Start is { } start)
        {
            var stack = r.StackKey;
            if (!_coverage.TryGetValue(stack, out var coverage)) _coverage[stack] = coverage = new Coverage();
            coverage.Add(start, r.End ?? r.Time);
        }
        if (r.Subtype == 11 && r.LocalIp is not null)
        {
            var stack = r.StackKey;
            if (!_homes.TryGetValue(stack, out var set)) _homes[stack] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(r.LocalIp);
        }
    }

    /// <summary>Whether an interval summary of the stack covers the time (start &lt; time &lt;= end).</summary>
    public bool Covers(string stackKey, DateTimeOffset time) => _coverage.TryGetValue(stackKey, out var coverage) && coverage.Contains(time);
}

/// <summary>
/// The times a stack's interval summaries cover: the union of their (start, end] intervals, kept as it grows as
/// disjoint ranges sorted by start with a gap between neighbours. A stack's summaries of one recording interval all
/// have the same interval and consecutive intervals touch, so the ranges are as many as the gaps in the recording,
/// however many summaries there are. Whether a time falls inside is a binary search: scanning every interval for
/// every detail record made the report quadratic in the input (140 s for 1 M records).
/// </summary>
internal sealed class Coverage
{
    private readonly List<DateTimeOffset> _starts = [];
    private readonly List<DateTimeOffset> _ends = [];

    /// <summary>The number of disjoint ranges (for the tests).</summary>
    internal int RangeCount => _starts.Count;

    /// <summary>Adds (start, end]. Ranges it overlaps or touches are joined with it: (a, b] and (b, c] are (a, c].</summary>
    public void Add(DateTimeOffset start, DateTimeOffset end)
    {
        // An interval whose end is not after its start covers nothing: start < t <= end has no t.
        if (end <= start) return;
        // The ranges to join are those ending at or after the start and starting at or before the end. Both lists are
        // sorted (the ranges are disjoint), so they are the run from first to last.
        var first = FirstIndex(_ends, e => e >= start);
        var last = FirstIndex(_starts, s => s > end) - 1;
        if (first > last)
        {
            _starts.Insert(first, start);
            _ends.Insert(first, end);
            return;
        }
        var joinedStart = _starts[first] < start ? _starts[first] : start;
        var joinedEnd = _ends[last] > end ? _ends[last] : end;
        _starts.RemoveRange(first + 1, last - first);
        _ends.RemoveRange(first + 1, last - first);
        _starts[first] = joinedStart;
        _ends[first] = joinedEnd;
    }

    /// <summary>Whether some interval has start &lt; <paramref name="time"/> &lt;= end.</summary>
    public bool Contains(DateTimeOffset time)
    {
        // The last range starting before the time is the only one that can hold it: the ranges are disjoint.
        var last = FirstIndex(_starts, s => s >= time) - 1;
        return last >= 0 && time <= _ends[last];
    }

    /// <summary>The first index whose value meets <paramref name="condition"/>, which holds from some index on; the count if none.</summary>
    private static int FirstIndex(List<DateTimeOffset> sorted, Func<DateTimeOffset, bool> condition)
    {
        var lo = 0;
        var hi = sorted.Count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (condition(sorted[mid])) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }
}
