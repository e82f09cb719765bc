using System.Collections.Frozen;

namespace ZertForwarder.Smf.Zert;

/// <summary>The field tables of both zERT subtypes and the known section lengths (layout spec §1-3).</summary>
public static partial class ZertFieldCatalog
{
    /// <summary>TCP/IP identification section length (§1.4), both subtypes.</summary>
    public const int IdentificationLength = 64;

    private static readonly ZertField[] Identification = CreateIdentificationFields();
    private static readonly ZertField[] Subtype11 = [.. Identification, .. CreateSubtype11Fields()];
    private static readonly ZertField[] Subtype12 = [.. Identification, .. CreateSubtype12Fields()];
    private static readonly FrozenDictionary<string, ZertField> ByName11 = Subtype11.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
    private static readonly FrozenDictionary<string, ZertField> ByName12 = Subtype12.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>Every non-reserved field of a subtype (11 or 12), in section and offset order.</summary>
    public static IReadOnlyList<ZertField> Fields(int subtype) => subtype == 11 ? Subtype11 : Subtype12;

    /// <summary>Looks a field up by its IBM name.</summary>
    public static bool TryFind(int subtype, string name, out ZertField field) =>
        (subtype == 11 ? ByName11 : ByName12).TryGetValue(name, out field!);

    /// <summary>Looks a field up by its IBM name in either subtype (the SMF119SC_/SMF119SS_ prefix tells which).</summary>
    public static bool TryFind(string name, out ZertField field) =>
        ByName11.TryGetValue(name, out field!) || ByName12.TryGetValue(name, out field!);

    /// <summary>
    /// The section length this decoder knows (the newest layout). Longer sections are tolerated (unknown tail bytes are
    /// kept as hex); shorter ones are decoded as far as they go, e.g. a pre-3.2 subtype 12 common section of 204 bytes.
    /// </summary>
    public static int KnownLength(int subtype, ZertSection section) => (subtype, section) switch
    {
        (_, ZertSection.Identification) => IdentificationLength,
        (11, ZertSection.Common) => 128,   // §2.1
        (11, ZertSection.IpFilter) => 100, // §2.2
        (11, ZertSection.Tls) => 168,      // §2.3
        (11, ZertSection.Ssh) => 284,      // §2.4
        (11, ZertSection.Ipsec) => 236,    // §2.5
        (11, ZertSection.Enforcement) => 0, // §2.6: layout not available, kept raw
        (12, ZertSection.Common) => 212,   // §3.1, z/OS 3.2 length (204 before)
        (12, ZertSection.Tls) => 116,      // §3.2, z/OS 3.2 length (36 before)
        (12, ZertSection.Ssh) => 46,       // §3.3
        (12, ZertSection.Ipsec) => 148,    // §3.4, z/OS 3.2 length (74 before)
        _ => 0,
    };

    /// <summary>Triplet index (0 = ID) of each section; -1 where the subtype has no such section. DN: <see cref="DnTriplet"/>.</summary>
    public static int TripletIndex(int subtype, ZertSection section) => (subtype, section) switch
    {
        (_, ZertSection.Identification) => 0,
        (_, ZertSection.Common) => 1,
        (11, ZertSection.IpFilter) => 2,
        (11, ZertSection.Tls) => 3,
        (11, ZertSection.Ssh) => 4,
        (11, ZertSection.Ipsec) => 5,
        (11, ZertSection.Enforcement) => 7,
        (12, ZertSection.Tls) => 2,
        (12, ZertSection.Ssh) => 3,
        (12, ZertSection.Ipsec) => 4,
        _ => -1,
    };

    /// <summary>Triplet index of the DN entries: S6 in subtype 11, S5 in subtype 12.</summary>
    public static int DnTriplet(int subtype) => subtype == 11 ? 6 : 5;

    /// <summary>IBM name prefix of a subtype's own fields.</summary>
    public static string Prefix(int subtype) => subtype == 11 ? "SMF119SC_" : "SMF119SS_";

    private static ZertField Unsigned(ZertSection s, string name, int offset, int length, byte mask = 0) =>
        new(s, name, offset, length, ZertFieldKind.Unsigned) { Mask = mask };

    private static ZertField Code(ZertSection s, string name, int offset, int length, string table) =>
        new(s, name, offset, length, ZertFieldKind.Code) { Table = table };

    private static ZertField Flags(ZertSection s, string name, int offset, int length, string table) =>
        new(s, name, offset, length, ZertFieldKind.Flags) { Table = table };

    private static ZertField Text(ZertSection s, string name, int offset, int length) =>
        new(s, name, offset, length, ZertFieldKind.Text);

    private static ZertField Hex(ZertSection s, string name, int offset, int length, int lengthOffset = -1, int lengthSize = 0, bool uncertain = false) =>
        new(s, name, offset, length, ZertFieldKind.Hex) { LengthFieldOffset = lengthOffset, LengthFieldSize = lengthSize, Uncertain = uncertain };

    private static ZertField Ip(ZertSection s, string name, int offset, int length) =>
        new(s, name, offset, length, ZertFieldKind.Ip);

    private static ZertField PackedDate(ZertSection s, string name, int offset, int length) =>
        new(s, name, offset, length, ZertFieldKind.PackedDate);

    private static ZertField TimeOfDay(ZertSection s, string name, int offset, int length) =>
        new(s, name, offset, length, ZertFieldKind.TimeOfDay);

    private static ZertField Tod(ZertSection s, string name, int offset, int length) =>
        new(s, name, offset, length, ZertFieldKind.Tod);

    private static ZertField CertTime(ZertSection s, string name, int offset, int length, int timeTypeOffset) =>
        new(s, name, offset, length, ZertFieldKind.CertificateTime) { TimeTypeOffset = timeTypeOffset };
}
