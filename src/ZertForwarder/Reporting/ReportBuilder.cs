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
/// it adds the growth of the connection's life-to-date byte counters since the connection's records before it in time,
/// and the earliest record of a connection adds one connection, unless the connection's start lies in a covered
/// interval: the summary of that interval counted it (a connection that starts in an interval and whose first record
/// is written after it, in a gap of the recording: aggregation switched off, a short connection's only record written
/// at its end). Its bytes are counted, as they may be after the interval. Summary records are always counted. The
/// first reading places each connection record in its connection's time (<see cref="ConnectionRecords"/>), so the
/// counts do not depend on the order of the inputs or of the records in them.
/// </para>
/// <para>
/// A connection protected twice (TLS inside IPsec) is in two security sessions, so summaries count it in both; its
/// 119-11 records count it once in each protection column too. Totals do not add the columns up: per client,
/// the total is the subtype 11 count plus the larger of the summaries' IPsec and non-IPsec sessions (every connection
/// of a client is either inside an IPsec SA or not, so one of the two holds each connection exactly once).
/// </para>
/// </summary>
internal sealed class ReportBuilder(StackFacts stacks, ReportFilter filter)
{
    /// <summary>
    /// The interval summaries counted so far, as 64-bit digests of what identifies one (stack, interval end, session
    /// and its server and client), 8 bytes each rather than the strings. Two different summaries share a digest with a
    /// chance of about 1 in 10^7 at a million summaries.
    /// </summary>
    private readonly HashSet<ulong> _summariesSeen = [];

    /// <summary>
    /// A summary's digest: the first 8 bytes of the SHA-256 of what identifies it. Not <see cref="HashCode"/>, whose
    /// seed is random per process: a summary dropped as the same as another would then be another one in every run,
    /// and the same input would not always give the same report.
    /// </summary>
    internal static ulong SummaryKey(ReportRecord r)
    {
        var identity = string.Join('\u001F', r.StackKey, r.Time.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.SummarySessionId, r.ServerIp, r.ServerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), r.ClientIp);
        Span<byte> digest = stackalloc byte[System.Security.Cryptography.SHA256.HashSizeInBytes];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity), digest);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    public Report Report { get; } = new();

    /// <summary>Every record handed in, whatever it added.</summary>
    public long RecordsRead { get; private set; }

    /// <summary>Counts one record, in input order: the rule first, over every record, then the filter (see <see cref="ReportFilter"/>).</summary>
    public void Add(ReportRecord r)
    {
        RecordsRead++;
        if (ContributionOf(r) is { } c && filter.Matches(r)) Aggregate(c);
    }

    /// <summary>What the record adds under the counting rule (see the class remarks); null for records that are neither interval summaries nor connection events.</summary>
    private Contribution? ContributionOf(ReportRecord r)
    {
        if (r.IsIntervalSummary)
        {
            // The same summary read again (a dump given twice, overlapping dumps) adds no connections or bytes: it is
            // the same interval of the same session, and its deltas were counted the first time. It is still a record
            // read (the records_119_12 column), as a repeated connection record is one of records_119_11.
            return _summariesSeen.Add(SummaryKey(r))
                ? new Contribution(r, r.SummaryConnections, r.SummaryBytesIn, r.SummaryBytesOut, Counted: true)
                : new Contribution(r, 0, 0, 0, Counted: true);
        }
        if (!r.IsConnectionEvent) return null;
        var stack = r.StackKey;
        var (earliest, growthIn, growthOut, repeated) = stacks.ConnectionOf(r.Head).Count(r.Head);
        if (stacks.Covers(stack, r.Time)) return new Contribution(r, 0, 0, 0, Counted: false);
        // The same record read again (a dump given twice) adds nothing: it was counted the first time.
        if (repeated) return new Contribution(r, 0, 0, 0, Counted: true);
        // A connection whose start a summary covers was counted by it (its life-to-date connection count at the
        // interval's end, layout §3.1 SAEndLifeConnCnt), whichever of its records come after the interval.
        var connections = earliest && !(r.Start is { } start && stacks.Covers(stack, start)) ? 1 : 0;
        return new Contribution(r, connections, growthIn, growthOut, Counted: true);
    }

    private void Aggregate(in Contribution c)
    {
        var r = c.Record;
        var report = Report;
        report.Include(r);
        var role = Role(r, stacks.Homes);
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
        foreach (var layer in r.Layers)
        {
            report.Session(SessionRow.KeyOf(r, layer, role)).Add(c, r, layer, role);
        }
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
            // As for TCP below: the server address is the stack's own unless its 119-11 addresses say otherwise. Taking
            // it as foreign without them swapped local and foreign in every EE row of a dump of summaries alone.
            var serverIsLocal = !homes.TryGetValue(r.StackKey, out var own) || (r.ServerIp is not null && own.Contains(r.ServerIp));
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
