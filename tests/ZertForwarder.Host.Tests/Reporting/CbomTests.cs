using System.Text.Json.Nodes;
using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>The CBOM (<see cref="Cbom"/>) built from records written for one question each.</summary>
public sealed class CbomTests
{
    private static readonly AlgorithmCatalog Catalog = AlgorithmCatalog.Load(Path.Combine(AppContext.BaseDirectory, "mappings", "cbom", "algorithms.json"));

    /// <summary>The CBOM of <paramref name="records"/>, each counted as <c>report</c> counts it.</summary>
    private static JsonObject CbomOf(params ReportRecord[] records) => Cbom.Build(CraftedEcs.ReportOf(records), Catalog);

    private static JsonObject Protocol(JsonObject bom, string reference) =>
        bom["components"]!.AsArray().Single(c => (string?)c!["bom-ref"] == reference)!["cryptoProperties"]!["protocolProperties"]!.AsObject();

    /// <summary>
    /// An IKEv1 SA on DH group 14, 3DES and HMAC-MD5 (integrity and PRF) for an ESP tunnel with PFS group 2 and
    /// HMAC-SHA1: the CBOM listed the tunnel's algorithms only, so group 14 and HMAC-MD5, crypto the IKE SA uses, were
    /// missing from the inventory.
    /// </summary>
    [Fact]
    public void An_ipsec_session_lists_its_ike_sa_algorithms_too()
    {
        var record = CraftedEcs.Read("""
            {"@timestamp":"2025-05-17T10:00:00.000Z","event":{"dataset":"zos.zert_summary","provider":"TCPIP"},
             "labels":{"sysplex":"PLEXA","smf_system_id":"SYSA"},"server":{"ip":"172.20.1.50","port":446},"client":{"ip":"10.10.1.11"},
             "network":{"transport":"tcp","direction":"egress"},"process":{"name":"DB2ADIST"},
             "zos":{"zert":{"event_type":1,"protection":["ipsec"],"summary":{"connections":{"delta":2}},
               "ipsec":{"ike":{"major_version":1,"dh_group":"group-14","encryption":"3DES","integrity":"HMAC-MD5","prf":"HMAC-MD5"},
                        "tunnel":{"protocol":"ESP","encapsulation_mode":"transport","pfs_group":"group-2","encryption":"3DES","integrity":"HMAC-SHA1"}}}}}
            """);

        var ipsec = Protocol(CbomOf(record), "crypto/protocol/ipsec/IKEv1");
        var suites = ipsec["cipherSuites"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => s!["algorithms"]!.AsArray().Select(a => (string)a!).ToList());
        Assert.Equal(["crypto/algorithm/3DES-CBC", "crypto/algorithm/HMAC-SHA1", "crypto/algorithm/group-2"], suites["group-2 / 3DES / HMAC-SHA1"]);
        Assert.Equal(["crypto/algorithm/3DES-CBC", "crypto/algorithm/HMAC-MD5", "crypto/algorithm/group-14"], suites["IKE group-14 / 3DES / HMAC-MD5 / PRF HMAC-MD5"]);
        var used = ipsec["cryptoRefArray"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Contains("crypto/algorithm/HMAC-MD5", used);
        Assert.Contains("crypto/algorithm/group-14", used);
    }
}
