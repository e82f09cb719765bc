using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;
using static ZertForwarder.Mapping.Tests.Support.SpecRecordBuilder;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// Output contract §2.7: a code that is not in the known tables is written as <c>unknown(0xNNNN)</c>, never dropped.
/// Each case builds a record with one unknown code and checks that the code, and the value it qualifies, reach ECS,
/// flat and LEEF.
/// </summary>
public sealed class UnknownCodeTests
{
    /// <summary>A 119-11 connection-termination record, local server, with SASecProtos <paramref name="protection"/>.</summary>
    private static SpecRecordBuilder Connection(byte protection)
    {
        var b = new SpecRecordBuilder(11);
        b.Common[0] = 3;
        b.Common[1] = protection;
        b.Common[2] = 0x10;
        b.Common[4] = 6;
        Ip(b.Common, 64, "10.0.0.1");
        Ip(b.Common, 48, "10.0.0.2");
        U16(b.Common, 82, 443);
        U16(b.Common, 80, 50000);
        return b;
    }

    /// <summary>A TLS 1.2 section (layout §2.3) whose server certificate notAfter has time type <paramref name="timeType"/>.</summary>
    private static SpecRecordBuilder WithServerCertificateTime(SpecRecordBuilder b, byte timeType, string time)
    {
        var t = new byte[168];
        U16(t, 0, 0x0303);
        t[2] = 1;
        t[3] = 1;
        Text(t, 56, 6, "C02F");
        t[100] = timeType;       // SMF119SC_TLS_SCert_Time_Type
        Text(t, 101, 15, time);  // SMF119SC_TLS_SCert_Time
        b.Tls = t;
        return b;
    }

    [Fact]
    public void Unknown_protection_bits_are_written_as_unknown_codes_in_ECS_as_in_flat_and_LEEF()
    {
        // X'10' is no bit of SASecProtos (layout §2.1: X'80' TLS, X'40' SSH, X'20' IPsec).
        var both = Connection(0x90);
        Assert.Equal("""["tls","unknown(0x10)"]""", TestMappings.Ecs(both)["zos"]!["zert"]!["protection"]!.ToJsonString());
        Assert.Equal("tls,unknown(0x10)", (string?)TestMappings.Flat(both)["SECURITY_PROTOCOLS"]);
        Assert.Equal("tls,unknown(0x10)", TestMappings.Leef(both)["SECURITY_PROTOCOLS"]);

        // Only an unknown bit: a protection the tables do not name, not cleartext's "none".
        Assert.Equal("""["unknown(0x10)"]""", TestMappings.Ecs(Connection(0x10))["zos"]!["zert"]!["protection"]!.ToJsonString());

        // Known bits unchanged.
        Assert.Equal("""["tls","ipsec"]""", TestMappings.Ecs(Connection(0xA0))["zos"]!["zert"]!["protection"]!.ToJsonString());
        Assert.Equal("""["none"]""", TestMappings.Ecs(Connection(0x00))["zos"]!["zert"]!["protection"]!.ToJsonString());
    }

    [Fact]
    public void A_certificate_time_of_unknown_type_keeps_its_type_code_and_its_text()
    {
        var b = WithServerCertificateTime(Connection(0x80), timeType: 3, "20271231235959Z");
        var ecs = TestMappings.Ecs(b);
        Assert.Null(ecs["tls"]!["server"]?["x509"]?["not_after"]); // the type says nothing about how to read it
        var x509 = ecs["zos"]!["zert"]!["tls"]!["server"]!["x509"]!;
        Assert.Equal("unknown(0x03)", (string?)x509["not_after_type"]);
        Assert.Equal("20271231235959Z", (string?)x509["not_after_raw"]);
        var flat = TestMappings.Flat(b);
        Assert.Equal("unknown(0x03)", (string?)flat["TLS_SERVER_CERT_NOTAFTER_TYPE"]);
        Assert.Equal("20271231235959Z", (string?)flat["TLS_SERVER_CERT_NOTAFTER_RAW"]);
        Assert.Null(flat["TLS_SERVER_CERT_NOTAFTER"]);
        var leef = TestMappings.Leef(b);
        Assert.Equal("unknown(0x03)", leef["TLS_SERVER_CERT_NOTAFTER_TYPE"]);
        Assert.Equal("20271231235959Z", leef["TLS_SERVER_CERT_NOTAFTER_RAW"]);

        // A known type: the date, and neither the type nor the raw text in ECS (not_after says it all).
        var known = WithServerCertificateTime(Connection(0x80), timeType: 2, "20271231235959Z");
        var knownEcs = TestMappings.Ecs(known);
        Assert.Equal("2027-12-31T23:59:59.000Z", (string?)knownEcs["tls"]!["server"]!["x509"]!["not_after"]);
        Assert.Null(knownEcs["zos"]!["zert"]!["tls"]!["server"]?["x509"]?["not_after_type"]);
        Assert.Null(knownEcs["zos"]!["zert"]!["tls"]!["server"]?["x509"]?["not_after_raw"]);
        Assert.Equal("generalized-time", (string?)TestMappings.Flat(known)["TLS_SERVER_CERT_NOTAFTER_TYPE"]);
        Assert.Null(TestMappings.Flat(known)["TLS_SERVER_CERT_NOTAFTER_RAW"]);
    }

    [Fact]
    public void A_DN_of_unknown_type_is_written_with_its_type_code()
    {
        // DN type 13 is not in table V.9 (1-12); type 5 is the TLS server subject.
        var b = WithServerCertificateTime(Connection(0x80), timeType: 2, "20271231235959Z")
            .Dn(5, "CN=server.example.com")
            .Dn(13, "CN=odd.example.com,O=Example")
            .Dn(0x0100, "CN=other");
        var ecs = TestMappings.Ecs(b);
        Assert.Equal("CN=server.example.com", (string?)ecs["tls"]!["server"]!["x509"]!["subject"]!["distinguished_name"]);
        Assert.Equal("""["unknown(0x000D): CN=odd.example.com,O=Example","unknown(0x0100): CN=other"]""",
            ecs["zos"]!["zert"]!["dn_unknown_type"]!.ToJsonString());
        Assert.Equal("unknown(0x000D): CN=odd.example.com,O=Example,unknown(0x0100): CN=other", (string?)TestMappings.Flat(b)["DN_UNKNOWN_TYPE"]);
        Assert.Equal("unknown(0x000D): CN=odd.example.com,O=Example,unknown(0x0100): CN=other", TestMappings.Leef(b)["DN_UNKNOWN_TYPE"]);

        // Only known types: no such field.
        var known = WithServerCertificateTime(Connection(0x80), timeType: 2, "20271231235959Z").Dn(5, "CN=server.example.com");
        Assert.Null(TestMappings.Ecs(known)["zos"]!["zert"]!["dn_unknown_type"]);
        Assert.Null(TestMappings.Flat(known)["DN_UNKNOWN_TYPE"]);
    }

    [Fact]
    public void DN_redaction_applies_to_DNs_of_unknown_type()
    {
        var b = Connection(0x80).Dn(13, "CN=odd.example.com");
        var hashing = MappingSet.Load(TestMappings.Directory, new MappingOptions { RedactDistinguishedNames = DnRedaction.Hash }).CreateNormalizer();
        var hashed = JsonNode.Parse(TestMappings.Render(hashing.WriteEcs, TestMappings.Parse(b.Build())))!["zos"]!["zert"]!["dn_unknown_type"]!;
        var item = (string)hashed[0]!;
        Assert.StartsWith("unknown(0x000D): sha256:", item, StringComparison.Ordinal);
        Assert.DoesNotContain("odd", item, StringComparison.Ordinal);
        var dropping = MappingSet.Load(TestMappings.Directory, new MappingOptions { RedactDistinguishedNames = DnRedaction.Drop }).CreateNormalizer();
        Assert.Null(JsonNode.Parse(TestMappings.Render(dropping.WriteEcs, TestMappings.Parse(b.Build())))!["zos"]!["zert"]!["dn_unknown_type"]);
    }
}
