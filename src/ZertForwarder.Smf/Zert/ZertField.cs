namespace ZertForwarder.Smf.Zert;

/// <summary>
/// One field of a zERT section: IBM name, place and encoding. Mapping files name fields by their IBM name and are
/// compiled against these descriptors once at start-up.
/// </summary>
public sealed class ZertField
{
    internal ZertField(ZertSection section, string name, int offset, int length, ZertFieldKind kind)
    {
        Section = section;
        Name = name;
        Offset = offset;
        Length = length;
        Kind = kind;
    }

    /// <summary>IBM field name, e.g. <c>SMF119SC_TLS_Prot_Ver</c>.</summary>
    public string Name { get; }

    public ZertSection Section { get; }

    /// <summary>Offset from the start of the section.</summary>
    public int Offset { get; }

    public int Length { get; }

    public ZertFieldKind Kind { get; }

    /// <summary>Value table id (in <c>mappings/codes/ibm-value-tables.json</c>) for codes and flags.</summary>
    public string? Table { get; internal init; }

    /// <summary>For <see cref="ZertFieldKind.Hex"/>: section offset of the field holding the significant length, or -1.</summary>
    public int LengthFieldOffset { get; internal init; } = -1;

    /// <summary>Size in bytes (1 or 2) of the significant-length field.</summary>
    public int LengthFieldSize { get; internal init; }

    /// <summary>For <see cref="ZertFieldKind.CertificateTime"/>: section offset of the 1-byte time type.</summary>
    public int TimeTypeOffset { get; internal init; } = -1;

    /// <summary>Bits that carry the value (IKE versions use the low 4 bits only, §2.5); 0 = all.</summary>
    public byte Mask { get; internal init; }

    /// <summary>The spec marks this row as inferred: keep the raw value, interpret nothing.</summary>
    public bool Uncertain { get; internal init; }

    public override string ToString() => Name;
}
