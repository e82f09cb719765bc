using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>Who is the server of a record (<see cref="ReportBuilder.Role"/>, README "Counting rule").</summary>
public sealed class EndpointRoleTests
{
    /// <summary>An Enterprise Extender interval summary of SYSA's stack: server 10.10.1.11, client 10.50.1.5, no role flag.</summary>
    private static readonly ReportRecord EeSummary = CraftedEcs.Read("""
        {"@timestamp":"2025-05-17T10:00:00.000Z","event":{"dataset":"zos.zert_summary","provider":"TCPIP"},
         "labels":{"sysplex":"PLEXA","smf_system_id":"SYSA"},"server":{"ip":"10.10.1.11","port":12000},"client":{"ip":"10.50.1.5"},
         "network":{"transport":"udp","direction":"unknown"},"process":{"name":"NET"},
         "zos":{"zert":{"event_type":1,"protection":["ipsec"],"server_port_range":{"start":12000,"end":12004}}}}
        """);

    /// <summary>
    /// A summary without a role is z/OS serving unless the stack's own addresses, learnt from its 119-11 records, do
    /// not include the server address. Enterprise Extender summaries took the server as foreign when there were no
    /// 119-11 records (a site that records summaries only): every EE row had z/OS's own address as its foreign IP.
    /// </summary>
    [Fact]
    public void An_ee_summary_without_connection_records_has_the_server_address_as_the_local_one()
    {
        var role = ReportBuilder.Role(EeSummary, new Dictionary<string, HashSet<string>>(StringComparer.Ordinal));
        Assert.Equal((EndpointKind.EnterpriseExtender, "10.10.1.11", "10.50.1.5", "12000-12004"), (role.Kind, role.LocalIp, role.ForeignIp, role.PortText));

        var ownIsTheClient = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal) { ["PLEXA/SYSA/TCPIP"] = ["10.50.1.5"] };
        var flipped = ReportBuilder.Role(EeSummary, ownIsTheClient);
        Assert.Equal(("10.50.1.5", "10.10.1.11"), (flipped.LocalIp, flipped.ForeignIp));

        var ownIsTheServer = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal) { ["PLEXA/SYSA/TCPIP"] = ["10.10.1.11"] };
        Assert.Equal("10.10.1.11", ReportBuilder.Role(EeSummary, ownIsTheServer).LocalIp);
    }
}
