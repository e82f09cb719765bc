using System.Text.Encodings.Web;
using System.Text.Json;

namespace ZertForwarder.Mapping;

/// <summary>
/// The ECS rules of one subtype compiled into a tree of nested objects (output contract §2: objects are nested, not
/// dotted keys). Key order is the order in which paths first appear in the rule file, so output bytes are stable.
/// </summary>
internal sealed class EcsPlan
{
    public static readonly EcsPlan Empty = new([], new EcsNode(default));

    private EcsPlan(FieldRule[] rules, EcsNode root)
    {
        Rules = rules;
        Root = root;
    }

    public FieldRule[] Rules { get; }
    public EcsNode Root { get; }

    public static EcsPlan Build(List<FieldRule> rules, MappingFileReader file)
    {
        var root = new EcsNode(default);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (!seen.Add(rule.Target))
            {
                file.Problem(null, $"target '{rule.Target}' is written by two rules ({rule.Origin})");
                continue;
            }
            var parts = rule.Target.Split('.');
            if (parts.Any(p => p.Length == 0))
            {
                file.Problem(null, $"target '{rule.Target}' has an empty path segment ({rule.Origin})");
                continue;
            }
            var node = root;
            var ok = true;
            for (var i = 0; i < parts.Length && ok; i++)
            {
                var child = node.Children.FirstOrDefault(c => c.Name == parts[i]);
                var last = i == parts.Length - 1;
                if (child is null)
                {
                    child = new EcsNode(parts[i]) { Rule = last ? rule : null };
                    node.Children.Add(child);
                }
                else if (last || child.Rule is not null)
                {
                    file.Problem(null, $"target '{rule.Target}' clashes with another rule: a path cannot be both a value and an object ({rule.Origin})");
                    ok = false;
                }
                node = child;
            }
        }
        root.Freeze();
        return new EcsPlan([.. rules], root);
    }
}

internal sealed class EcsNode(string? name)
{
    public string? Name { get; } = name;
    public JsonEncodedText EncodedName { get; } = name is null ? default : JsonEncodedText.Encode(name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    /// <summary><c>,"name":</c> for <see cref="CompactJsonWriter"/>.</summary>
    public byte[] NamePrefix { get; } = name is null ? [] : CompactJsonWriter.NamePrefix(JsonEncodedText.Encode(name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping));
    public FieldRule? Rule { get; init; }
    public List<EcsNode> Children { get; } = [];
    public EcsNode[] Items { get; private set; } = [];

    /// <summary>
    /// The optional section every value below this node comes from (TLS, SSH, IPsec, IP filter, enforcement), or null.
    /// The writer skips the whole subtree when the record lacks that section, instead of trying each rule.
    /// </summary>
    public ZertForwarder.Smf.Zert.ZertSection? Section { get; private set; }

    public void Freeze()
    {
        Items = [.. Children];
        foreach (var c in Children) c.Freeze();
        if (Rule is not null)
        {
            Section = Rule.OptionalSection;
        }
        else if (Children.Count > 0 && Children[0].Section is { } first && Children.All(c => c.Section == first))
        {
            Section = first;
        }
    }
}
