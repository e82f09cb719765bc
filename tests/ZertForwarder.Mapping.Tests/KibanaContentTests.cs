using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// The Kibana content of <c>mappings/kibana/</c> (issue 11): every line is a saved object (or a detection rule) in
/// Kibana's export format, every field it names is mapped by the Elasticsearch templates (a field the templates do not
/// map shows as "missing" in Kibana and matches nothing), and every reference points at an object in the file.
/// </summary>
public sealed partial class KibanaContentTests
{
    private static readonly string KibanaDirectory = Path.Combine(TestMappings.RepoRoot, "mappings", "kibana");
    private const string DataViewId = "zertforwarder-logs-zos-zert";

    private static IReadOnlyList<JsonObject> SavedObjects => ReadNdjson("zertforwarder-saved-objects.ndjson");

    private static IReadOnlyList<JsonObject> DetectionRules => ReadNdjson("zertforwarder-detection-rules.ndjson");

    [Fact]
    public void Every_line_is_a_saved_object_with_an_id_a_known_type_and_attributes()
    {
        var ids = new HashSet<(string, string)>();
        foreach (var o in SavedObjects)
        {
            var type = (string?)o["type"];
            Assert.Contains(type, new[] { "index-pattern", "search", "lens", "dashboard" });
            Assert.StartsWith("zertforwarder-", (string?)o["id"], StringComparison.Ordinal); // fixed ids: setup replaces, never duplicates
            Assert.True(ids.Add((type!, (string)o["id"]!)), $"duplicate {type} {(string?)o["id"]}");
            Assert.NotNull(o["attributes"]?["title"]);
            Assert.NotNull(o["coreMigrationVersion"]);
            foreach (var stringified in new[] { "panelsJSON", "optionsJSON" })
            {
                if (o["attributes"]![stringified] is { } text) JsonNode.Parse((string)text!); // Kibana stores these as JSON text
            }
        }
    }

    [Fact]
    public void The_content_holds_the_data_view_the_dashboards_and_the_saved_searches_the_README_describes()
    {
        var dataView = Assert.Single(SavedObjects, o => (string?)o["type"] == "index-pattern");
        Assert.Equal(DataViewId, (string?)dataView["id"]);
        Assert.Equal("logs-zos.zert*", (string?)dataView["attributes"]!["title"]);
        Assert.Equal("@timestamp", (string?)dataView["attributes"]!["timeFieldName"]);
        Assert.Equal(
            ["[zERT] Certificate expiry", "[zERT] Cleartext traffic", "[zERT] Protection mix", "[zERT] TLS versions over time", "[zERT] Weak cryptography"],
            SavedObjects.Where(o => (string?)o["type"] == "dashboard").Select(o => (string)o["attributes"]!["title"]!).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["zERT: cleartext connections", "zERT: expiring or expired certificates", "zERT: non-compliant sessions", "zERT: quantum-vulnerable sessions", "zERT: weak cryptography"],
            SavedObjects.Where(o => (string?)o["type"] == "search").Select(o => (string)o["attributes"]!["title"]!).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["z/OS: TLS 1.0, TLS 1.1 or SSL in use", "z/OS: expired certificate in use", "z/OS: new cleartext server port"],
            DetectionRules.Select(r => (string)r["name"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_reference_and_every_dashboard_panel_points_at_an_object_in_the_file()
    {
        var present = SavedObjects.Select(o => ((string)o["type"]!, (string)o["id"]!)).ToHashSet();
        foreach (var o in SavedObjects)
        {
            var references = o["references"]!.AsArray().Select(r => r!.AsObject()).ToList();
            foreach (var reference in references)
            {
                Assert.True(present.Contains(((string)reference["type"]!, (string)reference["id"]!)),
                    $"{(string?)o["id"]} references {(string?)reference["type"]} {(string?)reference["id"]}, which is not in the file");
            }

            if ((string?)o["type"] != "dashboard") continue;
            var panels = JsonNode.Parse((string)o["attributes"]!["panelsJSON"]!)!.AsArray();
            Assert.NotEmpty(panels);
            foreach (var panel in panels)
            {
                var name = $"{(string?)panel!["panelIndex"]}:{(string?)panel["panelRefName"]}";
                var reference = references.SingleOrDefault(r => (string?)r["name"] == name);
                Assert.True(reference is not null, $"{(string?)o["id"]}: panel {name} has no reference");
                Assert.Equal((string?)panel["type"], (string?)reference!["type"]);
            }
        }

        foreach (var o in SavedObjects.Where(o => (string?)o["type"] is "search" or "lens"))
        {
            Assert.Contains(o["references"]!.AsArray(), r => (string?)r!["type"] == "index-pattern" && (string?)r["id"] == DataViewId);
        }
    }

    [Fact]
    public void Every_field_named_by_a_search_a_visualization_or_a_rule_is_mapped_by_the_templates()
    {
        var mapped = MappedFields();
        var problems = new List<string>();
        void Check(string owner, string field)
        {
            if (!mapped.Contains(field)) problems.Add($"{owner}: '{field}' is not mapped by mappings/elasticsearch");
        }

        foreach (var o in SavedObjects)
        {
            var owner = $"{(string?)o["type"]} {(string?)o["id"]}";
            var attributes = o["attributes"]!;
            foreach (var column in attributes["columns"]?.AsArray() ?? []) Check(owner, (string)column!);
            foreach (var sort in attributes["sort"]?.AsArray() ?? []) Check(owner, (string)sort![0]!);
            if (attributes["kibanaSavedObjectMeta"]?["searchSourceJSON"] is { } source)
            {
                foreach (var field in KqlFields((string?)JsonNode.Parse((string)source!)!["query"]?["query"])) Check(owner, field);
            }

            if (attributes["timeFieldName"] is { } timeField) Check(owner, (string)timeField!);
            if (attributes["state"] is { } state)
            {
                foreach (var field in KqlFields((string?)state["query"]?["query"])) Check(owner, field);
                foreach (var layer in state["datasourceStates"]!["formBased"]!["layers"]!.AsObject())
                {
                    foreach (var column in layer.Value!["columns"]!.AsObject())
                    {
                        var field = (string?)column.Value!["sourceField"];
                        if (field is not null && field != "___records___") Check(owner, field);
                    }
                }
            }
        }

        foreach (var rule in DetectionRules)
        {
            var owner = $"rule {(string?)rule["rule_id"]}";
            Assert.Equal(["logs-zos.zert*"], rule["index"]!.AsArray().Select(n => (string?)n));
            Assert.Equal("kuery", (string?)rule["language"]);
            Assert.False((bool)rule["enabled"]!, $"{owner} ships disabled: a site enables it after a look at its volume");
            foreach (var field in KqlFields((string?)rule["query"])) Check(owner, field);
            foreach (var field in rule["new_terms_fields"]?.AsArray() ?? []) Check(owner, (string)field!);
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>
    /// A Lens terms column drops the documents that lack its field (unless it shows them as a "missing" bucket), so a
    /// chart that answers "which ..." must group by fields every document its query selects has. Checked on the ECS
    /// documents of 2,000 generated records for the charts whose query is simple terms (<c>field : "value"</c>,
    /// <c>field : *</c>) joined by <c>and</c>. The
    /// cleartext charts grouped by server.ip and client.ip, which the 63 % of cleartext connections whose server
    /// side zERT does not know lack (output contract 2.3).
    /// </summary>
    [Fact]
    public void Every_field_a_chart_groups_by_is_on_every_document_its_query_selects()
    {
        var documents = EcsDocuments.Value;
        var checkedCharts = 0;
        var problems = new List<string>();
        foreach (var o in SavedObjects.Where(o => (string?)o["type"] == "lens"))
        {
            var state = o["attributes"]!["state"]!;
            // Queries of terms joined by "and": field : "value", or field : * (the field is present).
            var terms = ((string?)state["query"]?["query"] ?? "").Split(" and ").Select(t => Regex.Match(t, @"^\s*([\w.@]+)\s*:\s*(?:""([^""]*)""|(\*))\s*$")).ToList();
            if (terms.Count == 0 || !terms.All(t => t.Success)) continue;
            var selected = documents.Where(d => terms.All(t => d.TryGetValue(t.Groups[1].Value, out var values) && (t.Groups[3].Success || values.Contains(t.Groups[2].Value)))).ToList();
            Assert.True(selected.Count > 0, $"{(string?)o["id"]}: its query selects none of the generated documents");
            checkedCharts++;
            foreach (var layer in state["datasourceStates"]!["formBased"]!["layers"]!.AsObject())
            {
                foreach (var (_, column) in layer.Value!["columns"]!.AsObject())
                {
                    if ((string?)column!["operationType"] != "terms" || (bool?)column["params"]?["missingBucket"] == true) continue;
                    var field = (string)column["sourceField"]!;
                    var lacking = selected.Count(d => !d.ContainsKey(field));
                    if (lacking > 0) problems.Add($"{(string?)o["id"]} groups by '{field}', which {lacking} of the {selected.Count} documents its query selects lack");
                }
            }
        }

        Assert.True(checkedCharts >= 6, $"only {checkedCharts} charts with a query of simple terms");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The generated ECS documents (<see cref="TestMappings.GeneratedEcsDocuments"/>), each as its leaf paths and their values.</summary>
    private static readonly Lazy<List<Dictionary<string, List<string>>>> EcsDocuments = new(() =>
    {
        return TestMappings.GeneratedEcsDocuments.Select(ecs =>
        {
            var document = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            Flatten(ecs, "", document);
            return document;
        }).ToList();

        static void Flatten(JsonNode? node, string path, Dictionary<string, List<string>> into)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (name, child) in o) Flatten(child, path.Length == 0 ? name : $"{path}.{name}", into);
                    break;
                case JsonArray a:
                    foreach (var item in a) Flatten(item, path, into);
                    break;
                case JsonValue v:
                    if (!into.TryGetValue(path, out var list)) into[path] = list = [];
                    list.Add(v.ToJsonString().Trim('"'));
                    break;
            }
        }
    });

    [Fact]
    public void The_field_check_sees_fields_in_KQL()
    {
        Assert.Equal(["tls.version_protocol", "tls.version", "zos.zert.assessment.reasons"],
            KqlFields("""tls.version_protocol : "ssl" or (tls.version : ("1.0" or "1.1")) and not zos.zert.assessment.reasons:"cert:expired" """));
    }

    /// <summary>Every leaf field path of the two component templates.</summary>
    private static HashSet<string> MappedFields()
    {
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(TestMappings.RepoRoot, "mappings", "elasticsearch", "component_template"), "*.json"))
        {
            Walk(JsonNode.Parse(File.ReadAllText(file))!["template"]!["mappings"]!["properties"]!.AsObject(), "");
        }

        return fields;

        void Walk(JsonObject properties, string prefix)
        {
            foreach (var (name, node) in properties)
            {
                if (node!["properties"] is JsonObject children) Walk(children, prefix + name + ".");
                else fields.Add(prefix + name);
            }
        }
    }

    /// <summary>The field names of a KQL query: <c>name :</c>, outside quoted values.</summary>
    private static List<string> KqlFields(string? query)
    {
        if (string.IsNullOrEmpty(query)) return [];
        var unquoted = QuotedValue().Replace(query, "\"\"");
        return [.. KqlField().Matches(unquoted).Select(m => m.Groups[1].Value)];
    }

    private static List<JsonObject> ReadNdjson(string name)
    {
        var lines = File.ReadAllLines(Path.Combine(KibanaDirectory, name));
        Assert.NotEmpty(lines);
        return [.. lines.Select((line, i) => JsonNode.Parse(line) as JsonObject ?? throw new Xunit.Sdk.XunitException($"{name} line {i + 1} is not a JSON object"))];
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex QuotedValue();

    [GeneratedRegex(@"(?<![\w.@])([A-Za-z@_][\w.@]*)\s*:")]
    private static partial Regex KqlField();
}
