using System.Text;
using Newtonsoft.Json.Linq;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// All mapping files of a <c>mappings/</c> directory, validated and compiled once (mappings/README.md describes the
/// format): the ECS rules of both subtypes, the flat zSecure-style name table, the LEEF settings, the cipher-suite
/// registry and the assessment policy.
/// </summary>
public sealed class MappingSet
{
    /// <summary>The files a mappings directory must hold, relative to it.</summary>
    public static readonly IReadOnlyList<string> RequiredFiles =
    [
        "ecs/connection.json", "ecs/summary.json", "flat/zsecure-names.json", "leef/leef.json",
        "codes/tls-cipher-suites.json", "assessment/policy.json",
    ];

    private MappingSet() { }

    public MappingOptions Options { get; private set; } = new();

    internal ValueTableSet Tables { get; private set; } = ValueTableSet.Default;
    internal CipherSuiteTable Suites { get; private set; } = null!;
    internal AssessmentPolicy Policy { get; private set; } = null!;

    /// <summary>The assessment policy's <c>certificate_expiry.warning_days</c>: how close to its not-after a certificate counts as expiring.</summary>
    public int CertificateExpiryWarningDays => Policy.ExpiryWarningDays;
    internal CryptoAssessor Assessor { get; private set; } = null!;
    internal EcsPlan Ecs11 { get; private set; } = null!;
    internal EcsPlan Ecs12 { get; private set; } = null!;
    internal FieldRule[] Flat11 { get; private set; } = [];
    internal FieldRule[] Flat12 { get; private set; } = [];
    internal LeefSettings Leef { get; private set; } = null!;
    internal byte[] NamespaceUtf8 { get; private set; } = [];
    internal byte[][] LevelUtf8 { get; } = [.. AssessmentPolicy.LevelNames.Select(Encoding.UTF8.GetBytes)];

    /// <summary>The tables the TLS algorithm derivation reads on every record, resolved once.</summary>
    internal ValueTable EncryptionTable { get; private set; } = null!;
    internal ValueTable MacTable { get; private set; } = null!;
    internal ValueTable TlsKeyExchangeTable { get; private set; } = null!;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _missingOffsets = new(StringComparer.Ordinal);

    /// <summary>
    /// Reports a system without a configured UTC offset once (<see cref="MappingOptions.MissingUtcOffset"/>), for at most
    /// 1,024 systems: the id comes from the record, and damaged ids would otherwise be remembered without end.
    /// </summary>
    internal void NoteMissingUtcOffset(string systemId)
    {
        if (Options.MissingUtcOffset is { } report && !_missingOffsets.ContainsKey(systemId) && _missingOffsets.Count < 1024 && _missingOffsets.TryAdd(systemId, true))
            report(systemId);
    }

    /// <summary>The flat rules in LEEF order: assessment first, then the rest, DNs last (the ones a length cap shortens).</summary>
    internal FieldRule[] LeefRules11 { get; private set; } = [];
    internal FieldRule[] LeefRules12 { get; private set; } = [];

    /// <summary>The flat and LEEF rules with the subsets per <see cref="PlanKey"/> the writers walk.</summary>
    internal RuleListPlan FlatPlan11 { get; private set; } = new([]);
    internal RuleListPlan FlatPlan12 { get; private set; } = new([]);
    internal RuleListPlan LeefPlan11 { get; private set; } = new([]);
    internal RuleListPlan LeefPlan12 { get; private set; } = new([]);

    /// <summary>IBM fields that the ECS rules deliberately do not write on their own, with the reason (e.g. a length field).</summary>
    internal Dictionary<string, string> Consumed { get; } = new(StringComparer.Ordinal);

    /// <summary>Every ECS output path of a subtype with its Elasticsearch type, in document order.</summary>
    public IReadOnlyList<(string Path, string Type)> EcsFields(int subtype) =>
        [.. (subtype == 11 ? Ecs11 : Ecs12).Rules.Select(r => (r.Target, r.EsType))];

    /// <summary>The flat (zSecure-style) names of a subtype, in output order.</summary>
    public IReadOnlyList<string> FlatNames(int subtype) => [.. (subtype == 11 ? Flat11 : Flat12).Select(r => r.Target)];

    /// <summary>IBM field names the ECS rules of a subtype read, plus the ones declared consumed.</summary>
    public IReadOnlySet<string> EcsSourceFields(int subtype)
    {
        var set = new HashSet<string>((subtype == 11 ? Ecs11 : Ecs12).Rules.SelectMany(r => r.ReadFields()).Select(f => f.Name), StringComparer.Ordinal);
        foreach (var name in Consumed.Keys) set.Add(name);
        return set;
    }

    /// <summary>Loads and compiles the mapping files; throws <see cref="MappingException"/> listing every problem.</summary>
    public static MappingSet Load(string mappingsDirectory, MappingOptions options)
    {
        var problems = new List<string>();
        var set = Read(mappingsDirectory, options, problems);
        if (problems.Count > 0) throw new MappingException(problems);
        return set!;
    }

    /// <summary>Reports the problems of the mapping files in <paramref name="dir"/> without running anything.</summary>
    public static IReadOnlyList<string> Validate(string dir)
    {
        var problems = new List<string>();
        Read(dir, new MappingOptions(), problems);
        // Every compliance profile too: a broken profile must not wait for the day someone selects it.
        var profiles = Path.Combine(dir, "assessment", "profiles");
        if (problems.Count == 0 && Directory.Exists(profiles))
        {
            foreach (var file in Directory.EnumerateFiles(profiles, "*.json").Order(StringComparer.Ordinal))
                Read(dir, new MappingOptions { Profile = Path.GetFileNameWithoutExtension(file) }, problems);
        }
        return problems;
    }

    /// <summary>Creates the normalizer for this mapping set (thread-safe).</summary>
    public ZertNormalizer CreateNormalizer() => new(this);

    private static MappingSet? Read(string dir, MappingOptions options, List<string> problems)
    {
        if (!Directory.Exists(dir))
        {
            problems.Add($"{dir}: mappings directory does not exist");
            return null;
        }
        var set = new MappingSet { Options = options, NamespaceUtf8 = Encoding.UTF8.GetBytes(options.Namespace) };

        var tablesPath = Path.Combine(dir, "codes", "ibm-value-tables.json");
        if (File.Exists(tablesPath))
        {
            var tableErrors = new List<string>();
            try
            {
                set.Tables = ValueTableSet.Parse(File.ReadAllText(tablesPath), tableErrors);
            }
            catch (System.Text.Json.JsonException e)
            {
                tableErrors.Add("not valid JSON: " + e.Message);
            }
            problems.AddRange(tableErrors.Select(e => "codes/ibm-value-tables.json: " + e));
        }
        foreach (var field in ZertFieldCatalog.Fields(11).Concat(ZertFieldCatalog.Fields(12)))
        {
            if (field.Table is not null && !set.Tables.TryGet(field.Table, out _))
                problems.Add($"codes/ibm-value-tables.json: table '{field.Table}' (used by {field.Name}) is missing");
        }
        foreach (var required in new[] { "tls_version", "ssh_version", "encryption_algorithm", "message_authentication", "tls_key_exchange", "cert_signature_method", "cert_digest", "cert_key_type", "ssh_key_type" })
        {
            if (!set.Tables.TryGet(required, out _)) problems.Add($"codes/ibm-value-tables.json: table '{required}' is missing");
        }
        if (problems.Count > 0) return null;

        var suitesFile = new MappingFileReader("codes/tls-cipher-suites.json", problems);
        var suitesJson = MappingFileReader.Load(dir, suitesFile.File, problems);
        if (suitesJson is not null) set.Suites = CipherSuiteTable.Load(suitesJson, suitesFile);

        var policyPath = options.Profile is null or "default" ? "assessment/policy.json" : $"assessment/profiles/{options.Profile}.json";
        if (options.Profile is not null && !System.Text.RegularExpressions.Regex.IsMatch(options.Profile, "^[A-Za-z0-9][A-Za-z0-9._-]*$"))
        {
            problems.Add($"Assessment:Profile '{options.Profile}' is not a profile name (letters, digits, '.', '_', '-')");
            return null;
        }
        if (options.Profile is not (null or "default") && !File.Exists(Path.Combine(dir, policyPath)))
        {
            var known = Directory.Exists(Path.Combine(dir, "assessment", "profiles"))
                ? string.Join(", ", Directory.EnumerateFiles(Path.Combine(dir, "assessment", "profiles"), "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal))
                : "";
            problems.Add($"Assessment:Profile '{options.Profile}' has no file {policyPath} (known profiles: default{(known.Length > 0 ? ", " + known : "")})");
            return null;
        }
        var policyFile = new MappingFileReader(policyPath, problems);
        var policyJson = MappingFileReader.Load(dir, policyFile.File, problems);
        if (policyJson is not null)
        {
            set.Policy = AssessmentPolicy.Load(policyJson, policyFile);
            if (set.Suites is not null) AssessmentPolicy.CheckNames(policyJson, policyFile, set.Tables, set.Suites);
            if (options.Profile is not (null or "default") && set.Policy.ProfileName != options.Profile)
                problems.Add($"{policyPath}: $.profile: must be \"{options.Profile}\", the file's name");
        }

        set.Ecs11 = LoadEcs(dir, "ecs/connection.json", 11, set, problems);
        set.Ecs12 = LoadEcs(dir, "ecs/summary.json", 12, set, problems);

        var flatFile = new MappingFileReader("flat/zsecure-names.json", problems);
        var flatJson = MappingFileReader.Load(dir, flatFile.File, problems);
        if (flatJson is not null)
        {
            flatFile.OnlyProperties(flatJson, "version", "subtype11", "subtype12");
            set.Flat11 = [.. FlatRules(flatFile, flatJson, "subtype11", 11, set.Tables)];
            set.Flat12 = [.. FlatRules(flatFile, flatJson, "subtype12", 12, set.Tables)];
        }

        var leefFile = new MappingFileReader("leef/leef.json", problems);
        var leefJson = MappingFileReader.Load(dir, leefFile.File, problems);
        if (leefJson is not null) set.Leef = LeefSettings.Load(leefJson, leefFile, set);

        CheckElasticsearchAssets(dir, problems);
        if (problems.Count > 0) return null;

        set.Assessor = new CryptoAssessor(set.Policy, set.Tables);
        set.EncryptionTable = set.Tables["encryption_algorithm"];
        set.MacTable = set.Tables["message_authentication"];
        set.TlsKeyExchangeTable = set.Tables["tls_key_exchange"];
        foreach (var rule in set.Ecs11.Rules.Concat(set.Ecs12.Rules).Concat(set.Flat11).Concat(set.Flat12).Concat(set.Leef.Predefined)) rule.Compile();
        set.LeefRules11 = LeefOrder(set.Flat11, options);
        set.LeefRules12 = LeefOrder(set.Flat12, options);
        set.FlatPlan11 = new RuleListPlan(set.Flat11);
        set.FlatPlan12 = new RuleListPlan(set.Flat12);
        set.LeefPlan11 = new RuleListPlan(set.LeefRules11);
        set.LeefPlan12 = new RuleListPlan(set.LeefRules12);
        return set;
    }

    /// <summary>
    /// LEEF key order (issue 10): the assessment right after the predefined keys, so a receiver's payload cap never
    /// cuts it; DNs last. The one-line message is left out (QRadar names the event from its QID map and the line
    /// would only repeat the attributes), and so is the raw enforcement hex unless asked for.
    /// </summary>
    private static FieldRule[] LeefOrder(FieldRule[] flat, MappingOptions options)
    {
        bool Kept(FieldRule r) => !(r.Convert == Converter.Derived && (r.Derived == Derived.Message || (r.Derived == Derived.EnforcementRaw && !options.LeefEnforcementRaw)));
        return
        [
            .. flat.Where(r => r.IsAssessment && Kept(r)),
            .. flat.Where(r => !r.IsAssessment && !r.IsDn && Kept(r)),
            .. flat.Where(r => r.IsDn),
        ];
    }

    private static EcsPlan LoadEcs(string dir, string path, int subtype, MappingSet set, List<string> problems)
    {
        var file = new MappingFileReader(path, problems);
        var json = MappingFileReader.Load(dir, path, problems);
        if (json is null) return EcsPlan.Empty;
        file.OnlyProperties(json, "version", "subtype", "rules", "consumed");
        var declared = file.Integer(json, "subtype", required: true, 11, 12);
        if (declared is not null && declared != subtype) file.Problem(json["subtype"], $"this file maps subtype {subtype}");
        foreach (var (name, why) in file.StringMap(json, "consumed", required: false))
        {
            if (!ZertFieldCatalog.TryFind(subtype, name, out _)) file.Problem(json["consumed"]?[name], $"unknown IBM field '{name}' in subtype {subtype}");
            else set.Consumed[name] = why;
        }
        var rules = file.Rules(json, "rules", "target", subtype, set.Tables);
        return EcsPlan.Build(rules, file);
    }

    private static List<FieldRule> FlatRules(MappingFileReader file, JObject json, string name, int subtype, ValueTableSet tables)
    {
        var rules = file.Rules(json, name, "name", subtype, tables);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in rules)
        {
            if (!seen.Add(r.Target)) file.Problem(null, $"{name}: flat name '{r.Target}' appears twice ({r.Origin})");
            if (!System.Text.RegularExpressions.Regex.IsMatch(r.Target, "^[A-Z][A-Z0-9_]*$"))
                file.Problem(null, $"{name}: flat name '{r.Target}' must be upper case letters, digits and underscores ({r.Origin})");
        }
        return rules;
    }

    /// <summary>The Elasticsearch assets are installed as they are: each must at least be a JSON object.</summary>
    private static void CheckElasticsearchAssets(string dir, List<string> problems)
    {
        foreach (var kind in new[] { "component_template", "index_template" })
        {
            var folder = Path.Combine(dir, "elasticsearch", kind);
            if (!Directory.Exists(folder))
            {
                problems.Add($"elasticsearch/{kind}: folder is missing");
                continue;
            }
            foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
            {
                var relative = $"elasticsearch/{kind}/{Path.GetFileName(file)}";
                var json = MappingFileReader.Load(dir, relative, problems);
                if (json is not null && json["template"] is not JObject && kind == "component_template")
                    problems.Add($"{relative}: $: a component template needs an object 'template'");
                if (json is not null && kind == "index_template" && json["index_patterns"] is not JArray)
                    problems.Add($"{relative}: $: an index template needs an array 'index_patterns'");
            }
        }
    }
}

/// <summary>LEEF 2.0 settings (output contract §4) from <c>mappings/leef/leef.json</c>.</summary>
internal sealed class LeefSettings
{
    public required byte[] HeaderPrefix { get; init; }
    public required byte[][] EventIds11 { get; init; }
    public required byte[][] EventIds12 { get; init; }
    public required byte[] UnknownEventId { get; init; }
    public required FieldRule[] Predefined { get; init; }

    public static LeefSettings Load(JObject json, MappingFileReader file, MappingSet set)
    {
        file.OnlyProperties(json, "version", "vendor", "product", "product_version", "event_ids", "unknown_event_id", "predefined");
        // A '|' ends a LEEF header field early and a TAB, CR or LF splits the line: QRadar would misread every key after it.
        static bool BreaksHeader(string value) => value.AsSpan().IndexOfAny("|\t\r\n") >= 0;
        string Header(string name)
        {
            var value = file.String(json, name, required: true) ?? "";
            if (BreaksHeader(value)) file.Problem(json[name], "header fields must not contain '|', TAB, CR or LF");
            return value;
        }
        var prefix = $"LEEF:2.0|{Header("vendor")}|{Header("product")}|{Header("product_version")}|";
        var ids = file.StringMap(json, "event_ids", required: true);
        byte[][] Ids(int subtype, int count)
        {
            var result = new byte[count + 1][];
            for (var i = 1; i <= count; i++)
            {
                var key = $"119-{subtype}-{i}";
                if (!ids.TryGetValue(key, out var id)) file.Problem(json["event_ids"], $"missing event id for {key}");
                else if (BreaksHeader(id)) file.Problem(json["event_ids"]?[key], "an event id must not contain '|', TAB, CR or LF");
                result[i] = Encoding.UTF8.GetBytes(id ?? "");
            }
            result[0] = [];
            return result;
        }
        var predefined = file.Rules(json, "predefined", "key", 0, set.Tables);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in predefined)
        {
            if (!keys.Add(r.Target)) file.Problem(null, $"predefined key '{r.Target}' appears twice ({r.Origin})");
            if (r.Field is not null) file.Problem(null, $"predefined key '{r.Target}' must use a $derived source ({r.Origin})");
        }
        foreach (var r in set.Flat11.Concat(set.Flat12))
            if (keys.Contains(r.Target)) file.Problem(null, $"flat name '{r.Target}' collides with a LEEF predefined key");
        var unknownId = file.String(json, "unknown_event_id", required: true) ?? "ZERT_UNKNOWN";
        if (BreaksHeader(unknownId)) file.Problem(json["unknown_event_id"], "an event id must not contain '|', TAB, CR or LF");
        return new LeefSettings
        {
            HeaderPrefix = Encoding.UTF8.GetBytes(prefix),
            EventIds11 = Ids(11, 7),
            EventIds12 = Ids(12, 3),
            UnknownEventId = Encoding.UTF8.GetBytes(unknownId),
            Predefined = [.. predefined],
        };
    }
}
