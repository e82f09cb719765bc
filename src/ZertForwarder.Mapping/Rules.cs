using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// How a rule turns its source into an output value. The set is fixed (mappings/README.md lists it); a mapping file
/// that names any other converter is rejected at start-up.
/// </summary>
internal enum Converter : byte
{
    /// <summary>Unsigned integer; written whenever the field is present.</summary>
    Number,
    /// <summary>Unsigned integer; omitted when zero (output contract §2: a zero port or length is an absent fact).</summary>
    NumberNonZero,
    /// <summary>Code named through the field's IBM value table; unknown codes as unknown(0xNN) (contract §2.7).</summary>
    Name,
    /// <summary>As <see cref="Name"/>, but code 0 ("unknown / not supplied" in every IBM table) is omitted.</summary>
    NameNonZero,
    /// <summary>Flag byte as the list of its bit names (flat output: comma separated); omitted when no bit is set.</summary>
    Flags,
    /// <summary>One flag bit (<c>mask</c>) as a boolean; written whenever the field is present.</summary>
    Bit,
    /// <summary>Trimmed EBCDIC text; omitted when blank.</summary>
    Text,
    /// <summary>Significant bytes as upper-case hex; omitted when none.</summary>
    Hex,
    /// <summary>IP address text; omitted when all zero.</summary>
    Ip,
    /// <summary>Packed date 0cyydddF as yyyy-MM-dd; omitted when zero or invalid.</summary>
    Date,
    /// <summary>Hundredths since midnight as HH:mm:ss.ff; omitted when invalid.</summary>
    TimeOfDay,
    /// <summary>Certificate notAfter as ISO 8601 UTC; omitted when blank or unparsable.</summary>
    CertTime,
    /// <summary>
    /// Certificate notAfter text as written, when its time type is a code table V.22 does not name: the characters no
    /// known type says how to read (layout §2.3), kept rather than dropped (contract §2.7); omitted for the known types.
    /// </summary>
    CertTimeRaw,
    /// <summary>TOD-clock duration as microseconds (value >> 12, layout §C.3).</summary>
    TodMicros,
    /// <summary>TLS version code as <c>ssl</c>/<c>tls</c> (contract §2.5); X'0000' and unknown codes omitted.</summary>
    TlsProtocol,
    /// <summary>TLS version code as <c>2.0</c>…<c>1.3</c> (contract §2.5); X'0000' and unknown codes omitted.</summary>
    TlsVersion,
    /// <summary>Neg_Cipher characters as the IANA / SSLv2 suite name, unknown codes as the hex string, FFFFFF omitted.</summary>
    CipherName,
    /// <summary>Source (interval end) minus <c>base</c> (interval start); omitted when either is absent.</summary>
    Delta,
    /// <summary>Text of the DN entry of type <c>dn_type</c> (layout §2.7, table V.9).</summary>
    Dn,
    /// <summary>
    /// Every DN entry whose type table V.9 does not name (<c>"dn_type": "unknown"</c>), as <c>unknown(0xNNNN): DN</c>:
    /// no rule of a known type writes it, and an unknown code is never dropped (contract §2.7).
    /// </summary>
    DnUnknownType,
    /// <summary>A named value computed by the enrichment (<c>$...</c> sources).</summary>
    Derived,
    /// <summary>A fixed string (<c>value</c>).</summary>
    Constant,
}

/// <summary>Named values computed once per record by <see cref="RecordFacts"/> (sources starting with <c>$</c>).</summary>
internal enum Derived : byte
{
    RecordTime, EventId, EventCode, EventKind, EventAction, EventCategory, EventType, EventOutcome, EventStart, EventEnd,
    EventDuration, RiskScore, Dataset, Namespace, SmfSystemId,
    NetworkType, NetworkTransport, NetworkIanaNumber, NetworkDirection, NetworkBytes, NetworkPackets, CommunityId,
    ClientIp, ClientPort, ClientBytes, ClientPackets, ServerIp, ServerPort, ServerBytes, ServerPackets,
    RelatedIp, RelatedUser, RelatedHosts, Protection, AssessmentLevel, AssessmentReasons,
    TlsEstablished, TlsResumed, TlsEncryption, TlsMac, TlsKeyExchange,
    PortRangeStart, PortRangeEnd, EnforcementRuleName, EnforcementRaw,
    RecordEpochMillis, LeefSource, LeefDestination, LeefSourcePort, LeefDestinationPort, LeefSourceBytes,
    LeefDestinationBytes, LeefSourcePackets, LeefDestinationPackets, LeefCategory, LeefSeverity,
    AssessmentProfile, AssessmentCompliant, QuantumSafe, QuantumVulnerable, Message,
}

/// <summary>The names of the derived values as mapping files write them, with the Elasticsearch type of each.</summary>
internal static class DerivedNames
{
    /// <summary>Source names of the derived values and the Elasticsearch type each produces.</summary>
    public static readonly IReadOnlyDictionary<string, (Derived Value, string EsType)> All = new Dictionary<string, (Derived, string)>(StringComparer.Ordinal)
    {
        ["$record.time"] = (Derived.RecordTime, "date"),
        ["$record.epoch_millis"] = (Derived.RecordEpochMillis, "long"),
        ["$event.id"] = (Derived.EventId, "keyword"),
        ["$event.code"] = (Derived.EventCode, "keyword"),
        ["$event.kind"] = (Derived.EventKind, "keyword"),
        ["$event.action"] = (Derived.EventAction, "keyword"),
        ["$event.category"] = (Derived.EventCategory, "keyword"),
        ["$event.type"] = (Derived.EventType, "keyword"),
        ["$event.outcome"] = (Derived.EventOutcome, "keyword"),
        ["$event.start"] = (Derived.EventStart, "date"),
        ["$event.end"] = (Derived.EventEnd, "date"),
        ["$event.duration"] = (Derived.EventDuration, "long"),
        ["$event.risk_score"] = (Derived.RiskScore, "float"),
        ["$event.dataset"] = (Derived.Dataset, "keyword"),
        ["$data_stream.namespace"] = (Derived.Namespace, "keyword"),
        ["$smf.system_id"] = (Derived.SmfSystemId, "keyword"),
        ["$network.type"] = (Derived.NetworkType, "keyword"),
        ["$network.transport"] = (Derived.NetworkTransport, "keyword"),
        ["$network.iana_number"] = (Derived.NetworkIanaNumber, "keyword"),
        ["$network.direction"] = (Derived.NetworkDirection, "keyword"),
        ["$network.bytes"] = (Derived.NetworkBytes, "long"),
        ["$network.packets"] = (Derived.NetworkPackets, "long"),
        ["$network.community_id"] = (Derived.CommunityId, "keyword"),
        ["$client.ip"] = (Derived.ClientIp, "ip"),
        ["$client.port"] = (Derived.ClientPort, "long"),
        ["$client.bytes"] = (Derived.ClientBytes, "long"),
        ["$client.packets"] = (Derived.ClientPackets, "long"),
        ["$server.ip"] = (Derived.ServerIp, "ip"),
        ["$server.port"] = (Derived.ServerPort, "long"),
        ["$server.bytes"] = (Derived.ServerBytes, "long"),
        ["$server.packets"] = (Derived.ServerPackets, "long"),
        ["$related.ip"] = (Derived.RelatedIp, "ip"),
        ["$related.user"] = (Derived.RelatedUser, "keyword"),
        ["$related.hosts"] = (Derived.RelatedHosts, "keyword"),
        ["$protection"] = (Derived.Protection, "keyword"),
        ["$assessment.level"] = (Derived.AssessmentLevel, "keyword"),
        ["$assessment.reasons"] = (Derived.AssessmentReasons, "keyword"),
        ["$tls.established"] = (Derived.TlsEstablished, "boolean"),
        ["$tls.resumed"] = (Derived.TlsResumed, "boolean"),
        ["$tls.encryption"] = (Derived.TlsEncryption, "keyword"),
        ["$tls.mac"] = (Derived.TlsMac, "keyword"),
        ["$tls.key_exchange"] = (Derived.TlsKeyExchange, "keyword"),
        ["$server_port_range.start"] = (Derived.PortRangeStart, "long"),
        ["$server_port_range.end"] = (Derived.PortRangeEnd, "long"),
        ["$enforcement.rule_name"] = (Derived.EnforcementRuleName, "keyword"),
        ["$enforcement.raw"] = (Derived.EnforcementRaw, "keyword"),
        ["$leef.src"] = (Derived.LeefSource, "ip"),
        ["$leef.dst"] = (Derived.LeefDestination, "ip"),
        ["$leef.srcPort"] = (Derived.LeefSourcePort, "long"),
        ["$leef.dstPort"] = (Derived.LeefDestinationPort, "long"),
        ["$leef.srcBytes"] = (Derived.LeefSourceBytes, "long"),
        ["$leef.dstBytes"] = (Derived.LeefDestinationBytes, "long"),
        ["$leef.srcPackets"] = (Derived.LeefSourcePackets, "long"),
        ["$leef.dstPackets"] = (Derived.LeefDestinationPackets, "long"),
        ["$leef.cat"] = (Derived.LeefCategory, "keyword"),
        ["$leef.sev"] = (Derived.LeefSeverity, "long"),
        ["$assessment.profile"] = (Derived.AssessmentProfile, "keyword"),
        ["$assessment.compliant"] = (Derived.AssessmentCompliant, "boolean"),
        ["$assessment.quantum_safe"] = (Derived.QuantumSafe, "boolean"),
        ["$assessment.quantum_vulnerable"] = (Derived.QuantumVulnerable, "keyword"),
        ["$event.message"] = (Derived.Message, "match_only_text"),
    };
}

/// <summary>One compiled mapping rule: where the value goes, where it comes from, how it is converted.</summary>
internal sealed class FieldRule
{
    /// <summary>Output name: dotted ECS path, flat name, or LEEF key.</summary>
    public required string Target { get; init; }
    public required Converter Convert { get; init; }
    public ZertField? Field { get; init; }
    public ZertField? BaseField { get; init; }
    public ValueTable? Table { get; init; }
    public byte Mask { get; init; }
    public ushort DnType { get; init; }
    public Derived Derived { get; init; }
    public string? Constant { get; init; }

    /// <summary>When the rule is written at all (its <c>"only"</c> property, <see cref="RuleCondition"/>).</summary>
    public RuleCondition Only { get; init; }

    /// <summary>
    /// The rule's condition holds for connection events only (<see cref="RuleCondition.ConnectionEvents"/>, and
    /// <see cref="RuleCondition.Tcp"/>, since a configuration event is no TCP connection): the write plans leave it out
    /// for the other events.
    /// </summary>
    public bool ConnectionEventsOnly => Only is RuleCondition.ConnectionEvents or RuleCondition.Tcp or RuleCondition.WithRole;

    /// <summary>The value is a certificate DN (redacted by <c>Mappings:RedactDistinguishedNames</c>, last in LEEF, cut first).</summary>
    public bool IsDn => Convert is Converter.Dn or Converter.DnUnknownType;

    /// <summary>The value is part of the crypto assessment (LEEF writes these right after the predefined keys).</summary>
    public bool IsAssessment => Convert == Converter.Derived && Derived is Derived.AssessmentLevel or Derived.AssessmentReasons or Derived.RiskScore
        or Derived.AssessmentProfile or Derived.AssessmentCompliant or Derived.QuantumSafe or Derived.QuantumVulnerable;

    /// <summary>Elasticsearch type of the value (for the ECS contract test and the index template).</summary>
    public required string EsType { get; init; }

    /// <summary>Where the rule was written, for messages: file and JSON path.</summary>
    public required string Origin { get; init; }

    public byte[] ConstantUtf8 { get; private set; } = [];

    /// <summary>Pre-encoded names of the table's codes, indexed by code (compiled once).</summary>
    private byte[]?[] _names = [];

    /// <summary>
    /// Whether every name of the table needs no JSON escaping (checked once here, so the writer skips the check per
    /// value); the unknown(0xNNNN) labels never do. A mapping file may name a code with any text.
    /// </summary>
    public bool NamesArePlain { get; private set; }

    /// <summary>For flag bytes: the bit-name list of every byte value.</summary>
    public EncodedList[]? FlagLists { get; private set; }

    /// <summary>Pre-encoded output name (flat name / LEEF key).</summary>
    public System.Text.Json.JsonEncodedText EncodedTarget { get; private set; }

    public byte[] TargetUtf8 { get; private set; } = [];

    /// <summary><c>,"target":</c> for <see cref="CompactJsonWriter"/> (flat output).</summary>
    public byte[] TargetNamePrefix { get; private set; } = [];

    /// <summary>
    /// The conditions of the <c>"only"</c> property by their name in the mapping files (mappings/README.md), in the
    /// order the reader lists them when a name is not one of them.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, RuleCondition Condition)> Conditions =
    [
        ("connection_events", RuleCondition.ConnectionEvents), ("with_end", RuleCondition.WithEnd), ("with_ike", RuleCondition.WithIke),
        ("with_handshake", RuleCondition.WithHandshake), ("unknown_code", RuleCondition.UnknownCode), ("tcp", RuleCondition.Tcp),
        ("with_role", RuleCondition.WithRole),
    ];

    /// <summary>This rule under the condition of its <c>"only"</c> property (mappings/README.md), or itself without one.</summary>
    public FieldRule WithOnly(string? only) => only is null ? this : new()
    {
        Target = Target, Convert = Convert, Field = Field, BaseField = BaseField, Table = Table, Mask = Mask, DnType = DnType,
        Derived = Derived, Constant = Constant, EsType = EsType, Origin = Origin,
        // A name not in the list is refused by the reader with the other problems.
        Only = Conditions.FirstOrDefault(c => c.Name == only).Condition,
    };

    public void Compile()
    {
        if (Constant is not null) ConstantUtf8 = System.Text.Encoding.UTF8.GetBytes(Constant);
        EncodedTarget = System.Text.Json.JsonEncodedText.Encode(Target, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        TargetUtf8 = System.Text.Encoding.UTF8.GetBytes(Target);
        TargetNamePrefix = CompactJsonWriter.NamePrefix(EncodedTarget);
        if (Table is null) return;
        if (Table.IsFlags || Convert == Converter.Flags)
        {
            FlagLists = new EncodedList[256];
            for (var i = 0; i < 256; i++) FlagLists[i] = new EncodedList([.. Table.FlagNames((uint)i)]);
        }
        var max = Table.Entries.Count == 0 ? 0 : (int)Table.Entries.Max(e => e.Key);
        _names = new byte[]?[Math.Min(max, 0xFFFF) + 1];
        foreach (var (code, name) in Table.Entries) if (code < _names.Length) _names[code] = System.Text.Encoding.UTF8.GetBytes(name);
        NamesArePlain = _names.All(n => n is null || CompactJsonWriter.IsPlain(n));
    }

    /// <summary>Whether the rule's table names <paramref name="code"/>.</summary>
    public bool IsNamed(ulong code) => code < (ulong)_names.Length && _names[code] is not null;

    /// <summary>The code's name, or its unknown(0xNNNN) label written into <paramref name="scratch"/> (contract §2.7).</summary>
    public ReadOnlySpan<byte> NameOf(ulong code, Span<byte> scratch)
    {
        if (code < (ulong)_names.Length && _names[code] is { } known) return known;
        var label = ValueTable.UnknownLabel((uint)code, Field!.Length);
        return scratch[..System.Text.Encoding.UTF8.GetBytes(label, scratch)];
    }

    /// <summary>
    /// The optional section this rule's value depends on, when it can only have a value if that section is present:
    /// fields of the IP filter / TLS / SSH / IPsec sections, the TLS-derived values, and certificate DNs (types 1-4
    /// IPsec, 5-8 TLS, 9-12 SSH: a provider reports names only for the protocol it protects, layout §2.7).
    /// </summary>
    public ZertSection? OptionalSection => Convert switch
    {
        Converter.Dn => DnType switch { >= 1 and <= 4 => ZertSection.Ipsec, >= 5 and <= 8 => ZertSection.Tls, >= 9 and <= 12 => ZertSection.Ssh, _ => null },
        Converter.Derived => Derived is Derived.TlsEstablished or Derived.TlsResumed or Derived.TlsEncryption or Derived.TlsMac or Derived.TlsKeyExchange
            ? ZertSection.Tls : null,
        Converter.Constant or Converter.DnUnknownType => null,
        _ => Field!.Section is ZertSection.Identification or ZertSection.Common ? null : Field.Section,
    };

    /// <summary>The IBM fields this rule reads (for the "every decoded field has a home" check).</summary>
    public IEnumerable<ZertField> ReadFields()
    {
        if (Field is not null) yield return Field;
        if (BaseField is not null) yield return BaseField;
    }
}

/// <summary>When a rule is written (its <c>"only"</c> property, mappings/README.md): one condition per rule.</summary>
internal enum RuleCondition : byte
{
    /// <summary>Whenever the rule has a value.</summary>
    Always,

    /// <summary>Only for connection events (119-11 events 1-4 and 7, 119-12 event 1): <c>"connection_events"</c>.</summary>
    ConnectionEvents,

    /// <summary>Only when the connection has an end (<c>"with_end"</c>): the end date and time fields.</summary>
    WithEnd,

    /// <summary>
    /// Only when the IPsec section names an IKE tunnel (<c>"with_ike"</c>): the IKE numbers and SA lifetimes, which a
    /// manual tunnel leaves zero (layout §2.5).
    /// </summary>
    WithIke,

    /// <summary>
    /// Only when the handshake of the field's protocol (TLS or SSH) did not fail (<c>"with_handshake"</c>): a failed
    /// handshake leaves all but the source, provider and cipher zero (layout §2.3, §2.4, §3.1).
    /// </summary>
    WithHandshake,

    /// <summary>
    /// Only when the field's code is not in its value table (<c>"unknown_code"</c>): a certificate time's type, which for
    /// a known type the <c>not_after</c> date already expresses.
    /// </summary>
    UnknownCode,

    /// <summary>
    /// Only for a connection event on a TCP connection, IP protocol 6 (<c>"tcp"</c>): the facts IBM records for TCP only,
    /// the short connection counts of 119-12 (layout §3.1, SAInitLifeShortConnCnt / SAEndLifeShortConnCnt) and the local
    /// server / client bits of SAFlags (table V.3: 119-11 X'10' / X'08', 119-12 X'40' / X'20'). An Enterprise Extender
    /// record (UDP, 17) has none of these facts: its zeros would read as "no short connections" and "neither server nor
    /// client" (contract §2: absent facts are omitted).
    /// </summary>
    Tcp,

    /// <summary>
    /// Only when SAFlags names the local role (<c>"with_role"</c>): a TCP connection event with the local server or
    /// client bit set (table V.3: 119-11 X'10' / X'08', from z/OS 3.2; 119-12 X'40' / X'20'). A 119-11 record of an
    /// earlier release has neither bit, on every connection, so writing the bits would say "neither server nor client"
    /// where the record does not say (the TLS handshake may still name the role, which ECS reports).
    /// </summary>
    WithRole,
}
