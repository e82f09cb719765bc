using System.Text.Json.Nodes;

namespace ZertForwarder.Mapping;

/// <summary>
/// Builds the Elasticsearch assets of <c>mappings/elasticsearch/</c> from the ECS rules (output contract §6): one
/// component template per data stream with an explicit mapping for every field the rules can emit, and one index
/// template per data stream. The files in the repository are this output; a test keeps them in step with the rules.
/// </summary>
/// <remarks>
/// Elastic's conventions for integration data streams: <c>data_stream.*</c> are <c>constant_keyword</c> (one value
/// per backing index, free to store and to filter on); the index template composes the product's component template
/// and the site's <c>logs@custom</c> and <c>&lt;template&gt;@custom</c> hooks, which may be missing
/// (<c>ignore_missing_component_templates</c>); it carries a data stream lifecycle (the installer writes the
/// configured retention into it), <c>_meta</c> and a <c>version</c> that the installer compares with what the
/// cluster has. Fields nobody searches (hex blobs) are kept in <c>_source</c> only.
/// <para>
/// The component template sets <c>index.mapping.ignore_malformed</c>, as Elastic's own <c>logs@settings</c> does for
/// <c>logs-*-*</c> data streams (our index template, at a higher priority, replaces that one). A value a field's type
/// cannot hold otherwise makes Elasticsearch reject the whole document: an 8-byte counter of a damaged record past
/// 2^63 - 1, or a summary's interval delta whose end is below its start (the normalizer subtracts the unsigned
/// fields), is outside <c>long</c>. With the setting the document is indexed, that value stays in <c>_source</c> and
/// the field is listed in <c>_ignored</c>, where a search finds such documents. A site that wants the rejection back
/// sets it to false in the <c>@custom</c> template, which is composed after this one.
/// </para>
/// </remarks>
public static class ElasticsearchTemplates
{
    /// <summary>Raise when the generated templates change: a cluster with an older version gets the new ones at the next start.</summary>
    public const int Version = 4;

    /// <summary>The retention written into the files; <c>Outputs:Elasticsearch:Retention</c> replaces it at installation.</summary>
    public const string DefaultRetention = "90d";

    /// <summary>
    /// Opaque hex values shown with an event but never searched or aggregated on: the z/OS 2.5 enforcement section
    /// kept raw (no public layout) and TLS / summary session ids (they change per handshake; correlation uses
    /// <c>zos.zert.connection_id</c> and the endpoints). <c>index: false</c> and <c>doc_values: false</c> keep them in
    /// <c>_source</c> without an inverted index or column store.
    /// </summary>
    private static readonly HashSet<string> NotSearched = new(StringComparer.Ordinal)
    {
        "zos.zert.enforcement.raw",
        "zos.zert.tls.session_id",
        "zos.zert.summary.session_id",
    };

    /// <summary>
    /// Fields the Kibana content of <c>mappings/kibana/</c> searches on, mapped even when the ECS rules in use do not
    /// emit them (an older or site-edited <c>mappings/ecs</c>): a saved search on an unmapped field fails in Kibana,
    /// where an empty result is what the user should see. The default rules emit all of them with these same types.
    /// </summary>
    public static readonly IReadOnlyList<(string Path, string Type)> KibanaFields =
    [
        ("message", "match_only_text"),
        ("zos.zert.assessment.profile", "keyword"),
        ("zos.zert.assessment.compliant", "boolean"),
        ("zos.zert.assessment.quantum_safe", "boolean"),
        ("zos.zert.assessment.quantum_vulnerable", "keyword"),
    ];

    /// <summary>The Elasticsearch type a field is mapped with, from the type its rule produces.</summary>
    /// <remarks>
    /// A summary's interval start and end (SMF119SS_*_Start / _End) carry microseconds, which <c>date</c> would cut to
    /// milliseconds: <c>date_nanos</c> keeps them. Connection records' times are hundredths of a second (SMF time of
    /// day) and stay <c>date</c>, as ECS maps them.
    /// </remarks>
    public static string MappedType(int subtype, string path, string ruleType) => path switch
    {
        "data_stream.type" or "data_stream.dataset" or "data_stream.namespace" => "constant_keyword",
        "event.start" or "event.end" when subtype == 12 && ruleType == "date" => "date_nanos",
        _ => ruleType,
    };

    /// <summary>File path (relative to <c>mappings/</c>) to JSON text, for both data streams.</summary>
    public static IReadOnlyDictionary<string, string> Build(MappingSet mappings)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        foreach (var (subtype, name) in new[] { (11, "zert_connection"), (12, "zert_summary") })
        {
            var component = $"logs-zos.{name}@mappings";
            var custom = $"logs-zos.{name}@custom";
            var properties = new JsonObject();
            foreach (var (path, type) in mappings.EcsFields(subtype)) Add(properties, path, MappedType(subtype, path, type));
            foreach (var (path, type) in KibanaFields) Add(properties, path, type, onlyIfMissing: true);
            var componentJson = new JsonObject
            {
                ["version"] = Version,
                ["_meta"] = new JsonObject { ["description"] = $"ZertForwarder: every field of the zos.{name} documents (ECS 9.4 types; zos.zert.* explicit)", ["managed_by"] = "zertforwarder" },
                ["template"] = new JsonObject
                {
                    ["settings"] = new JsonObject { ["index"] = new JsonObject { ["mapping"] = new JsonObject { ["ignore_malformed"] = true } } },
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
                ["version"] = Version,
                ["_meta"] = new JsonObject
                {
                    ["description"] = $"ZertForwarder data stream logs-zos.{name}-<namespace>; site changes go in {custom}",
                    ["managed_by"] = "zertforwarder",
                },
                ["index_patterns"] = new JsonArray($"logs-zos.{name}-*"),
                ["data_stream"] = new JsonObject(),
                ["priority"] = 200,
                ["composed_of"] = new JsonArray(component, "logs@custom", custom),
                ["ignore_missing_component_templates"] = new JsonArray("logs@custom", custom),
                ["template"] = new JsonObject
                {
                    ["lifecycle"] = new JsonObject { ["enabled"] = true, ["data_retention"] = DefaultRetention },
                },
            };
            files[$"component_template/{component}.json"] = componentJson.ToJsonString(indented) + "\n";
            files[$"index_template/logs-zos.{name}.json"] = indexJson.ToJsonString(indented) + "\n";
        }
        return files;
    }

    private static void Add(JsonObject properties, string path, string type, bool onlyIfMissing = false)
    {
        var parts = path.Split('.');
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
        if (onlyIfMissing && node.ContainsKey(parts[^1])) return;
        var leaf = new JsonObject { ["type"] = type };
        if (type == "keyword") leaf["ignore_above"] = 1024;
        if (NotSearched.Contains(path))
        {
            leaf["index"] = false;
            leaf["doc_values"] = false;
        }
        node[parts[^1]] = leaf;
    }
}
