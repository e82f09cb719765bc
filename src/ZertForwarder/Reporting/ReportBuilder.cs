namespace ZertForwarder.Reporting;

/// <summary>
/// What one record adds to the counts, after the counting rule: connections and bytes come from subtype 12 when a
/// summary of the same stack covers the record's time, from subtype 11 otherwise, never both.
/// </summary>
internal readonly record struct Contribution(ReportRecord Record, long Connections, long BytesIn, long BytesOut, bool Counted);

/// <summary>
/// The report engine: turns records into the rows of servers.csv, clients.csv, outbound.csv and sessions.csv.
/// <para>
/// Counting rule (README "Report"). zERT writes a 119-12 record per security session per interval whose counters are
/// life-to-date values at the interval's start and end (layout §3.1, <c>SMF119SS_SAInitLifeConnCnt</c> ...
/// <c>SAEndLifeOutBytes</c>), so a summary counts <em>end - start</em> connections and bytes for that interval: every
/// connection tied to the session during the interval, including ones that started earlier (layout §3: partial
/// connections). A stack's intervals (end = record time, start = end - <c>SAIntervalDuration</c>, contract §1) are
/// "covered". A 119-11 record adds to the counts only when its record time lies in no covered interval of its stack:
/// the first record seen of a connection adds one connection, and each record adds the growth of the connection's
/// life-to-date byte counters since the previous record of it. Summary records are always counted.
/// </para>
/// <para>
/// A connection protected twice (TLS inside IPsec) is in two security sessions, so summaries count it in both; its
/// 119-11 records count it once in each protection column too. Totals do not add the columns up: per client,
/// the total is the subtype 11 count plus the larger of the summaries' IPsec and non-IPsec sessions (every connection
/// of a client is either inside an IPsec SA or not, so one of the two holds each connection exactly once).
/// </para>
/// </summary>
internal sealed class ReportBuilder
{
    private readonly List<ReportRecord> _records = [];

    public void Add(ReportRecord record) => _records.Add(record);

    public int RecordCount => _records.Count;

    /// <summary>The counting rule over all records, in input order (see the class remarks).</summary>
    public static List<Contribution> Contributions(IReadOnlyList<ReportRecord> records)
    {
        var intervals = new Dictionary<string, List<(DateTimeOffset Start, DateTimeOffset End)>>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            if (!r.IsIntervalSummary || r.Start is not { } start) continue;
            if (!intervals.TryGetValue(r.StackKey, out var list)) intervals[r.StackKey] = list = [];
            list.Add((start, r.End ?? r.Time));
        }
        var covered = intervals.ToDictionary(e => e.Key, e => Coverage.Of(e.Value), StringComparer.Ordinal);
        var lifeBytes = new Dictionary<(string, long, DateTimeOffset?), (long In, long Out)>();
        var result = new List<Contribution>(records.Count);
        foreach (var r in records)
        {
            if (r.IsIntervalSummary)
            {
                result.Add(new Contribution(r, r.SummaryConnections, r.SummaryBytesIn, r.SummaryBytesOut, Counted: true));
            }
            else if (r.IsConnectionEvent)
            {
                var key = (r.StackKey, r.ConnectionId!.Value, r.Start);
                var first = !lifeBytes.TryGetValue(key, out var before);
                lifeBytes[key] = (Math.Max(before.In, r.LifeBytesIn), Math.Max(before.Out, r.LifeBytesOut));
                var isCovered = covered.TryGetValue(r.StackKey, out var coverage) && coverage.Contains(r.Time);
                result.Add(isCovered
                    ? new Contribution(r, 0, 0, 0, Counted: false)
                    : new Contribution(r, first ? 1 : 0, Math.Max(0, r.LifeBytesIn - before.In), Math.Max(0, r.LifeBytesOut - before.Out), Counted: true));
            }
        }
        return result;
    }

    /// <summary>
    /// The times a stack's interval summaries cover: the union of their (start, end] intervals as disjoint ranges sorted
    /// by start, so whether a detail record falls inside one is a binary search. Scanning every interval of the stack
    /// for every detail record made the report quadratic in the input (140 s for 1 M records).
    /// </summary>
    private sealed class Coverage
    {
        private readonly DateTimeOffset[] _starts;
        private readonly DateTimeOffset[] _ends;

        private Coverage(DateTimeOffset[] starts, DateTimeOffset[] ends)
        {
            _starts = starts;
            _ends = ends;
        }

        public static Coverage Of(List<(DateTimeOffset Start, DateTimeOffset End)> intervals)
        {
            var starts = new List<DateTimeOffset>();
            var ends = new List<DateTimeOffset>();
            // An interval whose end is not after its start covers nothing: start < t <= end has no t.
            foreach (var (start, end) in intervals.Where(i => i.End > i.Start).OrderBy(i => i.Start))
            {
                // (a, b] and (c, d] with c <= b make (a, max(b, d)]: touching intervals join too, (a, b] + (b, d] = (a, d].
                if (ends.Count > 0 && start <= ends[^1])
                {
                    if (end > ends[^1]) ends[^1] = end;
                    continue;
                }
                starts.Add(start);
                ends.Add(end);
            }
            return new Coverage([.. starts], [.. ends]);
        }

        /// <summary>Whether some interval has start &lt; <paramref name="time"/> &lt;= end.</summary>
        public bool Contains(DateTimeOffset time)
        {
            // The last range starting before the time is the only one that can hold it: the ranges are disjoint.
            var lo = 0;
            var hi = _starts.Length - 1;
            var last = -1;
            while (lo <= hi)
            {
                var mid = lo + ((hi - lo) >> 1);
                if (_starts[mid] < time)
                {
                    last = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            return last >= 0 && time <= _ends[last];
        }
    }

    public Report Build(ReportFilter filter)
    {
        var contributions = Contributions(_records);
        var homes = HomeAddresses(_records);
        var report = new Report();
        foreach (var c in contributions)
        {
            var r = c.Record;
            if (!filter.Matches(r)) continue;
            report.Include(r);
            var role = Role(r, homes);
            report.Count(c, $"{r.Stack}|{r.Job}|{role.ServerIp}|{role.ClientIp}|{role.LocalIp}|{role.ForeignIp}|{role.PortText}");
            switch (role.Kind)
            {
                case EndpointKind.Server:
                    var server = report.Server(new ServerKey(r.Sysplex, r.System, r.Stack, role.ServerIp, role.PortText, r.Job));
                    server.Add(c, role.ClientIp);
                    report.Client(new ClientKey(server.Key, role.ClientIp)).Add(c, role.ClientIp);
                    break;
                default:
                    var kind = role.Kind == EndpointKind.EnterpriseExtender ? "enterprise-extender" : "tcp-client";
                    report.OutboundFor(new OutboundKey(r.Sysplex, r.System, r.Stack, r.Job, kind, role.LocalIp, role.ForeignIp, role.PortText)).Add(c, role.LocalIp);
                    break;
            }
            foreach (var layer in r.IsCleartext ? ["none"] : r.Protection)
            {
                report.Session(SessionRow.KeyOf(r, layer, role)).Add(c, r, layer, role);
            }
        }
        return report;
    }

    /// <summary>The stacks' own addresses, learnt from 119-11 local endpoints (a summary only says server and client).</summary>
    private static Dictionary<string, HashSet<string>> HomeAddresses(IEnumerable<ReportRecord> records)
    {
        var homes = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            if (r.Subtype != 11 || r.LocalIp is null) continue;
            if (!homes.TryGetValue(r.StackKey, out var set)) homes[r.StackKey] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(r.LocalIp);
        }
        return homes;
    }

    /// <summary>
    /// Who is the server. The record says it when it can (contract §2.3/§2.4: <c>network.direction</c>). Enterprise
    /// Extender (UDP) is peer to peer. A TCP connection record without a role (releases before z/OS 3.2 without a TLS
    /// handshake role) is taken as z/OS serving when its local port is not above the remote one: clients use
    /// ephemeral ports. A summary without a role is z/OS serving unless the stack's own addresses, learnt from its
    /// 119-11 records, do not include the server address.
    /// </summary>
    internal static EndpointRole Role(ReportRecord r, IReadOnlyDictionary<string, HashSet<string>> homes)
    {
        var port = r.ServerPortEnd > r.ServerPort ? $"{r.ServerPort}-{r.ServerPortEnd}" : r.ServerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (r.Transport == "udp")
        {
            if (r.Subtype == 11) return new EndpointRole(EndpointKind.EnterpriseExtender, "", "", r.LocalIp ?? "", r.RemoteIp ?? "", r.RemotePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var serverIsLocal = homes.TryGetValue(r.StackKey, out var own) && r.ServerIp is not null && own.Contains(r.ServerIp);
            return serverIsLocal
                ? new EndpointRole(EndpointKind.EnterpriseExtender, "", "", r.ServerIp ?? "", r.ClientIp ?? "", port)
                : new EndpointRole(EndpointKind.EnterpriseExtender, "", "", r.ClientIp ?? "", r.ServerIp ?? "", port);
        }
        if (r.ServerIp is not null)
        {
            var zosServes = r.Direction switch
            {
                "ingress" => true,
                "egress" => false,
                // No role flag: z/OS serves unless the stack's own addresses (from 119-11) say the server is elsewhere.
                _ => !homes.TryGetValue(r.StackKey, out var own) || own.Contains(r.ServerIp),
            };
            return zosServes
                ? new EndpointRole(EndpointKind.Server, r.ServerIp, r.ClientIp ?? "", "", "", port)
                : new EndpointRole(EndpointKind.Client, "", "", r.ClientIp ?? "", r.ServerIp, port);
        }
        var local = r.LocalIp ?? "";
        var remote = r.RemoteIp ?? "";
        return r.LocalPort <= r.RemotePort
            ? new EndpointRole(EndpointKind.Server, local, remote, "", "", r.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : new EndpointRole(EndpointKind.Client, "", "", local, remote, r.RemotePort.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

internal enum EndpointKind
{
    Server,
    Client,
    EnterpriseExtender,
}

/// <summary>Endpoints of a record seen from z/OS: as server (server and client address) or as client/peer (local and foreign).</summary>
internal readonly record struct EndpointRole(EndpointKind Kind, string ServerIp, string ClientIp, string LocalIp, string ForeignIp, string PortText);
