using System.Text.Json;
using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// Issue 10 QRadar content in mappings/qradar/: every LEEF EventID x cat the writer can emit has a QID map row, and
/// every LEEF key it can emit is a QRadar predefined key or has a custom event property definition.
/// ZERT_UPDATE_GOLDEN=1 rewrites custom-properties.json from the mapping rules.
/// </summary>
public sealed class QRadarContentTests
{
    private static string Dir => Path.Combine(TestMappings.RepoRoot, "mappings", "qradar");

    /// <summary>LEEF 2.0 predefined keys QRadar parses itself (no custom property needed).</summary>
    private static readonly HashSet<string> Predefined =
        ["devTime", "src", "dst", "srcPort", "dstPort", "proto", "usrName", "cat", "sev", "srcBytes", "dstBytes", "srcPackets", "dstPackets", "externalId"];

    private static readonly string[] Categories = ["TLS", "SSH", "IPSEC", "MULTIPLE", "NONE"];

    [Fact]
    public void Every_EventID_and_category_the_LEEF_writer_can_emit_has_a_QID_map_row()
    {
        var leef = TestMappings.Set.Leef;
        var ids = leef.EventIds11.Skip(1).Concat(leef.EventIds12.Skip(1)).Append(leef.UnknownEventId).Select(b => System.Text.Encoding.UTF8.GetString(b)).Distinct().ToList();
        Assert.Equal(11, ids.Count);
        var qidNames = File.ReadAllLines(Path.Combine(Dir, "qid-map.csv")).Select(l => l.Split(',')).ToList();
        // qidmap_cli.sh -i -f takes name,description,severity,low-level category id: four fields, no embedded commas.
        Assert.All(qidNames, f =>
        {
            Assert.Equal(4, f.Length);
            Assert.InRange(int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), 1, 10);
            Assert.Matches("^[0-9]{4,5}$", f[3]);
        });
        var map = File.ReadAllLines(Path.Combine(Dir, "event-map.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        foreach (var id in ids)
        {
            foreach (var cat in Categories)
            {
                var row = map.SingleOrDefault(r => r[0] == id && r[1] == cat);
                Assert.True(row is not null, $"event-map.csv has no row for {id} / {cat}");
                Assert.Contains(qidNames, q => q[0] == row![2] && q[3] == row[5]);
            }
        }
    }

    /// <summary>Every key of every LEEF line (predefined and flat), with the QRadar property type it needs.</summary>
    private static SortedDictionary<string, string> EmittableKeys()
    {
        var set = TestMappings.Set;
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var rule in set.LeefRules11.Concat(set.LeefRules12))
        {
            var type = rule.Target.EndsWith("_PORT", StringComparison.Ordinal) || rule.Target.EndsWith("_PORT_START", StringComparison.Ordinal)
                ? "Port"
                : rule.EsType switch { "long" or "float" => "Numeric", "ip" => "IP", _ => "AlphaNumeric" };
            keys[rule.Target] = type;
        }
        // The raw enforcement hex is only written with Mappings:LeefEnforcementRaw=true.
        keys["ENFORCEMENT_SECTION"] = "AlphaNumeric";
        return keys;
    }

    [Fact]
    public void Every_LEEF_key_is_predefined_or_has_a_custom_event_property()
    {
        var path = Path.Combine(Dir, "custom-properties.json");
        var keys = EmittableKeys();
        if (TestMappings.Updating)
        {
            var properties = new JsonArray();
            foreach (var (key, type) in keys)
            {
                properties.Add(new JsonObject
                {
                    ["name"] = key,
                    ["field_type"] = type,
                    ["expression_type"] = "LEEF",
                    ["expression"] = key,
                    ["description"] = "zERT " + key.ToLowerInvariant().Replace('_', ' ') + " (ZertForwarder LEEF key " + key + ")",
                });
            }
            var root = new JsonObject
            {
                ["_comment"] = "QRadar custom event properties for the LEEF keys of ZertForwarder: create each for the zERT log source type (DSM Editor: Add property, expression type LEEF key). Generated from the mapping rules; see README.md.",
                ["predefined_keys_parsed_by_qradar"] = new JsonArray([.. Predefined.Order(StringComparer.Ordinal).Select(k => (JsonNode)k)]),
                ["properties"] = properties,
            };
            File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        var file = JsonNode.Parse(File.ReadAllText(path))!;
        var defined = file["properties"]!.AsArray().ToDictionary(p => (string)p!["expression"]!, p => (string)p!["field_type"]!, StringComparer.Ordinal);
        var missing = keys.Keys.Where(k => !defined.ContainsKey(k) && !Predefined.Contains(k)).ToList();
        Assert.True(missing.Count == 0, "LEEF keys without a custom property: " + string.Join(", ", missing) + ". Run ZERT_UPDATE_GOLDEN=1 dotnet test tests/ZertForwarder.Mapping.Tests.");
        foreach (var rule in TestMappings.Set.Leef.Predefined) Assert.Contains(rule.Target, Predefined);
        foreach (var (key, type) in keys) Assert.Equal(type, defined[key]);
        Assert.Equal(keys.Count, defined.Count);
    }

    [Fact]
    public void The_example_searches_use_only_defined_properties()
    {
        var aql = File.ReadAllText(Path.Combine(Dir, "searches.aql"));
        var keys = EmittableKeys();
        var quoted = System.Text.RegularExpressions.Regex.Matches(aql, "\"([A-Z][A-Z0-9_]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(quoted);
        Assert.All(quoted, k => Assert.True(keys.ContainsKey(k), $"searches.aql uses {k}, which no LEEF line carries"));
    }
}
