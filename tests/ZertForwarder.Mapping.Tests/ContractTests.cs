using System.Globalization;
using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping.Tests;

/// <summary>The ECS contract (output contract §2), the Elasticsearch assets (§6) and the flat name table (§5).</summary>
public sealed class ContractTests
{
    private static string? FieldsCsv()
    {
        // The ECS reference lives beside the repository: ../shared/data/ecs-9.4.0/fields.csv from the repo root.
        var path = Path.GetFullPath(Path.Combine(TestMappings.RepoRoot, "..", "shared", "data", "ecs-9.4.0", "fields.csv"));
        return File.Exists(path) ? path : null;
    }

    private static Dictionary<string, string> EcsTypes(string csv)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(csv).Skip(1))
        {
            var cols = line.Split(',');
            if (cols.Length > 4) types[cols[3]] = cols[4];
        }
        return types;
    }

    /// <summary>Our type is compatible with ECS's when Elasticsearch indexes the value the same way.</summary>
    private static bool Compatible(string ours, string ecs) => ours == ecs
        || (ours == "keyword" && ecs is "constant_keyword" or "wildcard" or "match_only_text" or "flattened")
        || (ours == "long" && ecs is "integer" or "short" or "unsigned_long")
        || (ours == "float" && ecs is "scaled_float" or "double");

    [SkippableFact]
    public void Every_ECS_path_the_mapping_can_emit_exists_in_ECS_9_4_with_a_compatible_type()
    {
        var csv = FieldsCsv();
        Skip.If(csv is null, "ECS reference ../shared/data/ecs-9.4.0/fields.csv (beside the repository) is absent");
        var types = EcsTypes(csv!);
        var problems = new List<string>();
        foreach (var subtype in new[] { 11, 12 })
        {
            foreach (var (path, type) in TestMappings.Set.EcsFields(subtype))
            {
                if (path.StartsWith("zos.", StringComparison.Ordinal) || path.StartsWith("labels.", StringComparison.Ordinal)) continue;
                if (!types.TryGetValue(path, out var ecsType)) problems.Add($"{subtype}: {path} is not an ECS 9.4 field");
                else if (!Compatible(type, ecsType)) problems.Add($"{subtype}: {path} is {type}, ECS says {ecsType}");
            }
        }
        Assert.Empty(problems);
    }

    [Fact]
    public void Elasticsearch_templates_are_the_ones_the_rules_imply_and_cover_every_emitted_field()
    {
        var dir = Path.Combine(TestMappings.RepoRoot, "mappings");
        var built = ElasticsearchTemplates.Build(TestMappings.Set);
        if (TestMappings.Updating)
        {
            MappingAssets.WriteElasticsearchTemplates(TestMappings.Set, dir);
            return;
        }
        foreach (var (path, json) in built)
        {
            var file = Path.Combine(dir, "elasticsearch", path);
            Assert.True(File.Exists(file), $"{file} is missing: run ZERT_UPDATE_GOLDEN=1 dotnet test tests/ZertForwarder.Mapping.Tests");
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(file)), JsonNode.Parse(json)), $"{path} is out of date with the ECS rules: run ZERT_UPDATE_GOLDEN=1 dotnet test tests/ZertForwarder.Mapping.Tests");
        }
        // Coverage read back from the files themselves: every path a rule can emit, with its type.
        foreach (var (subtype, name) in new[] { (11, "zert_connection"), (12, "zert_summary") })
        {
            var template = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "elasticsearch", "component_template", $"logs-zos.{name}@mappings.json")))!;
            var index = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "elasticsearch", "index_template", $"logs-zos.{name}.json")))!;
            Assert.Equal($"logs-zos.{name}-*", (string?)index["index_patterns"]![0]);
            Assert.Equal($"logs-zos.{name}@mappings", (string?)index["composed_of"]![0]);
            foreach (var (path, type) in TestMappings.Set.EcsFields(subtype))
            {
                var node = template["template"]!["mappings"]!;
                foreach (var part in path.Split('.')) node = node?["properties"]?[part];
                Assert.True(node is not null, $"{name}: {path} is not mapped by the component template");
                Assert.Equal(ElasticsearchTemplates.MappedType(subtype, path, type), (string?)node!["type"]);
            }

            // Elastic's conventions (issue 11): constant data stream fields, the @custom hook, a lifecycle, a version.
            Assert.Equal("constant_keyword", (string?)template["template"]!["mappings"]!["properties"]!["data_stream"]!["properties"]!["dataset"]!["type"]);
            Assert.Contains($"logs-zos.{name}@custom", index["composed_of"]!.AsArray().Select(n => (string?)n));
            Assert.Contains($"logs-zos.{name}@custom", index["ignore_missing_component_templates"]!.AsArray().Select(n => (string?)n));
            Assert.NotNull(index["template"]!["lifecycle"]!["data_retention"]);
            Assert.Equal(ElasticsearchTemplates.Version, (int)index["version"]!);
        }
    }

    [Fact]
    public void Every_document_of_the_golden_cases_uses_only_fields_the_template_maps_with_matching_JSON_types()
    {
        foreach (var (name, build) in GoldenCases.All)
        {
            var record = TestMappings.Parse(build().Build());
            var ecs = JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteEcs, record))!.AsObject();
            EcsDocumentChecker.Check(name, ecs, TestMappings.Set.EcsFields(record.Subtype));
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Every_decoded_IBM_field_has_a_home_in_the_ECS_mapping(int subtype)
    {
        var homes = TestMappings.Set.EcsSourceFields(subtype);
        var missing = ZertFieldCatalog.Fields(subtype).Select(f => f.Name).Where(n => !homes.Contains(n)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Flat_table_has_at_least_118_names_for_subtype_11_and_uses_the_confirmed_zSecure_names()
    {
        var names11 = TestMappings.Set.FlatNames(11);
        var names12 = TestMappings.Set.FlatNames(12);
        Assert.True(names11.Distinct().Count() >= 118, $"subtype 11 has {names11.Count} flat names");
        string[] confirmed11 = ["TLS_CLI_CERT_DIGEST_MTHD", "TLS_CLIENT_CERT_KEY_LEN", "TLS_CLIENT_CERT_KEY_TYPE", "TLS_CLIENT_CERT_NOTAFTER",
            "TLS_CLIENT_CERT_SERIAL", "NRP_POLICY_RULE_NAME", "LOCAL_SOCKET", "LOCAL_AT_TLS_BYPASS", "EE_SESSION", "LOCAL_SOCKET_CLIENT"];
        string[] confirmed12 = ["SUMMARY_INTERVAL", "LOCAL_SOCKET", "SERVER_BEGIN_PORT", "SERVER_END_PORT", "SA_CONNECTION_CNT_BEG", "SA_CONNECTION_CNT_END",
            "SA_PARTIAL_CONN_CNT_BEG", "SA_PARTIAL_CONN_CNT_END", "SA_SHORT_CONN_CNT_BEG", "SA_SHORT_CONN_CNT_END", "SA_ACTIVE_CONN_CNT_BEG",
            "SA_ACTIVE_CONN_CNT_END", "EE_SESSION", "SA_SESSION_ID", "LOCAL_SOCKET_CLIENT"];
        Assert.Empty(confirmed11.Except(names11));
        Assert.Empty(confirmed12.Except(names12));
        Assert.All(names11.Concat(names12), n => Assert.Matches("^[A-Z][A-Z0-9_]*$", n));
    }
}

/// <summary>Checks one ECS document against the list of paths and types the rules declare.</summary>
internal static class EcsDocumentChecker
{
    public static void Check(string name, JsonObject doc, IReadOnlyList<(string Path, string Type)> declared)
    {
        var types = declared.ToDictionary(d => d.Path, d => d.Type, StringComparer.Ordinal);
        foreach (var (path, value) in Leaves(doc, ""))
        {
            Assert.True(types.TryGetValue(path, out var type), $"{name}: {path} is emitted but not declared by any rule");
            foreach (var v in value is JsonArray a ? a.ToArray() : [value])
            {
                var kind = v!.GetValueKind();
                var ok = type switch
                {
                    "long" => kind == System.Text.Json.JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out _),
                    "float" => kind == System.Text.Json.JsonValueKind.Number,
                    "boolean" => kind is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
                    "ip" => kind == System.Text.Json.JsonValueKind.String && System.Net.IPAddress.TryParse((string)v!, out _),
                    "date" => kind == System.Text.Json.JsonValueKind.String && DateTimeOffset.TryParse((string)v!, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                    _ => kind == System.Text.Json.JsonValueKind.String && ((string)v!).Length > 0,
                };
                Assert.True(ok, $"{name}: {path} = {v.ToJsonString()} does not fit type {type}");
            }
        }
    }

    private static IEnumerable<(string, JsonNode?)> Leaves(JsonObject obj, string prefix)
    {
        foreach (var (key, value) in obj)
        {
            var path = prefix.Length == 0 ? key : prefix + "." + key;
            if (value is JsonObject child)
            {
                Assert.True(child.Count > 0, $"{path} is an empty object");
                foreach (var leaf in Leaves(child, path)) yield return leaf;
            }
            else
            {
                yield return (path, value);
            }
        }
    }
}
