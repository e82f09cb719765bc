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

    /// <summary>LEEF 2.0 predefined keys QRadar parses itself (no custom property needed); identHostName is one of its identity keys.</summary>
    private static readonly HashSet<string> Predefined =
        ["devTime", "src", "dst", "srcPort", "dstPort", "proto", "usrName", "cat", "sev", "srcBytes", "dstBytes", "srcPackets", "dstPackets", "externalId", "identHostName"];

    private static readonly string[] Categories = ["TLS", "SSH", "IPSEC", "MULTIPLE", "NONE"];

    /// <summary>Keys written only under a setting, or kept raw: the property says so, so nobody waits for values that never come.</summary>
    private static readonly Dictionary<string, string> DescriptionOverrides = new(StringComparer.Ordinal)
    {
        ["ENFORCEMENT_SECTION"] = "zERT enforcement section as raw hex (ZertForwarder LEEF key ENFORCEMENT_SECTION; written only with Mappings:LeefEnforcementRaw=true)",
        ["NRP_POLICY_RULE_NAME"] = "zERT enforcement (NRP) policy rule name (ZertForwarder LEEF key NRP_POLICY_RULE_NAME; written only with Mappings:EnforcementRuleName=true)",
        ["TLS_UNKNOWN_36"] = "zERT summary TLS bytes 36-41 as raw hex, kept because IBM does not document them (ZertForwarder LEEF key TLS_UNKNOWN_36; only when not all zero)",
    };

    [Fact]
    public void Every_EventID_and_category_the_LEEF_writer_can_emit_has_a_QID_map_row()
    {
        var leef = TestMappings.Set.Leef;
        var ids = leef.EventIds11.Skip(1).Concat(leef.EventIds12.Skip(1)).Append(leef.UnknownEventId).Select(b => System.Text.Encoding.UTF8.GetString(b)).Distinct().ToList();
        Assert.Equal(11, ids.Count);
        var qidNames = File.ReadAllLines(Path.Combine(Dir, "qid-map.csv")).Select(l => l.Split(',')).ToList();
        // qidmap_cli.sh -i -f reads one entry a line, no header: qid,name,description,severity,low-level category id,
        // the qid left empty for a new entry (as in ",XSense Alert,XSense Alert Report From <XSense Name>,5,7001").
        // No quoting: a quote would become part of the name, so no field may hold a comma or a quote.
        Assert.All(qidNames, f =>
        {
            Assert.Equal(5, f.Length);
            Assert.Equal("", f[0]);
            Assert.InRange(f[1].Length, 1, 255); // --qname: up to 255 characters
            Assert.InRange(f[2].Length, 1, 2048); // --qdescription: up to 2048 characters
            Assert.DoesNotContain('"', f[1] + f[2]);
            Assert.InRange(int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture), 1, 10);
            Assert.Contains(int.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture), LowLevelCategories.Keys);
        });
        Assert.Equal(qidNames.Count, qidNames.Select(f => f[1]).Distinct(StringComparer.Ordinal).Count());
        var map = File.ReadAllLines(Path.Combine(Dir, "event-map.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(map, r =>
        {
            Assert.Equal(7, r.Length);
            var id = int.Parse(r[5], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(LowLevelCategories.TryGetValue(id, out var category), $"low-level category {id} is not in the table");
            Assert.Equal(category, (r[3], r[4]));
        });
        foreach (var id in ids)
        {
            foreach (var cat in Categories)
            {
                var row = map.SingleOrDefault(r => r[0] == id && r[1] == cat);
                Assert.True(row is not null, $"event-map.csv has no row for {id} / {cat}");
                Assert.Contains(qidNames, q => q[1] == row![2] && q[3] == row[6] && q[4] == row[5]);
            }
        }
    }

    /// <summary>
    /// The low-level categories the QID map uses, with their high-level category, as IBM's QRadar event category
    /// tables list them (Access 4000, System 8000, Policy 9000).
    /// </summary>
    private static readonly Dictionary<int, (string High, string Low)> LowLevelCategories = new()
    {
        [4001] = ("Access", "Unknown Network Communication Event"),
        [4005] = ("Access", "Misc Network Communication Event"),
        [4016] = ("Access", "Session Opened"),
        [4017] = ("Access", "Session Closed"),
        [8009] = ("System", "Service Started"),
        [8010] = ("System", "Service Stopped"),
        [9013] = ("Policy", "Compliance Policy Violation"),
    };

    /// <summary>Every key of every LEEF line (predefined and flat), with the QRadar property type it needs.</summary>
    private static SortedDictionary<string, string> EmittableKeys()
    {
        var set = TestMappings.Set;
        var keys = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var rule in set.LeefRules11.Concat(set.LeefRules12))
        {
            var type = rule.Target.EndsWith("_PORT", StringComparison.Ordinal) || rule.Target.EndsWith("_PORT_START", StringComparison.Ordinal)
                ? "Port"
                // An address is text: a custom property of type IP holds IPv4 only, and zERT addresses may be IPv6.
                : rule.EsType switch { "long" or "float" => "Numeric", _ => "AlphaNumeric" };
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
                    ["description"] = DescriptionOverrides.TryGetValue(key, out var description)
                        ? description
                        : "zERT " + key.ToLowerInvariant().Replace('_', ' ') + " (ZertForwarder LEEF key " + key + ")",
                });
            }
            var root = new JsonObject
            {
                ["_comment"] = "QRadar custom event properties for the LEEF keys of ZertForwarder: create each for the zERT log source type (DSM Editor: Add property, expression type LEEF key; field type AlphaNumeric is Text in the editor, Numeric is Number). Addresses are AlphaNumeric: a QRadar property of field type IP takes IPv4 only, and zERT addresses may be IPv6. Generated from the mapping rules; see README.md.",
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
