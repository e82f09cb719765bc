using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// Reads one mapping file (JSON, comments allowed) and checks its structure by hand, collecting every problem as
/// "file: JSON path: message" rather than stopping at the first.
/// </summary>
internal sealed class MappingFileReader
{
    private readonly List<string> _problems;

    public MappingFileReader(string relativePath, List<string> problems)
    {
        File = relativePath;
        _problems = problems;
    }

    public string File { get; }

    public static JObject? Load(string directory, string relativePath, List<string> problems)
    {
        var path = Path.Combine(directory, relativePath);
        if (!System.IO.File.Exists(path))
        {
            problems.Add($"{relativePath}: file is missing");
            return null;
        }
        try
        {
            using var text = new StreamReader(path);
            using var reader = new JsonTextReader(text) { DateParseHandling = DateParseHandling.None };
            var token = JToken.ReadFrom(reader, new JsonLoadSettings { CommentHandling = CommentHandling.Ignore, LineInfoHandling = LineInfoHandling.Load, DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
            if (token is JObject obj) return obj;
            problems.Add($"{relativePath}: the top level must be a JSON object");
        }
        catch (JsonException e)
        {
            problems.Add($"{relativePath}: not valid JSON: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{relativePath}: cannot be read: {e.Message}");
        }
        return null;
    }

    public void Problem(JToken? at, string message)
    {
        var path = at is null || string.IsNullOrEmpty(at.Path) ? "$" : "$." + at.Path;
        var line = at is IJsonLineInfo info && info.HasLineInfo() ? $" (line {info.LineNumber})" : "";
        _problems.Add($"{File}: {path}{line}: {message}");
    }

    /// <summary>Reports every property of <paramref name="obj"/> that is not in <paramref name="allowed"/>.</summary>
    public void OnlyProperties(JObject obj, params string[] allowed)
    {
        foreach (var p in obj.Properties())
        {
            if (System.Array.IndexOf(allowed, p.Name) < 0 && !p.Name.StartsWith('_'))
                Problem(p, $"unknown property '{p.Name}' (allowed: {string.Join(", ", allowed)}; names starting with '_' are comments)");
        }
    }

    public string? String(JObject obj, string name, bool required)
    {
        var t = obj[name];
        if (t is null)
        {
            if (required) Problem(obj, $"missing string property '{name}'");
            return null;
        }
        if (t.Type != JTokenType.String || string.IsNullOrWhiteSpace((string?)t))
        {
            Problem(t, $"'{name}' must be a non-empty string");
            return null;
        }
        return (string)t!;
    }

    public int? Integer(JObject obj, string name, bool required, int min = int.MinValue, int max = int.MaxValue)
    {
        var t = obj[name];
        if (t is null)
        {
            if (required) Problem(obj, $"missing integer property '{name}'");
            return null;
        }
        if (t.Type != JTokenType.Integer || (long)t < min || (long)t > max)
        {
            Problem(t, $"'{name}' must be an integer from {min} to {max}");
            return null;
        }
        return (int)t;
    }

    public JObject? Object(JObject obj, string name, bool required)
    {
        var t = obj[name];
        if (t is null)
        {
            if (required) Problem(obj, $"missing object property '{name}'");
            return null;
        }
        if (t is JObject o) return o;
        Problem(t, $"'{name}' must be an object");
        return null;
    }

    public JArray? Array(JObject obj, string name, bool required)
    {
        var t = obj[name];
        if (t is null)
        {
            if (required) Problem(obj, $"missing array property '{name}'");
            return null;
        }
        if (t is JArray a) return a;
        Problem(t, $"'{name}' must be an array");
        return null;
    }

    /// <summary>An object whose every value is a non-empty string.</summary>
    public Dictionary<string, string> StringMap(JObject obj, string name, bool required)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var o = Object(obj, name, required);
        if (o is null) return result;
        foreach (var p in o.Properties())
        {
            if (p.Name.StartsWith('_')) continue;
            if (p.Value.Type != JTokenType.String || string.IsNullOrWhiteSpace((string?)p.Value)) Problem(p.Value, "must be a non-empty string");
            else result[p.Name] = (string)p.Value!;
        }
        return result;
    }

    public static bool TryParseHex(string text, out uint value) =>
        uint.TryParse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text.AsSpan(2) : text.AsSpan(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);

    private static readonly string[] RuleProperties = ["target", "name", "key", "source", "convert", "value", "type", "mask", "base", "dn_type", "only"];

    private static readonly Dictionary<string, Converter> Converters = new(StringComparer.Ordinal)
    {
        ["number"] = Converter.Number, ["number_nonzero"] = Converter.NumberNonZero, ["name"] = Converter.Name,
        ["name_nonzero"] = Converter.NameNonZero, ["flags"] = Converter.Flags, ["bit"] = Converter.Bit, ["text"] = Converter.Text,
        ["hex"] = Converter.Hex, ["ip"] = Converter.Ip, ["date"] = Converter.Date, ["time_of_day"] = Converter.TimeOfDay,
        ["cert_time"] = Converter.CertTime, ["tod_micros"] = Converter.TodMicros, ["tls_protocol"] = Converter.TlsProtocol,
        ["tls_version"] = Converter.TlsVersion, ["cipher_name"] = Converter.CipherName, ["delta"] = Converter.Delta,
        ["cert_time_raw"] = Converter.CertTimeRaw,
    };

    public static IReadOnlyCollection<string> ConverterNames => Converters.Keys;

    /// <summary>The value table of the certificate time types (layout V.22), which <c>cert_time_raw</c> reads.</summary>
    private const string CertTimeTypeTable = "cert_time_type";

    /// <summary>The value table of the DN types (layout V.9), which <c>"dn_type": "unknown"</c> reads.</summary>
    private const string DnTypeTable = "dn_type";

    private static readonly HashSet<string> EsTypes = ["keyword", "long", "ip", "date", "boolean", "float", "constant_keyword", "wildcard", "match_only_text", "text"];

    /// <summary>
    /// Compiles the rules of array <paramref name="name"/>. <paramref name="targetKey"/> is "target" (ECS), "name"
    /// (flat) or "key" (LEEF). IBM field names must exist in <paramref name="subtype"/> (0 = either subtype).
    /// </summary>
    public List<FieldRule> Rules(JObject obj, string name, string targetKey, int subtype, ValueTableSet tables)
    {
        var rules = new List<FieldRule>();
        var array = Array(obj, name, required: true);
        if (array is null) return rules;
        foreach (var item in array)
        {
            if (item is not JObject r)
            {
                Problem(item, "a rule must be an object");
                continue;
            }
            OnlyProperties(r, RuleProperties);
            var rule = Rule(r, targetKey, subtype, tables);
            if (rule is null) continue;
            var only = String(r, "only", required: false);
            if (only is not null && !FieldRule.Conditions.Any(c => c.Name == only))
            {
                var names = FieldRule.Conditions.Select(c => $"\"{c.Name}\"").ToList();
                Problem(r["only"], $"'only' can only be {string.Join(", ", names[..^1])} or {names[^1]}");
            }
            if (only == "with_handshake" && rule.Field?.Section is not (ZertSection.Tls or ZertSection.Ssh))
                Problem(r["only"], "'with_handshake' needs a field of the TLS or SSH section");
            // The condition reads the IPsec section's IKE version: on another section's field it would hide that field
            // in every record without an IKE tunnel.
            if (only == "with_ike" && rule.Field?.Section is not ZertSection.Ipsec)
                Problem(r["only"], "'with_ike' needs a field of the IPsec section");
            if (only == "unknown_code" && rule.Convert is not (Converter.Name or Converter.NameNonZero))
                Problem(r["only"], "'unknown_code' needs the 'name' or 'name_nonzero' converter");
            // The facts IBM records for TCP only are all in the common section (layout §3.1, table V.3); on a derived
            // value or another section's field the condition would hide what Enterprise Extender records do have.
            if (only is "tcp" or "with_role" && rule.Field?.Section is not ZertSection.Common)
                Problem(r["only"], $"'{only}' needs a field of the common section");
            rules.Add(rule.WithOnly(only));
        }
        return rules;
    }

    private FieldRule? Rule(JObject r, string targetKey, int subtype, ValueTableSet tables)
    {
        var target = String(r, targetKey, required: true);
        var source = String(r, "source", required: false);
        var constant = String(r, "value", required: false);
        var convertName = String(r, "convert", required: false);
        var typeName = String(r, "type", required: false);
        var origin = $"{File}: $.{r.Path}";
        if (typeName is not null && !EsTypes.Contains(typeName)) Problem(r["type"], $"unknown type '{typeName}' (known: {string.Join(", ", EsTypes)})");
        if (target is null) return null;
        if ((source is null) == (constant is null))
        {
            Problem(r, "a rule needs exactly one of 'source' (an IBM field name or a $derived value) and 'value' (a constant)");
            return null;
        }
        if (constant is not null)
        {
            if (convertName is not null) Problem(r["convert"], "a constant rule takes no converter");
            return new FieldRule { Target = target, Convert = Converter.Constant, Constant = constant, EsType = typeName ?? "keyword", Origin = origin };
        }
        if (source!.StartsWith('$'))
        {
            if (source == "$dn" && r["dn_type"] is JValue { Type: JTokenType.String } unknownType)
            {
                if ((string?)unknownType != "unknown") Problem(unknownType, "'dn_type' must be a DN type number (table V.9) or \"unknown\"");
                if (!tables.TryGet(DnTypeTable, out var dnTypes))
                {
                    Problem(unknownType, $"codes/ibm-value-tables.json has no table '{DnTypeTable}'");
                    return null;
                }
                return new FieldRule { Target = target, Convert = Converter.DnUnknownType, Table = dnTypes, EsType = typeName ?? "keyword", Origin = origin };
            }
            if (source == "$dn")
            {
                var dnType = Integer(r, "dn_type", required: true, 1, 65535);
                if (dnType is null) return null;
                return new FieldRule { Target = target, Convert = Converter.Dn, DnType = (ushort)dnType, EsType = typeName ?? "keyword", Origin = origin };
            }
            if (!DerivedNames.All.TryGetValue(source, out var derived))
            {
                Problem(r["source"], $"unknown derived value '{source}' (known: $dn, {string.Join(", ", DerivedNames.All.Keys)})");
                return null;
            }
            if (convertName is not null) Problem(r["convert"], "a derived value takes no converter");
            return new FieldRule { Target = target, Convert = Converter.Derived, Derived = derived.Value, EsType = typeName ?? derived.EsType, Origin = origin };
        }
        var found = subtype == 0 ? ZertFieldCatalog.TryFind(source, out var field) : ZertFieldCatalog.TryFind(subtype, source, out field);
        if (!found)
        {
            Problem(r["source"], $"unknown IBM field '{source}'" + (subtype == 0 ? "" : $" in subtype {subtype}"));
            return null;
        }
        Converter convert;
        if (convertName is null) convert = DefaultConverter(field.Kind);
        else if (!Converters.TryGetValue(convertName, out convert))
        {
            Problem(r["convert"], $"unknown converter '{convertName}' (known: {string.Join(", ", Converters.Keys)})");
            return null;
        }
        if (!Compatible(convert, field.Kind))
        {
            Problem(r["convert"] ?? r, $"converter '{convertName ?? convert.ToString()}' cannot read field {field.Name} of kind {field.Kind}");
            return null;
        }
        ValueTable? table = null;
        if (convert is Converter.Name or Converter.NameNonZero or Converter.Flags)
        {
            if (field.Table is null || !tables.TryGet(field.Table, out table))
            {
                Problem(r["source"], $"field {field.Name} has no value table '{field.Table}' in codes/ibm-value-tables.json");
                return null;
            }
        }
        // The type byte of every certificate time is read through table V.22 (layout §2.3, "Cert *_Time_Type 0-2").
        if (convert == Converter.CertTimeRaw && !tables.TryGet(CertTimeTypeTable, out table))
        {
            Problem(r["source"], $"codes/ibm-value-tables.json has no table '{CertTimeTypeTable}' for the time type of {field.Name}");
            return null;
        }
        byte mask = 0;
        if (convert == Converter.Bit)
        {
            var maskText = String(r, "mask", required: true);
            if (maskText is null) return null;
            if (!TryParseHex(maskText, out var m) || m is 0 or > 0xFF)
            {
                Problem(r["mask"], "'mask' must be one flag bit in hex, e.g. \"0x80\"");
                return null;
            }
            mask = (byte)m;
        }
        else if (r["mask"] is not null) Problem(r["mask"], "'mask' is only for the 'bit' converter");
        ZertField? baseField = null;
        if (convert == Converter.Delta)
        {
            var baseName = String(r, "base", required: true);
            if (baseName is null) return null;
            if (!ZertFieldCatalog.TryFind(baseName, out baseField) || baseField.Kind != ZertFieldKind.Unsigned)
            {
                Problem(r["base"], $"'base' must name an unsigned IBM field; '{baseName}' is not one");
                return null;
            }
        }
        else if (r["base"] is not null) Problem(r["base"], "'base' is only for the 'delta' converter");
        return new FieldRule
        {
            Target = target, Convert = convert, Field = field, BaseField = baseField, Table = table, Mask = mask,
            EsType = typeName ?? DefaultEsType(convert), Origin = origin,
        };
    }

    private static Converter DefaultConverter(ZertFieldKind kind) => kind switch
    {
        ZertFieldKind.Unsigned => Converter.Number,
        ZertFieldKind.Code => Converter.Name,
        ZertFieldKind.Flags => Converter.Flags,
        ZertFieldKind.Text => Converter.Text,
        ZertFieldKind.Hex => Converter.Hex,
        ZertFieldKind.Ip => Converter.Ip,
        ZertFieldKind.PackedDate => Converter.Date,
        ZertFieldKind.TimeOfDay => Converter.TimeOfDay,
        ZertFieldKind.Tod => Converter.TodMicros,
        _ => Converter.CertTime,
    };

    private static bool Compatible(Converter c, ZertFieldKind kind) => c switch
    {
        Converter.Number or Converter.NumberNonZero or Converter.Delta => kind is ZertFieldKind.Unsigned or ZertFieldKind.Code or ZertFieldKind.Flags or ZertFieldKind.Tod,
        Converter.Name or Converter.NameNonZero => kind == ZertFieldKind.Code,
        Converter.Flags or Converter.Bit => kind == ZertFieldKind.Flags,
        Converter.Text or Converter.CipherName => kind == ZertFieldKind.Text,
        Converter.Hex => kind == ZertFieldKind.Hex,
        Converter.Ip => kind == ZertFieldKind.Ip,
        Converter.Date => kind == ZertFieldKind.PackedDate,
        Converter.TimeOfDay => kind == ZertFieldKind.TimeOfDay,
        Converter.CertTime or Converter.CertTimeRaw => kind == ZertFieldKind.CertificateTime,
        Converter.TodMicros => kind == ZertFieldKind.Tod,
        Converter.TlsProtocol or Converter.TlsVersion => kind == ZertFieldKind.Code,
        _ => false,
    };

    private static string DefaultEsType(Converter c) => c switch
    {
        Converter.Number or Converter.NumberNonZero or Converter.Delta or Converter.TodMicros => "long",
        Converter.Bit => "boolean",
        Converter.Ip => "ip",
        Converter.Date or Converter.CertTime => "date",
        _ => "keyword",
    };
}
