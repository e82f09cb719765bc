using System.Globalization;
using System.Text.Json.Nodes;
using ZertForwarder.Generator;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// 2,000 records from the generator (written from the layout spec independently of the decoder) map to ECS, LEEF and
/// flat output without errors; every ECS document passes the contract checks and agrees with the generator's model.
/// </summary>
public sealed class GeneratorRoundTripTests
{
    [Fact]
    public void Two_thousand_generated_records_map_and_every_ECS_document_passes_the_contract()
    {
        var records = SmfDumpGenerator.GenerateRecords(SmfDumpGenerator.DefaultSeed, 2000, includeForeignRecords: false);
        var offsets = records.GroupBy(r => r.SystemId).ToDictionary(g => g.Key, g => g.First().UtcOffset, StringComparer.Ordinal);
        var normalizer = MappingSet.Load(TestMappings.Directory, new MappingOptions { UtcOffsets = offsets }).CreateNormalizer();
        Assert.Equal(2000, records.Count(r => r.IsZert));
        foreach (var generated in records.Where(r => r.IsZert))
        {
            var record = TestMappings.Parse(generated.Bytes);
            var ecs = JsonNode.Parse(TestMappings.Render(normalizer.WriteEcs, record))!.AsObject();
            var id = (string)ecs["event"]!["id"]!;
            EcsDocumentChecker.Check(id, ecs, normalizer.Mappings.EcsFields(record.Subtype));

            // Contract §1: record time = SMF header local time converted with the system's offset, milliseconds, Z.
            Assert.Equal(generated.RecordTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), (string)ecs["@timestamp"]!);
            var dataset = record.Subtype == 11 ? "zos.zert_connection" : "zos.zert_summary";
            Assert.Equal(dataset, (string)ecs["event"]!["dataset"]!);
            Assert.Equal(dataset, (string)ecs["data_stream"]!["dataset"]!);
            Assert.NotNull(ecs["zos"]!["zert"]!["assessment"]!["level"]);
            Assert.Equal(generated.SystemId, (string)ecs["labels"]!["smf_system_id"]!);
            if (generated.Connection is { } c)
            {
                Assert.Equal($"119-11-{c.Common.EventType}", (string)ecs["event"]!["code"]!);
                if (c.Common.LocalIp is { } local && !local.Equals(System.Net.IPAddress.Any) && !local.Equals(System.Net.IPAddress.IPv6Any))
                    Assert.Equal(local.ToString(), (string)ecs["zos"]!["zert"]!["local"]!["ip"]!);
                if (c.Common.LocalPort != 0) Assert.Equal(c.Common.LocalPort, (int)ecs["zos"]!["zert"]!["local"]!["port"]!);
                // zERT enabled/disabled records describe no connection: no protection (output contract 2.1, ["none"] is cleartext).
                var isConfiguration = c.Common.EventType is 5 or 6;
                Assert.Equal(isConfiguration, ecs["zos"]!["zert"]!["protection"] is null);
                var protection = isConfiguration ? new List<string>() : ecs["zos"]!["zert"]!["protection"]!.AsArray().Select(p => (string)p!).ToList();
                Assert.Equal((c.Common.SecurityProtocols & 0x80) != 0, protection.Contains("tls"));
                Assert.Equal((c.Common.SecurityProtocols & 0x40) != 0, protection.Contains("ssh"));
                Assert.Equal((c.Common.SecurityProtocols & 0x20) != 0, protection.Contains("ipsec"));
                var known = (c.Common.Flags & 0x18) != 0 || (c.Tls is not null && ecs["zos"]!["zert"]!["tls"]?["handshake_role"] is JsonValue r && (string)r! is "client" or "server" or "server-with-client-auth");
                // Contract §2.3: client/server only when the role is known; direction unknown otherwise.
                if (c.Common.EventType is not (5 or 6))
                {
                    Assert.Equal(known, ecs["server"] is not null);
                    Assert.Equal(known ? ((c.Common.Flags & 0x10) != 0 || ((c.Common.Flags & 0x08) == 0 && (string?)ecs["zos"]!["zert"]!["tls"]?["handshake_role"] != "client") ? "ingress" : "egress") : "unknown",
                        (string)ecs["network"]!["direction"]!);
                }
            }
            else if (generated.Summary is { } s)
            {
                Assert.Equal($"119-12-{s.Common.EventType}", (string)ecs["event"]!["code"]!);
                if (s.Common.EventType == 1 && s.Common.ServerPortStart != 0) Assert.Equal(s.Common.ServerPortStart, (int)ecs["server"]!["port"]!);
                if (s.Common.EventType == 1)
                    Assert.Equal((long)(s.Common.EndConnections - s.Common.InitConnections), (long)ecs["zos"]!["zert"]!["summary"]!["connections"]!["delta"]!);
            }
            var leef = TestMappings.Render(normalizer.WriteLeef, record);
            Assert.DoesNotContain('\n', leef);
            Assert.StartsWith("LEEF:2.0|IBM|zERT|", leef, StringComparison.Ordinal);
            JsonNode.Parse(TestMappings.Render(normalizer.WriteFlat, record));
            Assert.Equal(id, System.Text.Encoding.ASCII.GetString(normalizer.Describe(record).EventIdUtf8));
        }
    }
}
