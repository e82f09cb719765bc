namespace ZertForwarder.Reporting;

/// <summary>
/// What the counting rule must know before it can count any record (see <see cref="ReportBuilder"/>): the times each
/// stack's interval summaries cover, each stack's own addresses, and where each connection record lies in its
/// connection's time. The report reads its inputs twice, and the first reading learns only these; they grow with the
/// stacks, their addresses, the gaps between their intervals and the connection records, not with whole records.
/// </summary>
internal sealed class StackFacts
{
    private readonly Dictionary<string, Coverage> _coverage = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _homes = new(StringComparer.Ordinal);
    private readonly Dictionary<ConnectionKey, ConnectionRecords> _connections = [];

    /// <summary>Small numbers for the stack keys, so a connection's key holds no string of its own.</summary>
    private readonly Dictionary<string, int> _stackNumbers = new(StringComparer.Ordinal);

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
        if (r.IsConnectionEvent) ConnectionOf(r).Learn(r);
    }

    /// <summary>Whether an interval summary of the stack covers the time (start &lt; time &lt;= end).</summary>
    public bool Covers(string stackKey, DateTimeOffset time) => _coverage.TryGetValue(stackKey, out var coverage) && coverage.Contains(time);

    /// <summary>The records learnt of a connection record's connection.</summary>
    public ConnectionRecords ConnectionOf(RecordHead r)
    {
        var stack = r.StackKey;
        if (!_stackNumbers.TryGetValue(stack, out var number)) _stackNumbers[stack] = number = _stackNumbers.Count;
        var key = new ConnectionKey(number, r.ConnectionId!.Value, r.Start?.UtcTicks ?? ConnectionKey.NoStart);
        if (!_connections.TryGetValue(key, out var records)) _connections[key] = records = new ConnectionRecords();
        return records;
    }

    /// <summary>
    /// A connection: stack, connection id and start time. The start is kept as its UTC ticks, which is what
    /// <see cref="DateTimeOffset"/> equality compares; ticks are never negative, so <see cref="NoStart"/> stands for none.
    /// </summary>
    private readonly record struct ConnectionKey(int Stack, long Id, long StartUtcTicks)
    {
        public const long NoStart = -1;
    }
}

/// <summary>
/// The distinct records of one connection (record time and life-to-date byte counters, layout §2.1 <c>SAInBytes</c>,
/// <c>SAOutBytes</c>) in time order, so each can be counted against the one before it in time rather than the one
/// before it in the input; and which of them have been counted (the same record read twice counts once). A
/// connection has a few records (initiation, protection changes, termination), so they are kept in a small sorted
/// array.
/// </summary>
internal sealed class ConnectionRecords
{
    private Entry[] _entries = [];

    private record struct Entry(long TimeUtcTicks, long BytesIn, long BytesOut, bool Counted);

    public void Learn(RecordHead r)
    {
        var index = IndexOf(r);
        if (index >= 0) return;
        index = ~index;
        var entries = new Entry[_entries.Length + 1];
        Array.Copy(_entries, entries, index);
        entries[index] = new Entry(r.Time.UtcTicks, r.LifeBytesIn, r.LifeBytesOut, Counted: false);
        Array.Copy(_entries, index, entries, index + 1, _entries.Length - index);
        _entries = entries;
    }

    /// <summary>
    /// Marks the record counted and says how it lies in its connection: whether it is the earliest, the byte counters'
    /// growth since the records before it in time (at least 0), and whether it had been counted before.
    /// </summary>
    public (bool Earliest, long GrowthIn, long GrowthOut, bool Repeated) Count(RecordHead r)
    {
        // A record the first reading did not see (an input that changed between the readings) takes its place now.
        Learn(r);
        var index = IndexOf(r);
        var entry = _entries[index];
        _entries[index] = entry with { Counted = true };
        long beforeIn = 0, beforeOut = 0;
        for (var i = 0; i < index; i++)
        {
            beforeIn = Math.Max(beforeIn, _entries[i].BytesIn);
            beforeOut = Math.Max(beforeOut, _entries[i].BytesOut);
        }
        return (index == 0, Math.Max(0, entry.BytesIn - beforeIn), Math.Max(0, entry.BytesOut - beforeOut), entry.Counted);
    }

    /// <summary>The record's index, or the complement of where it belongs (<see cref="Array.BinarySearch{T}(T[], T)"/>).</summary>
    private int IndexOf(RecordHead r)
    {
        var (ticks, bytesIn, bytesOut) = (r.Time.UtcTicks, r.LifeBytesIn, r.LifeBytesOut);
        int lo = 0, hi = _entries.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var e = _entries[mid];
            var order = e.TimeUtcTicks != ticks ? e.TimeUtcTicks.CompareTo(ticks) : e.BytesIn != bytesIn ? e.BytesIn.CompareTo(bytesIn) : e.BytesOut.CompareTo(bytesOut);
            if (order == 0) return mid;
            if (order < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }
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
