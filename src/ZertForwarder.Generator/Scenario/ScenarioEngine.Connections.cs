
namespace ZertForwarder.Generator.Scenario;

// Connections: an arrival becomes a connection with its lifetime, traffic and addresses.
internal sealed partial class ScenarioEngine
{
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
}
