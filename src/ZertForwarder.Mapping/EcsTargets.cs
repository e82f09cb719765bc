namespace ZertForwarder.Mapping;

/// <summary>
/// A chosen few of the ECS rules, compiled once, for a reader that needs only some values of each document: the
/// report's first reading needs a record's kind, stack and times, not its ~190 values. The documents written with it
/// (<see cref="ZertNormalizer.WriteEcs(Smf.Zert.ZertRecord, EcsTargets, System.Buffers.IBufferWriter{byte})"/>) hold
/// exactly the values, names and nesting the full document has at those targets, because they come from the same
/// rules, evaluated by the same writer; targets no rule writes are simply absent, as in the full document. A target
/// names a value (<c>tls.version</c>) or a whole object (<c>tls</c>: every value below it), so an object is in the
/// selected document exactly when it is in the full one.
/// </summary>
public sealed class EcsTargets
{
    internal EcsTargets(EcsPlan connection, EcsPlan summary)
    {
        Connection = connection;
        Summary = summary;
    }

    internal EcsPlan Connection { get; }
    internal EcsPlan Summary { get; }

    internal static EcsTargets Select(MappingSet set, IReadOnlyCollection<string> targets)
    {
        var wanted = new HashSet<string>(targets, StringComparer.Ordinal);
        return new EcsTargets(Restrict(set.Ecs11, wanted), Restrict(set.Ecs12, wanted));
    }

    private static EcsPlan Restrict(EcsPlan plan, HashSet<string> wanted)
    {
        var problems = new List<string>();
        // The rules were checked when the mapping files were read; a subset of them cannot clash.
        var restricted = EcsPlan.Build([.. plan.Rules.Where(r => IsWanted(r.Target, wanted))], new MappingFileReader("(selected ECS targets)", problems));
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
        return restricted;
    }

    /// <summary>Whether <paramref name="target"/> or one of the objects around it was asked for.</summary>
    private static bool IsWanted(string target, HashSet<string> wanted)
    {
        for (var end = target.Length; end > 0; end = target.LastIndexOf('.', end - 1))
        {
            if (wanted.Contains(target[..end])) return true;
        }
        return false;
    }
}
