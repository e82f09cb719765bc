using System.Net;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

/// <summary>
/// A 119-12 security session (layout §3): one per stack, server IP/port, client IP, protocol and significant
/// attributes. Counters are life-to-date; the snapshot holds their values at the start of the current interval.
/// </summary>
internal sealed class SummarySession
{
    public required string SessionId { get; init; }

    public required byte Protocol { get; init; }

    public required byte Flags { get; init; }

    public required string JobName { get; init; }

    public required string UserId { get; init; }

    public required byte IpProtocol { get; init; }

    public required IPAddress ServerIp { get; init; }

    public required IPAddress ClientIp { get; init; }

    public required ushort PortStart { get; init; }

    public required ushort PortEnd { get; init; }

    public TlsSummarySection? Tls { get; init; }

    public SshSummarySection? Ssh { get; init; }

    public IpsecSummarySection? Ipsec { get; init; }

    public List<DistinguishedNameEntry> Names { get; } = [];

    public SessionCounters Current;

    public SessionCounters AtIntervalStart;

    public bool Touched { get; set; }
}

/// <summary>Life-to-date counters of a summary session.</summary>
internal struct SessionCounters
{
    public uint Connections;
    public uint Partial;
    public uint Short;
    public uint Active;
    public uint FailedHandshakes;
    public ulong InBytes;
    public ulong OutBytes;
    public ulong InSegments;
    public ulong OutSegments;
}

/// <summary>One simulated TCP connection or EE UDP flow and its current protection.</summary>
internal sealed class Connection
{
    public required StackDef Stack { get; init; }

    public required AppDef App { get; init; }

    public required uint Id { get; init; }

    public required long StartTicks { get; init; }

    public long EndTicks { get; set; }

    public bool IsShort { get; set; }

    public bool Ipv6 { get; set; }

    public IPAddress LocalIp { get; set; } = IPAddress.Any;

    public IPAddress RemoteIp { get; set; } = IPAddress.Any;

    public ushort LocalPort { get; set; }

    public ushort RemotePort { get; set; }

    public byte IpProtocol { get; set; } = 6;

    public string JobName { get; set; } = "";

    public string JobId { get; set; } = "";

    public string UserId { get; set; } = "";

    public bool LocalServer { get; set; }

    /// <summary>SAFlags without the enforcement-reset bit.</summary>
    public byte Flags { get; set; }

    public byte SecurityFlags { get; set; }

    public IpFilterSection? Filter { get; set; }

    public TlsConnectionSection? Tls { get; set; }

    public SshConnectionSection? Ssh { get; set; }

    public IpsecConnectionSection? Ipsec { get; set; }

    public List<DistinguishedNameEntry> Names { get; set; } = [];

    public byte[]? Enforcement { get; set; }

    public bool Reset { get; set; }

    public bool FailedHandshake { get; set; }

    public ulong InBase { get; set; }

    public ulong OutBase { get; set; }

    /// <summary>Bytes per second.</summary>
    public ulong InRate { get; set; }

    public ulong OutRate { get; set; }

    public ulong SegmentSize { get; set; } = 1000;

    public ulong AccountedIn { get; set; }

    public ulong AccountedOut { get; set; }

    public ulong AccountedInSegments { get; set; }

    public ulong AccountedOutSegments { get; set; }

    public List<SummarySession> Sessions { get; } = [];

    public byte SecurityProtocols => (byte)((Tls is null ? 0 : 0x80) | (Ssh is null ? 0 : 0x40) | (Ipsec is null ? 0 : 0x20));

    /// <summary>Traffic counters at <paramref name="ticks"/>: linear in elapsed hundredths (integer math keeps runs reproducible).</summary>
    public (ulong In, ulong Out, ulong InSeg, ulong OutSeg) CountersAt(long ticks)
    {
        var hundredths = (ulong)Math.Max(0, (ticks - StartTicks) / Encoding.SmfTimeEncoding.TicksPerHundredth);
        var inBytes = InBase + (InRate * hundredths / 100);
        var outBytes = OutBase + (OutRate * hundredths / 100);
        return (inBytes, outBytes, 2 + (inBytes / SegmentSize), 2 + (outBytes / SegmentSize));
    }
}
