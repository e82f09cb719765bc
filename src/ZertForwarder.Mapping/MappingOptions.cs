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

    /// <summary>
    /// The assessment profile (<c>Assessment:Profile</c>): null or <c>default</c> = <c>assessment/policy.json</c>; any
    /// other name = <c>assessment/profiles/&lt;name&gt;.json</c>.
    /// </summary>
    public string? Profile { get; init; }

    /// <summary>How certificate subject / issuer DNs are written in every format (<c>Mappings:RedactDistinguishedNames</c>).</summary>
    public DnRedaction RedactDistinguishedNames { get; init; }

    /// <summary>
    /// Longest LEEF line in bytes (<c>Mappings:LeefMaxLineLength</c>); longer lines have their longest DN values
    /// shortened (marked), never the predefined or assessment keys. 0 = no limit.
    /// </summary>
    public int LeefMaxLineLength { get; init; } = DefaultLeefMaxLineLength;

    /// <summary>
    /// QRadar's default maximum TCP syslog payload is 4096 bytes: a longer event is cut there by the receiver, so the
    /// writer shortens DNs itself and keeps every other key whole.
    /// </summary>
    public const int DefaultLeefMaxLineLength = 4096;

    /// <summary>Write the raw enforcement section hex into LEEF (<c>Mappings:LeefEnforcementRaw</c>); ECS and flat always carry it.</summary>
    public bool LeefEnforcementRaw { get; init; }

    /// <summary>
    /// Called once per SMF system id that has no <c>Zos:UtcOffsets</c> entry (its times are then taken as UTC), so the
    /// host can warn. Called from whichever thread meets the system first.
    /// </summary>
    public Action<string>? MissingUtcOffset { get; init; }
}

/// <summary>How certificate DNs are written (<c>Mappings:RedactDistinguishedNames</c>).</summary>
public enum DnRedaction
{
    /// <summary>As recorded.</summary>
    None,

    /// <summary><c>sha256:</c> + 32 hex digits of the DN's SHA-256: equal DNs still group, the text is not revealed.</summary>
    Hash,

    /// <summary>Left out.</summary>
    Drop,
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
/// What the host needs to route and count a record without parsing the outputs (output contract §6): the event id (as
/// its 32 ASCII bytes, a new array per record), the Kafka key, the facts of the end-of-run summary table, and the
/// record's SMF time in UTC (the <c>@timestamp</c>, for the freshness metric).
/// </summary>
public readonly record struct EventEnvelope(
    byte[] EventIdUtf8,
    string Dataset,
    string Key,
    string SmfSystemId,
    bool IsConnectionDetail,
    string? ServerIp,
    int ServerPort,
    string? JobName,
    IReadOnlyList<string> Protection,
    string AssessmentLevel,
    bool Weak,
    DateTime? RecordTime = null)
{
    /// <summary>
    /// <see cref="Key"/> as UTF-8 when the normalizer has it at hand (endpoint keys, shared by every record of the
    /// endpoint: read only); null otherwise.
    /// </summary>
    public byte[]? KeyUtf8 { get; init; }
}
