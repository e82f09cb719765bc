namespace ZertForwarder.Mapping;

/// <summary>Settings that shape the normalized output but are not part of the mapping files.</summary>
public sealed class MappingOptions
{
    /// <summary>
    /// Offset of each z/OS system's local time from UTC, by SMF system id (output contract §1: the SMF header time is
    /// local; <c>Zos:UtcOffsets:&lt;SID&gt;</c>). A system that is not listed is taken as UTC (+00:00).
    /// </summary>
    public IReadOnlyDictionary<string, TimeSpan> UtcOffsets { get; init; } = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);

    /// <summary>The data stream namespace (<c>data_stream.namespace</c>), output contract §2.1.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>Also write the tentative enforcement rule name (layout spec §2.6 feature flag).</summary>
    public bool SurfaceEnforcementRuleName { get; init; }
}

/// <summary>Every problem found in the mapping files, each naming the file and the JSON path.</summary>
public sealed class MappingException : Exception
{
    public MappingException(IReadOnlyList<string> problems)
        : base("The mapping files have " + problems.Count + " problem(s):" + Environment.NewLine + "  - " + string.Join(Environment.NewLine + "  - ", problems)) =>
        Problems = problems;

    public MappingException() : this([]) { }

    public MappingException(string message) : this([message]) { }

    public MappingException(string message, Exception innerException) : base(message, innerException) => Problems = [message];

    public IReadOnlyList<string> Problems { get; }
}

/// <summary>
/// What the host needs to route and count a record without parsing the outputs (output contract §6): ids, the Kafka
/// key, and the facts of the end-of-run summary table.
/// </summary>
public readonly record struct EventEnvelope(
    string EventId,
    string Dataset,
    string Key,
    string SmfSystemId,
    bool IsConnectionDetail,
    string? ServerIp,
    int ServerPort,
    string? JobName,
    IReadOnlyList<string> Protection,
    string AssessmentLevel,
    bool Weak);
