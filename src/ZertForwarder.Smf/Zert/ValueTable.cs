using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace ZertForwarder.Smf.Zert;

/// <summary>
/// One IBM value table (layout spec §4): codes to names, or flag bits to names. A code that is not in the table
/// gets the label <c>unknown(0xNN)</c> / <c>unknown(0xNNNN)</c> padded to the field width (output contract §2.7).
/// </summary>
public sealed class ValueTable
{
    private readonly FrozenDictionary<uint, string> _names;
    private readonly FrozenDictionary<uint, byte[]> _utf8Names;

    public ValueTable(string id, int width, bool isFlags, IEnumerable<KeyValuePair<uint, string>> entries)
    {
        Id = id;
        Width = width;
        IsFlags = isFlags;
        _names = entries.ToFrozenDictionary();
        _utf8Names = _names.ToFrozenDictionary(e => e.Key, e => System.Text.Encoding.UTF8.GetBytes(e.Value));
        Entries = [.. _names.OrderBy(e => e.Key)];
    }

    public string Id { get; }

    /// <summary>Field width in bytes, for the unknown(...) label.</summary>
    public int Width { get; }

    /// <summary>True when the table names the bits of a flag byte rather than whole codes.</summary>
    public bool IsFlags { get; }

    /// <summary>The known codes in ascending order.</summary>
    public IReadOnlyList<KeyValuePair<uint, string>> Entries { get; }

    public bool TryGetName(uint code, out string name) => _names.TryGetValue(code, out name!);

    /// <summary>The name of a code as UTF-8, encoded once when the table is built (the writers' hot path).</summary>
    public bool TryGetNameUtf8(uint code, out byte[] utf8) => _utf8Names.TryGetValue(code, out utf8!);

    /// <summary>The name of <paramref name="code"/>, or its unknown(...) label.</summary>
    public string NameOf(uint code) => _names.TryGetValue(code, out var name) ? name : UnknownLabel(code, Width);

    /// <summary>The names of the bits set in <paramref name="bits"/>, highest bit first; unnamed bits as unknown(0xNN).</summary>
    public IReadOnlyList<string> FlagNames(uint bits)
    {
        if (bits == 0) return [];
        var names = new List<string>();
        for (var bit = 1u << (Width * 8 - 1); bit != 0; bit >>= 1)
        {
            if ((bits & bit) != 0) names.Add(NameOf(bit));
        }
        return names;
    }

    /// <summary><c>unknown(0xNNNN)</c>: the raw code in upper-case hex, zero-padded to the field width.</summary>
    public static string UnknownLabel(uint code, int width) =>
        "unknown(0x" + code.ToString(width <= 1 ? "X2" : width == 2 ? "X4" : "X8", CultureInfo.InvariantCulture) + ")";
}

/// <summary>A set of value tables, read from <c>mappings/codes/ibm-value-tables.json</c> (comments allowed).</summary>
public sealed class ValueTableSet
{
    private static readonly Lazy<ValueTableSet> DefaultSet = new(LoadEmbedded);
    private readonly FrozenDictionary<string, ValueTable> _tables;

    private ValueTableSet(IEnumerable<ValueTable> tables) =>
        _tables = tables.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);

    /// <summary>The tables built into the decoder (the repository's mappings/codes/ibm-value-tables.json at build time).</summary>
    public static ValueTableSet Default => DefaultSet.Value;

    public IReadOnlyCollection<ValueTable> Tables => _tables.Values;

    public bool TryGet(string id, out ValueTable table) => _tables.TryGetValue(id, out table!);

    public ValueTable this[string id] => _tables.TryGetValue(id, out var t) ? t : throw new KeyNotFoundException($"No value table '{id}'.");

    /// <summary>Parses a value-table file. Every problem found is collected in <paramref name="errors"/>.</summary>
    public static ValueTableSet Parse(string json, List<string> errors)
    {
        var tables = new List<ValueTable>();
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("tables", out var root) || root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("value tables: missing object \"tables\"");
            return new ValueTableSet(tables);
        }
        foreach (var table in root.EnumerateObject())
        {
            var where = $"value table '{table.Name}'";
            var width = table.Value.TryGetProperty("width", out var w) && w.TryGetInt32(out var wv) ? wv : 0;
            if (width is not (1 or 2 or 4)) errors.Add($"{where}: \"width\" must be 1, 2 or 4");
            var kind = table.Value.TryGetProperty("kind", out var k) ? k.GetString() : null;
            if (kind is not ("codes" or "flags")) errors.Add($"{where}: \"kind\" must be \"codes\" or \"flags\"");
            var entries = new List<KeyValuePair<uint, string>>();
            if (!table.Value.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{where}: missing object \"values\"");
                continue;
            }
            foreach (var entry in values.EnumerateObject())
            {
                var key = entry.Name;
                if (!key.StartsWith("0x", StringComparison.Ordinal) ||
                    !uint.TryParse(key.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                {
                    errors.Add($"{where}: code '{key}' is not hex like 0x0001");
                    continue;
                }
                if (entry.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(entry.Value.GetString()))
                {
                    errors.Add($"{where}: code {key} needs a non-empty name");
                    continue;
                }
                entries.Add(new(code, entry.Value.GetString()!));
            }
            tables.Add(new ValueTable(table.Name, width, kind == "flags", entries));
        }
        return new ValueTableSet(tables);
    }

    private static ValueTableSet LoadEmbedded()
    {
        using var stream = typeof(ValueTableSet).Assembly.GetManifestResourceStream("ZertForwarder.Smf.ibm-value-tables.json")
            ?? throw new InvalidOperationException("The embedded IBM value tables are missing from the build.");
        using var reader = new StreamReader(stream);
        var errors = new List<string>();
        var set = Parse(reader.ReadToEnd(), errors);
        return errors.Count == 0 ? set : throw new InvalidOperationException("Embedded value tables are invalid: " + string.Join("; ", errors));
    }
}
