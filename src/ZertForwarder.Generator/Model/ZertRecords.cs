namespace ZertForwarder.Generator.Model;

/// <summary>Fields shared by both zERT subtypes: SMF header, TCP/IP identification section and DN entries.</summary>
public abstract class ZertRecord
{
    /// <summary>SMF119STY: 11 (connection detail) or 12 (summary).</summary>
    public abstract ushort Subtype { get; }

    /// <summary>Standard SMF header (layout §1.1).</summary>
    public SmfRecordHeader Header { get; } = new();

    /// <summary>TCP/IP identification section (layout §1.4).</summary>
    public TcpIpIdentification Identification { get; } = new();

    /// <summary>
    /// Certificate DN entries (119-11 S6 / 119-12 S5), written back to back in list order; the DN triplet's Num
    /// is the entry count. Empty list = zero triplet.
    /// </summary>
    public List<DistinguishedNameEntry> DistinguishedNames { get; } = [];

    /// <summary>
    /// Value to put in the DN triplet's Len field. IBM does not document what it means (layout §8 gap 6); by default
    /// (null) the generator writes the total byte length of all DN entries, so Off + Len ends exactly at the last entry.
    /// Set it to exercise decoders that must walk by DN_Len.
    /// </summary>
    public ushort? DnTripletLengthOverride { get; set; }
}

/// <summary>An SMF 119 subtype 11 zERT connection detail record (layout §2).</summary>
public sealed class ZertConnectionRecord : ZertRecord
{
    /// <inheritdoc />
    public override ushort Subtype => 11;

    /// <summary>Common section S1 (always present).</summary>
    public ConnectionCommonSection Common { get; } = new();

    /// <summary>IP filter section S2; null = absent (zero triplet).</summary>
    public IpFilterSection? IpFilter { get; set; }

    /// <summary>TLS section S3; null = absent.</summary>
    public TlsConnectionSection? Tls { get; set; }

    /// <summary>SSH section S4; null = absent.</summary>
    public SshConnectionSection? Ssh { get; set; }

    /// <summary>IPsec section S5; null = absent.</summary>
    public IpsecConnectionSection? Ipsec { get; set; }

    /// <summary>
    /// Raw bytes of the V2R5+ policy-based enforcement section S7 (layout §2.6: field layout unknown). When non-null
    /// the record has 8 triplets; otherwise 7 unless <see cref="TripletCountOverride"/> says 8.
    /// </summary>
    public byte[]? Enforcement { get; set; }

    /// <summary>Forces SMF119SD_TRN to 8 with a zero S7 triplet when <see cref="Enforcement"/> is null (V2R5+ stacks). Allowed: null, 7, 8.</summary>
    public ushort? TripletCountOverride { get; set; }
}

/// <summary>An SMF 119 subtype 12 zERT summary record (layout §3).</summary>
public sealed class ZertSummaryRecord : ZertRecord
{
    /// <inheritdoc />
    public override ushort Subtype => 12;

    /// <summary>Common section S1 (always present).</summary>
    public SummaryCommonSection Common { get; } = new();

    /// <summary>TLS section S2; null = absent.</summary>
    public TlsSummarySection? Tls { get; set; }

    /// <summary>SSH section S3; null = absent.</summary>
    public SshSummarySection? Ssh { get; set; }

    /// <summary>IPsec section S4; null = absent.</summary>
    public IpsecSummarySection? Ipsec { get; set; }
}
