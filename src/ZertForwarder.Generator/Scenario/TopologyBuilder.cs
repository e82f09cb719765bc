using System.Net;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

/// <summary>
/// The fixed shape of the simulated installation (systems, stacks, workloads); the seed varies identifiers,
/// certificates and addresses. Four systems span every release the layout distinguishes: V2R4 (7 triplets, no
/// enforcement), V2R5, 3.1 and 3.2 (role flags, failed handshakes, long 119-12 sections).
/// </summary>
internal sealed class TopologyBuilder
{
    private readonly DeterministicRandom _rng;
    private readonly Pki _pki;

    public TopologyBuilder(DeterministicRandom rng, Pki pki)
    {
        _rng = rng;
        _pki = pki;
    }

    public List<SystemDef> Systems { get; } = [];

    public List<ClientHost> Clients { get; } = [];

    public List<IPAddress> HttpsPartners { get; } = [];

    public List<CertificateIdentity> HttpsPartnerCertificates { get; } = [];

    public List<IPAddress> SftpPartners { get; } = [];

    public List<CertificateIdentity> ClientCertificates { get; } = [];

    public List<byte[]> ClientKeyFingerprints { get; } = [];

    public Dictionary<StackDef, byte[]> HostKeyFingerprints { get; } = [];

    public Dictionary<StackDef, CertificateIdentity> IkeCertificates { get; } = [];

    public List<CertificateIdentity> IkePeerCertificates { get; } = [];

    public CertificateIdentity DrQueueManagerCertificate { get; private set; } = null!;

    public void Build()
    {
        var sysa = AddSystem("SYSA", "SYSA", "PLEXA", "CS V3R2", 32, TimeSpan.FromHours(-5));
        var sysb = AddSystem("SYSB", "SYSB", "PLEXA", "CS V2R5", 25, TimeSpan.FromHours(-5));
        var prd1 = AddSystem("PRD1", "MVSPRD1", "PRODPLX", "CS V3R1", 31, TimeSpan.FromHours(1));
        var dev1 = AddSystem("DEV1", "DEV1", "DEVPLX", "CS V2R4", 24, TimeSpan.Zero);

        var sysaTcpip = AddStack(sysa, "TCPIP", 0x0041, "10.10.1.11", "2001:db8:a::11", ipSecurity: true, intervalMinutes: 15);
        var sysaTcpipb = AddStack(sysa, "TCPIPB", 0x0052, "10.10.2.11", null, ipSecurity: false, intervalMinutes: 15);
        var sysbTcpip = AddStack(sysb, "TCPIP", 0x0043, "10.10.1.12", "2001:db8:a::12", ipSecurity: false, intervalMinutes: 15);
        var prd1Tcpip = AddStack(prd1, "TCPIP", 0x003E, "192.168.50.10", "2001:db8:50::10", ipSecurity: true, intervalMinutes: 15);
        var dev1Tcpip = AddStack(dev1, "TCPIP", 0x0039, "10.30.1.21", null, ipSecurity: false, intervalMinutes: 30);

        AddApp(sysaTcpip, AppKind.CicsHttps, "CICSPA01", Stc(), "CICSSTC", 443, 20);
        AddApp(sysaTcpip, AppKind.MqChannel, "MQA1CHIN", Stc(), "MQSTC", 1414, 5);
        AddApp(sysaTcpip, AppKind.Db2Clear, "DB2ADIST", Stc(), "DB2STC", 446, 10);
        AddApp(sysaTcpip, AppKind.Db2Tls, "DB2ADIST", Stc(), "DB2STC", 448, 8);
        AddApp(sysaTcpip, AppKind.FtpControl, "FTPD1", Stc(), "FTPSRV", 21, 5);
        AddApp(sysaTcpip, AppKind.SshdServer, "SSHD", Stc(), "OMVSKERN", 22, 5);
        AddApp(sysaTcpip, AppKind.Tn3270Clear, "TN3270", Stc(), "TN3270", 23, 3);
        AddApp(sysaTcpip, AppKind.Tn3270Tls, "TN3270", Stc(), "TN3270", 992, 6);
        AddApp(sysaTcpip, AppKind.OutboundHttps, "PAYB0042", Job(), "PAYBATCH", 443, 6, localServer: false);
        AddApp(sysaTcpip, AppKind.OutboundSftp, "SFTPXFER", Job(), "FTPBATCH", 22, 2, localServer: false);
        AddApp(sysaTcpip, AppKind.Db2OverIpsec, "DB2ADIST", Stc(), "DB2STC", 446, 3, localServer: false);
        AddApp(sysaTcpip, AppKind.MqOverIpsec, "MQA1CHIN", Stc(), "MQSTC", 1414, 2, localServer: false);
        AddApp(sysaTcpip, AppKind.EnterpriseExtender, "NET", Stc(), "VTAM", 12000, 1);
        AddApp(sysaTcpip, AppKind.ManualTunnel, "FTPLEGCY", Job(), "FTPBATCH", 21, 1, localServer: false);

        AddApp(sysaTcpipb, AppKind.LegacyWeb, "WEBSRV01", Stc(), "WEBSRV", 443, 6);
        AddApp(sysaTcpipb, AppKind.CicsHttps, "CICSPA02", Stc(), "CICSSTC", 8443, 6);
        AddApp(sysaTcpipb, AppKind.Tn3270Tls, "TN3270B", Stc(), "TN3270", 992, 3);

        AddApp(sysbTcpip, AppKind.CicsHttps, "CICSPB01", Stc(), "CICSSTC", 443, 18);
        AddApp(sysbTcpip, AppKind.MqChannel, "MQB1CHIN", Stc(), "MQSTC", 1414, 4);
        AddApp(sysbTcpip, AppKind.Db2Clear, "DB2BDIST", Stc(), "DB2STC", 446, 8);
        AddApp(sysbTcpip, AppKind.Db2Tls, "DB2BDIST", Stc(), "DB2STC", 448, 6);
        AddApp(sysbTcpip, AppKind.FtpControl, "FTPD1", Stc(), "FTPSRV", 21, 4);
        AddApp(sysbTcpip, AppKind.SshdServer, "SSHD", Stc(), "OMVSKERN", 22, 3);
        AddApp(sysbTcpip, AppKind.Tn3270Clear, "TN3270", Stc(), "TN3270", 23, 3);
        AddApp(sysbTcpip, AppKind.Tn3270Tls, "TN3270", Stc(), "TN3270", 992, 5);
        AddApp(sysbTcpip, AppKind.LegacyWeb, "HTTPSRV1", Stc(), "WEBSRV", 8443, 4);
        AddApp(sysbTcpip, AppKind.OutboundHttps, "GLBATCH7", Job(), "GLBATCH", 443, 4, localServer: false);

        AddApp(prd1Tcpip, AppKind.CicsHttps, "CICSPRD1", Stc(), "CICSPRD", 443, 14);
        AddApp(prd1Tcpip, AppKind.MqChannel, "MQP1CHIN", Stc(), "MQPSTC", 1414, 4);
        AddApp(prd1Tcpip, AppKind.Tn3270Tls, "TN3270", Stc(), "TN3270", 992, 4);
        AddApp(prd1Tcpip, AppKind.SshdServer, "SSHD", Stc(), "OMVSKERN", 22, 3);
        AddApp(prd1Tcpip, AppKind.OutboundSftp, "SFTPPRD", Job(), "FTPPROD", 22, 2, localServer: false);
        AddApp(prd1Tcpip, AppKind.Db2OverIpsec, "DBP1DIST", Stc(), "DB2PSTC", 446, 3, localServer: false);
        AddApp(prd1Tcpip, AppKind.MqOverIpsec, "MQP1CHIN", Stc(), "MQPSTC", 1414, 2, localServer: false);
        AddApp(prd1Tcpip, AppKind.EnterpriseExtender, "NET", Stc(), "VTAM", 12000, 1);

        AddApp(dev1Tcpip, AppKind.FtpControl, "FTPD1", Stc(), "FTPSRV", 21, 5);
        AddApp(dev1Tcpip, AppKind.SshdServer, "SSHD", Stc(), "OMVSKERN", 22, 4);
        AddApp(dev1Tcpip, AppKind.Tn3270Clear, "TN3270", Stc(), "TN3270", 23, 5);
        AddApp(dev1Tcpip, AppKind.HttpClear, "WEBDEV01", Stc(), "WEBDEV", 80, 4);
        AddApp(dev1Tcpip, AppKind.Db2Clear, "DBD1DIST", Stc(), "DB2DSTC", 446, 4);
        AddApp(dev1Tcpip, AppKind.OutboundHttps, "DEVJOB12", Job(), "DEVUSER", 443, 3, localServer: false);

        BuildPeers();
        foreach (var system in Systems)
        {
            foreach (var stack in system.Stacks)
            {
                var fp = new byte[32];
                _rng.NextBytes(fp);
                HostKeyFingerprints[stack] = fp;
                if (stack.IpSecurity)
                {
                    IkeCertificates[stack] = _pki.Create(
                        $"CN=ike.{stack.Name.ToLowerInvariant()}.{system.SystemName.ToLowerInvariant()}.bank.example,OU=Network Security,O=Example Bank,C=US",
                        "CN=Example Bank Network CA,OU=Corporate PKI,O=Example Bank,C=US",
                        ec: _rng.Chance(0.3));
                }

                foreach (var app in stack.Apps)
                {
                    stack.TotalWeight += app.Weight;
                    if (app.LocalServer && app.Kind is AppKind.CicsHttps or AppKind.Db2Tls or AppKind.MqChannel or AppKind.FtpControl
                        or AppKind.Tn3270Tls or AppKind.LegacyWeb or AppKind.SshdServer)
                    {
                        var host = $"{app.JobName.ToLowerInvariant()}.{system.SystemName.ToLowerInvariant()}.bank.example";
                        app.ServerCertificate = _pki.Create(
                            $"CN={host},OU={OrganisationalUnit(app.Kind)},O=Example Bank,L=Charlotte,ST=North Carolina,C=US",
                            _rng.Chance(0.8) ? "CN=Example Bank Issuing CA G2,OU=Corporate PKI,O=Example Bank,C=US" : "CN=Example Bank Legacy CA,O=Example Bank,C=US",
                            ec: app.Kind == AppKind.CicsHttps && _rng.Chance(0.35));
                    }

                    if (stack.IpSecurity)
                    {
                        app.Filter = BuildFilter(app);
                    }
                }
            }
        }
    }

    private static string OrganisationalUnit(AppKind kind) => kind switch
    {
        AppKind.CicsHttps => "CICS Web Services",
        AppKind.Db2Tls => "Db2 Distributed Data Facility",
        AppKind.MqChannel => "MQ Messaging",
        AppKind.FtpControl => "File Transfer",
        AppKind.Tn3270Tls => "TN3270 Server",
        AppKind.SshdServer => "OpenSSH",
        _ => "Web Hosting",
    };

    private IpFilterSection BuildFilter(AppDef app)
    {
        var ipsec = app.Kind is AppKind.Db2OverIpsec or AppKind.MqOverIpsec or AppKind.EnterpriseExtender or AppKind.ManualTunnel;
        var action = ipsec ? (byte)2 : (byte)1;
        var name = app.Kind.ToString().ToUpperInvariant();
        return new IpFilterSection
        {
            InboundAction = action,
            OutboundAction = action,
            InboundRuleName = (ipsec ? "IPSEC_" : "PERMIT_") + name + "_IN",
            OutboundRuleName = (ipsec ? "IPSEC_" : "PERMIT_") + name + "_OUT",
            InboundRuleExtension = ipsec && app.Kind != AppKind.ManualTunnel ? $"DYN{_rng.Between(1, 99_999):D5}" : "",
            OutboundRuleExtension = ipsec && app.Kind != AppKind.ManualTunnel ? $"DYN{_rng.Between(1, 99_999):D5}" : "",
        };
    }

    private void BuildPeers()
    {
        for (var i = 0; i < 80; i++)
        {
            var v4 = new IPAddress([10, 20, (byte)_rng.Between(1, 40), (byte)_rng.Between(10, 250)]);
            IPAddress? v6 = null;
            if (i % 3 == 0)
            {
                v6 = IPAddress.Parse($"2001:db8:20:{_rng.Between(1, 0xFF):x}::{_rng.Between(0x10, 0xFFFF):x}");
            }

            Clients.Add(new ClientHost(v4, v6));
        }

        string[] partners = ["api.partner-payments.example", "gateway.cardnet.example", "edi.supplier-hub.example", "auth.idp.example", "reports.regulator.example"];
        foreach (var partner in partners)
        {
            HttpsPartners.Add(new IPAddress([203, 0, 113, (byte)_rng.Between(2, 250)]));
            HttpsPartnerCertificates.Add(_pki.Create(
                $"CN={partner},O={partner.Split('.')[1]},L=New York,ST=New York,C=US",
                _rng.Chance(0.5) ? "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US" : "CN=R11,O=Let's Encrypt,C=US",
                ec: _rng.Chance(0.3)));
        }

        for (var i = 0; i < 4; i++)
        {
            SftpPartners.Add(new IPAddress([192, 0, 2, (byte)_rng.Between(2, 250)]));
        }

        string[] clientNames = ["MQ.PARTNER01.CLIENT", "MQ.CLEARING.CLIENT", "DDF.REPORTING.APP", "CICS.MOBILE.GATEWAY", "TN3270.OPS.DESK"];
        foreach (var name in clientNames)
        {
            ClientCertificates.Add(_pki.Create($"CN={name},OU=Client Systems,O=Partner Bank AG,L=Frankfurt,C=DE", "CN=Partner Bank Client CA 3,O=Partner Bank AG,C=DE", ec: _rng.Chance(0.25)));
        }

        for (var i = 0; i < 10; i++)
        {
            var fp = new byte[i % 4 == 0 ? 16 : 32]; // MD5 (legacy) or SHA-256 fingerprints
            _rng.NextBytes(fp);
            ClientKeyFingerprints.Add(fp);
        }

        DrQueueManagerCertificate = _pki.Create("CN=mqdr1chin.drsite.bank.example,OU=MQ Messaging,O=Example Bank,C=US", "CN=Example Bank Issuing CA G2,OU=Corporate PKI,O=Example Bank,C=US", ec: false);
        for (var i = 0; i < 3; i++)
        {
            IkePeerCertificates.Add(_pki.Create($"CN=vpn-gw{i + 1}.drsite.bank.example,OU=Network Security,O=Example Bank,C=US", "CN=Example Bank Network CA,OU=Corporate PKI,O=Example Bank,C=US", ec: i == 2));
        }
    }

    private SystemDef AddSystem(string smfId, string systemName, string sysplex, string release, int level, TimeSpan offset)
    {
        var system = new SystemDef { SmfId = smfId, SystemName = systemName, Sysplex = sysplex, ReleaseId = release, Level = level, UtcOffset = offset };
        Systems.Add(system);
        return system;
    }

    private StackDef AddStack(SystemDef system, string name, ushort asid, string v4, string? v6, bool ipSecurity, int intervalMinutes)
    {
        var stack = new StackDef
        {
            System = system,
            Name = name,
            Asid = asid,
            HomeV4 = IPAddress.Parse(v4),
            HomeV6 = v6 is null ? null : IPAddress.Parse(v6),
            IpSecurity = ipSecurity,
            Interval = TimeSpan.FromMinutes(intervalMinutes),
            NextConnectionId = (uint)_rng.Between(0x100, 0x7FFFFF),
            NextEphemeralPort = _rng.Between(1025, 60_000),
        };
        system.Stacks.Add(stack);
        return stack;
    }

    private void AddApp(StackDef stack, AppKind kind, string job, string jobId, string user, ushort port, int weight, bool localServer = true)
    {
        stack.Apps.Add(new AppDef { Kind = kind, JobName = job, JobId = jobId, UserId = user, Port = port, Weight = weight, LocalServer = localServer });
    }

    private string Stc() => $"STC{_rng.Between(1, 99_999):D5}";

    private string Job() => $"JOB{_rng.Between(1, 99_999):D5}";
}
