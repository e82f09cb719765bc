namespace ZertForwarder.Reporting;

/// <summary>
/// Which records a report covers (<c>report</c> options). Empty sets match everything. Filters apply to the records
/// after the counting rule has been decided over all of them, so narrowing a report never moves a connection from
/// the summary count to the detail count.
/// </summary>
internal sealed class ReportFilter
{
    /// <summary>SMF system ids or system names (case-insensitive).</summary>
    public HashSet<string> Systems { get; } = new(StringComparer.OrdinalIgnoreCase);
    public HashSet<string> Stacks { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary><c>none</c>, <c>tls</c>, <c>ssh</c>, <c>ipsec</c>.</summary>
    public HashSet<string> Protections { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Job names; a trailing <c>*</c> matches a prefix (<c>CICS*</c>).</summary>
    public List<string> Jobs { get; } = [];
    /// <summary>Server ports (also the foreign port of outbound connections); a summary's port range matches when it holds one.</summary>
    public HashSet<int> Ports { get; } = [];
    /// <summary>Record time (UTC) from, inclusive.</summary>
    public DateTimeOffset? From { get; set; }
    /// <summary>Record time (UTC) to, exclusive.</summary>
    public DateTimeOffset? To { get; set; }
    /// <summary>Only records the assessment judged weak or that were cleartext.</summary>
    public bool WeakOnly { get; set; }

    public bool Matches(ReportRecord r)
    {
        if (Systems.Count > 0 && !Systems.Contains(r.System)) return false;
        if (Stacks.Count > 0 && !Stacks.Contains(r.Stack)) return false;
        if (Protections.Count > 0 && !r.Layers.Any(Protections.Contains)) return false;
        if (Jobs.Count > 0 && !Jobs.Any(j => j.EndsWith('*') ? r.Job.StartsWith(j[..^1], StringComparison.OrdinalIgnoreCase) : r.Job.Equals(j, StringComparison.OrdinalIgnoreCase))) return false;
        if (Ports.Count > 0 && !Ports.Any(p => MatchesPort(r, p))) return false;
        if (From is { } from && r.Time < from) return false;
        if (To is { } to && r.Time >= to) return false;
        if (WeakOnly && !r.IsWeakOrCleartext) return false;
        return true;
    }

    private static bool MatchesPort(ReportRecord r, int port) =>
        r.ServerPort != 0 ? port >= r.ServerPort && port <= Math.Max(r.ServerPort, r.ServerPortEnd) : port == r.LocalPort || port == r.RemotePort;
}
