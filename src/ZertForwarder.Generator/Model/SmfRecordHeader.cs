namespace ZertForwarder.Generator.Model;

/// <summary>
/// Standard 24-byte SMF header (layout §1.1). Record type (119), subtype and the RDW are filled by the writer.
/// </summary>
public sealed class SmfRecordHeader
{
    /// <summary>SMF119FLG: system indicator bits. Default X'5E' = X'40' subtypes used + version bits X'1E' (layout §1.1).</summary>
    public byte Flags { get; set; } = 0x5E;

    /// <summary>SMF119TME: hundredths of a second since LOCAL midnight when the record entered the SMF buffer.</summary>
    public uint Time { get; set; }

    /// <summary>SMF119DTE: LOCAL date, written packed 0cyydddF (layout §C.3).</summary>
    public DateOnly Date { get; set; } = new(2024, 10, 31);

    /// <summary>SMF119SID: SMF system identifier (4 EBCDIC characters, blank padded).</summary>
    public string SystemId { get; set; } = "SYSA";

    /// <summary>SMF119SSI: subsystem identifier (4 EBCDIC characters, blank padded).</summary>
    public string SubsystemId { get; set; } = "";

    /// <summary>Sets <see cref="Time"/> and <see cref="Date"/> from a local date-time (truncated to hundredths).</summary>
    public void SetLocalTime(DateTime localTime)
    {
        (Time, Date) = Encoding.SmfTimeEncoding.Split(localTime);
    }
}

/// <summary>TCP/IP identification section, 64 bytes, both subtypes (layout §1.4).</summary>
public sealed class TcpIpIdentification
{
    /// <summary>SMF119TI_SYSName: system name (8).</summary>
    public string SystemName { get; set; } = "SYSA";

    /// <summary>SMF119TI_SysplexName: sysplex name (8).</summary>
    public string SysplexName { get; set; } = "PLEX1";

    /// <summary>SMF119TI_Stack: TCP/IP stack job name (8).</summary>
    public string StackName { get; set; } = "TCPIP";

    /// <summary>SMF119TI_ReleaseID: Communications Server release string (8), e.g. <c>CS V3R2</c>.</summary>
    public string ReleaseId { get; set; } = "CS V2R5";

    /// <summary>SMF119TI_Comp: writing subcomponent (8); always <c>STACK</c> for zERT.</summary>
    public string Component { get; set; } = "STACK";

    /// <summary>SMF119TI_ASName: address-space name of the writer (8).</summary>
    public string AddressSpaceName { get; set; } = "TCPIP";

    /// <summary>SMF119TI_UserID: user ID of the writer's security context (8).</summary>
    public string UserId { get; set; } = "TCPIP";

    /// <summary>SMF119TI_ASID: ASID of the writing address space.</summary>
    public ushort Asid { get; set; }

    /// <summary>SMF119TI_Reason: value table V.1 (X'08' event, X'80'/X'C0' interval, X'20'/X'60' end of statistics).</summary>
    public byte Reason { get; set; } = 0x08;
}

/// <summary>One certificate distinguished-name entry (119-11 S6, 119-12 S5; layout §2.7 / §3.5).</summary>
public sealed class DistinguishedNameEntry
{
    /// <summary>Creates an entry.</summary>
    public DistinguishedNameEntry(ushort type, string name)
    {
        Type = type;
        Name = name;
    }

    /// <summary>SMF119SC_DN_Type / SMF119SS_DN_Type: table V.9 (1-4 IPsec, 5-8 TLS, 9-12 SSH X.509).</summary>
    public ushort Type { get; set; }

    /// <summary>SMF119SC_DN / SMF119SS_DN: DN text (EBCDIC, up to 1024 characters). DN_Len = 4 + its length.</summary>
    public string Name { get; set; }
}

/// <summary>
/// Attributes of one X.509 certificate as zERT reports them. In 119-11 this is the 48-byte group
/// Signature_Method(2) Enc_Method(2) Digest_Alg(2) Rsvd(1) Serial_Len(1) Serial(20) Time_Type(1) Time(15)
/// Key_Type(2) Key_Len(2) (layout §2.3-2.5); in 119-12 the same facts are split (layout §3.2-3.4).
/// </summary>
public sealed class CertificateAttributes
{
    /// <summary>*_Signature_Method / *_Sign_Meth: table V.12 (e.g. 4 RSA/SHA-1, 7 RSA/SHA-256).</summary>
    public ushort SignatureMethod { get; set; }

    /// <summary>*_Enc_Method / *_Enc_Meth: table V.13 (2 RSA, 3 DSA, 4 ECDSA).</summary>
    public ushort EncryptionMethod { get; set; }

    /// <summary>*_Digest_Alg: table V.14 (4 SHA-1, 6 SHA-256, 7 SHA-384).</summary>
    public ushort DigestAlgorithm { get; set; }

    /// <summary>*_Serial (left aligned, at most 20 bytes); *_Serial_Len is its length. Empty = not supplied.</summary>
    public byte[] Serial { get; set; } = [];

    /// <summary>*_Time_Type: 0 not supplied, 1 UTCTime (13 chars), 2 GeneralizedTime (15 chars).</summary>
    public byte TimeType { get; set; }

    /// <summary>*_Time: certificate notAfter (UTC, whole seconds). Written as EBCDIC text according to <see cref="TimeType"/>.</summary>
    public DateTime NotAfter { get; set; }

    /// <summary>*_Key_Type: table V.15 (2 RSA, 3 DSA, 4 DH, 5 ECC).</summary>
    public ushort KeyType { get; set; }

    /// <summary>*_Key_Len: key size in bits.</summary>
    public ushort KeyLength { get; set; }
}
