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
    private static JsonObject Ecs(SpecRecordBuilder b) =>
        JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteEcs, TestMappings.Parse(b.Build())))!.AsObject();

    private static JsonObject Flat(SpecRecordBuilder b) =>
        JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteFlat, TestMappings.Parse(b.Build())))!.AsObject();

    private static Dictionary<string, string> Leef(SpecRecordBuilder b) =>
        LeefAndValidationTests.ParseLeef(TestMappings.Render(TestMappings.Normalizer.WriteLeef, TestMappings.Parse(b.Build())))
            .Attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);

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

    [Fact]
    public void Unknown_protection_bits_are_written_as_unknown_codes_in_ECS_as_in_flat_and_LEEF()
    {
        // X'10' is no bit of SASecProtos (layout §2.1: X'80' TLS, X'40' SSH, X'20' IPsec).
        var both = Connection(0x90);
        Assert.Equal("""["tls","unknown(0x10)"]""", Ecs(both)["zos"]!["zert"]!["protection"]!.ToJsonString());
        Assert.Equal("tls,unknown(0x10)", (string?)Flat(both)["SECURITY_PROTOCOLS"]);
        Assert.Equal("tls,unknown(0x10)", Leef(both)["SECURITY_PROTOCOLS"]);

        // Only an unknown bit: a protection the tables do not name, not cleartext's "none".
        Assert.Equal("""["unknown(0x10)"]""", Ecs(Connection(0x10))["zos"]!["zert"]!["protection"]!.ToJsonString());

        // Known bits unchanged.
        Assert.Equal("""["tls","ipsec"]""", Ecs(Connection(0xA0))["zos"]!["zert"]!["protection"]!.ToJsonString());
        Assert.Equal("""["none"]""", Ecs(Connection(0x00))["zos"]!["zert"]!["protection"]!.ToJsonString());
    }
}
