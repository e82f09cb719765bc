using System.Text.Json.Nodes;

namespace ZertForwarder.Mapping;

/// <summary>
/// Builds the Elasticsearch assets of <c>mappings/elasticsearch/</c> from the ECS rules (output contract §6): one
/// component template per data stream with an explicit mapping for every field the rules can emit, and one index
/// template per data stream. The files in the repository are this output; a test keeps them in step with the rules.
/// </summary>
public static class ElasticsearchTemplates
{
    /// <summary>File path (relative to <c>mappings/</c>) to JSON text, for both data streams.</summary>
    public static IReadOnlyDictionary<string, string> Build(MappingSet mappings)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (subtype, name) in new[] { (11, "zert_connection"), (12, "zert_summary") })
        {
            var component = $"logs-zos.{name}@mappings";
            var properties = new JsonObject();
            foreach (var (path, type) in mappings.EcsFields(subtype)) Add(properties, path.Split('.'), type);
            var componentJson = new JsonObject
            {
                ["_meta"] = new JsonObject { ["description"] = $"ZertForwarder: every field of the zos.{name} documents (ECS 9.4 types; zos.zert.* explicit)", ["managed_by"] = "zertforwarder" },
                ["template"] = new JsonObject
                {
                    ["mappings"] = new JsonObject
                    {
                        ["dynamic"] = false,
                        ["date_detection"] = false,
                        ["properties"] = properties,
                    },
                },
            };
            var indexJson = new JsonObject
            {
                ["_meta"] = new JsonObject { ["description"] = $"ZertForwarder data stream logs-zos.{name}-<namespace>", ["managed_by"] = "zertforwarder" },
                ["index_patterns"] = new JsonArray($"logs-zos.{name}-*"),
                ["data_stream"] = new JsonObject(),
                ["priority"] = 200,
                ["composed_of"] = new JsonArray(component),
            };
            files[$"component_template/{component}.json"] = componentJson.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
            files[$"index_template/logs-zos.{name}.json"] = indexJson.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
        }
        return files;
    }

    private static void Add(JsonObject properties, string[] parts, string type)
    {
        var node = properties;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (node[parts[i]] is not JsonObject child)
            {
                child = new JsonObject { ["properties"] = new JsonObject() };
                node[parts[i]] = child;
            }
            node = (JsonObject)child["properties"]!;
        }
        var leaf = new JsonObject { ["type"] = type };
        if (type == "keyword") leaf["ignore_above"] = 1024;
        node[parts[^1]] = leaf;
    }
}
