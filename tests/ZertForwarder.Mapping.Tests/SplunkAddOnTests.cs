using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ZertForwarder.Generator;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// The Splunk add-on in <c>mappings/splunk</c>: every field alias and eval reads an ECS path that the forwarder really
/// writes for that source type (as Splunk's JSON extraction names it), and writes a field of the CIM data model cited
/// next to it; the tags are the data models' constraints; the saved searches and the dashboard use macros that exist.
/// </summary>
public sealed partial class SplunkAddOnTests
{
    /// <summary>
    /// CIM fields of the two data models, from Splunk's Common Information Model manual, "Data models" chapter, version
    /// 8.5: help.splunk.com/en/data-management/common-information-model/8.5/data-models/network-traffic (dataset
    /// All_Traffic) and .../data-models/certificates (datasets All_Certificates and SSL). Fields the manual says are
    /// provided by asset and identity correlation ("do not define extractions") are left out on purpose.
    /// </summary>
    private static readonly Dictionary<string, HashSet<string>> CimFields = new(StringComparer.Ordinal)
    {
        ["Network_Traffic"] =
        [
            "action", "app", "bytes", "bytes_in", "bytes_out", "channel", "dest", "dest_interface", "dest_ip", "dest_mac", "dest_port",
            "dest_translated_ip", "dest_translated_port", "dest_zone", "direction", "duration", "dvc", "dvc_ip", "dvc_mac", "dvc_zone",
            "flow_id", "icmp_code", "icmp_type", "packets", "packets_in", "packets_out", "process_guid", "process_id", "protocol",
            "protocol_version", "response_time", "rule", "rule_id", "session_id", "src", "src_interface", "src_ip", "src_mac", "src_port",
            "src_translated_ip", "src_translated_port", "src_zone", "ssid", "tcp_flag", "transport", "tos", "ttl", "user",
            "vendor_account", "vendor_product", "vlan", "wifi",
        ],
        ["Certificates"] =
        [
            // All_Certificates
            "dest", "dest_port", "duration", "response_time", "src", "src_port", "transport",
            // SSL
            "ssl_end_time", "ssl_engine", "ssl_hash", "ssl_is_valid", "ssl_issuer", "ssl_issuer_common_name", "ssl_issuer_email",
            "ssl_issuer_email_domain", "ssl_issuer_locality", "ssl_issuer_organization", "ssl_issuer_state", "ssl_issuer_street",
            "ssl_issuer_unit", "ssl_name", "ssl_policies", "ssl_publickey", "ssl_publickey_algorithm", "ssl_serial", "ssl_session_id",
            "ssl_signature_algorithm", "ssl_start_time", "ssl_subject", "ssl_subject_common_name", "ssl_subject_email",
            "ssl_subject_email_domain", "ssl_subject_locality", "ssl_subject_organization", "ssl_subject_state", "ssl_subject_street",
            "ssl_subject_unit", "ssl_validity_window", "ssl_version",
        ],
    };

    /// <summary>The tags that constrain each data model (same manual pages, "Tags used with ... event datasets").</summary>
    private static readonly Dictionary<string, string[][]> CimTags = new(StringComparer.Ordinal)
    {
        ["Network_Traffic"] = [["network"], ["communicate"]],
        ["Certificates"] = [["certificate"], ["ssl", "tls"]], // SSL dataset: ssl OR tls
    };

    private static readonly Dictionary<string, string> DatasetOfSourcetype = new(StringComparer.Ordinal)
    {
        ["zos:zert:connection"] = "zos.zert_connection",
        ["zos:zert:summary"] = "zos.zert_summary",
    };

    private static string AddOn => Path.Combine(TestMappings.RepoRoot, "mappings", "splunk");

    private static readonly Lazy<Dictionary<string, HashSet<string>>> EcsPaths = new(CollectEcsPaths);

    /// <summary>
    /// The field names Splunk's JSON extraction (KV_MODE=json) gives the ECS documents of the generated records
    /// (<see cref="TestMappings.GeneratedEcsDocuments"/>), per dataset: dotted paths, <c>{}</c> after an array.
    /// </summary>
    private static Dictionary<string, HashSet<string>> CollectEcsPaths()
    {
        var paths = DatasetOfSourcetype.Values.ToDictionary(d => d, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var ecs in TestMappings.GeneratedEcsDocuments)
        {
            Walk(ecs, "", paths[(string)ecs["event"]!["dataset"]!]);
        }

        return paths;

        static void Walk(JsonNode? node, string path, HashSet<string> into)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (name, child) in o)
                    {
                        Walk(child, path.Length == 0 ? name : $"{path}.{name}", into);
                    }

                    break;
                case JsonArray a:
                    foreach (var item in a)
                    {
                        Walk(item, path + "{}", into);
                    }

                    break;
                case not null:
                    into.Add(path);
                    break;
            }
        }
    }

    [Fact]
    public void The_add_on_has_the_layout_of_a_published_technology_add_on()
    {
        foreach (var file in new[]
                 {
                     "README.md", "default/app.conf", "default/props.conf", "default/transforms.conf", "default/eventtypes.conf", "default/tags.conf",
                     "default/savedsearches.conf", "default/macros.conf", "default/fields.conf", "metadata/default.meta",
                     "default/data/ui/views/zos_zert_overview.xml",
                 })
        {
            Assert.True(File.Exists(Path.Combine(AddOn, file)), $"mappings/splunk/{file} is missing");
        }

        var app = ConfFile.Read(Path.Combine(AddOn, "default", "app.conf"));
        Assert.Equal("TA-zos-zert", app["package"]["id"]);
        var props = ConfFile.Read(Path.Combine(AddOn, "default", "props.conf"));
        Assert.Equal(DatasetOfSourcetype.Keys.Order(), props.Keys.Order());
        Assert.All(props.Values, stanza => Assert.Equal("json", stanza["KV_MODE"]));
    }

    [Fact]
    public void Every_alias_and_eval_reads_an_ECS_path_the_forwarder_writes_and_writes_a_field_of_the_cited_CIM_model()
    {
        var props = ConfFile.Read(Path.Combine(AddOn, "default", "props.conf"));
        var readme = File.ReadAllText(Path.Combine(AddOn, "README.md"));
        var checkedTargets = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (sourcetype, stanza) in props)
        {
            var paths = EcsPaths.Value[DatasetOfSourcetype[sourcetype]];
            var targets = checkedTargets[sourcetype] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, value) in stanza)
            {
                var model = stanza.ModelOf(key);
                var where = $"props.conf [{sourcetype}] {key}";
                IEnumerable<(string Source, string Target)> mappings;
                if (key.StartsWith("FIELDALIAS-", StringComparison.Ordinal))
                {
                    mappings = ParseAliases(value, where);
                }
                else if (key.StartsWith("EVAL-", StringComparison.Ordinal))
                {
                    var target = key["EVAL-".Length..];
                    var sources = SingleQuotedField().Matches(value).Select(m => m.Groups[1].Value).Where(f => f != "_time").ToList();
                    Assert.True(sources.Count > 0 || !value.Contains('\''), $"{where}: no field read");
                    mappings = sources.Count > 0 ? sources.Select(s => (s, target)) : [("", target)];
                }
                else
                {
                    continue;
                }

                Assert.True(model is not null, $"{where}: no [Network_Traffic], [Certificates] or [add-on] citation in the comment above it");
                foreach (var (source, target) in mappings)
                {
                    if (source.Length > 0)
                    {
                        Assert.True(paths.Contains(source), $"{where}: '{source}' is not a field of any {sourcetype} ECS document");
                    }

                    if (model == "add-on")
                    {
                        Assert.False(CimFields.Values.Any(f => f.Contains(target)), $"{where}: '{target}' is a CIM field; cite its data model");
                        Assert.Contains($"`{target}`", readme, StringComparison.Ordinal);
                    }
                    else
                    {
                        Assert.True(CimFields[model!].Contains(target), $"{where}: '{target}' is not a field of the CIM {model} data model");
                    }

                    targets.Add(target);
                }
            }
        }

        // The fields the issue names, for connection records.
        Assert.Superset(
            new HashSet<string>(["src", "src_port", "dest", "dest_port", "transport", "bytes_in", "bytes_out", "app", "action", "user", "dvc",
                "ssl_subject", "ssl_issuer", "ssl_serial", "ssl_end_time", "ssl_version", "ssl_cipher"]),
            checkedTargets["zos:zert:connection"]);
    }

    [Fact]
    public void The_event_types_carry_the_tags_of_Network_Traffic_and_Certificates_for_both_sourcetypes()
    {
        var eventtypes = ConfFile.Read(Path.Combine(AddOn, "default", "eventtypes.conf"));
        var tags = ConfFile.Read(Path.Combine(AddOn, "default", "tags.conf"));
        var props = ConfFile.Read(Path.Combine(AddOn, "default", "props.conf"));
        var definedFields = props.Values.SelectMany(s => s.Keys)
            .Where(k => k.StartsWith("EVAL-", StringComparison.Ordinal))
            .Select(k => k["EVAL-".Length..])
            .Concat(props.Values.SelectMany(s => s.Where(p => p.Key.StartsWith("FIELDALIAS-", StringComparison.Ordinal))
                .SelectMany(p => ParseAliases(p.Value, p.Key).Select(a => a.Target))))
            .ToHashSet(StringComparer.Ordinal);

        foreach (var (stanza, values) in tags)
        {
            var eventtype = stanza["eventtype=".Length..];
            Assert.True(eventtypes.ContainsKey(eventtype), $"tags.conf [{stanza}] names an event type eventtypes.conf does not define");
            Assert.All(values.Values, v => Assert.Equal("enabled", v));
        }

        foreach (var (name, eventtype) in eventtypes)
        {
            // A field an event type searches must exist at search time: the sourcetype, a CIM alias/eval of props.conf or
            // an ECS path of the JSON extraction.
            foreach (Match term in FieldTerm().Matches(eventtype["search"]))
            {
                var field = term.Groups[1].Value.Trim('"');
                Assert.True(field == "sourcetype" || definedFields.Contains(field) || EcsPaths.Value.Values.Any(p => p.Contains(field)),
                    $"eventtypes.conf [{name}] searches '{field}', which neither props.conf nor the ECS documents define");
            }
        }

        foreach (var (model, required) in CimTags)
        {
            var tagged = tags.Where(t => required.All(any => any.Any(tag => t.Value.ContainsKey(tag)))).Select(t => t.Key["eventtype=".Length..]).ToList();
            Assert.True(tagged.Count > 0, $"no event type carries the tags of {model}");
            foreach (var sourcetype in DatasetOfSourcetype.Keys)
            {
                Assert.Contains(tagged, e => eventtypes[e]["search"].Contains($"sourcetype=\"{sourcetype}\"", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>
    /// The CIM Network_Traffic data model is for network flows: an event its tags bring in without a transport is not
    /// traffic. The zERT-enabled/-disabled records (subtype 11 event types 5 and 6) and the aggregation-enabled/-disabled
    /// records (subtype 12 event types 2 and 3) are ECS category configuration (output contract 2.2) but share the
    /// traffic sourcetypes; they were counted as allowed traffic without endpoints.
    /// </summary>
    [Fact]
    public void The_Network_Traffic_event_type_selects_only_network_traffic()
    {
        var eventtypes = ConfFile.Read(Path.Combine(AddOn, "default", "eventtypes.conf"));
        var tags = ConfFile.Read(Path.Combine(AddOn, "default", "tags.conf"));
        var trafficTypes = tags.Where(t => CimTags["Network_Traffic"].All(any => any.Any(t.Value.ContainsKey)))
            .Select(t => t.Key["eventtype=".Length..]).ToList();
        Assert.NotEmpty(trafficTypes);
        foreach (var name in trafficTypes)
        {
            var search = eventtypes[name]["search"];
            var sourcetypes = Regex.Matches(search, @"sourcetype=""([^""]+)""").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            var terms = FieldTerm().Matches(search)
                .Select(m => (Field: m.Groups[1].Value.Trim('"'), Value: m.Groups[2].Value.Trim('"')))
                .Where(t => t.Field != "sourcetype")
                .ToList();
            var selected = SplunkEvents.Value
                .Where(e => sourcetypes.Contains(e.Sourcetype))
                .Where(e => HasAll(e.Fields, terms))
                .ToList();
            Assert.True(selected.Count > 0, $"eventtypes.conf [{name}] selects none of the generated events");
            var notTraffic = selected.Count(e => !e.Fields.ContainsKey("transport"));
            Assert.True(notTraffic == 0, $"eventtypes.conf [{name}] puts {notTraffic} events without a transport into CIM Network_Traffic");
        }
    }

    [Fact]
    public void The_saved_searches_and_the_dashboard_answer_the_five_questions_with_macros_that_exist()
    {
        var macros = ConfFile.Read(Path.Combine(AddOn, "default", "macros.conf"));
        var searches = ConfFile.Read(Path.Combine(AddOn, "default", "savedsearches.conf"));
        Assert.Equal(
            new[]
            {
                "zERT - Certificates expiring within 30 days", "zERT - Cleartext connections by server", "zERT - Non-compliant sessions",
                "zERT - Quantum-vulnerable sessions", "zERT - Weak crypto by reason",
            },
            searches.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("\"zos.zert.assessment.compliant\"=false", macros["zos_zert_non_compliant_sessions"]["definition"], StringComparison.Ordinal);
        Assert.Contains("\"zos.zert.assessment.quantum_safe\"=false", macros["zos_zert_quantum_vulnerable_sessions"]["definition"], StringComparison.Ordinal);

        void AssertMacrosExist(string spl, string where)
        {
            foreach (Match use in MacroUse().Matches(spl))
            {
                var name = use.Groups[1].Value;
                var arguments = use.Groups[2].Success ? use.Groups[2].Value.Split(',').Length : 0;
                var stanza = arguments == 0 ? name : $"{name}({arguments})";
                Assert.True(macros.ContainsKey(stanza), $"{where} uses macro `{use.Value}`, but macros.conf has no [{stanza}]");
            }
        }

        foreach (var (name, search) in searches)
        {
            Assert.Matches(MacroUse(), search["search"]);
            AssertMacrosExist(search["search"], $"saved search '{name}'");
        }

        foreach (var (name, macro) in macros)
        {
            AssertMacrosExist(macro["definition"], $"macro [{name}]");
        }

        var dashboard = XDocument.Load(Path.Combine(AddOn, "default", "data", "ui", "views", "zos_zert_overview.xml"));
        var queries = dashboard.Descendants("query").Select(q => q.Value).ToList();
        Assert.Equal(6, queries.Count);
        foreach (var query in queries)
        {
            AssertMacrosExist(query.Replace("$expiry_days$", "30", StringComparison.Ordinal), "the dashboard");
        }

        var nav = XDocument.Load(Path.Combine(AddOn, "default", "data", "ui", "nav", "default.xml"));
        Assert.All(nav.Descendants("saved").Select(s => (string)s.Attribute("name")!), s => Assert.True(searches.ContainsKey(s), $"nav names unknown report {s}"));
    }

    [Fact]
    public void The_reason_lookup_is_defined_and_covers_every_reason_category_of_the_assessment_policy()
    {
        var transforms = ConfFile.Read(Path.Combine(AddOn, "default", "transforms.conf"));
        var csv = File.ReadAllLines(Path.Combine(AddOn, "lookups", transforms["zos_zert_reason_categories"]["filename"]));
        Assert.Equal("category,description", csv[0]);
        var categories = csv.Skip(1).Select(l => l.Split(',')[0]).ToHashSet(StringComparer.Ordinal);
        var policy = JsonNode.Parse(File.ReadAllText(Path.Combine(TestMappings.Directory, "assessment", "policy.json")),
            documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!;
        foreach (var (reason, _) in policy["reasons"]!.AsObject())
        {
            Assert.Contains(reason.Split(':')[0], categories);
        }
    }

    /// <summary>
    /// A <c>stats ... BY</c> drops every event that lacks one of the BY fields, without a word. Each question's macro
    /// must therefore group only by fields that every event it selects has, or fill them first (<c>fillnull</c>,
    /// <c>eval x=coalesce(...)</c>). Checked on the events of 2,000 generated records as Splunk would see them (JSON
    /// extraction plus the add-on's aliases and evals); the search's <c>field=value</c> terms select the events. The
    /// cleartext question lost the 63 % of cleartext connections whose server side zERT does not know, and the
    /// compliance and quantum questions every session without TLS.
    /// </summary>
    [Fact]
    public void Every_field_a_question_groups_by_is_on_every_event_it_selects()
    {
        var macros = ConfFile.Read(Path.Combine(AddOn, "default", "macros.conf"));
        var checkedMacros = 0;
        foreach (var (name, macro) in macros)
        {
            var spl = ExpandMacros(macro["definition"], macros);
            var stats = Regex.Match(spl, @"\|\s*stats\s[^|]*?\bBY\s+([^|]+)", RegexOptions.Singleline);
            if (!stats.Success)
            {
                continue;
            }

            checkedMacros++;
            var segments = spl[..stats.Index].Split('|');
            var sourcetype = Regex.Match(segments[0], @"sourcetype=""([^""*]+)""");
            var terms = FieldTerm().Matches(segments[0])
                .Select(m => (Field: m.Groups[1].Value.Trim('"'), Value: m.Groups[2].Value.Trim('"')))
                .Where(t => t.Field != "sourcetype" && t.Field != "index")
                .ToList();
            var filled = new HashSet<string>(StringComparer.Ordinal);
            foreach (var segment in segments.Skip(1).Select(x => x.Trim()))
            {
                if (segment.StartsWith("fillnull", StringComparison.Ordinal))
                {
                    filled.UnionWith(segment.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Skip(1).Where(w => !w.Contains('=')));
                }
                else if (segment.StartsWith("eval ", StringComparison.Ordinal))
                {
                    filled.UnionWith(Regex.Matches(segment, @"(\w+)=coalesce\(").Select(m => m.Groups[1].Value));
                }
            }

            var selected = SplunkEvents.Value
                .Where(e => !sourcetype.Success || e.Sourcetype == sourcetype.Groups[1].Value)
                .Where(e => HasAll(e.Fields, terms))
                .ToList();
            Assert.True(selected.Count > 0, $"[{name}] selects none of the generated events");
            foreach (var field in stats.Groups[1].Value.Split((char[])[' ', '\n', '\\'], StringSplitOptions.RemoveEmptyEntries).Where(f => !filled.Contains(f)))
            {
                var lacking = selected.Count(e => !e.Fields.ContainsKey(field));
                Assert.True(lacking == 0, $"[{name}] groups by '{field}', which {lacking} of the {selected.Count} events it selects lack: stats drops them");
            }
        }

        Assert.True(checkedMacros >= 4, $"only {checkedMacros} macros with stats ... BY");
    }

    /// <summary>Replaces <c>`name`</c> and <c>`name(args)`</c> by their definitions (arguments substituted).</summary>
    private static string ExpandMacros(string spl, ConfFile macros)
    {
        for (var depth = 0; depth < 5; depth++)
        {
            spl = MacroUse().Replace(spl, m =>
            {
                var arguments = m.Groups[2].Success ? m.Groups[2].Value.Split(',').Select(a => a.Trim()).ToArray() : [];
                var macro = macros[arguments.Length == 0 ? m.Groups[1].Value : $"{m.Groups[1].Value}({arguments.Length})"];
                var definition = macro["definition"];
                var names = macro.TryGetValue("args", out var declared) ? declared.Split(',').Select(a => a.Trim()).ToArray() : [];
                for (var i = 0; i < names.Length; i++)
                {
                    definition = definition.Replace($"${names[i]}$", arguments[i], StringComparison.Ordinal);
                }

                return definition;
            });
        }

        return spl;
    }

    private static readonly Lazy<List<(string Sourcetype, Dictionary<string, List<string>?> Fields)>> SplunkEvents = new(CollectSplunkEvents);

    /// <summary>
    /// The fields Splunk gives each event of 2,000 generated records: the JSON extraction's paths with their values,
    /// then the add-on's FIELDALIAS targets (values copied) and EVAL targets (present when every field they read is;
    /// value not computed: null).
    /// </summary>
    private static List<(string Sourcetype, Dictionary<string, List<string>?> Fields)> CollectSplunkEvents()
    {
        var props = ConfFile.Read(Path.Combine(AddOn, "default", "props.conf"));
        var events = new List<(string, Dictionary<string, List<string>?>)>();
        foreach (var ecs in TestMappings.GeneratedEcsDocuments)
        {
            var sourcetype = DatasetOfSourcetype.Single(d => d.Value == (string)ecs["event"]!["dataset"]!).Key;
            var fields = new Dictionary<string, List<string>?>(StringComparer.Ordinal);
            Flatten(ecs, "", fields);
            foreach (var (key, value) in props[sourcetype])
            {
                if (key.StartsWith("FIELDALIAS-", StringComparison.Ordinal))
                {
                    foreach (var (source, target) in ParseAliases(value, key))
                    {
                        if (fields.TryGetValue(source, out var values)) fields[target] = values;
                    }
                }
                else if (key.StartsWith("EVAL-", StringComparison.Ordinal))
                {
                    var sources = SingleQuotedField().Matches(value).Select(m => m.Groups[1].Value).Where(f => f != "_time");
                    if (sources.All(fields.ContainsKey)) fields[key["EVAL-".Length..]] = null;
                }
            }

            events.Add((sourcetype, fields));
        }

        return events;

        static void Flatten(JsonNode? node, string path, Dictionary<string, List<string>?> into)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (name, child) in o) Flatten(child, path.Length == 0 ? name : $"{path}.{name}", into);
                    break;
                case JsonArray a:
                    foreach (var item in a) Flatten(item, path + "{}", into);
                    break;
                case JsonValue v:
                    if (!into.TryGetValue(path, out var list) || list is null) into[path] = list = [];
                    list.Add(v.ToJsonString().Trim('"'));
                    break;
            }
        }
    }

    /// <summary>Whether an event has every <c>field=value</c> term (<c>*</c>: any value; an EVAL's uncomputed value matches any).</summary>
    private static bool HasAll(Dictionary<string, List<string>?> fields, List<(string Field, string Value)> terms) =>
        terms.All(t => fields.TryGetValue(t.Field, out var values)
                       && (t.Value == "*" || values is null || values.Contains(t.Value, StringComparer.OrdinalIgnoreCase)));

    /// <summary><c>src AS dst</c> pairs of a FIELDALIAS value; names may be double-quoted.</summary>
    private static List<(string Source, string Target)> ParseAliases(string value, string where)
    {
        var tokens = AliasToken().Matches(value).Select(m => m.Value.Trim('"')).ToList();
        Assert.True(tokens.Count % 3 == 0 && tokens.Count > 0, $"{where}: '{value}' is not a list of <field> AS <field>");
        var pairs = new List<(string, string)>();
        for (var i = 0; i < tokens.Count; i += 3)
        {
            Assert.True(tokens[i + 1] is "AS" or "ASNEW", $"{where}: expected AS, found '{tokens[i + 1]}'");
            pairs.Add((tokens[i], tokens[i + 2]));
        }

        return pairs;
    }

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex SingleQuotedField();

    [GeneratedRegex(@"""[^""]+""|\S+")]
    private static partial Regex AliasToken();

    /// <summary><c>field=value</c> terms of a search; the field may be a double-quoted ECS path (<c>"event.category{}"</c>).</summary>
    [GeneratedRegex(@"(?<![\w.""])(""[^""]+""|[A-Za-z_][\w.]*)=(""[^""]*""|[^\s)]+)")]
    private static partial Regex FieldTerm();

    [GeneratedRegex(@"`([\w]+)(?:\(([^)`]*)\))?`")]
    private static partial Regex MacroUse();

    /// <summary>
    /// A Splunk .conf file: <c>[stanza]</c> headers, <c>key = value</c> lines, <c>\</c> continuing a value on the next line,
    /// <c>#</c> comments. Keeps, for each key, the data-model citation (<c>[Network_Traffic]</c>, <c>[Certificates]</c>,
    /// <c>[add-on]</c>) of the comment block above it.
    /// </summary>
    private sealed class ConfFile : Dictionary<string, ConfStanza>
    {
        private ConfFile()
            : base(StringComparer.Ordinal)
        {
        }

        public static ConfFile Read(string path)
        {
            var file = new ConfFile();
            ConfStanza? stanza = null;
            string? citation = null;
            var lines = File.ReadAllLines(path);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                if (line.StartsWith('#'))
                {
                    var cited = Regex.Match(line, @"^#\s*\[(Network_Traffic|Certificates|add-on)\]");
                    if (cited.Success)
                    {
                        citation = cited.Groups[1].Value;
                    }

                    continue;
                }

                if (line.StartsWith('[') && line.EndsWith(']'))
                {
                    stanza = new ConfStanza();
                    file.Add(line[1..^1], stanza);
                    citation = null;
                    continue;
                }

                var equals = line.IndexOf('=', StringComparison.Ordinal);
                Assert.True(equals > 0 && stanza is not null, $"{path}:{i + 1}: not a key = value line inside a stanza: {line}");
                var key = line[..equals].Trim();
                var value = line[(equals + 1)..].Trim();
                while (value.EndsWith('\\') && i + 1 < lines.Length)
                {
                    value = value[..^1].TrimEnd() + "\n" + lines[++i].Trim();
                }

                stanza!.Add(key, value);
                stanza.Citations[key] = citation;
            }

            return file;
        }
    }

    private sealed class ConfStanza : Dictionary<string, string>
    {
        public ConfStanza()
            : base(StringComparer.Ordinal)
        {
        }

        public Dictionary<string, string?> Citations { get; } = new(StringComparer.Ordinal);

        public string? ModelOf(string key) => Citations.GetValueOrDefault(key);
    }
}
