using System.Text;
using System.Text.Json;
using ZertForwarder.Generator;
using ZertForwarder.Mapping.Tests.Support;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// Property: a record that decodes, whatever odd values its fields hold (codes outside the tables, dates and times out
/// of range, lengths at their limits, EBCDIC control characters in text), maps to a well-formed ECS document, flat
/// document and LEEF line and to an envelope, and never makes the mapping throw (output contract §2: unknown codes are
/// kept raw, never an error; where the layout is unsure, the decoder and the mapping tolerate and keep raw values). The decoder's own property
/// is in the SMF tests (RandomMutationTests); this one starts where it ends. Deterministic: a fixed seed, so a failure
/// replays exactly.
/// </summary>
public sealed class MutatedRecordMappingTests
{
    private const int Seed = 119_1211;
    private const int Mutations = 20_000;

    [Fact]
    public void Twenty_thousand_mutated_records_that_decode_map_to_well_formed_outputs()
    {
        var random = new Random(Seed);
        var templates = SmfDumpGenerator.GenerateRecords(seed: 77, 400, includeForeignRecords: false)
            .Where(r => r.IsZert).Select(r => r.Bytes).ToList();
        // Systems east and west of UTC (day and year boundaries move), and the LEEF length cap on, so its path is taken.
        var set = MappingSet.Load(TestMappings.Directory, new MappingOptions
        {
            UtcOffsets = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { ["SYSA"] = TimeSpan.FromHours(-5), ["SYSB"] = TimeSpan.FromHours(14) },
            SurfaceEnforcementRuleName = true,
            LeefMaxLineLength = 2048,
        });
        var normalizer = set.CreateNormalizer();
        var decoded = 0;
        var unknownCodes = 0;

        for (var n = 0; n < Mutations; n++)
        {
            var bytes = RecordMutations.MutateValues(templates[random.Next(templates.Count)], random);
            var result = ZertRecordParser.Parse(bytes);
            if (result.Record is not { } record) continue;
            decoded++;
            try
            {
                if (Check(normalizer, record)) unknownCodes++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {n} threw {e.GetType().Name}: {e.Message}\n{e.StackTrace}\nrecord: {Convert.ToHexString(bytes)}");
            }
        }

        // The property only means something if most mutations still decode and so reach the mapping.
        Assert.True(decoded > Mutations / 2, $"only {decoded} of {Mutations} mutated records decoded");
        Assert.True(unknownCodes > decoded / 20, $"only {unknownCodes} of {decoded} documents carry an unknown code");
    }

    /// <returns>True when the ECS document names a code outside its table (<c>unknown(0x...)</c>).</returns>
    private static bool Check(ZertNormalizer normalizer, ZertRecord record)
    {
        var ecsText = TestMappings.Render(normalizer.WriteEcs, record);
        using (var ecs = JsonDocument.Parse(ecsText))
        {
            var root = ecs.RootElement;
            Assert.Equal(JsonValueKind.Object, root.ValueKind);
            Assert.Matches("^[0-9a-f]{32}$", root.GetProperty("event").GetProperty("id").GetString());
            Assert.True(root.GetProperty("zos").GetProperty("zert").TryGetProperty("assessment", out _), "no assessment");
        }

        using (var flat = JsonDocument.Parse(TestMappings.Render(normalizer.WriteFlat, record)))
        {
            foreach (var member in flat.RootElement.EnumerateObject())
            {
                Assert.True(member.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array), $"flat {member.Name} is not a scalar");
            }
        }

        var leef = TestMappings.Render(normalizer.WriteLeef, record);
        Assert.StartsWith("LEEF:2.0|IBM|zERT|", leef, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', leef);
        Assert.DoesNotContain('\r', leef);
        Assert.DoesNotContain('\0', leef);
        var header = leef.Split('|');
        Assert.True(header.Length >= 7, "LEEF header has fewer than 6 separators");
        foreach (var attribute in leef[(leef.IndexOf("|x09|", StringComparison.Ordinal) + 5)..].Split('\t'))
        {
            Assert.True(attribute.IndexOf('=', StringComparison.Ordinal) > 0, $"LEEF attribute without a key: '{attribute}'");
        }

        var envelope = normalizer.Describe(record);
        Assert.Matches("^[0-9a-f]{32}$", Encoding.ASCII.GetString(envelope.EventIdUtf8));
        Assert.False(string.IsNullOrEmpty(envelope.Key), "no routing key");
        return ecsText.Contains("unknown(0x", StringComparison.Ordinal);
    }
}
