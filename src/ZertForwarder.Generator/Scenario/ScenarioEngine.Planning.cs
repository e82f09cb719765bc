
namespace ZertForwarder.Generator.Scenario;

// Planning: the topology's stacks and applications, the warm-up arrivals and the long-lived connections seeded at the start.
internal sealed partial class ScenarioEngine
{
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
}
