using System.Text.Encodings.Web;
using System.Text.Json;

namespace ZertForwarder.Mapping;

/// <summary>
/// The ECS rules of one subtype compiled into a tree of nested objects (output contract §2: objects are nested, not
/// dotted keys). Key order is the order in which paths first appear in the rule file, so output bytes are stable.
/// </summary>
/// <remarks>
/// <para>
/// The tree is what the rule file describes; it is not what the writer walks. Walking it per record meant a recursive
/// call per object, a section test at every node and a rule per leaf whose section might be absent. The writer
/// instead walks a flat list of <see cref="EcsStep"/>s compiled from the tree for one <see cref="PlanKey"/> (the
/// optional sections present and whether the record is a connection event), cached after first use:
/// </para>
/// <list type="bullet">
/// <item>subtrees and rules that cannot have a value under the key are left out when the list is built, so the
/// per-record loop makes no section or event-kind test;</item>
/// <item>objects that would hold nothing under the key are left out as well;</item>
/// <item>each step carries its pre-encoded <c>,"name":</c> bytes and its depth, so the loop is one pass without
/// recursion;</item>
/// <item>each value step says how to write it: most converters have a step of their own that the writer runs
/// directly, a constant is one pre-encoded member (<see cref="KindOf"/>).</item>
/// </list>
/// <para>
/// Objects are still opened lazily (an <see cref="EcsStepKind.Open"/> step only notes the name; the first value
/// written below it writes the opening), because whether a value exists still depends on the record (a zero port, a
/// blank name): output contract §2, absent facts are omitted, and so are objects with no facts. The bytes are
/// therefore exactly those of the tree walk.
/// </para>
/// </remarks>
internal sealed class EcsPlan
{
    private readonly EcsStep[]?[] _steps = new EcsStep[PlanKey.Count][];

    /// <summary>
    /// The write list for records with <paramref name="key"/>. Built on first use; two threads building the same list
    /// at once build equal lists and either may win, so no lock is needed.
    /// </summary>
    public EcsStep[] StepsFor(int key) => _steps[key] ?? (_steps[key] = CompileSteps(key));

    private EcsStep[] CompileSteps(int key)
    {
        var steps = new List<EcsStep>();
        AddChildren(Root, 0, key, steps);
        return [.. steps];
    }

    private static void AddChildren(EcsNode node, int depth, int key, List<EcsStep> steps)
    {
        foreach (var child in node.Items)
        {
            if (child.Section is { } section && !PlanKey.HasSection(key, section)) continue;
            if (child.Rule is { } rule)
            {
                if (rule.ConnectionEventsOnly && !PlanKey.IsConnectionEvent(key)) continue;
                var kind = KindOf(rule);
                // A constant is written as one member encoded here: its name and value never change.
                var name = kind == EcsStepKind.Member ? CompactJsonWriter.EncodedMember(child.NamePrefix, rule.ConstantUtf8) : child.NamePrefix;
                steps.Add(new EcsStep(kind, depth, name, rule));
                continue;
            }
            var open = steps.Count;
            steps.Add(new EcsStep(EcsStepKind.Open, depth, child.NamePrefix, null));
            AddChildren(child, depth + 1, key, steps);
            if (steps.Count == open + 1) steps.RemoveAt(open); // nothing below can have a value
            else steps.Add(new EcsStep(EcsStepKind.Close, depth, [], null));
        }
    }

    /// <summary>
    /// The step for <paramref name="rule"/>'s value. The converters of most values (numbers, code names, text, interval
    /// deltas, constants: about 50 of the 120 values a record has) and the derived values (about 40) get a step the writer
    /// runs directly; the rest go through <see cref="ValueEvaluator.Evaluate"/>. The direct steps write the same bytes
    /// (the golden files pin them) with less work per value: no evaluated-value struct, no second switch on its kind,
    /// no escaping check of a constant. Measured on 1 M records: see docs/performance.md.
    /// </summary>
    private static EcsStepKind KindOf(FieldRule rule)
    {
        // The "only" conditions but connection events (an end time, an IKE tunnel, a handshake that did not fail, an
        // unknown code, a TCP connection) are tested by Evaluate; such rules are few.
        if (rule.Only is not (RuleCondition.Always or RuleCondition.ConnectionEvents)) return EcsStepKind.Value;
        return rule.Convert switch
        {
            Converter.Number or Converter.NumberNonZero => EcsStepKind.Number,
            Converter.Name or Converter.NameNonZero => EcsStepKind.Name,
            Converter.Text => EcsStepKind.Text,
            Converter.Delta => EcsStepKind.Delta,
            Converter.Constant => EcsStepKind.Member,
            Converter.Derived => EcsStepKind.Derived,
            _ => EcsStepKind.Value,
        };
    }

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

internal enum EcsStepKind : byte
{
    /// <summary>A value at <see cref="EcsStep.Depth"/>: evaluate the rule, and if it has a value open the pending objects and write it.</summary>
    Value,

    /// <summary>A number field (<see cref="Converter.Number"/>, <see cref="Converter.NumberNonZero"/>).</summary>
    Number,

    /// <summary>A code named through its table (<see cref="Converter.Name"/>, <see cref="Converter.NameNonZero"/>).</summary>
    Name,

    /// <summary>An EBCDIC text field (<see cref="Converter.Text"/>).</summary>
    Text,

    /// <summary>An interval end minus its start (<see cref="Converter.Delta"/>).</summary>
    Delta,

    /// <summary>A constant: <see cref="EcsStep.NamePrefix"/> holds the whole member, <c>,"name":"value"</c>.</summary>
    Member,

    /// <summary>A derived value (<see cref="Converter.Derived"/>), computed by <see cref="ValueEvaluator.Derive"/>.</summary>
    Derived,

    /// <summary>An object at <see cref="EcsStep.Depth"/> begins: note its name; it is written with its first value.</summary>
    Open,

    /// <summary>The object at <see cref="EcsStep.Depth"/> ends: close it if it was opened.</summary>
    Close,
}

/// <summary>One step of a compiled ECS write list (<see cref="EcsPlan"/>).</summary>
internal readonly struct EcsStep(EcsStepKind kind, int depth, byte[] namePrefix, FieldRule? rule)
{
    public EcsStepKind Kind { get; } = kind;

    /// <summary>Nesting depth of the value or object: 0 is a property of the document itself.</summary>
    public int Depth { get; } = depth;

    /// <summary><c>,"name":</c> of the value or object; for <see cref="EcsStepKind.Member"/> the whole member.</summary>
    public byte[] NamePrefix { get; } = namePrefix;
    public FieldRule? Rule { get; } = rule;
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
