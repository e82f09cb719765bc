using System.Globalization;
using ZertForwarder.Mapping;

namespace ZertForwarder.Forwarding;

/// <summary>
/// The end-of-run table of <c>run --once</c> with a configuration: per server endpoint and job, the connection detail
/// records by protection and how many of them the assessment found weak (or cleartext). Only that run keeps one (the
/// embedded default prints the report engine's table instead, and a run that does not end prints none), so a
/// forwarder that runs for months holds no row per server it ever saw.
/// </summary>
/// <remarks>
/// At most <see cref="MaxServers"/> rows: a workload names a few hundred server endpoints, but nothing in the records
/// bounds them, and the memory target is for any input. Records of endpoints beyond that are counted in one line
/// under the table, not itemized (the report verb itemizes every server, from the output files).
/// </remarks>
internal sealed class ServerSummary
{
    /// <summary>Rows kept: about 2 MB at most (key strings shared with the envelope, a row of six counters).</summary>
    public const int MaxServers = 10_000;

    private readonly Dictionary<(string Server, int Port, string Job), Row> _rows = [];
    private long _untrackedRecords;

    public void Add(in EventEnvelope e)
    {
        if (!e.IsConnectionDetail) return;
        var key = (e.ServerIp ?? "(role unknown)", e.ServerPort, e.JobName ?? "");
        if (!_rows.TryGetValue(key, out var row))
        {
            if (_rows.Count >= MaxServers)
            {
                _untrackedRecords++;
                return;
            }
            _rows[key] = row = new Row();
        }
        row.Total++;
        var protection = e.Protection;
        if (protection.Count == 0 || (protection.Count == 1 && protection[0] == "none")) row.None++;
        // Indexed, not foreach: the list is an interface, and its enumerator would be an object per record.
        for (var i = 0; i < protection.Count; i++)
        {
            switch (protection[i])
            {
                case "tls": row.Tls++; break;
                case "ssh": row.Ssh++; break;
                case "ipsec": row.Ipsec++; break;
            }
        }
        if (e.Weak) row.Weak++;
    }

    public int Count => _rows.Count;

    /// <summary>Writes the table, busiest servers first, at most <paramref name="maxRows"/> rows.</summary>
    public void WriteTo(TextWriter output, int maxRows = 40)
    {
        var rows = _rows.OrderByDescending(r => r.Value.Total).ThenBy(r => r.Key.Server, StringComparer.Ordinal)
            .ThenBy(r => r.Key.Port).Take(maxRows).ToList();
        const string format = "{0,-40} {1,6} {2,-9} {3,7} {4,6} {5,6} {6,6} {7,6} {8,6}";
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, format, "server", "port", "job", "records", "tls", "ssh", "ipsec", "none", "weak"));
        foreach (var (key, row) in rows)
        {
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, format, key.Server, key.Port == 0 ? "-" : key.Port.ToString(CultureInfo.InvariantCulture),
                key.Job, row.Total, row.Tls, row.Ssh, row.Ipsec, row.None, row.Weak));
        }
        if (_rows.Count > rows.Count) output.WriteLine($"... and {_rows.Count - rows.Count} more servers");
        if (_untrackedRecords > 0)
        {
            output.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "... and {0} records of servers beyond the first {1} (not itemized; the report verb lists every server)", _untrackedRecords, MaxServers));
        }
    }

    private sealed class Row
    {
        public long Total;
        public long Tls;
        public long Ssh;
        public long Ipsec;
        public long None;
        public long Weak;
    }
}
