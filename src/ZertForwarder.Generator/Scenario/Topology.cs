using System.Net;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

/// <summary>Kinds of simulated workloads; each fixes ports, protection and lifetime shape.</summary>
internal enum AppKind
{
    CicsHttps,
    Db2Clear,
    Db2Tls,
    MqChannel,
    FtpControl,
    SshdServer,
    Tn3270Clear,
    Tn3270Tls,
    LegacyWeb,
    HttpClear,
    OutboundHttps,
    OutboundSftp,
    Db2OverIpsec,
    MqOverIpsec,
    EnterpriseExtender,
    ManualTunnel,
}

/// <summary>A certificate with the names zERT would report in DN entries.</summary>
internal sealed class CertificateIdentity
{
    public CertificateIdentity(CertificateAttributes attributes, string subject, string issuer)
    {
        Attributes = attributes;
        Subject = subject;
        Issuer = issuer;
    }

    public CertificateAttributes Attributes { get; }

    public string Subject { get; }

    public string Issuer { get; }
}

internal sealed class ClientHost
{
    public ClientHost(IPAddress v4, IPAddress? v6)
    {
        V4 = v4;
        V6 = v6;
        Mapped = v4.MapToIPv6();
    }

    public IPAddress V4 { get; }

    public IPAddress? V6 { get; }

    public IPAddress Mapped { get; }
}

internal sealed class SystemDef
{
    public required string SmfId { get; init; }

    public required string SystemName { get; init; }

    public required string Sysplex { get; init; }

    public required string ReleaseId { get; init; }

    /// <summary>24 = V2R4, 25 = V2R5, 31 = 3.1, 32 = 3.2.</summary>
    public required int Level { get; init; }

    public required TimeSpan UtcOffset { get; init; }

    public List<StackDef> Stacks { get; } = [];

    public bool HasEnforcement => Level >= 25;

    public bool IsZos32 => Level >= 32;
}

internal sealed class AppDef
{
    public required AppKind Kind { get; init; }

    public required string JobName { get; init; }

    public required string JobId { get; init; }

    public required string UserId { get; init; }

    /// <summary>Local listening port (local server) or remote port (local client).</summary>
    public required ushort Port { get; init; }

    public required int Weight { get; init; }

    public bool LocalServer { get; init; } = true;

    public CertificateIdentity? ServerCertificate { get; set; }

    public IpFilterSection? Filter { get; set; }
}

internal sealed class StackDef
{
    public required SystemDef System { get; init; }

    public required string Name { get; init; }

    public required ushort Asid { get; init; }

    public required IPAddress HomeV4 { get; init; }

    public IPAddress? HomeV6 { get; init; }

    public IPAddress HomeMapped => HomeV4.MapToIPv6();

    public bool IpSecurity { get; init; }

    public required TimeSpan Interval { get; init; }

    public List<AppDef> Apps { get; } = [];

    public uint NextConnectionId { get; set; }

    public int NextEphemeralPort { get; set; } = 1025;

    public bool DiscoveryEnabled { get; set; } = true;

    public bool AggregationEnabled { get; set; } = true;

    public long LastBoundaryTicks { get; set; }

    public long NextBoundaryTicks { get; set; }

    public List<SummarySession> Sessions { get; } = [];

    public Dictionary<string, SummarySession> SessionsByKey { get; } = new(StringComparer.Ordinal);

    public int TotalWeight { get; set; }

    public ushort TakeEphemeralPort()
    {
        var port = NextEphemeralPort;
        NextEphemeralPort = port >= 65_000 ? 1025 : port + 1;
        return (ushort)port;
    }
}
