using System.Globalization;
using ZertForwarder.Generator;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The report's counting rule computed again, independently of the product, from the generator's own model of each
/// record (not from decoded bytes): per system and stack and protection, connections and bytes from 119-12 interval
/// deltas where a summary of the stack covers the record time, from 119-11 otherwise (a connection's records in time
/// order; no connection from 119-11 when a summary covers the connection's start).
/// </summary>
internal sealed class ExpectedCounts
{
    public static readonly string[] Protections = ["none", "tls", "ssh", "ipsec"];

    public Dictionary<(string System, string Stack, string Protection), long> Connections { get; } = [];
    public Dictionary<(string System, string Stack, string Protection), long> Bytes { get; } = [];
    public int CoveredDetailRecords { get; private set; }
    public int UncoveredConnections { get; private set; }
    public long SummaryConnections { get; private set; }

    public static ExpectedCounts From(IReadOnlyList<GeneratedRecord> records)
    {
        var expected = new ExpectedCounts();
        var intervals = new Dictionary<(string, string), List<(DateTime Start, DateTime End)>>();
        foreach (var r in records)
        {
            if (r.Summary is not { Common.EventType: 1 } s) continue;
            var key = (r.SystemId, s.Identification.StackName);
            // Layout §3.1: SAIntervalDuration in TOD units, value >> 12 = microseconds; the interval ends at the record time.
            var duration = TimeSpan.FromTicks((long)(s.Common.IntervalDuration >> 12) * 10);
            if (!intervals.TryGetValue(key, out var list)) intervals[key] = list = [];
            list.Add((r.RecordTimeUtc - duration, r.RecordTimeUtc));
            var protection = s.Common.SecurityProtocol switch { 0x80 => "tls", 0x40 => "ssh", 0x20 => "ipsec", _ => "none" };
            var connections = (long)s.Common.EndConnections - s.Common.InitConnections;
            expected.Add(r.SystemId, s.Identification.StackName, protection, connections,
                (long)(s.Common.EndInBytes - s.Common.InitInBytes + s.Common.EndOutBytes - s.Common.InitOutBytes));
            expected.SummaryConnections += connections;
        }
        bool Covered(string system, string stack, DateTime time) =>
            intervals.TryGetValue((system, stack), out var list) && list.Any(i => time > i.Start && time <= i.End);
        // Each connection's records in time order (then by their counters): the earliest adds the connection unless a
        // summary covers the connection's start, each adds the growth of its counters over those before it.
        var byConnection = records.Where(r => r.Connection is { Common.EventType: >= 1 and <= 4 or 7 })
            .GroupBy(r => (r.SystemId, r.Connection!.Identification.StackName, r.Connection.Common.ConnectionId, r.Connection.Common.StartTime, r.Connection.Common.StartDate));
        foreach (var connection in byConnection)
        {
            var (system, stack, _, startTime, startDate) = connection.Key;
            var start = startDate is { } date ? date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddMilliseconds(startTime * 10.0) : (DateTime?)null;
            var startCovered = start is { } s && Covered(system, stack, s);
            var ordered = connection.OrderBy(r => r.RecordTimeUtc).ThenBy(r => r.Connection!.Common.InBytes).ThenBy(r => r.Connection!.Common.OutBytes).ToList();
            ulong beforeIn = 0, beforeOut = 0;
            for (var i = 0; i < ordered.Count; i++)
            {
                var c = ordered[i].Connection!.Common;
                var bytes = (long)(c.InBytes > beforeIn ? c.InBytes - beforeIn : 0) + (long)(c.OutBytes > beforeOut ? c.OutBytes - beforeOut : 0);
                (beforeIn, beforeOut) = (Math.Max(beforeIn, c.InBytes), Math.Max(beforeOut, c.OutBytes));
                if (Covered(system, stack, ordered[i].RecordTimeUtc))
                {
                    expected.CoveredDetailRecords++;
                    continue;
                }
                var counted = i == 0 && !startCovered ? 1 : 0;
                expected.UncoveredConnections += counted;
                var layers = new List<string>();
                if ((c.SecurityProtocols & 0x80) != 0) layers.Add("tls");
                if ((c.SecurityProtocols & 0x40) != 0) layers.Add("ssh");
                if ((c.SecurityProtocols & 0x20) != 0) layers.Add("ipsec");
                if (layers.Count == 0) layers.Add("none");
                foreach (var p in layers) expected.Add(system, stack, p, counted, bytes);
            }
        }
        return expected;
    }

    private void Add(string system, string stack, string protection, long connections, long bytes)
    {
        Connections[(system, stack, protection)] = Connections.GetValueOrDefault((system, stack, protection)) + connections;
        Bytes[(system, stack, protection)] = Bytes.GetValueOrDefault((system, stack, protection)) + bytes;
    }

    /// <summary><c>--utc-offset</c> values for the generated systems, so record times are the generator's UTC times.</summary>
    public static string UtcOffsets(IEnumerable<GeneratedRecord> records) => string.Join(',', records.Where(r => r.IsZert).DistinctBy(r => r.SystemId)
        .Select(r => $"{r.SystemId}={(r.UtcOffset < TimeSpan.Zero ? "-" : "+")}{r.UtcOffset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture)}"));
}
