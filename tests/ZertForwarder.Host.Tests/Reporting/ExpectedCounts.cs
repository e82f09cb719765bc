using System.Globalization;
using ZertForwarder.Generator;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The report's counting rule computed again, independently of the product, from the generator's own model of each
/// record (not from decoded bytes): per system and stack and protection, connections and bytes from 119-12 interval
/// deltas where a summary of the stack covers the record time, from 119-11 otherwise.
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
        var seen = new Dictionary<(string, string, uint, uint, DateOnly?), (ulong In, ulong Out)>();
        foreach (var r in records)
        {
            if (r.Connection is not { } c || c.Common.EventType is not (>= 1 and <= 4 or 7)) continue;
            var stack = c.Identification.StackName;
            var key = (r.SystemId, stack, c.Common.ConnectionId, c.Common.StartTime, c.Common.StartDate);
            var first = !seen.TryGetValue(key, out var before);
            seen[key] = (Math.Max(before.In, c.Common.InBytes), Math.Max(before.Out, c.Common.OutBytes));
            var covered = intervals.TryGetValue((r.SystemId, stack), out var list) && list.Any(i => r.RecordTimeUtc > i.Start && r.RecordTimeUtc <= i.End);
            if (covered)
            {
                expected.CoveredDetailRecords++;
                continue;
            }
            if (first) expected.UncoveredConnections++;
            var bytes = (long)(c.Common.InBytes > before.In ? c.Common.InBytes - before.In : 0) + (long)(c.Common.OutBytes > before.Out ? c.Common.OutBytes - before.Out : 0);
            var layers = new List<string>();
            if ((c.Common.SecurityProtocols & 0x80) != 0) layers.Add("tls");
            if ((c.Common.SecurityProtocols & 0x40) != 0) layers.Add("ssh");
            if ((c.Common.SecurityProtocols & 0x20) != 0) layers.Add("ipsec");
            if (layers.Count == 0) layers.Add("none");
            foreach (var p in layers) expected.Add(r.SystemId, stack, p, first ? 1 : 0, bytes);
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
