using System.Globalization;

namespace ZertForwarder.Reporting;

/// <summary>The rows of one report, keyed and ordered for output.</summary>
internal sealed class Report
{
    private readonly Dictionary<ServerKey, ServerRow> _servers = [];
    private readonly Dictionary<ClientKey, ClientRow> _clients = [];
    private readonly Dictionary<OutboundKey, OutboundRow> _outbound = [];
    private readonly Dictionary<string, SessionRow> _sessions = new(StringComparer.Ordinal);

    /// <summary>Connection and interval records the filters let through (for the page and the CBOM).</summary>
    public long RecordCount { get; private set; }

    public DateTimeOffset? Newest { get; private set; }

    /// <summary>Per SMF system (for the quantum share chart).</summary>
    public SortedDictionary<string, Counts> Systems { get; } = new(StringComparer.Ordinal);

    /// <summary>TLS connections counted, by record time and protocol version (for the versions-over-time chart).</summary>
    public TlsTimeline TlsTimeline { get; } = new();

    public void Count(in Contribution c, string peer)
    {
        var r = c.Record;
        if (!Systems.TryGetValue(r.System, out var counts)) Systems[r.System] = counts = new Counts();
        counts.Add(c, peer);
        if (c.Connections > 0 && r.Tls is { Version.Length: > 0 } tls) TlsTimeline.Add(r.Time, tls.Version, c.Connections);
    }

    public void Include(ReportRecord r)
    {
        RecordCount++;
        if (Newest is null || r.Time > Newest) Newest = r.Time;
    }

    public ServerRow Server(ServerKey key) => _servers.TryGetValue(key, out var row) ? row : _servers[key] = new ServerRow(key);

    public ClientRow Client(ClientKey key) => _clients.TryGetValue(key, out var row) ? row : _clients[key] = new ClientRow(key);

    public OutboundRow OutboundFor(OutboundKey key) => _outbound.TryGetValue(key, out var row) ? row : _outbound[key] = new OutboundRow(key);

    public SessionRow Session(string key) => _sessions.TryGetValue(key, out var row) ? row : _sessions[key] = new SessionRow(key);

    /// <summary>Busiest first, then by name: the order of the CSV files, the page and the terminal table.</summary>
    public IReadOnlyList<ServerRow> Servers => [.. _servers.Values.OrderByDescending(r => r.Counts.Connections).ThenBy(r => r.Key.ToString(), StringComparer.Ordinal)];

    public IReadOnlyList<ClientRow> Clients => [.. _clients.Values.OrderBy(r => r.Key.Server.ToString(), StringComparer.Ordinal).ThenByDescending(r => r.Counts.Connections).ThenBy(r => r.Key.ClientIp, StringComparer.Ordinal)];

    public IReadOnlyList<OutboundRow> Outbound => [.. _outbound.Values.OrderByDescending(r => r.Counts.Connections).ThenBy(r => r.Key.ToString(), StringComparer.Ordinal)];

    public IReadOnlyList<SessionRow> Sessions => [.. _sessions.Values.OrderBy(r => r.Key, StringComparer.Ordinal)];
}

internal readonly record struct ServerKey(string Sysplex, string System, string Stack, string ServerIp, string Port, string Job);

internal readonly record struct ClientKey(ServerKey Server, string ClientIp);

internal readonly record struct OutboundKey(string Sysplex, string System, string Stack, string Job, string Kind, string LocalIp, string ForeignIp, string ForeignPort);

/// <summary>
/// Sums of counts that stop at the largest number instead of wrapping round to a negative one: byte counters are 8-byte
/// fields, and a damaged or hand-made record can hold any value (see <see cref="ReportRecord.FromEcs"/>, which reads
/// every count as at least 0). No real traffic gets near 2^63 bytes, so a total of 9223372036854775807 says "too big".
/// </summary>
internal static class Saturating
{
    /// <summary>The sum of two counts (each at least 0), or <see cref="long.MaxValue"/> when it does not fit.</summary>
    public static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    public static long Sum<T>(IEnumerable<T> items, Func<T, long> count)
    {
        var sum = 0L;
        foreach (var item in items) sum = Add(sum, count(item));
        return sum;
    }
}

/// <summary>A count kept apart by where it came from, so that totals follow the counting rule (see <see cref="ReportBuilder"/>).</summary>
internal sealed class LayeredCount
{
    private readonly Dictionary<string, long[]> _byPeer = new(StringComparer.Ordinal);

    public void Add(ReportRecord r, string peer, long value)
    {
        if (value == 0) return;
        if (!_byPeer.TryGetValue(peer, out var v)) _byPeer[peer] = v = new long[3];
        var i = r.Subtype == 11 ? 0 : r.Protection.Contains("ipsec") ? 1 : 2;
        v[i] = Saturating.Add(v[i], value);
    }

    public long Total => Saturating.Sum(_byPeer.Values, v => Saturating.Add(v[0], Math.Max(v[1], v[2])));
}

/// <summary>Connections and bytes of a row: totals, per protection, and by verdict.</summary>
internal sealed class Counts
{
    public static readonly string[] ProtectionNames = ["none", "tls", "ssh", "ipsec"];

    private readonly LayeredCount _connections = new();
    private readonly LayeredCount _bytesIn = new();
    private readonly LayeredCount _bytesOut = new();
    private readonly LayeredCount _weak = new();
    private readonly LayeredCount _nonCompliant = new();
    private readonly LayeredCount _quantumVulnerable = new();
    private readonly LayeredCount _protected = new();

    public long[] ConnectionsByProtection { get; } = new long[4];
    public long[] BytesByProtection { get; } = new long[4];
    public SortedSet<string> Versions { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> Protections { get; } = new(Comparer<string>.Create((a, b) => Array.IndexOf(ProtectionNames, a).CompareTo(Array.IndexOf(ProtectionNames, b))));
    public long Records11 { get; private set; }
    public long Records12 { get; private set; }
    public bool CountedFrom11 { get; private set; }
    public bool CountedFrom12 { get; private set; }
    public DateTimeOffset? FirstSeen { get; private set; }
    public DateTimeOffset? LastSeen { get; private set; }

    public long Connections => _connections.Total;
    public long BytesIn => _bytesIn.Total;
    public long BytesOut => _bytesOut.Total;
    public long Weak => _weak.Total;
    public long NonCompliant => _nonCompliant.Total;
    public long QuantumVulnerable => _quantumVulnerable.Total;

    /// <summary>Connections with any protection, by the same rule as the total (so the share never exceeds 1).</summary>
    public long Protected => _protected.Total;

    /// <summary>Quantum-vulnerable connections over protected connections (cleartext has no crypto to judge), 0-1.</summary>
    public double QuantumVulnerableShare => Protected == 0 ? 0 : Math.Min(1.0, (double)QuantumVulnerable / Protected);

    /// <summary>Which subtypes the counts come from: <c>11</c>, <c>12</c>, <c>11+12</c> (different intervals) or empty.</summary>
    public string CountedFrom => (CountedFrom11, CountedFrom12) switch { (true, true) => "11+12", (true, false) => "11", (false, true) => "12", _ => "" };

    public void Add(in Contribution c, string peer)
    {
        var r = c.Record;
        if (r.Subtype == 11) Records11++; else Records12++;
        if (c.Counted && r.Subtype == 11) CountedFrom11 = true;
        if (c.Counted && r.Subtype == 12) CountedFrom12 = true;
        _connections.Add(r, peer, c.Connections);
        _bytesIn.Add(r, peer, c.BytesIn);
        _bytesOut.Add(r, peer, c.BytesOut);
        if (r.Level == "weak") _weak.Add(r, peer, c.Connections);
        if (r.Compliant == false) _nonCompliant.Add(r, peer, c.Connections);
        if (Quantum.IsVulnerable(r)) _quantumVulnerable.Add(r, peer, c.Connections);
        if (!r.IsCleartext) _protected.Add(r, peer, c.Connections);
        foreach (var p in r.Layers)
        {
            var i = Array.IndexOf(ProtectionNames, p);
            if (i < 0) continue;
            Protections.Add(p);
            ConnectionsByProtection[i] = Saturating.Add(ConnectionsByProtection[i], c.Connections);
            BytesByProtection[i] = Saturating.Add(BytesByProtection[i], Saturating.Add(c.BytesIn, c.BytesOut));
        }
        foreach (var v in VersionsOf(r)) Versions.Add(v);
        var first = r.Subtype == 12 && r.Start is { } s ? s : r.Time;
        if (FirstSeen is null || first < FirstSeen) FirstSeen = first;
        if (LastSeen is null || r.Time > LastSeen) LastSeen = r.Time;
    }

    public static IEnumerable<string> VersionsOf(ReportRecord r)
    {
        if (r.Tls is { Version.Length: > 0 } t) yield return t.Version;
        if (r.Ssh is { Version.Length: > 0 } s && s.Version != "unknown") yield return s.Version;
        if (r.Ipsec is { Version.Length: > 0 } i) yield return i.Version;
    }

    /// <summary>The columns every aggregate row shares, in CSV order.</summary>
    public static readonly string[] Header =
    [
        "connections", "connections_none", "connections_tls", "connections_ssh", "connections_ipsec",
        "bytes_in", "bytes_out", "bytes_none", "bytes_tls", "bytes_ssh", "bytes_ipsec",
        "protections", "versions", "weak_connections", "noncompliant_connections", "quantum_vulnerable_connections",
        "quantum_vulnerable_share", "counted_from", "records_119_11", "records_119_12", "first_seen", "last_seen",
    ];

    public IEnumerable<string> Fields()
    {
        yield return N(Connections);
        foreach (var c in ConnectionsByProtection) yield return N(c);
        yield return N(BytesIn);
        yield return N(BytesOut);
        foreach (var b in BytesByProtection) yield return N(b);
        yield return string.Join(';', Protections);
        yield return string.Join(';', Versions);
        yield return N(Weak);
        yield return N(NonCompliant);
        yield return N(QuantumVulnerable);
        yield return QuantumVulnerableShare.ToString("0.###", CultureInfo.InvariantCulture);
        yield return CountedFrom;
        yield return N(Records11);
        yield return N(Records12);
        yield return Time(FirstSeen);
        yield return Time(LastSeen);
    }

    internal static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) ?? "";
}

internal sealed class ServerRow(ServerKey key)
{
    public ServerKey Key { get; } = key;
    public Counts Counts { get; } = new();

    public void Add(in Contribution c, string clientIp) => Counts.Add(c, clientIp);

    public static readonly string[] Header = ["sysplex", "system", "stack", "server_ip", "server_port", "job", .. Counts.Header];

    public string[] Fields() => [Key.Sysplex, Key.System, Key.Stack, Key.ServerIp, Key.Port, Key.Job, .. Counts.Fields()];
}

internal sealed class ClientRow(ClientKey key)
{
    public ClientKey Key { get; } = key;
    public Counts Counts { get; } = new();

    public void Add(in Contribution c, string clientIp) => Counts.Add(c, clientIp);

    public static readonly string[] Header =
        ["sysplex", "system", "stack", "server_ip", "server_port", "job", "client_ip", "connections", "bytes_in", "bytes_out", "protections", "versions", "weak_connections", "counted_from", "first_seen", "last_seen"];

    public string[] Fields()
    {
        var s = Key.Server;
        var c = Counts;
        return [s.Sysplex, s.System, s.Stack, s.ServerIp, s.Port, s.Job, Key.ClientIp, Counts.N(c.Connections), Counts.N(c.BytesIn), Counts.N(c.BytesOut),
            string.Join(';', c.Protections), string.Join(';', c.Versions), Counts.N(c.Weak), c.CountedFrom, Counts.Time(c.FirstSeen), Counts.Time(c.LastSeen)];
    }
}

internal sealed class OutboundRow(OutboundKey key)
{
    public OutboundKey Key { get; } = key;
    public Counts Counts { get; } = new();

    public void Add(in Contribution c, string localIp) => Counts.Add(c, localIp);

    public static readonly string[] Header = ["sysplex", "system", "stack", "job", "kind", "local_ip", "foreign_ip", "foreign_port", .. Counts.Header];

    public string[] Fields() => [Key.Sysplex, Key.System, Key.Stack, Key.Job, Key.Kind, Key.LocalIp, Key.ForeignIp, Key.ForeignPort, .. Counts.Fields()];
}
