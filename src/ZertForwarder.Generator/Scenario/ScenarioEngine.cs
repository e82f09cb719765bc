using System.Net;
using ZertForwarder.Generator.Encoding;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

/// <summary>What a simulated arrival should look like; null members are chosen at random.</summary>
internal sealed class ArrivalPlan
{
    public required StackDef Stack { get; init; }

    public required AppDef App { get; init; }

    public bool? Short { get; init; }

    public ushort? TlsVersion { get; init; }

    public bool Failed { get; init; }

    public bool Enforce { get; init; }

    public bool Reset { get; init; }

    public bool LargeNames { get; init; }

    /// <summary>0 IPv4, 1 IPv6, 2 IPv4-mapped IPv6.</summary>
    public int? AddressMode { get; init; }

    public bool Change { get; init; }

    public bool? Observation { get; init; }

    public bool? ClientAuth { get; init; }

    public bool? X509 { get; init; }

    public bool? Ipsec { get; init; }
}

internal enum PendingKind
{
    Init,
    Change,
    Enforce,
    Term,
    DiscoveryOff,
    DiscoveryOn,
    AggregationOff,
    AggregationOn,
}

internal sealed record PendingEvent(PendingKind Kind, Connection? Connection, StackDef? Stack);

/// <summary>
/// Discrete-event simulation of zERT on several systems and stacks. Produces 119-11 records for connection
/// lifecycles and 119-12 interval summaries whose counters are the life-to-date sums of the same connections,
/// all in time order (UTC instant of the record), plus non-zERT records readers must skip.
/// </summary>
internal sealed class ScenarioEngine
{
    private const long Hundredth = SmfTimeEncoding.TicksPerHundredth;
    private const long Second = TimeSpan.TicksPerSecond;

    private static readonly string[] SshUsers = ["IBMUSER", "JSMITH", "OPSADM1", "SYSPROG1", "KWONG", "BATCHFT", "AGARCIA"];

    private readonly DeterministicRandom _rng;

    // Separate stream for non-zERT records so the zERT records do not depend on whether foreign records are mixed in.
    private readonly DeterministicRandom _foreignRng;
    private readonly TopologyBuilder _topology;
    private readonly Pki _pki;
    private readonly bool _includeForeign;
    private readonly List<StackDef> _stacks = [];
    private readonly PriorityQueue<PendingEvent, (long Ticks, long Sequence)> _queue = new();
    private readonly Queue<ArrivalPlan> _warmUp = new();
    private readonly List<GeneratedRecord> _output = [];
    private readonly Dictionary<StackDef, List<Connection>> _active = [];
    private readonly Dictionary<StackDef, List<SummarySession>> _intervalSessions = [];
    private readonly IPAddress[] _eePartners = [IPAddress.Parse("10.50.1.5"), IPAddress.Parse("10.50.1.6")];
    private readonly IPAddress[] _drPartners = [IPAddress.Parse("172.20.1.40"), IPAddress.Parse("172.20.1.50")];
    private readonly IPAddress _vpnGateway = IPAddress.Parse("198.51.100.1");
    private readonly IPAddress _legacyPartner = IPAddress.Parse("172.21.9.9");
    private readonly byte[][] _enforcementSections;
    private readonly Dictionary<string, (ushort Version, CipherSuite Suite)> _tlsPreferences = new(StringComparer.Ordinal);
    private long _sequence;
    private long _now;
    private long _nextArrival;
    private uint _sessionCounter;
    private uint _tunnelCounter;

    public ScenarioEngine(ulong seed, bool includeForeign)
    {
        _rng = new DeterministicRandom(seed);
        _foreignRng = new DeterministicRandom(~seed);
        _includeForeign = includeForeign;

        // Simulated time starts somewhere in 2024-2026 at a random time of day (so long runs cross midnights).
        var start = new DateTime(2024, 10, 28, 0, 0, 0, DateTimeKind.Utc).AddDays(_rng.Next(700)).Ticks + (_rng.Next(8_640_000) * Hundredth);
        _now = start;
        SimulationStartUtc = new DateTime(start, DateTimeKind.Utc);
        _pki = new Pki(_rng, SimulationStartUtc);
        _topology = new TopologyBuilder(_rng, _pki);
        _topology.Build();
        foreach (var system in _topology.Systems)
        {
            foreach (var stack in system.Stacks)
            {
                _stacks.Add(stack);
                _active[stack] = [];
                _intervalSessions[stack] = [];
                stack.LastBoundaryTicks = PreviousBoundary(stack, start);
                stack.NextBoundaryTicks = stack.LastBoundaryTicks + stack.Interval.Ticks;
            }
        }

        _enforcementSections =
        [
            EnforcementSection("ZERT_AUDIT_WEAK_TLS", "AUDIT"),
            EnforcementSection("ZERT_BLOCK_TLS10_AND_OLDER", "AUDIT_RESET"),
            EnforcementSection("ZERT_AUDIT_CLEARTEXT_TN3270", "AUDIT"),
        ];

        BuildWarmUp();
        SeedLongLivedConnections();
        ScheduleControl(PendingKind.DiscoveryOff, Find("SYSB", "TCPIP"), start + (200 * Second));
        ScheduleControl(PendingKind.AggregationOff, Find("PRD1", "TCPIP"), start + (330 * Second));
        _nextArrival = start + Hundredth;
    }

    public DateTime SimulationStartUtc { get; }

    /// <summary>Yields exactly <paramref name="zertCount"/> zERT records, with non-zERT records interleaved when enabled.</summary>
    public IEnumerable<GeneratedRecord> Run(int zertCount)
    {
        var first = _topology.Systems[0];
        if (_includeForeign)
        {
            yield return Foreign(ForeignRecords.DumpMarker(2, Local(first, _now), first.SmfId), first, _now);
        }

        var emitted = 0;
        while (emitted < zertCount)
        {
            Step();
            foreach (var record in _output)
            {
                if (emitted == zertCount)
                {
                    break;
                }

                if (record.IsZert)
                {
                    emitted++;
                }

                yield return record;
            }

            _output.Clear();
        }

        if (_includeForeign)
        {
            yield return Foreign(ForeignRecords.DumpMarker(3, Local(first, _now), first.SmfId), first, _now);
        }
    }

    private void Step()
    {
        StackDef? boundaryStack = null;
        var boundary = long.MaxValue;
        foreach (var stack in _stacks)
        {
            if (stack.NextBoundaryTicks < boundary)
            {
                boundary = stack.NextBoundaryTicks;
                boundaryStack = stack;
            }
        }

        var queued = _queue.TryPeek(out _, out var priority) ? priority.Ticks : long.MaxValue;
        if (boundary <= queued && boundary <= _nextArrival)
        {
            _now = boundary;
            ProcessBoundary(boundaryStack!);
        }
        else if (queued <= _nextArrival)
        {
            var pending = _queue.Dequeue();
            _now = queued;
            Process(pending);
        }
        else
        {
            _now = _nextArrival;
            var plan = _warmUp.Count > 0 ? _warmUp.Dequeue() : RandomPlan();
            Arrive(plan, _now);
            // Bursty gaps with a 1.2 s mean, integer-only so every platform produces the same sequence.
            var gap = _rng.Chance(0.7) ? _rng.Between(1, 120) : _rng.Between(120, 400);
            _nextArrival = _now + (gap * Hundredth);
        }
    }

    // ---------------------------------------------------------------- planning

    private StackDef Find(string smfId, string stack)
    {
        foreach (var s in _stacks)
        {
            if (s.System.SmfId == smfId && s.Name == stack)
            {
                return s;
            }
        }

        throw new InvalidOperationException($"No stack {smfId}/{stack}.");
    }

    private AppDef FindApp(StackDef stack, AppKind kind)
    {
        foreach (var app in stack.Apps)
        {
            if (app.Kind == kind)
            {
                return app;
            }
        }

        throw new InvalidOperationException($"No {kind} on {stack.System.SmfId}/{stack.Name}.");
    }

    /// <summary>
    /// The first arrivals walk through every feature once (all protocols and versions, 3.2 failures, enforcement,
    /// IPv6, IPsec flavours, long DNs), so even a short run covers the record shapes consumers must handle.
    /// </summary>
    private void BuildWarmUp()
    {
        var sysa = Find("SYSA", "TCPIP");
        var sysab = Find("SYSA", "TCPIPB");
        var sysb = Find("SYSB", "TCPIP");
        var prd1 = Find("PRD1", "TCPIP");
        var dev1 = Find("DEV1", "TCPIP");
        void Add(StackDef s, AppKind k, Func<StackDef, AppDef, ArrivalPlan> make) => _warmUp.Enqueue(make(s, FindApp(s, k)));

        Add(sysa, AppKind.CicsHttps, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0304, AddressMode = 1, Short = false });
        Add(sysb, AppKind.CicsHttps, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0303, AddressMode = 2, Short = false });
        Add(sysa, AppKind.MqChannel, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0303, Change = true, ClientAuth = true, Short = false });
        Add(sysb, AppKind.Tn3270Tls, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0301, Enforce = true, Short = false });
        Add(sysa, AppKind.Tn3270Tls, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0301, Enforce = true, Reset = true });
        Add(sysab, AppKind.LegacyWeb, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0300 });
        Add(sysab, AppKind.LegacyWeb, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0200 });
        Add(sysb, AppKind.LegacyWeb, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0302 });
        Add(sysa, AppKind.SshdServer, (s, a) => new ArrivalPlan { Stack = s, App = a, Observation = false, Short = false, X509 = false });
        Add(sysb, AppKind.SshdServer, (s, a) => new ArrivalPlan { Stack = s, App = a, Observation = true });
        Add(prd1, AppKind.OutboundSftp, (s, a) => new ArrivalPlan { Stack = s, App = a, X509 = true });
        Add(sysa, AppKind.SshdServer, (s, a) => new ArrivalPlan { Stack = s, App = a, Failed = true });
        Add(sysa, AppKind.CicsHttps, (s, a) => new ArrivalPlan { Stack = s, App = a, Failed = true });
        Add(sysa, AppKind.Db2OverIpsec, (s, a) => new ArrivalPlan { Stack = s, App = a, Short = false });
        Add(prd1, AppKind.MqOverIpsec, (s, a) => new ArrivalPlan { Stack = s, App = a, LargeNames = true });
        Add(sysa, AppKind.EnterpriseExtender, (s, a) => new ArrivalPlan { Stack = s, App = a, Ipsec = true });
        Add(prd1, AppKind.EnterpriseExtender, (s, a) => new ArrivalPlan { Stack = s, App = a, Ipsec = false });
        Add(sysa, AppKind.ManualTunnel, (s, a) => new ArrivalPlan { Stack = s, App = a });
        Add(sysb, AppKind.FtpControl, (s, a) => new ArrivalPlan { Stack = s, App = a, Change = true, Short = false });
        Add(dev1, AppKind.Tn3270Clear, (s, a) => new ArrivalPlan { Stack = s, App = a, Short = false });
        Add(dev1, AppKind.Db2Clear, (s, a) => new ArrivalPlan { Stack = s, App = a, Short = true });
        Add(sysa, AppKind.MqOverIpsec, (s, a) => new ArrivalPlan { Stack = s, App = a, LargeNames = true, Short = false });
        Add(sysb, AppKind.OutboundHttps, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0303 });
        Add(sysa, AppKind.Db2Tls, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0302, Short = true });
        Add(prd1, AppKind.CicsHttps, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0304, ClientAuth = true, Short = true });
        Add(dev1, AppKind.HttpClear, (s, a) => new ArrivalPlan { Stack = s, App = a, Short = true });
        Add(sysa, AppKind.MqChannel, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0304, ClientAuth = true, AddressMode = 1 });
        Add(sysa, AppKind.Tn3270Clear, (s, a) => new ArrivalPlan { Stack = s, App = a, Enforce = true, Short = true });
        Add(sysb, AppKind.Db2Tls, (s, a) => new ArrivalPlan { Stack = s, App = a, TlsVersion = 0x0303, ClientAuth = true, Short = false });
    }

    private ArrivalPlan RandomPlan()
    {
        var total = 0;
        foreach (var s in _stacks)
        {
            total += s.TotalWeight;
        }

        var roll = _rng.Next(total);
        var stack = _stacks[^1];
        foreach (var s in _stacks)
        {
            if (roll < s.TotalWeight)
            {
                stack = s;
                break;
            }

            roll -= s.TotalWeight;
        }

        roll = _rng.Next(stack.TotalWeight);
        var app = stack.Apps[^1];
        foreach (var a in stack.Apps)
        {
            if (roll < a.Weight)
            {
                app = a;
                break;
            }

            roll -= a.Weight;
        }

        return new ArrivalPlan { Stack = stack, App = app };
    }

    private void SeedLongLivedConnections()
    {
        // Connections that were already up when the dump starts: their init records predate it, so only
        // termination records (and interval summaries) show them.
        foreach (var stack in _stacks)
        {
            foreach (var app in stack.Apps)
            {
                if (app.Kind is AppKind.MqChannel or AppKind.EnterpriseExtender or AppKind.MqOverIpsec or AppKind.Tn3270Tls)
                {
                    var start = _now - (_rng.Between(3_600, 30 * 3_600) * Second) - (_rng.Next(100) * Hundredth);
                    Arrive(new ArrivalPlan { Stack = stack, App = app, Short = false }, start);
                }
            }
        }
    }

    // ---------------------------------------------------------------- connections

    private void Arrive(ArrivalPlan plan, long start)
    {
        var stack = plan.Stack;
        var app = plan.App;
        var system = stack.System;
        var conn = new Connection { Stack = stack, App = app, Id = stack.NextConnectionId++, StartTicks = start };
        conn.JobName = app.JobName;
        conn.JobId = app.JobId;
        conn.UserId = app.UserId;
        conn.LocalServer = app.LocalServer;

        if (app.Kind == AppKind.SshdServer)
        {
            // Each sshd session runs in its own forked address space named after the user (user + digit).
            var user = _rng.Pick(SshUsers);
            conn.UserId = user;
            conn.JobName = (user.Length > 7 ? user[..7] : user) + _rng.Between(1, 9).ToString(System.Globalization.CultureInfo.InvariantCulture);
            conn.JobId = $"STC{_rng.Between(1, 99_999):D5}";
        }

        ChooseAddresses(conn, plan);
        conn.Flags = (byte)((conn.Ipv6 ? 0x80 : 0) | (system.IsZos32 && conn.IpProtocol == 6 ? (conn.LocalServer ? 0x10 : 0x08) : 0));
        if (stack.IpSecurity)
        {
            // Layout §2.1 SASecFlags: IPv4 IP security on, IPv6 IP security when the stack has IPv6, filtering applied.
            conn.SecurityFlags = (byte)(0x80 | (stack.HomeV6 is null ? 0 : 0x40) | 0x20);
            conn.Filter = app.Filter;
        }

        var (shortProbability, minSeconds, maxSeconds) = Lifetime(app.Kind);
        var isShort = plan.Short ?? _rng.Chance(shortProbability);
        var duration = isShort ? _rng.Between(20, 990) * Hundredth : (_rng.Between(minSeconds, maxSeconds) * Second) + (_rng.Next(100) * Hundredth);
        SetTraffic(conn, app.Kind);

        var lateTls = false;
        BuildProtection(conn, plan, ref isShort, ref lateTls);
        if (isShort && duration >= 10 * Second)
        {
            duration = _rng.Between(20, 990) * Hundredth;
        }

        if (plan.Change && !isShort && duration < 60 * Second)
        {
            duration = _rng.Between(60, 900) * Second;
        }

        conn.IsShort = isShort;
        conn.EndTicks = start + duration;
        if (start < _now && conn.EndTicks <= _now)
        {
            // A connection already up at the start of the dump must still be up now.
            conn.EndTicks = _now + (_rng.Between(60, 20 * 3_600) * Second);
        }

        // Enforcement (V2R5+, TCP): audit weak TLS or cleartext TN3270; sometimes the rule also resets.
        var enforce = false;
        if (system.HasEnforcement && conn.IpProtocol == 6 && !conn.FailedHandshake && start >= _now)
        {
            var weakTls = conn.Tls is { } t && t.ProtocolVersion is >= 0x0200 and <= 0x0301;
            enforce = plan.Enforce || (weakTls && _rng.Chance(0.5)) || (app.Kind == AppKind.Tn3270Clear && _rng.Chance(0.3));
            if (enforce)
            {
                var reset = plan.Reset || (weakTls && !plan.Enforce && _rng.Chance(0.4));
                conn.Enforcement = app.Kind == AppKind.Tn3270Clear ? _enforcementSections[2] : reset ? _enforcementSections[1] : _enforcementSections[0];
                var enforceAt = start + (_rng.Between(5, 150) * Hundredth);
                Schedule(PendingKind.Enforce, conn, null, enforceAt);
                if (reset)
                {
                    conn.Reset = true;
                    conn.IsShort = true;
                    conn.EndTicks = enforceAt + Hundredth;
                }
                else if (conn.IsShort && conn.EndTicks <= enforceAt)
                {
                    conn.EndTicks = enforceAt + (_rng.Between(1, 50) * Hundredth); // audit record precedes the termination
                }
            }
        }

        _active[stack].Add(conn);
        if (stack.AggregationEnabled)
        {
            AttachSessions(conn, partial: false);
        }

        conn.AccountedIn = conn.AccountedOut = conn.AccountedInSegments = conn.AccountedOutSegments = 0;
        if (start < _now)
        {
            // Pre-existing connection: its traffic so far belongs to the sessions' life-to-date values.
            Account(conn, _now);
        }

        if (!conn.IsShort)
        {
            var initAt = start + (10 * Second);
            if (initAt >= _now)
            {
                Schedule(PendingKind.Init, conn, null, initAt);
            }

            var canChange = conn.EndTicks - start > 12 * Second && initAt >= _now;
            if (canChange && (plan.Change || lateTls || (conn.Tls is { Source: 2, ProtocolVersion: < 0x0304 } && _rng.Chance(0.06))))
            {
                var latest = Math.Min(conn.EndTicks - Second, initAt + (50 * Second));
                var changeAt = initAt + Hundredth + (_rng.Next((int)Math.Max(1, (latest - initAt) / Hundredth)) * Hundredth);
                Schedule(PendingKind.Change, conn, null, changeAt);
            }
        }

        Schedule(PendingKind.Term, conn, null, conn.EndTicks);
    }

    private static (double ShortProbability, int MinSeconds, int MaxSeconds) Lifetime(AppKind kind) => kind switch
    {
        AppKind.CicsHttps => (0.5, 10, 300),
        AppKind.Db2Clear or AppKind.Db2Tls => (0.4, 10, 1_800),
        AppKind.MqChannel => (0.05, 600, 4 * 3_600),
        AppKind.FtpControl => (0.2, 40, 1_200),
        AppKind.SshdServer => (0.15, 60, 3_600),
        AppKind.Tn3270Clear or AppKind.Tn3270Tls => (0.05, 300, 3 * 3_600),
        AppKind.LegacyWeb or AppKind.HttpClear => (0.7, 10, 120),
        AppKind.OutboundHttps => (0.6, 10, 60),
        AppKind.OutboundSftp => (0.1, 30, 600),
        AppKind.Db2OverIpsec => (0.2, 10, 3_600),
        AppKind.MqOverIpsec => (0.0, 3_600, 12 * 3_600),
        AppKind.EnterpriseExtender => (0.0, 3_600, 12 * 3_600),
        _ => (0.2, 60, 1_800),
    };

    private void SetTraffic(Connection conn, AppKind kind)
    {
        (int inMin, int inMax, int outMin, int outMax) = kind switch
        {
            AppKind.Db2Clear or AppKind.Db2Tls or AppKind.Db2OverIpsec => (500, 20_000, 2_000, 200_000),
            AppKind.MqChannel or AppKind.MqOverIpsec => (1_000, 50_000, 1_000, 50_000),
            AppKind.FtpControl or AppKind.ManualTunnel => (20, 200, 50, 500),
            AppKind.SshdServer => (50, 5_000, 100, 100_000),
            AppKind.Tn3270Clear or AppKind.Tn3270Tls => (10, 200, 100, 3_000),
            AppKind.OutboundHttps => (2_000, 50_000, 200, 5_000),
            AppKind.OutboundSftp => (100, 2_000, 10_000, 500_000),
            AppKind.EnterpriseExtender => (1_000, 100_000, 1_000, 100_000),
            _ => (200, 4_000, 1_000, 40_000),
        };
        conn.InRate = (ulong)_rng.Between(inMin, inMax);
        conn.OutRate = (ulong)_rng.Between(outMin, outMax);
        conn.InBase = (ulong)_rng.Between(300, 6_000);
        conn.OutBase = (ulong)_rng.Between(300, 6_000);
        conn.SegmentSize = (ulong)_rng.Between(200, 1_400);
    }

    private void ChooseAddresses(Connection conn, ArrivalPlan plan)
    {
        var stack = conn.Stack;
        var kind = conn.App.Kind;
        if (kind == AppKind.EnterpriseExtender)
        {
            // EE: UDP, ports 12000-12004 on both sides (signalling and four priorities).
            conn.IpProtocol = 17;
            conn.LocalIp = stack.HomeV4;
            conn.RemoteIp = _rng.Pick(_eePartners);
            conn.LocalPort = conn.RemotePort = (ushort)(12_000 + _rng.Next(5));
            return;
        }

        if (!conn.LocalServer)
        {
            conn.LocalIp = stack.HomeV4;
            conn.LocalPort = stack.TakeEphemeralPort();
            conn.RemotePort = conn.App.Port;
            conn.RemoteIp = kind switch
            {
                AppKind.OutboundHttps => _topology.HttpsPartners[_rng.Next(_topology.HttpsPartners.Count)],
                AppKind.OutboundSftp => _rng.Pick(_topology.SftpPartners),
                AppKind.ManualTunnel => _legacyPartner,
                _ => _rng.Pick(_drPartners),
            };
            return;
        }

        var client = _rng.Pick(_topology.Clients);
        var mode = plan.AddressMode ?? (stack.HomeV6 is not null && client.V6 is not null && _rng.Chance(0.5) ? 1
            : kind is AppKind.CicsHttps or AppKind.LegacyWeb or AppKind.MqChannel or AppKind.Db2Clear && _rng.Chance(0.12) ? 2 : 0);
        if (mode == 1 && stack.HomeV6 is null)
        {
            mode = 2;
        }

        if (mode == 1 && client.V6 is null)
        {
            foreach (var candidate in _topology.Clients)
            {
                if (candidate.V6 is not null)
                {
                    client = candidate;
                    break;
                }
            }
        }

        conn.LocalPort = conn.App.Port;
        conn.RemotePort = (ushort)_rng.Between(49_152, 65_535);
        switch (mode)
        {
            case 1:
                conn.Ipv6 = true;
                conn.LocalIp = stack.HomeV6!;
                conn.RemoteIp = client.V6!;
                break;
            case 2:
                // Dual-mode (AF_INET6) socket talking to an IPv4 peer: IPv6 flag on, both addresses IPv4-mapped.
                conn.Ipv6 = true;
                conn.LocalIp = stack.HomeMapped;
                conn.RemoteIp = client.Mapped;
                break;
            default:
                conn.LocalIp = stack.HomeV4;
                conn.RemoteIp = client.V4;
                break;
        }
    }

    private void BuildProtection(Connection conn, ArrivalPlan plan, ref bool isShort, ref bool lateTls)
    {
        var app = conn.App;
        var zos32 = conn.Stack.System.IsZos32;
        switch (app.Kind)
        {
            case AppKind.CicsHttps:
            case AppKind.Db2Tls:
            case AppKind.MqChannel:
            case AppKind.Tn3270Tls:
                if (plan.Failed || (zos32 && plan.TlsVersion is null && _rng.Chance(0.03)))
                {
                    SetFailedTls(conn);
                    isShort = true;
                    break;
                }

                var clientAuthProbability = app.Kind switch { AppKind.MqChannel => 0.9, AppKind.Db2Tls => 0.25, AppKind.Tn3270Tls => 0.15, _ => 0.1 };
                SetTls(conn, source: 2, plan.TlsVersion ?? ServerVersion(app.Kind), plan.ClientAuth ?? _rng.Chance(clientAuthProbability), plan.LargeNames, sticky: plan.TlsVersion is null);
                break;
            case AppKind.FtpControl:
                var roll = _rng.NextDouble();
                if (plan.Change || roll < 0.15)
                {
                    lateTls = true; // AUTH TLS after the init record: cleartext first, change record later
                }
                else if (roll < 0.75)
                {
                    SetTls(conn, 2, plan.TlsVersion ?? ServerVersion(app.Kind), false, plan.LargeNames, sticky: plan.TlsVersion is null);
                }

                break;
            case AppKind.SshdServer:
                if (plan.Failed || (zos32 && plan.Observation is null && _rng.Chance(0.04)))
                {
                    conn.Ssh = new SshConnectionSection { ProtocolVersion = 0, Source = 2, ProtocolProvider = "IBM OpenSSH", SshFlags = 0x80, Component = "" };
                    conn.FailedHandshake = true;
                    isShort = true;
                    break;
                }

                SetSsh(conn, plan.Observation ?? _rng.Chance(0.25), plan.X509 ?? _rng.Chance(0.1), plan.LargeNames);
                break;
            case AppKind.OutboundSftp:
                SetSsh(conn, false, plan.X509 ?? _rng.Chance(0.2), plan.LargeNames);
                break;
            case AppKind.LegacyWeb:
                SetTls(conn, source: 1, plan.TlsVersion ?? LegacyVersion(), false, false, sticky: plan.TlsVersion is null);
                break;
            case AppKind.OutboundHttps:
                SetTls(conn, 2, plan.TlsVersion ?? (_rng.Chance(0.5) ? (ushort)0x0304 : (ushort)0x0303), false, plan.LargeNames, sticky: plan.TlsVersion is null);
                break;
            case AppKind.Db2OverIpsec:
                SetIpsec(conn, ikeVersion: 1, tunnelMode: false, manual: false, certificates: false, plan.LargeNames);
                break;
            case AppKind.MqOverIpsec:
                SetTls(conn, 2, plan.TlsVersion ?? (ushort)0x0303, true, plan.LargeNames, sticky: plan.TlsVersion is null);
                SetIpsec(conn, ikeVersion: 2, tunnelMode: true, manual: false, certificates: true, plan.LargeNames);
                break;
            case AppKind.EnterpriseExtender:
                if (plan.Ipsec ?? _rng.Chance(0.6))
                {
                    SetIpsec(conn, ikeVersion: 2, tunnelMode: false, manual: false, certificates: true, plan.LargeNames);
                }

                break;
            case AppKind.ManualTunnel:
                SetIpsec(conn, ikeVersion: 0, tunnelMode: false, manual: true, certificates: false, false);
                break;
            default:
                break; // cleartext: Db2Clear, Tn3270Clear, HttpClear
        }
    }

    private ushort ServerVersion(AppKind kind)
    {
        var r = _rng.NextDouble();
        if (kind == AppKind.Tn3270Tls)
        {
            return r < 0.25 ? (ushort)0x0304 : r < 0.7 ? (ushort)0x0303 : r < 0.8 ? (ushort)0x0302 : (ushort)0x0301;
        }

        return r < 0.35 ? (ushort)0x0304 : r < 0.87 ? (ushort)0x0303 : r < 0.92 ? (ushort)0x0302 : (ushort)0x0301;
    }

    private ushort LegacyVersion()
    {
        var r = _rng.NextDouble();
        return r < 0.08 ? (ushort)0x0200 : r < 0.23 ? (ushort)0x0300 : r < 0.48 ? (ushort)0x0301 : r < 0.58 ? (ushort)0x0302 : r < 0.93 ? (ushort)0x0303 : (ushort)0x0304;
    }

    private void SetFailedTls(Connection conn)
    {
        // Layout §2.3, 3.2 rule: only Source, Protocol_Provider and Neg_Cipher ('FFFFFF') are set.
        conn.Tls = new TlsConnectionSection { ProtocolVersion = 0, Source = 2, HandshakeType = 3, HandshakeRole = 0, ProtocolProvider = "IBM System SSL", NegotiatedCipher = "FFFFFF" };
        conn.FailedHandshake = true;
    }

    private void SetTls(Connection conn, byte source, ushort version, bool clientAuth, bool largeNames, bool sticky)
    {
        CertificateIdentity? serverCert;
        CertificateIdentity? clientCert = null;
        if (conn.LocalServer)
        {
            serverCert = conn.App.ServerCertificate;
            if (clientAuth)
            {
                clientCert = _rng.Pick(_topology.ClientCertificates);
            }
        }
        else
        {
            serverCert = conn.App.Kind == AppKind.OutboundHttps
                ? _topology.HttpsPartnerCertificates[_topology.HttpsPartners.IndexOf(conn.RemoteIp)]
                : _topology.DrQueueManagerCertificate;
            if (clientAuth)
            {
                clientCert = _topology.IkeCertificates.TryGetValue(conn.Stack, out var own) ? own : _topology.ClientCertificates[0];
            }
        }

        var ecKey = serverCert?.Attributes.KeyType == 5;
        CipherSuite suite;
        // A given client usually negotiates the same version and suite with a given server, which is what lets
        // 119-12 aggregate many connections into one security session.
        var preferenceKey = $"{conn.App.JobName}|{conn.Stack.Name}|{conn.Stack.System.SmfId}|{(conn.LocalServer ? conn.RemoteIp : conn.LocalIp)}|{conn.LocalServer}";
        if (sticky && _tlsPreferences.TryGetValue(preferenceKey, out var preference) && _rng.Chance(0.85))
        {
            (version, suite) = preference;
        }
        else
        {
            var suites = CipherSuiteCatalog.ForVersion(version);
            do
            {
                // TLS 1.0-1.2 suites name the certificate's key type (ECDSA vs RSA); TLS 1.3 and SSL suites do not here.
                suite = _rng.Pick(suites);
            }
            while (version is >= 0x0301 and <= 0x0303 && suite.NeedsEcKey != ecKey);
            if (sticky)
            {
                _tlsPreferences[preferenceKey] = (version, suite);
            }
        }

        var cpp = source == 2;
        var tls = new TlsConnectionSection
        {
            ProtocolVersion = version,
            Source = source,
            HandshakeType = _rng.Chance(0.2) ? (byte)2 : (byte)1,
            HandshakeRole = conn.LocalServer ? (clientAuth ? (byte)3 : (byte)2) : (byte)1,
            SessionId = cpp ? RandomBytes(version == 0x0200 ? 16 : 32) : [],
            ProtocolProvider = cpp ? "IBM System SSL" : "Observation",
            NegotiatedCipher = suite.Code,
            CipherEncryptionAlgorithm = suite.Encryption,
            CipherMessageAuthentication = suite.Mac,
            CipherKeyExchange = suite.KeyExchange,
            FipsMode = cpp && conn.Stack.System.SmfId == "PRD1" ? (byte)1 : (byte)0,
            CryptoFlags = suite.Cbc && version is >= 0x0301 and <= 0x0303 && _rng.Chance(0.15) ? (byte)0x80 : (byte)0,
            ServerCertificate = cpp ? serverCert?.Attributes : null,
            ClientCertificate = cpp && clientAuth ? clientCert?.Attributes : null,
        };
        conn.Tls = tls;
        if (cpp && serverCert is not null)
        {
            // Layout V.9: 5/6 server subject/issuer, 7/8 client subject/issuer.
            AddNames(conn, serverCert, 5, largeNames);
            if (clientAuth && clientCert is not null)
            {
                AddNames(conn, clientCert, 7, largeNames);
            }
        }
    }

    private void SetSsh(Connection conn, bool observation, bool x509, bool largeNames)
    {
        if (observation)
        {
            conn.Ssh = new SshConnectionSection { ProtocolVersion = _rng.Chance(0.05) ? (byte)1 : (byte)2, Source = 1, ProtocolProvider = "Observation" };
            return;
        }

        var server = conn.LocalServer;
        var auth = _rng.Pick(AuthMethods);
        var publicKey = auth.First == 3 || auth.Second == 3;
        var cipher = _rng.Pick(SshCiphers);
        var mac = _rng.Pick(SshMacs);
        var serverKey = _rng.Pick(SshServerKeys);
        var clientKey = publicKey ? _rng.Pick(SshClientKeys) : (Type: (ushort)0, Bits: (ushort)0);
        var ssh = new SshConnectionSection
        {
            ProtocolVersion = 2,
            Source = 2,
            FipsMode = conn.Stack.System.SmfId == "PRD1" ? (byte)1 : (byte)0,
            CryptoFlags = _rng.Chance(0.3) ? (byte)0xC0 : (byte)0,
            Component = server ? _rng.Pick(ServerComponents) : _rng.Pick(ClientComponents),
            ProtocolProvider = "IBM OpenSSH",
            AuthMethod = auth.First,
            AuthMethod2 = auth.Second,
            InboundEncryptionAlgorithm = cipher,
            OutboundEncryptionAlgorithm = cipher,
            InboundMessageAuthentication = mac,
            OutboundMessageAuthentication = mac,
            KeyExchangeMethod = _rng.Pick(SshKex),
            ServerKeyType = serverKey.Type,
            ServerKeyLength = serverKey.Bits,
            ClientKeyType = clientKey.Type,
            ClientKeyLength = clientKey.Bits,
            ServerKeyFingerprint = _topology.HostKeyFingerprints[conn.Stack],
            ClientKeyFingerprint = publicKey ? _rng.Pick(_topology.ClientKeyFingerprints) : [],
        };
        if (x509)
        {
            // X.509 authentication: certificate groups plus DN types 9-12 (layout V.9).
            var serverCert = server ? (conn.App.ServerCertificate ?? _topology.HttpsPartnerCertificates[2]) : _topology.HttpsPartnerCertificates[2];
            var clientCert = _rng.Pick(_topology.ClientCertificates);
            ssh.ServerCertificate = serverCert.Attributes;
            ssh.ClientCertificate = clientCert.Attributes;
            ssh.ServerKeyType = serverCert.Attributes.KeyType == 5 ? (ushort)5 : (ushort)2;
            ssh.ServerKeyLength = serverCert.Attributes.KeyLength;
            AddNames(conn, serverCert, 9, largeNames);
            AddNames(conn, clientCert, 11, largeNames);
        }

        conn.Ssh = ssh;
    }

    // V.17 auth (first, second), V.5 ciphers (0 = AES/ChaCha beyond the truncated table, 4 = 3DES), V.6 MACs, V.18 kex, V.16 keys.
    private static readonly (ushort First, ushort Second)[] AuthMethods = [(2, 0), (3, 0), (3, 0), (8, 0), (3, 2), (3, 8)];
    private static readonly ushort[] SshCiphers = [0, 0, 0, 4];
    private static readonly ushort[] SshMacs = [4, 4, 3, 0];
    private static readonly ushort[] SshKex = [2, 3, 4, 5, 6, 0];
    private static readonly (ushort Type, ushort Bits)[] SshServerKeys = [(2, 2048), (2, 3072), (2, 4096), (5, 256), (5, 384)];
    private static readonly (ushort Type, ushort Bits)[] SshClientKeys = [(2, 2048), (2, 4096), (7, 2048), (5, 256), (5, 521)];
    private static readonly string[] ServerComponents = ["SSHD", "SFTPS", "SFTPS", "SCPS"];
    private static readonly string[] ClientComponents = ["SFTPC", "SFTPC", "SCPC", "SSH"];

    private void SetIpsec(Connection conn, int ikeVersion, bool tunnelMode, bool manual, bool certificates, bool largeNames)
    {
        var stack = conn.Stack;
        var ipsec = new IpsecConnectionSection
        {
            TunnelId = ++_tunnelCounter,
            TunnelFlags = (byte)((conn.Ipv6 ? 0x80 : 0) | (stack.System.SmfId == "PRD1" ? 0x40 : 0)),
            TunnelType = manual ? (byte)1 : stack.System.SmfId == "SYSA" && _rng.Chance(0.1) ? (byte)3 : (byte)2,
            TunnelState = 1,
            EncapsulationMode = tunnelMode ? (byte)1 : (byte)2,
        };
        if (manual)
        {
            // Manual tunnel: IKE half zero (layout §2.5), AH with HMAC-SHA1, no lifetimes.
            ipsec.AuthProtocol = 51;
            ipsec.AuthAlgorithm = 4;
            ipsec.EncryptionAlgorithm = 1;
            conn.Ipsec = ipsec;
            return;
        }

        var ah = ikeVersion == 1 && _rng.Chance(0.1);
        ipsec.IkeTunnelId = 0x1000 + (uint)_rng.Next(0x4000);
        ipsec.IkeMajorVersion = (byte)ikeVersion;
        ipsec.IkeMinorVersion = 0;
        ipsec.IkeKeyExchangeRule = ikeVersion == 1 ? "KEYEX_PARTNER_DB2_IKEV1" : $"KEYEX_DRSITE_{stack.System.SmfId}_IKEV2";
        ipsec.IkeLocalEndpoint = conn.LocalIp;
        ipsec.IkeRemoteEndpoint = tunnelMode && !conn.Ipv6 ? _vpnGateway : conn.RemoteIp;
        ipsec.AuthProtocol = ah ? (byte)51 : (byte)50;
        if (ikeVersion == 1)
        {
            ipsec.IkeLocalAuthMethod = ipsec.IkeRemoteAuthMethod = 3; // pre-shared key
            ipsec.IkeAuthAlgorithm = _rng.Chance(0.7) ? (ushort)4 : (ushort)3;
            ipsec.IkeEncryptionAlgorithm = _rng.Chance(0.5) ? (ushort)4 : (ushort)0;
            ipsec.IkeDhGroup = _rng.Pick(DhGroupsV1);
            ipsec.IkePseudoRandomFunction = ipsec.IkeAuthAlgorithm == 3 ? (ushort)6 : (ushort)0;
            ipsec.IkeLifetime = 480;
            ipsec.IkeReauthInterval = 1_440;
            ipsec.AuthAlgorithm = 4;
            ipsec.EncryptionAlgorithm = ah ? (ushort)1 : _rng.Chance(0.5) ? (ushort)4 : (ushort)0;
            ipsec.PfsGroup = _rng.Chance(0.5) ? (ushort)0 : (ushort)2;
            ipsec.Lifetime = 240;
        }
        else
        {
            var ecdsa = _topology.IkeCertificates.TryGetValue(stack, out var own) && own.Attributes.KeyType == 5;
            ipsec.IkeLocalAuthMethod = ecdsa ? (ushort)4 : (ushort)2;
            ipsec.IkeRemoteAuthMethod = 2;
            ipsec.IkeAuthAlgorithm = 0;
            ipsec.IkeEncryptionAlgorithm = 0;
            ipsec.IkeDhGroup = _rng.Pick(DhGroupsV2);
            ipsec.IkePseudoRandomFunction = _rng.Chance(0.7) ? (ushort)2 : (ushort)3;
            ipsec.IkeLifesize = _rng.Chance(0.3) ? 1_048_576u : 0u;
            ipsec.IkeLifetime = 1_440;
            ipsec.IkeReauthInterval = 1_440;
            ipsec.AuthAlgorithm = 1; // AES-GCM ESP: integrated integrity
            ipsec.EncryptionAlgorithm = 0;
            ipsec.PfsGroup = ipsec.IkeDhGroup;
            ipsec.Lifetime = 480;
            ipsec.Lifesize = _rng.Chance(0.2) ? 4_194_304u : 0u;
        }

        if (certificates && _topology.IkeCertificates.TryGetValue(stack, out var local))
        {
            var remote = _rng.Pick(_topology.IkePeerCertificates);
            ipsec.LocalCertificate = local.Attributes;
            ipsec.RemoteCertificate = remote.Attributes;
            ipsec.IkeRemoteAuthMethod = remote.Attributes.KeyType == 5 ? (ushort)4 : (ushort)2;
            // Layout V.9: 1/2 local subject/issuer, 3/4 remote subject/issuer.
            AddNames(conn, local, 1, largeNames);
            AddNames(conn, remote, 3, largeNames);
        }

        conn.Ipsec = ipsec;
    }

    private static readonly ushort[] DhGroupsV1 = [2, 5, 14];
    private static readonly ushort[] DhGroupsV2 = [14, 19, 20, 21];

    private void AddNames(Connection conn, CertificateIdentity cert, ushort subjectType, bool large)
    {
        if (large)
        {
            conn.Names.Add(new DistinguishedNameEntry(subjectType, _pki.LongName(CommonName(cert.Subject))));
            conn.Names.Add(new DistinguishedNameEntry((ushort)(subjectType + 1), _pki.LongName(CommonName(cert.Issuer))));
        }
        else
        {
            conn.Names.Add(new DistinguishedNameEntry(subjectType, cert.Subject));
            conn.Names.Add(new DistinguishedNameEntry((ushort)(subjectType + 1), cert.Issuer));
        }
    }

    private static string CommonName(string dn)
    {
        var comma = dn.IndexOf(',', StringComparison.Ordinal);
        return (comma < 0 ? dn : dn[..comma]).Replace("CN=", "", StringComparison.Ordinal);
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _rng.NextBytes(bytes);
        return bytes;
    }

    private static byte[] EnforcementSection(string rule, string action)
    {
        // Layout §2.6: field layout unknown; IBM hints at a 48-byte rule name. Raw: rule(48) action(48) reserved(8).
        var bytes = new byte[104];
        EbcdicText.WritePadded(bytes.AsSpan(0, 48), rule);
        EbcdicText.WritePadded(bytes.AsSpan(48, 48), action);
        return bytes;
    }

    // ---------------------------------------------------------------- events

    private void Schedule(PendingKind kind, Connection? conn, StackDef? stack, long ticks)
        => _queue.Enqueue(new PendingEvent(kind, conn, stack), (ticks, _sequence++));

    private void ScheduleControl(PendingKind kind, StackDef stack, long ticks) => Schedule(kind, null, stack, ticks);

    private void Process(PendingEvent pending)
    {
        switch (pending.Kind)
        {
            case PendingKind.Init:
                EmitConnection(pending.Connection!, 1);
                break;
            case PendingKind.Enforce:
                EmitConnection(pending.Connection!, 7);
                break;
            case PendingKind.Change:
                Change(pending.Connection!);
                break;
            case PendingKind.Term:
                Terminate(pending.Connection!);
                break;
            case PendingKind.DiscoveryOff:
                EmitStackEvent(pending.Stack!, 6);
                pending.Stack!.DiscoveryEnabled = false;
                ScheduleControl(PendingKind.DiscoveryOn, pending.Stack, _now + (_rng.Between(30, 600) * Second));
                break;
            case PendingKind.DiscoveryOn:
                pending.Stack!.DiscoveryEnabled = true;
                EmitStackEvent(pending.Stack, 5);
                ScheduleControl(PendingKind.DiscoveryOff, _rng.Pick(_stacks), _now + (_rng.Between(4 * 3_600, 8 * 3_600) * Second));
                break;
            case PendingKind.AggregationOff:
                AggregationOff(pending.Stack!);
                ScheduleControl(PendingKind.AggregationOn, pending.Stack!, _now + (_rng.Between(30, 600) * Second));
                break;
            case PendingKind.AggregationOn:
                AggregationOn(pending.Stack!);
                ScheduleControl(PendingKind.AggregationOff, _rng.Pick(_stacks), _now + (_rng.Between(5 * 3_600, 10 * 3_600) * Second));
                break;
        }
    }

    private void Terminate(Connection conn)
    {
        Account(conn, _now);
        foreach (var session in conn.Sessions)
        {
            session.Current.Active--;
            if (conn.IsShort)
            {
                session.Current.Short++;
            }

            Touch(conn.Stack, session);
        }

        _active[conn.Stack].Remove(conn);
        EmitConnection(conn, conn.IsShort ? (byte)4 : (byte)3);
    }

    private void Change(Connection conn)
    {
        Account(conn, _now);
        var stack = conn.Stack;
        if (conn.Tls is null && conn.Ssh is null && conn.Ipsec is null)
        {
            // FTP AUTH TLS after the init record (layout §2: event 2 = change in protection attributes).
            SetTls(conn, 2, ServerVersion(conn.App.Kind), false, false, sticky: true);
        }
        else if (conn.Tls is { } old)
        {
            // Renegotiation / new handshake: new session ID, possibly a different suite of the same version.
            var suite = _rng.Pick(CipherSuiteCatalog.ForVersion(old.ProtocolVersion));
            if (suite.NeedsEcKey != (old.ServerCertificate?.KeyType == 5))
            {
                suite = new CipherSuite(old.NegotiatedCipher, old.CipherEncryptionAlgorithm, old.CipherMessageAuthentication, old.CipherKeyExchange, false, false);
            }

            conn.Tls = new TlsConnectionSection
            {
                ProtocolVersion = old.ProtocolVersion,
                Source = old.Source,
                HandshakeType = 1,
                HandshakeRole = old.HandshakeRole,
                SessionId = old.Source == 2 ? RandomBytes(32) : [],
                ProtocolProvider = old.ProtocolProvider,
                NegotiatedCipher = suite.Code,
                CipherEncryptionAlgorithm = suite.Encryption,
                CipherMessageAuthentication = suite.Mac,
                CipherKeyExchange = suite.KeyExchange,
                FipsMode = old.FipsMode,
                CryptoFlags = suite.Cbc ? old.CryptoFlags : (byte)0,
                ServerCertificate = old.ServerCertificate,
                ClientCertificate = old.ClientCertificate,
            };
        }

        if (stack.AggregationEnabled)
        {
            var before = new List<SummarySession>(conn.Sessions);
            conn.Sessions.Clear();
            AttachSessions(conn, partial: true, previous: before);
        }

        EmitConnection(conn, 2);
    }

    private void ProcessBoundary(StackDef stack)
    {
        var boundary = stack.NextBoundaryTicks;
        if (stack.AggregationEnabled)
        {
            foreach (var conn in _active[stack])
            {
                Account(conn, boundary);
            }

            EmitSessionSet(stack, boundary - stack.LastBoundaryTicks, reasonMore: 0xC0, reasonLast: 0x80);
        }

        stack.LastBoundaryTicks = boundary;
        stack.NextBoundaryTicks = boundary + stack.Interval.Ticks;
    }

    private void AggregationOff(StackDef stack)
    {
        if (!stack.AggregationEnabled)
        {
            return;
        }

        foreach (var conn in _active[stack])
        {
            Account(conn, _now);
        }

        // Close-out set (end-of-statistics reason codes, V.1), then the aggregation-disabled event record.
        EmitSessionSet(stack, _now - stack.LastBoundaryTicks, reasonMore: 0x60, reasonLast: 0x20);
        EmitSummaryEvent(stack, 3);
        stack.AggregationEnabled = false;
        stack.Sessions.Clear();
        stack.SessionsByKey.Clear();
        _intervalSessions[stack].Clear();
        foreach (var conn in _active[stack])
        {
            conn.Sessions.Clear();
        }
    }

    private void AggregationOn(StackDef stack)
    {
        if (stack.AggregationEnabled)
        {
            return;
        }

        stack.AggregationEnabled = true;
        stack.LastBoundaryTicks = _now;
        EmitSummaryEvent(stack, 2);
        foreach (var conn in _active[stack])
        {
            Account(conn, _now);
            AttachSessions(conn, partial: true);
        }
    }

    // ---------------------------------------------------------------- summary sessions

    private void AttachSessions(Connection conn, bool partial, List<SummarySession>? previous = null)
    {
        if (conn.Tls is not null)
        {
            Attach(conn, 0x80, partial, previous);
        }

        if (conn.Ssh is not null)
        {
            Attach(conn, 0x40, partial, previous);
        }

        if (conn.Ipsec is not null)
        {
            Attach(conn, 0x20, partial, previous);
        }

        if (conn.Tls is null && conn.Ssh is null && conn.Ipsec is null)
        {
            Attach(conn, 0x00, partial, previous);
        }

        if (previous is not null)
        {
            foreach (var old in previous)
            {
                if (!conn.Sessions.Contains(old))
                {
                    // The connection left this session: it was tied to it for only part of its life.
                    old.Current.Active--;
                    old.Current.Partial++;
                    Touch(conn.Stack, old);
                }
            }
        }
    }

    private void Attach(Connection conn, byte protocol, bool partial, List<SummarySession>? previous)
    {
        var stack = conn.Stack;
        var ee = conn.IpProtocol == 17;
        var serverIp = conn.LocalServer ? conn.LocalIp : conn.RemoteIp;
        var clientIp = conn.LocalServer ? conn.RemoteIp : conn.LocalIp;
        var serverPort = conn.LocalServer ? conn.LocalPort : conn.RemotePort;
        var portStart = ee ? (ushort)12_000 : serverPort;
        var portEnd = ee ? (ushort)12_004 : serverPort;
        var attributes = protocol switch
        {
            0x80 => $"{conn.Tls!.ProtocolVersion:X4}/{conn.Tls.NegotiatedCipher}/{conn.Tls.Source}/{conn.Tls.HandshakeRole}",
            0x40 => $"{conn.Ssh!.ProtocolVersion}/{conn.Ssh.Source}/{conn.Ssh.SshFlags}/{conn.Ssh.InboundEncryptionAlgorithm}/{conn.Ssh.KeyExchangeMethod}/{conn.Ssh.ServerKeyType}",
            0x20 => $"{conn.Ipsec!.IkeMajorVersion}/{conn.Ipsec.EncapsulationMode}/{conn.Ipsec.AuthProtocol}/{conn.Ipsec.EncryptionAlgorithm}",
            _ => "",
        };
        var key = $"{protocol:X2}|{serverIp}|{portStart}|{clientIp}|{conn.IpProtocol}|{attributes}";
        if (!stack.SessionsByKey.TryGetValue(key, out var session))
        {
            session = CreateSession(conn, protocol, serverIp, clientIp, portStart, portEnd);
            stack.SessionsByKey[key] = session;
            stack.Sessions.Add(session);
        }

        if (previous is not null && previous.Contains(session))
        {
            conn.Sessions.Add(session);
            return;
        }

        session.Current.Connections++;
        session.Current.Active++;
        if (partial)
        {
            session.Current.Partial++;
        }

        if (conn.FailedHandshake)
        {
            session.Current.FailedHandshakes++;
        }

        conn.Sessions.Add(session);
        Touch(stack, session);
    }

    private SummarySession CreateSession(Connection conn, byte protocol, IPAddress serverIp, IPAddress clientIp, ushort portStart, ushort portEnd)
    {
        var zos32 = conn.Stack.System.IsZos32;
        var letter = protocol switch { 0x80 => 'T', 0x40 => 'S', 0x20 => 'I', _ => 'N' };
        var session = new SummarySession
        {
            SessionId = $"{letter}-{conn.Stack.System.SmfId}{conn.Stack.Name}-{++_sessionCounter:X8}",
            Protocol = protocol,
            Flags = (byte)((conn.Ipv6 ? 0x80 : 0) | (conn.IpProtocol == 6 ? (conn.LocalServer ? 0x40 : 0x20) : 0)),
            JobName = conn.JobName,
            UserId = conn.UserId,
            IpProtocol = conn.IpProtocol,
            ServerIp = serverIp,
            ClientIp = clientIp,
            PortStart = portStart,
            PortEnd = portEnd,
            Tls = protocol == 0x80 ? TlsSummary(conn.Tls!, zos32) : null,
            Ssh = protocol == 0x40 ? SshSummary(conn.Ssh!) : null,
            Ipsec = protocol == 0x20 ? IpsecSummary(conn.Ipsec!, zos32) : null,
        };
        var (low, high) = protocol switch { 0x80 => (5, 8), 0x40 => (9, 12), 0x20 => (1, 4), _ => (0, -1) };
        foreach (var name in conn.Names)
        {
            if (name.Type >= low && name.Type <= high)
            {
                session.Names.Add(name);
            }
        }

        return session;
    }

    private static TlsSummarySection TlsSummary(TlsConnectionSection t, bool zos32)
    {
        if (t.HandshakeType == 3)
        {
            // Layout §3.1: with failed handshakes the TLS section holds only Source and Neg_Cipher.
            return new TlsSummarySection { IncludeCertificateDetails = zos32, Source = t.Source, NegotiatedCipher = t.NegotiatedCipher };
        }

        return new TlsSummarySection
        {
            IncludeCertificateDetails = zos32,
            Source = t.Source,
            CryptoFlags = t.CryptoFlags,
            ProtocolVersion = t.ProtocolVersion,
            NegotiatedCipher = t.NegotiatedCipher,
            CipherEncryptionAlgorithm = t.CipherEncryptionAlgorithm,
            CipherMessageAuthentication = t.CipherMessageAuthentication,
            CipherKeyExchange = t.CipherKeyExchange,
            ServerCertificate = t.ServerCertificate,
            ClientCertificate = t.ClientCertificate,
        };
    }

    private static SshSummarySection SshSummary(SshConnectionSection h)
    {
        if ((h.SshFlags & 0x80) != 0)
        {
            return new SshSummarySection { Source = h.Source, ProtocolVersion = 0 };
        }

        return new SshSummarySection
        {
            Source = h.Source,
            ProtocolVersion = h.ProtocolVersion,
            CryptoFlags = h.CryptoFlags,
            AuthMethod = h.AuthMethod,
            AuthMethod2 = h.AuthMethod2,
            InboundEncryptionAlgorithm = h.InboundEncryptionAlgorithm,
            InboundMessageAuthentication = h.InboundMessageAuthentication,
            KeyExchangeMethod = h.KeyExchangeMethod,
            OutboundEncryptionAlgorithm = h.OutboundEncryptionAlgorithm,
            OutboundMessageAuthentication = h.OutboundMessageAuthentication,
            ServerKeyType = h.ServerKeyType,
            ServerKeyLength = h.ServerKeyLength,
            ClientKeyType = h.ClientKeyType,
            ClientKeyLength = h.ClientKeyLength,
            ServerCertificate = h.ServerCertificate,
            ClientCertificate = h.ClientCertificate,
        };
    }

    private static IpsecSummarySection IpsecSummary(IpsecConnectionSection p, bool zos32) => new()
    {
        IncludeCertificateDetails = zos32,
        IkeMajorVersion = p.IkeMajorVersion,
        IkeMinorVersion = p.IkeMinorVersion,
        IkeLocalEndpoint = p.IkeLocalEndpoint,
        IkeRemoteEndpoint = p.IkeRemoteEndpoint,
        IkeLocalAuthMethod = p.IkeLocalAuthMethod,
        IkeRemoteAuthMethod = p.IkeRemoteAuthMethod,
        IkeAuthAlgorithm = p.IkeAuthAlgorithm,
        IkeEncryptionAlgorithm = p.IkeEncryptionAlgorithm,
        IkeDhGroup = p.IkeDhGroup,
        IkePseudoRandomFunction = p.IkePseudoRandomFunction,
        LocalCertificate = p.LocalCertificate,
        RemoteCertificate = p.RemoteCertificate,
        PfsGroup = p.PfsGroup,
        EncapsulationMode = p.EncapsulationMode,
        AuthProtocol = p.AuthProtocol,
        AuthAlgorithm = p.AuthAlgorithm,
        EncryptionAlgorithm = p.EncryptionAlgorithm,
    };

    private void Touch(StackDef stack, SummarySession session)
    {
        if (!session.Touched)
        {
            session.Touched = true;
            _intervalSessions[stack].Add(session);
        }
    }

    /// <summary>Moves the connection's traffic since the last accounting point into its sessions.</summary>
    private static void Account(Connection conn, long ticks)
    {
        var (inBytes, outBytes, inSeg, outSeg) = conn.CountersAt(ticks);
        var dIn = inBytes - conn.AccountedIn;
        var dOut = outBytes - conn.AccountedOut;
        var dInSeg = inSeg - conn.AccountedInSegments;
        var dOutSeg = outSeg - conn.AccountedOutSegments;
        foreach (var session in conn.Sessions)
        {
            session.Current.InBytes += dIn;
            session.Current.OutBytes += dOut;
            session.Current.InSegments += dInSeg;
            session.Current.OutSegments += dOutSeg;
        }

        conn.AccountedIn = inBytes;
        conn.AccountedOut = outBytes;
        conn.AccountedInSegments = inSeg;
        conn.AccountedOutSegments = outSeg;
    }

    private void EmitSessionSet(StackDef stack, long durationTicks, byte reasonMore, byte reasonLast)
    {
        var sessions = _intervalSessions[stack];
        var carried = new List<SummarySession>();
        for (var i = 0; i < sessions.Count; i++)
        {
            var session = sessions[i];
            EmitSummary(stack, session, durationTicks, i == sessions.Count - 1 ? reasonLast : reasonMore);
            session.AtIntervalStart = session.Current;
            session.Touched = session.Current.Active > 0;
            if (session.Touched)
            {
                carried.Add(session); // still has active connections: reported again next interval
            }
        }

        _intervalSessions[stack] = carried;
    }

    // ---------------------------------------------------------------- record emission

    private static DateTime Local(SystemDef system, long utcTicks) => new(utcTicks + system.UtcOffset.Ticks, DateTimeKind.Unspecified);

    private void FillIdentity(ZertRecord record, StackDef stack, byte reason)
    {
        var system = stack.System;
        record.Header.SetLocalTime(Local(system, _now));
        record.Header.SystemId = system.SmfId;
        record.Header.SubsystemId = "";
        var id = record.Identification;
        id.SystemName = system.SystemName;
        id.SysplexName = system.Sysplex;
        id.StackName = stack.Name;
        id.ReleaseId = system.ReleaseId;
        id.Component = "STACK";
        id.AddressSpaceName = stack.Name;
        id.UserId = "TCPIP";
        id.Asid = stack.Asid;
        id.Reason = reason;
    }

    private void EmitConnection(Connection conn, byte eventType)
    {
        var stack = conn.Stack;
        if (!stack.DiscoveryEnabled)
        {
            return;
        }

        var record = new ZertConnectionRecord();
        FillIdentity(record, stack, 0x08);
        var c = record.Common;
        c.EventType = eventType;
        c.SecurityProtocols = conn.SecurityProtocols;
        // Layout V.3: X'20' = reset by enforcement, on the termination record (and, as the brief asks, the audit record).
        c.Flags = (byte)(conn.Flags | (conn.Reset && eventType is 3 or 4 or 7 ? 0x20 : 0));
        c.SecurityFlags = conn.SecurityFlags;
        c.IpProtocol = conn.IpProtocol;
        c.JobName = conn.JobName;
        c.JobId = conn.JobId;
        c.UserId = conn.UserId;
        c.SetStart(new DateTime(conn.StartTicks, DateTimeKind.Utc));
        if (eventType is 3 or 4)
        {
            c.SetEnd(new DateTime(_now, DateTimeKind.Utc));
        }

        c.RemoteIp = conn.RemoteIp;
        c.LocalIp = conn.LocalIp;
        c.RemotePort = conn.RemotePort;
        c.LocalPort = conn.LocalPort;
        c.ConnectionId = conn.Id;
        (c.InBytes, c.OutBytes, c.InSegments, c.OutSegments) = conn.CountersAt(_now);
        record.IpFilter = conn.Filter;
        record.Tls = conn.Tls;
        record.Ssh = conn.Ssh;
        record.Ipsec = conn.Ipsec;
        record.DistinguishedNames.AddRange(conn.Names);
        if (eventType == 7)
        {
            record.Enforcement = conn.Enforcement;
        }

        Emit(record, stack);
    }

    private void EmitStackEvent(StackDef stack, byte eventType)
    {
        // zERT enabled/disabled: identification and common sections only (layout §2, V.2 events 5/6).
        var record = new ZertConnectionRecord();
        FillIdentity(record, stack, 0x08);
        record.Common.EventType = eventType;
        record.Common.IpProtocol = 0;
        Emit(record, stack);
    }

    private void EmitSummaryEvent(StackDef stack, byte eventType)
    {
        // Aggregation enabled/disabled: identification and common sections only (layout §3).
        var record = new ZertSummaryRecord();
        FillIdentity(record, stack, 0x08);
        record.Common.IncludeFailedHandshakeCounters = stack.System.IsZos32;
        record.Common.EventType = eventType;
        record.Common.IpProtocol = 0;
        Emit(record, stack);
    }

    private void EmitSummary(StackDef stack, SummarySession s, long durationTicks, byte reason)
    {
        var record = new ZertSummaryRecord();
        FillIdentity(record, stack, reason);
        var c = record.Common;
        c.IncludeFailedHandshakeCounters = stack.System.IsZos32;
        c.IntervalDuration = SmfTimeEncoding.ToTodUnits(TimeSpan.FromTicks(durationTicks));
        c.EventType = 1;
        c.Flags = s.Flags;
        c.SecurityProtocol = s.Protocol;
        c.JobName = s.JobName;
        c.UserId = s.UserId;
        c.IpProtocol = s.IpProtocol;
        c.ServerIp = s.ServerIp;
        c.ClientIp = s.ClientIp;
        c.ServerPortStart = s.PortStart;
        c.ServerPortEnd = s.PortEnd;
        c.SessionId = s.SessionId;
        var a = s.AtIntervalStart;
        var b = s.Current;
        c.InitConnections = a.Connections;
        c.InitPartialConnections = a.Partial;
        c.InitShortConnections = a.Short;
        c.InitActiveConnections = a.Active;
        c.InitInBytes = a.InBytes;
        c.InitOutBytes = a.OutBytes;
        c.InitInSegments = a.InSegments;
        c.InitOutSegments = a.OutSegments;
        c.InitFailedHandshakes = a.FailedHandshakes;
        c.EndConnections = b.Connections;
        c.EndPartialConnections = b.Partial;
        c.EndShortConnections = b.Short;
        c.EndActiveConnections = b.Active;
        c.EndInBytes = b.InBytes;
        c.EndOutBytes = b.OutBytes;
        c.EndInSegments = b.InSegments;
        c.EndOutSegments = b.OutSegments;
        c.EndFailedHandshakes = b.FailedHandshakes;
        record.Tls = s.Tls;
        record.Ssh = s.Ssh;
        record.Ipsec = s.Ipsec;
        record.DistinguishedNames.AddRange(s.Names);
        Emit(record, stack);
    }

    private void Emit(ZertRecord record, StackDef stack)
    {
        var system = stack.System;
        _output.Add(new GeneratedRecord(ZertRecordWriter.ToArray(record), record, system.SmfId, system.UtcOffset, new DateTime(_now - (_now % Hundredth), DateTimeKind.Utc)));
        if (!_includeForeign)
        {
            return;
        }

        var roll = _foreignRng.NextDouble();
        if (roll < 0.01)
        {
            _output.Add(Foreign(ForeignRecords.Type30(_foreignRng, Local(system, _now), system.SmfId, "PAYB0042"), system, _now));
        }
        else if (roll < 0.022)
        {
            _output.Add(Foreign(ForeignRecords.Type119Subtype2(_foreignRng, Local(system, _now), system.SmfId, system.SystemName, stack.Name), system, _now));
        }
    }

    private static GeneratedRecord Foreign(byte[] bytes, SystemDef system, long utcTicks)
        => new(bytes, null, system.SmfId, system.UtcOffset, new DateTime(utcTicks - (utcTicks % Hundredth), DateTimeKind.Utc));

    private static long PreviousBoundary(StackDef stack, long utcTicks)
    {
        // Intervals are synchronised to the local clock (SMF SYNCVAL / AGGREGATION SYNCVAL behaviour).
        var local = utcTicks + stack.System.UtcOffset.Ticks;
        var interval = stack.Interval.Ticks;
        return (local / interval * interval) - stack.System.UtcOffset.Ticks;
    }
}
