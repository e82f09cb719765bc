namespace ZertForwarder.Smf.Zert;

/// <summary>
/// The fixed-layout sections of a zERT record. Subtype 11 triplets: ID, S1 common, S2 IP filter, S3 TLS, S4 SSH,
/// S5 IPsec, S6 DN, S7 enforcement (layout spec §1.2); subtype 12: ID, S1 common, S2 TLS, S3 SSH, S4 IPsec, S5 DN (§1.3).
/// DN entries are variable length and live in <see cref="ZertRecord.DistinguishedNames"/>.
/// </summary>
public enum ZertSection : byte
{
    Identification = 0,
    Common,
    IpFilter,
    Tls,
    Ssh,
    Ipsec,
    Enforcement,
}

/// <summary>How a field's bytes are to be read.</summary>
public enum ZertFieldKind : byte
{
    /// <summary>Unsigned big-endian integer of 1, 2, 4 or 8 bytes.</summary>
    Unsigned,

    /// <summary>An enumeration code, named by a value table.</summary>
    Code,

    /// <summary>A flag byte, its bits named by a value table.</summary>
    Flags,

    /// <summary>EBCDIC text, blank padded.</summary>
    Text,

    /// <summary>Binary rendered as upper-case hex: serials, session ids, fingerprints (significant length from a *_Len field).</summary>
    Hex,

    /// <summary>16-byte IP address: IPv4 in bytes 0-3 unless the record's IPv6 flag is on (layout spec §0).</summary>
    Ip,

    /// <summary>Packed date 0cyydddF (§C.3).</summary>
    PackedDate,

    /// <summary>Hundredths of a second since midnight (§C.3).</summary>
    TimeOfDay,

    /// <summary>TOD-clock duration, bit 51 = 1 microsecond (§C.3).</summary>
    Tod,

    /// <summary>Certificate notAfter as EBCDIC characters, 13 or 15 used by the preceding *_Time_Type byte (§2.3).</summary>
    CertificateTime,
}
