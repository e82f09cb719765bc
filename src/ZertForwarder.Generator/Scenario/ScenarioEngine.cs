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
internal sealed partial class ScenarioEngine
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
}
