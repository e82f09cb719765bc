using System.Globalization;
using System.Text.Json;

namespace ZertForwarder.Reporting;

/// <summary>
/// The facts the report needs from one zERT record, read from its ECS document (output contract §2). SMF input is
/// first turned into the same ECS document by the normalizer, so an SMF file and the ECS NDJSON that <c>run</c> wrote
/// from it give identical records and therefore identical reports.
/// </summary>
internal sealed class ReportRecord
{
    public required RecordHead Head { get; init; }
    public DateTimeOffset Time => Head.Time;
    public int Subtype => Head.Subtype;
    public int EventType => Head.EventType;
    public string Sysplex => Head.Sysplex;
    /// <summary>SMF system id (<c>labels.smf_system_id</c>).</summary>
    public string System => Head.System;
    public string Stack => Head.Stack;
    public string? LocalIp => Head.LocalIp;
    public DateTimeOffset? Start => Head.Start;
    public DateTimeOffset? End => Head.End;
    public string Job { get; init; } = "";
    public string Transport { get; init; } = "";
    /// <summary><c>ingress</c> (z/OS is the server), <c>egress</c> (z/OS is the client) or <c>unknown</c>.</summary>
    public string Direction { get; init; } = "unknown";
    public string? ServerIp { get; init; }
    public int ServerPort { get; init; }
    public int ServerPortEnd { get; init; }
    public string? ClientIp { get; init; }
    public int LocalPort { get; init; }
    public string? RemoteIp { get; init; }
    public int RemotePort { get; init; }
    public long? ConnectionId => Head.ConnectionId;
    /// <summary>119-11: the connection's life-to-date byte counters as of this record.</summary>
    public long LifeBytesIn => Head.LifeBytesIn;
    public long LifeBytesOut => Head.LifeBytesOut;
    /// <summary>119-12: the interval's deltas of the life-to-date counters (output contract §2.4).</summary>
    public long SummaryConnections { get; init; }
    public long SummaryBytesIn { get; init; }
    public long SummaryBytesOut { get; init; }
    public string? SummarySessionId { get; init; }
    /// <summary><c>tls</c>, <c>ssh</c>, <c>ipsec</c> in that order, or <c>none</c>.</summary>
    public IReadOnlyList<string> Protection { get; init; } = [];
    public TlsFacts? Tls { get; init; }
    public SshFacts? Ssh { get; init; }
    public IpsecFacts? Ipsec { get; init; }
    public string Level { get; init; } = "";
    public IReadOnlyList<string> Reasons { get; init; } = [];
    public bool? QuantumSafe { get; init; }
    public IReadOnlyList<string> QuantumVulnerable { get; init; } = [];
    public string? Profile { get; init; }
    public bool? Compliant { get; init; }

    public bool IsCleartext => Protection.Count == 0 || (Protection.Count == 1 && Protection[0] == "none");

    private static readonly IReadOnlyList<string> CleartextLayers = ["none"];

    /// <summary>
    /// The protection layers the record is counted, filtered and put in sessions under: <c>none</c> for cleartext
    /// (also a record whose only protection bits the layout does not name), else <see cref="Protection"/>.
    /// </summary>
    public IReadOnlyList<string> Layers => IsCleartext ? CleartextLayers : Protection;

    /// <summary>The assessment found the crypto weak, or there was none (the <c>--weak-only</c> filter).</summary>
    public bool IsWeakOrCleartext => Level is "weak" or "cleartext";

    public bool IsConnectionEvent => Head.IsConnectionEvent;

    public bool IsIntervalSummary => Head.IsIntervalSummary;

    public string StackKey => Head.StackKey;

    /// <summary>
    /// The ECS values and objects <see cref="FromEcs"/> reads: the report's second reading writes documents with only
    /// these (<see cref="ZertNormalizer.SelectEcsTargets"/>), about half the bytes of the whole document. The protocol
    /// objects are taken whole: their facts are read by the objects' presence too, which then does not depend on which
    /// values a mapping file writes in them (taking only the values read saved no measurable time, 1 M records). A path
    /// read below and missing here would read as absent there; ReportRecordTargetTests compares records read both ways.
    /// </summary>
    public static readonly IReadOnlyList<string> Targets =
    [
        .. RecordHead.Targets,
        "process.name", "network.transport", "network.direction", "server.ip", "server.port", "client.ip",
        "zos.zert.server_port_range.end", "zos.zert.local.port", "zos.zert.remote.ip", "zos.zert.remote.port",
        "zos.zert.summary.connections.delta",
        "zos.zert.summary.bytes_in.delta", "zos.zert.summary.bytes_out.delta", "zos.zert.summary.session_id",
        "zos.zert.protection", "zos.zert.assessment.level", "zos.zert.assessment.reasons", "zos.zert.assessment.quantum_safe",
        "zos.zert.assessment.quantum_vulnerable", "zos.zert.assessment.profile", "zos.zert.assessment.compliant",
        "tls", "zos.zert.tls", "zos.zert.ssh", "zos.zert.ipsec",
    ];

    /// <summary>Reads one ECS document; null for a document that is not a zERT record (wrong dataset).</summary>
    public static ReportRecord? FromEcs(JsonElement doc)
    {
        if (RecordHead.FromEcs(doc) is not { } head) return null;
        var zert = Get(doc, "zos", "zert");
        var summary = zert is { } z ? Get(z, "summary") : null;
        var assessment = zert is { } z2 ? Get(z2, "assessment") : null;
        var portRangeEnd = zert is { } z3 ? Int(z3, "server_port_range", "end") : 0;
        var serverPort = Int(doc, "server", "port");
        return new ReportRecord
        {
            Head = head,
            Job = Str(doc, "process", "name") ?? "",
            Transport = Str(doc, "network", "transport") ?? "",
            Direction = Str(doc, "network", "direction") ?? "unknown",
            ServerIp = Str(doc, "server", "ip"),
            ServerPort = serverPort,
            ServerPortEnd = portRangeEnd == 0 ? serverPort : portRangeEnd,
            ClientIp = Str(doc, "client", "ip"),
            LocalPort = zert is { } z6 ? Int(z6, "local", "port") : 0,
            RemoteIp = zert is { } z7 ? Str(z7, "remote", "ip") : null,
            RemotePort = zert is { } z8 ? Int(z8, "remote", "port") : 0,
            SummaryConnections = summary is { } s1 ? Delta(s1, "connections", "delta") : 0,
            SummaryBytesIn = summary is { } s2 ? Delta(s2, "bytes_in", "delta") : 0,
            SummaryBytesOut = summary is { } s3 ? Delta(s3, "bytes_out", "delta") : 0,
            SummarySessionId = summary is { } s4 ? Str(s4, "session_id") : null,
            Protection = zert is { } zc ? ProtectionLayers(zc) : [],
            Tls = TlsFacts.From(doc, zert),
            Ssh = zert is { } zd && Get(zd, "ssh") is { } ssh ? SshFacts.From(ssh) : null,
            Ipsec = zert is { } ze && Get(ze, "ipsec") is { } ipsec ? IpsecFacts.From(ipsec) : null,
            Level = assessment is { } a1 ? Str(a1, "level") ?? "" : "",
            Reasons = assessment is { } a2 ? Strings(a2, "reasons") : [],
            QuantumSafe = assessment is { } a3 ? Bool(a3, "quantum_safe") : null,
            QuantumVulnerable = assessment is { } a4 ? Strings(a4, "quantum_vulnerable") : [],
            Profile = assessment is { } a5 ? Str(a5, "profile") : null,
            Compliant = assessment is { } a6 ? Bool(a6, "compliant") : null,
        };
    }

    /// <summary>
    /// The protection layers the report counts (<see cref="Counts.ProtectionNames"/>) of <c>zos.zert.protection</c>. A
    /// SASecProtos bit the layout does not name is there as <c>unknown(0xNN)</c> (contract §2.7) but is no layer: the
    /// assessment reads the known bits only, so a record with just such a bit is cleartext here as there.
    /// </summary>
    private static IReadOnlyList<string> ProtectionLayers(JsonElement zert)
    {
        var listed = Strings(zert, "protection");
        return listed.All(p => Counts.ProtectionNames.Contains(p)) ? listed : [.. listed.Where(p => Counts.ProtectionNames.Contains(p))];
    }

    internal static JsonElement? Get(JsonElement e, params ReadOnlySpan<string> path)
    {
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e)) return null;
        }
        return e;
    }

    internal static string? Str(JsonElement e, params ReadOnlySpan<string> path) => Get(e, path) is { } v
        ? v.ValueKind switch { JsonValueKind.String => Pooled(v.GetString()!), JsonValueKind.Number => v.GetRawText(), _ => null }
        : null;

    // The same systems, jobs, addresses, suites and DNs repeat in almost every record and end up in the rows' keys and
    // fields: one copy of each. Texts of one record alone (times) stay out, or the pool would grow with the input.
    [ThreadStatic] private static HashSet<string>? t_pool;

    private static string Pooled(string text)
    {
        var pool = t_pool ??= new HashSet<string>(StringComparer.Ordinal);
        if (pool.TryGetValue(text, out var existing)) return existing;
        pool.Add(text);
        return text;
    }

    internal static int Int(JsonElement e, params ReadOnlySpan<string> path) => Get(e, path) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out var i) ? i : 0;

    internal static long Long(JsonElement e, params ReadOnlySpan<string> path) => Get(e, path) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var i) ? i : 0;

    /// <summary>
    /// A life-to-date counter (an unsigned 8-byte field): at least 0, and one past 2^63 - 1 (a damaged record, no real
    /// connection's) as that, so the sums it goes into stop at the largest number (<see cref="Saturating"/>) rather
    /// than count it as nothing.
    /// </summary>
    internal static long Counter(JsonElement e, params ReadOnlySpan<string> path) => Get(e, path) is { ValueKind: JsonValueKind.Number } v
        ? v.TryGetInt64(out var i) ? Math.Max(0, i) : v.TryGetUInt64(out _) ? long.MaxValue : 0
        : 0;

    /// <summary>
    /// An interval's growth of a counter (end - start), at least 0. The normalizer writes the delta signed (output
    /// contract §2.4), so an end below its start (a counter that went back) comes as a negative number: it adds nothing,
    /// and neither does a number past 2^63 - 1 from hand-made ECS.
    /// </summary>
    internal static long Delta(JsonElement e, params ReadOnlySpan<string> path) => Get(e, path) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var i) ? Math.Max(0, i) : 0;

    internal static bool? Bool(JsonElement e, params ReadOnlySpan<string> path) => Get(e, path) is { } v && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    internal static IReadOnlyList<string> Strings(JsonElement e, params ReadOnlySpan<string> path)
    {
        if (Get(e, path) is not { } v) return [];
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind != JsonValueKind.Array) return [];
        return [.. v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => Pooled(x.GetString()!))];
    }

    /// <summary>A time as <see cref="Str"/> reads it, but not pooled: nearly every record has times of its own.</summary>
    internal static DateTimeOffset? ParseTime(JsonElement e, params ReadOnlySpan<string> path)
    {
        var text = Get(e, path) is { } v ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null } : null;
        return text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
    }
}

/// <summary>
/// What a record is, whose stack and when, the stack's address it names, and of a connection record its connection
/// and byte counters: all the report's first reading needs (<see cref="StackFacts"/>), read without the rest of the
/// document. <see cref="ReportRecord.FromEcs"/> starts from
/// it, so both readings see the same values and reject the same documents.
/// </summary>
internal sealed record RecordHead(int Subtype, int EventType, string Sysplex, string System, string Stack, DateTimeOffset Time,
    DateTimeOffset? Start, DateTimeOffset? End, string? LocalIp, long? ConnectionId = null, long LifeBytesIn = 0, long LifeBytesOut = 0)
{
    public bool IsIntervalSummary => Subtype == 12 && EventType == 1;

    /// <summary>Connection records that belong to a connection (not the zERT enable/disable events 5 and 6).</summary>
    public bool IsConnectionEvent => Subtype == 11 && EventType is >= 1 and <= 4 or 7 && ConnectionId is not null;

    public string StackKey => $"{Sysplex}/{System}/{Stack}";

    /// <summary>
    /// The ECS paths <see cref="FromEcs"/> reads: the report's first reading writes documents with only these
    /// (<see cref="ZertNormalizer.SelectEcsTargets"/>). A path read below and missing here would read as absent there;
    /// RecordHeadTests compares both readings' heads.
    /// </summary>
    public static readonly IReadOnlyList<string> Targets =
    [
        "event.dataset", "zos.zert.event_type", "labels.sysplex", "labels.smf_system_id", "host.name", "event.provider",
        "observer.name", "@timestamp", "event.start", "event.end", "zos.zert.local.ip", "zos.zert.connection_id",
        "zos.zert.bytes_in", "zos.zert.bytes_out",
    ];

    /// <summary>Null for a document that is not a zERT record (wrong dataset).</summary>
    public static RecordHead? FromEcs(JsonElement doc)
    {
        var dataset = ReportRecord.Str(doc, "event", "dataset");
        var subtype = dataset switch { "zos.zert_connection" => 11, "zos.zert_summary" => 12, _ => 0 };
        if (subtype == 0) return null;
        var zert = ReportRecord.Get(doc, "zos", "zert");
        return new RecordHead(
            subtype,
            zert is { } z1 ? ReportRecord.Int(z1, "event_type") : 0,
            ReportRecord.Str(doc, "labels", "sysplex") ?? "",
            ReportRecord.Str(doc, "labels", "smf_system_id") ?? ReportRecord.Str(doc, "host", "name") ?? "",
            ReportRecord.Str(doc, "event", "provider") ?? ReportRecord.Str(doc, "observer", "name") ?? "",
            ReportRecord.ParseTime(doc, "@timestamp") ?? throw new JsonException("an ECS document without @timestamp"),
            ReportRecord.ParseTime(doc, "event", "start"),
            ReportRecord.ParseTime(doc, "event", "end"),
            zert is { } z2 ? ReportRecord.Str(z2, "local", "ip") : null,
            zert is { } z3 && ReportRecord.Get(z3, "connection_id") is { ValueKind: JsonValueKind.Number } id && id.TryGetInt64(out var connection) ? connection : null,
            zert is { } z4 ? ReportRecord.Counter(z4, "bytes_in") : 0,
            zert is { } z5 ? ReportRecord.Counter(z5, "bytes_out") : 0);
    }
}

/// <summary>X.509 facts of one certificate (ECS <c>x509</c> shape).</summary>
internal sealed record CertificateFacts(string? Subject, string? Issuer, string? Serial, string? NotAfter, string? KeyAlgorithm, int KeySize, string? SignatureAlgorithm)
{
    /// <summary>
    /// The facts of <paramref name="a"/> completed from <paramref name="b"/> when both describe the same certificate
    /// (a summary before z/OS 3.2 has no serial or expiry, the connection records of the same session do).
    /// </summary>
    public static CertificateFacts? Merge(CertificateFacts? a, CertificateFacts? b)
    {
        if (a is null) return b;
        if (b is null || !MayBeSame(a, b)) return a;
        return new CertificateFacts(a.Subject ?? b.Subject, a.Issuer ?? b.Issuer, a.Serial ?? b.Serial, a.NotAfter ?? b.NotAfter,
            a.KeyAlgorithm ?? b.KeyAlgorithm, a.KeySize > 0 ? a.KeySize : b.KeySize, a.SignatureAlgorithm ?? b.SignatureAlgorithm);
    }

    /// <summary>
    /// Whether the facts can describe one certificate: no subject, serial or not-after that both have differs. A
    /// renewed certificate keeps its subject and has a new serial and not-after.
    /// </summary>
    public static bool MayBeSame(CertificateFacts a, CertificateFacts b) =>
        (a.Subject is null || b.Subject is null || a.Subject == b.Subject)
        && (a.Serial is null || b.Serial is null || a.Serial == b.Serial)
        && (a.NotAfter is null || b.NotAfter is null || a.NotAfter == b.NotAfter);

    /// <summary>Facts that tell one certificate from another of the same subject (a summary before z/OS 3.2 has neither).</summary>
    public bool Identifies => Serial is not null || NotAfter is not null;

    public static CertificateFacts? From(JsonElement? x509)
    {
        if (x509 is not { } x) return null;
        var c = new CertificateFacts(
            ReportRecord.Str(x, "subject", "distinguished_name"),
            ReportRecord.Str(x, "issuer", "distinguished_name"),
            ReportRecord.Str(x, "serial_number"),
            ReportRecord.Str(x, "not_after"),
            ReportRecord.Str(x, "public_key_algorithm"),
            ReportRecord.Int(x, "public_key_size"),
            ReportRecord.Str(x, "signature_algorithm"));
        return c.Subject is null && c.Serial is null && c.NotAfter is null && c.KeyAlgorithm is null ? null : c;
    }
}

/// <summary>
/// The certificates one side of a security session showed over the report, each completed from the facts of the
/// records that may describe it (<see cref="CertificateFacts.Merge"/>): a certificate renewed during the report (same
/// subject, new serial and not-after) is a second certificate of the same session, not dropped. Facts that do not tell
/// certificates apart (a summary before z/OS 3.2 has no serial or not-after: layout §3.2) complete every certificate
/// they may describe. What it says does not depend on the order of the records: it keeps the distinct facts seen and
/// works the certificates out of them in one fixed order when asked (a session shows one or two, so this is cheap).
/// </summary>
internal sealed class CertificateHistory
{
    /// <summary>Every distinct set of facts seen, with the newest time of a record that showed it.</summary>
    private readonly Dictionary<CertificateFacts, DateTimeOffset> _seen = [];

    private List<(CertificateFacts Facts, DateTimeOffset LastSeen)>? _certificates;

    /// <summary>Every certificate seen, ordered by not-after, serial, subject and the other facts (ordinal).</summary>
    public IReadOnlyList<CertificateFacts> All => [.. Certificates().Select(c => c.Facts)];

    /// <summary>
    /// The certificate of the newest record that told it apart (by serial or not-after); at the same time the one that
    /// expires last, so the answer does not depend on input order.
    /// </summary>
    public CertificateFacts? Current
    {
        get
        {
            var certificates = Certificates();
            if (certificates.Count == 0) return null;
            var current = certificates[0];
            foreach (var c in certificates.Skip(1))
            {
                var order = c.LastSeen.CompareTo(current.LastSeen);
                if (order == 0) order = string.CompareOrdinal(c.Facts.NotAfter, current.Facts.NotAfter);
                if (order == 0) order = string.CompareOrdinal(c.Facts.Serial, current.Facts.Serial);
                if (order > 0) current = c;
            }
            return current.Facts;
        }
    }

    public void Add(CertificateFacts? facts, DateTimeOffset time)
    {
        if (facts is null) return;
        // Facts that do not tell certificates apart do not make a certificate newer: a summary of after a renewal would
        // otherwise bring the old certificate back.
        var seen = facts.Identifies ? time : DateTimeOffset.MinValue;
        if (_seen.TryGetValue(facts, out var lastSeen) && lastSeen >= seen) return;
        _seen[facts] = seen;
        _certificates = null;
    }

    /// <summary>
    /// The certificates the facts seen describe, worked out in <see cref="Canonical"/> order: first the facts that tell
    /// certificates apart, each joining the first certificate it may be or starting one; then the others, each
    /// completing every one of those it may describe, or, describing none, joining the first other it may be or
    /// starting one.
    /// </summary>
    private List<(CertificateFacts Facts, DateTimeOffset LastSeen)> Certificates()
    {
        if (_certificates is not null) return _certificates;
        var certificates = new List<(CertificateFacts Facts, DateTimeOffset LastSeen)>();
        var identified = 0;
        foreach (var (facts, seen) in _seen.OrderBy(f => !f.Key.Identifies).ThenBy(f => f.Key, Canonical))
        {
            if (facts.Identifies)
            {
                Join(certificates.FindIndex(c => CertificateFacts.MayBeSame(c.Facts, facts)), facts, seen);
                identified = certificates.Count;
                continue;
            }
            var completed = false;
            for (var i = 0; i < identified; i++)
            {
                if (!CertificateFacts.MayBeSame(certificates[i].Facts, facts)) continue;
                Join(i, facts, seen);
                completed = true;
            }
            if (!completed) Join(certificates.FindIndex(identified, c => CertificateFacts.MayBeSame(c.Facts, facts)), facts, seen);
        }

        void Join(int index, CertificateFacts facts, DateTimeOffset seen)
        {
            if (index < 0)
            {
                certificates.Add((facts, seen));
                return;
            }
            var (known, lastSeen) = certificates[index];
            certificates[index] = (CertificateFacts.Merge(known, facts)!, seen > lastSeen ? seen : lastSeen);
        }

        certificates.Sort((a, b) => Canonical.Compare(a.Facts, b.Facts));
        return _certificates = certificates;
    }

    /// <summary>A fixed order of facts: not-after, serial, subject, issuer, key algorithm and size, signature algorithm.</summary>
    private static readonly Comparer<CertificateFacts> Canonical = Comparer<CertificateFacts>.Create((a, b) =>
    {
        var order = string.CompareOrdinal(a.NotAfter, b.NotAfter);
        if (order == 0) order = string.CompareOrdinal(a.Serial, b.Serial);
        if (order == 0) order = string.CompareOrdinal(a.Subject, b.Subject);
        if (order == 0) order = string.CompareOrdinal(a.Issuer, b.Issuer);
        if (order == 0) order = string.CompareOrdinal(a.KeyAlgorithm, b.KeyAlgorithm);
        if (order == 0) order = a.KeySize.CompareTo(b.KeySize);
        if (order == 0) order = string.CompareOrdinal(a.SignatureAlgorithm, b.SignatureAlgorithm);
        return order;
    });
}

/// <summary>TLS facts: ECS <c>tls.*</c> and <c>zos.zert.tls.*</c> (output contract §2.5).</summary>
internal sealed record TlsFacts(string Version, string? Cipher, string? CipherCode, string? KeyExchange, string? Encryption, string? Mac,
    bool Established, CertificateFacts? Server, CertificateFacts? Client)
{
    public static TlsFacts? From(JsonElement doc, JsonElement? zert)
    {
        var tls = ReportRecord.Get(doc, "tls");
        var z = zert is { } zz ? ReportRecord.Get(zz, "tls") : null;
        if (tls is null && z is null) return null;
        var protocol = tls is { } t1 ? ReportRecord.Str(t1, "version_protocol") : null;
        var number = tls is { } t2 ? ReportRecord.Str(t2, "version") : null;
        var version = protocol is null ? "" : $"{protocol.ToUpperInvariant()} {number}";
        return new TlsFacts(
            version,
            tls is { } t3 ? ReportRecord.Str(t3, "cipher") : null,
            z is { } z1 ? ReportRecord.Str(z1, "cipher_code") : null,
            z is { } z2 ? ReportRecord.Str(z2, "key_exchange") : null,
            z is { } z3 ? ReportRecord.Str(z3, "encryption") : null,
            z is { } z4 ? ReportRecord.Str(z4, "mac") : null,
            tls is not { } t4 || ReportRecord.Bool(t4, "established") != false,
            tls is { } t5 ? CertificateFacts.From(ReportRecord.Get(t5, "server", "x509")) : null,
            tls is { } t6 ? CertificateFacts.From(ReportRecord.Get(t6, "client", "x509")) : null);
    }
}

/// <summary>SSH facts (<c>zos.zert.ssh.*</c>).</summary>
internal sealed record SshFacts(string Version, string? KeyExchange, string? Encryption, string? Mac, string? ServerKeyType, int ServerKeySize, CertificateFacts? Server,
    CertificateFacts? Client)
{
    public static SshFacts From(JsonElement ssh) => new(
        ReportRecord.Str(ssh, "version") ?? "",
        ReportRecord.Str(ssh, "key_exchange"),
        ReportRecord.Str(ssh, "outbound", "encryption") ?? ReportRecord.Str(ssh, "inbound", "encryption"),
        ReportRecord.Str(ssh, "outbound", "mac") ?? ReportRecord.Str(ssh, "inbound", "mac"),
        ReportRecord.Str(ssh, "server", "key", "type"),
        ReportRecord.Int(ssh, "server", "key", "size"),
        CertificateFacts.From(ReportRecord.Get(ssh, "server", "x509")),
        CertificateFacts.From(ReportRecord.Get(ssh, "client", "x509")));
}

/// <summary>IPsec facts (<c>zos.zert.ipsec.*</c>).</summary>
internal sealed record IpsecFacts(string Version, string? DhGroup, string? Encryption, string? Integrity, string? Protocol, string? Mode,
    string? IkeDhGroup, string? IkeEncryption, string? IkeIntegrity, string? Prf, CertificateFacts? Local, CertificateFacts? Remote)
{
    public static IpsecFacts From(JsonElement ipsec)
    {
        var major = ReportRecord.Int(ipsec, "ike", "major_version");
        var type = ReportRecord.Str(ipsec, "tunnel", "type");
        return new IpsecFacts(
            major > 0 ? $"IKEv{major}" : type == "manual" ? "manual" : "",
            ReportRecord.Str(ipsec, "tunnel", "pfs_group") ?? ReportRecord.Str(ipsec, "ike", "dh_group"),
            ReportRecord.Str(ipsec, "tunnel", "encryption"),
            ReportRecord.Str(ipsec, "tunnel", "integrity"),
            ReportRecord.Str(ipsec, "tunnel", "protocol"),
            ReportRecord.Str(ipsec, "tunnel", "encapsulation_mode"),
            ReportRecord.Str(ipsec, "ike", "dh_group"),
            ReportRecord.Str(ipsec, "ike", "encryption"),
            ReportRecord.Str(ipsec, "ike", "integrity"),
            ReportRecord.Str(ipsec, "ike", "prf"),
            CertificateFacts.From(ReportRecord.Get(ipsec, "ike", "local", "x509")),
            CertificateFacts.From(ReportRecord.Get(ipsec, "ike", "remote", "x509")));
    }
}
