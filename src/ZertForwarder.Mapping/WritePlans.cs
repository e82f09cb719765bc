using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// The key under which a record's write plans are cached: which optional sections it carries and whether it is a
/// connection event. Every other fact varies record by record and is checked when the value is evaluated.
/// </summary>
/// <remarks>
/// Why these bits: a rule whose value comes from an optional section (IP filter, TLS, SSH, IPsec, enforcement; layout
/// §2) can never have a value when the record lacks that section, and a rule marked <c>"only": "connection_events"</c>
/// (or <c>"tcp"</c>) never has one for a configuration event. Both facts are the same for long runs of records (a
/// workload's records mostly share one protocol), so deciding them once per combination instead of once per rule and
/// record removes most of the per-record tests. Five section bits and one event bit make 64 plans per subtype and
/// format at most, each built on first use.
/// </remarks>
internal static class PlanKey
{
    /// <summary>The optional sections, in bit order (bit 0 = <see cref="ZertSection.IpFilter"/>).</summary>
    private const int FirstOptional = (int)ZertSection.IpFilter;
    private const int OptionalCount = ZertSection.Enforcement - ZertSection.IpFilter + 1;
    private const int ConnectionEventBit = 1 << OptionalCount;

    /// <summary>How many distinct keys there are.</summary>
    public const int Count = ConnectionEventBit << 1;

    public static int Of(ZertRecord record, bool isConnectionEvent)
    {
        var key = isConnectionEvent ? ConnectionEventBit : 0;
        for (var i = 0; i < OptionalCount; i++)
            if (record.HasSection((ZertSection)(FirstOptional + i))) key |= 1 << i;
        return key;
    }

    public static bool HasSection(int key, ZertSection section) =>
        section < ZertSection.IpFilter || (key & (1 << ((int)section - FirstOptional))) != 0;

    public static bool IsConnectionEvent(int key) => (key & ConnectionEventBit) != 0;
}

/// <summary>
/// The flat or LEEF rules of one subtype, with the subset that can have a value cached per <see cref="PlanKey"/>. The
/// subset keeps the rules' order, so the output is the same as walking every rule: a rule is left out only when its
/// evaluation could not produce a value for any record with that key.
/// </summary>
internal sealed class RuleListPlan(FieldRule[] rules)
{
    private readonly FieldRule[]?[] _byKey = new FieldRule[PlanKey.Count][];

    public FieldRule[] All { get; } = rules;

    /// <summary>
    /// The rules that can have a value under <paramref name="key"/>. Built on first use; two threads building the same
    /// list at once build equal lists and either may win, so no lock is needed.
    /// </summary>
    public FieldRule[] For(int key) => _byKey[key] ?? (_byKey[key] = [.. All.Where(r => CanHaveValue(r, key))]);

    /// <summary>
    /// Whether <paramref name="rule"/> may have a value under <paramref name="key"/>. Only the plain field readers are
    /// dropped for an absent section: their read fails when the section is absent (an absent section has length 0,
    /// so no field fits in it). Derived values, DNs and the cipher name are kept, since they are computed from facts
    /// that do not depend only on the field's section.
    /// </summary>
    private static bool CanHaveValue(FieldRule rule, int key)
    {
        if (rule.ConnectionEventsOnly && !PlanKey.IsConnectionEvent(key)) return false;
        return rule.Convert is Converter.Derived or Converter.Dn or Converter.DnUnknownType or Converter.Constant or Converter.CipherName
            || PlanKey.HasSection(key, rule.Field!.Section);
    }
}
