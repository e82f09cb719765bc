// The zERT section layouts as the TESTS know them: typed by hand from the layout spec (smf119-zert-layout.md)
// (§1.4, §2.1-§2.5, §3.1-§3.4), independently of the decoder's ZertFieldCatalog and of the generator. Reserved
// fields are listed too, so a self-check can prove every section is tiled exactly (no typo gap or overlap), and so
// tests can fill them with garbage to prove the decoder ignores them.
namespace ZertForwarder.Smf.Tests.Spec;

/// <summary>How a field is encoded, as the spec tables describe it.</summary>
public enum SpecKind
{
    /// <summary>Unsigned big-endian binary count / id / size.</summary>
    Number,

    /// <summary>Binary enumeration code named by a value table (§4).</summary>
    Code,

    /// <summary>Flag byte whose bits a value table names (§4 V.3).</summary>
    Flags,

    /// <summary>EBCDIC characters, blank padded.</summary>
    Text,

    /// <summary>16-byte address: IPv4 in bytes 0-3 unless the record's IPv6 flag is on (§0).</summary>
    Ip,

    /// <summary>Packed decimal date 0cyydddF (§C.3).</summary>
    PackedDate,

    /// <summary>Hundredths of a second since midnight (§C.3).</summary>
    Hundredths,

    /// <summary>TOD-clock duration (bit 51 = 1 microsecond, §C.3).</summary>
    Tod,

    /// <summary>Binary shown as hex; the significant length is in <see cref="SpecField.Partner"/>.</summary>
    Hex,

    /// <summary>The *_Len byte/halfword of a <see cref="Hex"/> field.</summary>
    HexLength,

    /// <summary>*_Time_Type: 1 UTCTime, 2 GeneralizedTime.</summary>
    TimeType,

    /// <summary>Certificate notAfter characters; the time type is in <see cref="SpecField.Partner"/>.</summary>
    CertTime,

    /// <summary>IKE version byte: only the low 4 bits carry the value (§2.5, §3.4).</summary>
    Low4,

    /// <summary>Reserved / unused bytes: never interpreted, never output.</summary>
    Reserved,

    /// <summary>Bytes the spec says exist but cannot explain (119-12 TLS +36..41, §3.2): kept raw.</summary>
    Opaque,
}

/// <summary>One row of a spec table. Offsets are relative to the section start.</summary>
public sealed record SpecField(string Name, int Offset, int Length, SpecKind Kind, string? Partner = null, string? Table = null)
{
    public bool IsOutput => Kind != SpecKind.Reserved;
}

/// <summary>One fixed-layout section: its triplet index (§1.2 / §1.3), its newest known length and its rows.</summary>
public sealed record SpecSection(string Name, int TripletIndex, int Length, IReadOnlyList<SpecField> Fields);

public static class SpecLayout
{
    /// <summary>Triplet index of the DN entries: S6 in 119-11 (§1.2), S5 in 119-12 (§1.3).</summary>
    public static int DnTripletIndex(int subtype) => subtype == 11 ? 6 : 5;

    /// <summary>Triplet index of the 119-11 V2R5 enforcement section S7 (§1.2, §2.6).</summary>
    public const int EnforcementTripletIndex = 7;

    public static IReadOnlyList<SpecSection> Sections(int subtype) => subtype == 11 ? Subtype11 : Subtype12;

    public static SpecSection Section(int subtype, string name) => Sections(subtype).Single(s => s.Name == name);

    public static (SpecSection Section, SpecField Field) Find(int subtype, string name)
    {
        foreach (var section in Sections(subtype))
        {
            foreach (var field in section.Fields)
            {
                if (field.Name == name) return (section, field);
            }
        }
        throw new ArgumentException($"The test layout has no field {name} in subtype {subtype}.", nameof(name));
    }

    private static SpecField N(string name, int offset, int length) => new(name, offset, length, SpecKind.Number);
    private static SpecField C(string name, int offset, int length, string table) => new(name, offset, length, SpecKind.Code, Table: table);
    private static SpecField F(string name, int offset, string table) => new(name, offset, 1, SpecKind.Flags, Table: table);
    private static SpecField T(string name, int offset, int length) => new(name, offset, length, SpecKind.Text);
    private static SpecField Ip(string name, int offset) => new(name, offset, 16, SpecKind.Ip);
    private static SpecField R(string name, int offset, int length) => new(name, offset, length, SpecKind.Reserved);
    private static SpecField Hex(string name, int offset, int length, string lengthField) => new(name, offset, length, SpecKind.Hex, lengthField);
    private static SpecField HexLen(string name, int offset, int length, string hexField) => new(name, offset, length, SpecKind.HexLength, hexField);
    private static SpecField TimeType(string name, int offset) => new(name, offset, 1, SpecKind.TimeType, Table: "cert_time_type");
    private static SpecField CertTime(string name, int offset, string timeTypeField) => new(name, offset, 15, SpecKind.CertTime, timeTypeField);

    // §1.4 TCP/IP identification section, 64 bytes, both subtypes.
    private static SpecSection Identification() => new("Identification", 0, 64,
    [
        T("SMF119TI_SYSName", 0, 8),
        T("SMF119TI_SysplexName", 8, 8),
        T("SMF119TI_Stack", 16, 8),
        T("SMF119TI_ReleaseID", 24, 8),
        T("SMF119TI_Comp", 32, 8),
        T("SMF119TI_ASName", 40, 8),
        T("SMF119TI_UserID", 48, 8),
        R("SMF119TI_Rsvd56", 56, 2),
        N("SMF119TI_ASID", 58, 2),
        C("SMF119TI_Reason", 60, 1, "smf_reason"),
        R("SMF119TI_Rsvd61", 61, 3),
    ]);

    /// <summary>Certificate group of 119-11 TLS/SSH sections (§2.3 +72 / +120, §2.4 +188 / +236): 48 bytes.</summary>
    private static IEnumerable<SpecField> CertGroup11(string p, string who, int at) =>
    [
        C($"{p}{who}_Signature_Method", at, 2, "cert_signature_method"),
        C($"{p}{who}_Enc_Method", at + 2, 2, "cert_public_key_algorithm"),
        C($"{p}{who}_Digest_Alg", at + 4, 2, "cert_digest"),
        R($"{p}{who}_Rsvd", at + 6, 1),
        HexLen($"{p}{who}_Serial_Len", at + 7, 1, $"{p}{who}_Serial"),
        Hex($"{p}{who}_Serial", at + 8, 20, $"{p}{who}_Serial_Len"),
        TimeType($"{p}{who}_Time_Type", at + 28),
        CertTime($"{p}{who}_Time", at + 29, $"{p}{who}_Time_Type"),
        C($"{p}{who}_Key_Type", at + 44, 2, "cert_key_type"),
        N($"{p}{who}_Key_Len", at + 46, 2),
    ];

    private static readonly SpecSection[] Subtype11 =
    [
        Identification(),
        // §2.1 connection detail common section, 128 bytes.
        new("Common", 1, 128,
        [
            C("SMF119SC_SAEvent_Type", 0, 1, "event_type_11"),
            F("SMF119SC_SASecProtos", 1, "security_protocols"),
            F("SMF119SC_SAFlags", 2, "connection_flags_11"),
            F("SMF119SC_SASecFlags", 3, "ip_security_flags"),
            C("SMF119SC_SAIPProto", 4, 1, "ip_protocol"),
            R("SMF119SC_SA_Rsvd1", 5, 3),
            T("SMF119SC_SAJobname", 8, 8),
            T("SMF119SC_SAJobID", 16, 8),
            T("SMF119SC_SAUserID", 24, 8),
            new("SMF119SC_SASTime", 32, 4, SpecKind.Hundredths),
            new("SMF119SC_SASDate", 36, 4, SpecKind.PackedDate),
            new("SMF119SC_SAETime", 40, 4, SpecKind.Hundredths),
            new("SMF119SC_SAEDate", 44, 4, SpecKind.PackedDate),
            Ip("SMF119SC_SARIP", 48),
            Ip("SMF119SC_SALIP", 64),
            N("SMF119SC_SARPort", 80, 2),
            N("SMF119SC_SALPort", 82, 2),
            N("SMF119SC_SAConnID", 84, 4),
            N("SMF119SC_SAInBytes", 88, 8),
            N("SMF119SC_SAOutBytes", 96, 8),
            N("SMF119SC_SAInSegDG", 104, 8),
            N("SMF119SC_SAOutSegDG", 112, 8),
            R("SMF119SC_SA_Rsvd2", 120, 8),
        ]),
        // §2.2 IP filter section, 100 bytes.
        new("IpFilter", 2, 100,
        [
            C("SMF119SC_IPFlt_OutAct", 0, 1, "ip_filter_action"),
            C("SMF119SC_IPFlt_InbAct", 1, 1, "ip_filter_action"),
            R("SMF119SC_IPFlt_Rsvd1", 2, 2),
            T("SMF119SC_IPFlt_OutRuleName", 4, 40),
            T("SMF119SC_IPFlt_OutRuleExt", 44, 8),
            T("SMF119SC_IPFlt_InRuleName", 52, 40),
            T("SMF119SC_IPFlt_InRuleExt", 92, 8),
        ]),
        // §2.3 TLS section, 168 bytes.
        new("Tls", 3, 168,
        [
            C("SMF119SC_TLS_Prot_Ver", 0, 2, "tls_version"),
            C("SMF119SC_TLS_Source", 2, 1, "data_source"),
            C("SMF119SC_TLS_Handshake_Type", 3, 1, "handshake_type"),
            C("SMF119SC_TLS_Handshake_Role", 4, 1, "handshake_role"),
            R("SMF119SC_TLS_Rsvd1", 5, 2),
            HexLen("SMF119SC_TLS_Session_ID_Len", 7, 1, "SMF119SC_TLS_Session_ID"),
            Hex("SMF119SC_TLS_Session_ID", 8, 32, "SMF119SC_TLS_Session_ID_Len"),
            T("SMF119SC_TLS_Protocol_Provider", 40, 16),
            T("SMF119SC_TLS_Neg_Cipher", 56, 6),
            C("SMF119SC_TLS_CS_Enc_Alg", 62, 2, "encryption_algorithm"),
            C("SMF119SC_TLS_CS_Msg_Auth", 64, 2, "message_authentication"),
            C("SMF119SC_TLS_CS_Kex_Alg", 66, 2, "tls_key_exchange"),
            C("SMF119SC_TLS_FIPS_Mode", 68, 1, "fips_mode"),
            F("SMF119SC_TLS_CryptoFlags", 69, "tls_crypto_flags"),
            R("SMF119SC_TLS_Rsvd2", 70, 2),
            .. CertGroup11("SMF119SC_TLS_", "SCert", 72),
            .. CertGroup11("SMF119SC_TLS_", "CCert", 120),
        ]),
        // §2.4 SSH section, 284 bytes.
        new("Ssh", 4, 284,
        [
            C("SMF119SC_SSH_Prot_Ver", 0, 1, "ssh_version"),
            C("SMF119SC_SSH_Source", 1, 1, "data_source"),
            C("SMF119SC_SSH_FIPS_Mode", 2, 1, "fips_mode"),
            F("SMF119SC_SSH_CryptoFlags", 3, "ssh_crypto_flags"),
            F("SMF119SC_SSH_Flags", 4, "ssh_flags"),
            R("SMF119SC_SSH_Rsvd1", 5, 3),
            T("SMF119SC_SSH_Comp", 8, 8),
            T("SMF119SC_SSH_Protocol_Provider", 16, 16),
            C("SMF119SC_SSH_Auth_Method", 32, 2, "ssh_auth_method"),
            C("SMF119SC_SSH_Auth_Method2", 34, 2, "ssh_auth_method"),
            C("SMF119SC_SSH_In_Enc_Alg", 36, 2, "encryption_algorithm"),
            C("SMF119SC_SSH_In_Msg_Auth", 38, 2, "message_authentication"),
            C("SMF119SC_SSH_Kex_Method", 40, 2, "ssh_key_exchange"),
            C("SMF119SC_SSH_Out_Enc_Alg", 42, 2, "encryption_algorithm"),
            C("SMF119SC_SSH_Out_Msg_Auth", 44, 2, "message_authentication"),
            R("SMF119SC_SSH_Rsvd2", 46, 2),
            C("SMF119SC_SSH_SKey_Type", 48, 2, "ssh_key_type"),
            N("SMF119SC_SSH_SKey_Len", 50, 2),
            C("SMF119SC_SSH_CKey_Type", 52, 2, "ssh_key_type"),
            N("SMF119SC_SSH_CKey_Len", 54, 2),
            HexLen("SMF119SC_SSH_SKey_FPLen", 56, 2, "SMF119SC_SSH_SKey_FP"),
            HexLen("SMF119SC_SSH_CKey_FPLen", 58, 2, "SMF119SC_SSH_CKey_FP"),
            Hex("SMF119SC_SSH_SKey_FP", 60, 64, "SMF119SC_SSH_SKey_FPLen"),
            Hex("SMF119SC_SSH_CKey_FP", 124, 64, "SMF119SC_SSH_CKey_FPLen"),
            .. CertGroup11("SMF119SC_SSH_", "SCert", 188),
            .. CertGroup11("SMF119SC_SSH_", "CCert", 236),
        ]),
        // §2.5 IPsec section, 236 bytes: IKE (phase 1) half 0-207, IPsec SA (phase 2) half 208-235.
        new("Ipsec", 5, 236,
        [
            N("SMF119SC_IPSec_IKETunID", 0, 4),
            new("SMF119SC_IPSec_IKEMajVer", 4, 1, SpecKind.Low4),
            new("SMF119SC_IPSec_IKEMinVer", 5, 1, SpecKind.Low4),
            R("SMF119SC_IPsec_Rsvd1", 6, 2),
            T("SMF119SC_IPSec_IKETunKeyExchRule", 8, 48),
            Ip("SMF119SC_IPSec_IKETunLclEndpt", 56),
            Ip("SMF119SC_IPSec_IKETunRmtEndpt", 72),
            C("SMF119SC_IPSec_IKETunLclAuthMeth", 88, 2, "ike_auth_method"),
            C("SMF119SC_IPSec_IKETunRmtAuthMeth", 90, 2, "ike_auth_method"),
            C("SMF119SC_IPSec_IKETunAuthAlg", 92, 2, "message_authentication"),
            C("SMF119SC_IPSec_IKETunEncAlg", 94, 2, "encryption_algorithm"),
            C("SMF119SC_IPSec_IKETunDHGroup", 96, 2, "dh_group"),
            C("SMF119SC_IPSec_IKETunPseudoRandFunc", 98, 2, "ike_prf"),
            N("SMF119SC_IPSec_IKETunLifesize", 100, 4),
            N("SMF119SC_IPSec_IKETunLifetime", 104, 4),
            N("SMF119SC_IPSec_IKETunReauthIntvl", 108, 4),
            C("SMF119SC_IPSec_LclCert_Sign_Meth", 112, 2, "cert_signature_method"),
            C("SMF119SC_IPSec_LclCert_Enc_Meth", 114, 2, "cert_public_key_algorithm"),
            C("SMF119SC_IPSec_LclCert_Digest_Alg", 116, 2, "cert_digest"),
            R("SMF119SC_IPsec_Rsvd2", 118, 1),
            HexLen("SMF119SC_IPSec_LclCert_Serial_Len", 119, 1, "SMF119SC_IPSec_LclCert_Serial"),
            Hex("SMF119SC_IPSec_LclCert_Serial", 120, 20, "SMF119SC_IPSec_LclCert_Serial_Len"),
            TimeType("SMF119SC_IPSec_LclCert_Time_Type", 140),
            CertTime("SMF119SC_IPSec_LclCert_Time", 141, "SMF119SC_IPSec_LclCert_Time_Type"),
            C("SMF119SC_IPSec_LclCert_Key_Type", 156, 2, "cert_key_type"),
            N("SMF119SC_IPSec_LclCert_Key_Len", 158, 2),
            C("SMF119SC_IPSec_RmtCert_Sign_Meth", 160, 2, "cert_signature_method"),
            C("SMF119SC_IPSec_RmtCert_Enc_Meth", 162, 2, "cert_public_key_algorithm"),
            C("SMF119SC_IPSec_RmtCert_Digest_Alg", 164, 2, "cert_digest"),
            R("SMF119SC_IPSec_Rsvd3", 166, 1),
            HexLen("SMF119SC_IPSec_RmtCert_Serial_Len", 167, 1, "SMF119SC_IPSec_RmtCert_Serial"),
            Hex("SMF119SC_IPSec_RmtCert_Serial", 168, 20, "SMF119SC_IPSec_RmtCert_Serial_Len"),
            TimeType("SMF119SC_IPSec_RmtCert_Time_Type", 188),
            CertTime("SMF119SC_IPSec_RmtCert_Time", 189, "SMF119SC_IPSec_RmtCert_Time_Type"),
            C("SMF119SC_IPSec_RmtCert_Key_Type", 204, 2, "cert_key_type"),
            N("SMF119SC_IPSec_RmtCert_Key_Len", 206, 2),
            N("SMF119SC_IPSec_TunID", 208, 4),
            F("SMF119SC_IPSec_TunFlags", 212, "tunnel_flags"),
            C("SMF119SC_IPSec_TunType", 213, 1, "tunnel_type"),
            C("SMF119SC_IPSec_TunState", 214, 1, "tunnel_state"),
            R("SMF119SC_IPSec_Rsvd4", 215, 1),
            C("SMF119SC_IPSec_EncapMode", 216, 1, "encapsulation_mode"),
            C("SMF119SC_IPSec_AuthProto", 217, 1, "ipsec_protocol"),
            C("SMF119SC_IPSec_AuthAlg", 218, 2, "message_authentication"),
            C("SMF119SC_IPSec_EncAlg", 220, 2, "encryption_algorithm"),
            C("SMF119SC_IPSec_PFSGroup", 222, 2, "dh_group"),
            N("SMF119SC_IPSec_Lifesize", 224, 4),
            N("SMF119SC_IPSec_Lifetime", 228, 4),
            N("SMF119SC_IPSec_VPNLifeExpire", 232, 4),
        ]),
    ];

    /// <summary>The 119-12 cert group of the SSH / TLS sections (§3.2 +16 / +26, §3.3 +26 / +36): 10 bytes.</summary>
    private static IEnumerable<SpecField> CertGroup12(string p, string who, int at) =>
    [
        C($"{p}{who}_Signature_Method", at, 2, "cert_signature_method"),
        C($"{p}{who}_Enc_Method", at + 2, 2, "cert_public_key_algorithm"),
        C($"{p}{who}_Digest_Alg", at + 4, 2, "cert_digest"),
        C($"{p}{who}_Key_Type", at + 6, 2, "cert_key_type"),
        N($"{p}{who}_Key_Len", at + 8, 2),
    ];

    /// <summary>The 3.2 serial + notAfter group of 119-12 (§3.2 +42 / +79, §3.4 +74 / +111): 37 bytes.</summary>
    private static IEnumerable<SpecField> SerialGroup12(string p, string who, int at) =>
    [
        HexLen($"{p}{who}_Serial_Len", at, 1, $"{p}{who}_Serial"),
        Hex($"{p}{who}_Serial", at + 1, 20, $"{p}{who}_Serial_Len"),
        TimeType($"{p}{who}_Time_Type", at + 21),
        CertTime($"{p}{who}_Time", at + 22, $"{p}{who}_Time_Type"),
    ];

    private static readonly SpecSection[] Subtype12 =
    [
        Identification(),
        // §3.1 summary common section, 212 bytes from z/OS 3.2 (204 before).
        new("Common", 1, 212,
        [
            new("SMF119SS_SAIntervalDuration", 0, 8, SpecKind.Tod),
            C("SMF119SS_SAEvent_Type", 8, 1, "event_type_12"),
            F("SMF119SS_SAFlags", 9, "connection_flags_12"),
            F("SMF119SS_SASecProtos", 10, "security_protocols"),
            T("SMF119SS_SAJobname", 11, 8),
            T("SMF119SS_SAUserID", 19, 8),
            C("SMF119SS_SAIPProto", 27, 1, "ip_protocol"),
            Ip("SMF119SS_SASrvIP", 28),
            Ip("SMF119SS_SACltIP", 44),
            N("SMF119SS_SASrvPortStart", 60, 2),
            N("SMF119SS_SASrvPortEnd", 62, 2),
            T("SMF119SS_SASessionID", 64, 42),
            R("SMF119SS_SA_Rsvd106", 106, 2),
            N("SMF119SS_SAInitLifeConnCnt", 108, 4),
            N("SMF119SS_SAInitLifePartialConnCnt", 112, 4),
            N("SMF119SS_SAInitLifeShortConnCnt", 116, 4),
            N("SMF119SS_SAInitActiveConnCnt", 120, 4),
            N("SMF119SS_SAInitLifeInBytes", 124, 8),
            N("SMF119SS_SAInitLifeOutBytes", 132, 8),
            N("SMF119SS_SAInitLifeInSegDG", 140, 8),
            N("SMF119SS_SAInitLifeOutSegDG", 148, 8),
            N("SMF119SS_SAEndLifeConnCnt", 156, 4),
            N("SMF119SS_SAEndLifePartialConnCnt", 160, 4),
            N("SMF119SS_SAEndLifeShortConnCnt", 164, 4),
            N("SMF119SS_SAEndActiveConnCnt", 168, 4),
            N("SMF119SS_SAEndLifeInBytes", 172, 8),
            N("SMF119SS_SAEndLifeOutBytes", 180, 8),
            N("SMF119SS_SAEndLifeInSegDG", 188, 8),
            N("SMF119SS_SAEndLifeOutSegDG", 196, 8),
            N("SMF119SS_SAInitFailedHsConnCnt", 204, 4),
            N("SMF119SS_SAEndFailedHsConnCnt", 208, 4),
        ]),
        // §3.2 TLS section, 116 bytes from 3.2 (36 before).
        new("Tls", 2, 116,
        [
            C("SMF119SS_TLS_Source", 0, 1, "data_source"),
            F("SMF119SS_TLS_CryptoFlags", 1, "tls_crypto_flags"),
            C("SMF119SS_TLS_Prot_Ver", 2, 2, "tls_version"),
            T("SMF119SS_TLS_Neg_Cipher", 4, 6),
            C("SMF119SS_TLS_CS_Enc_Alg", 10, 2, "encryption_algorithm"),
            C("SMF119SS_TLS_CS_Msg_Auth", 12, 2, "message_authentication"),
            C("SMF119SS_TLS_CS_Kex_Alg", 14, 2, "tls_key_exchange"),
            .. CertGroup12("SMF119SS_TLS_", "SCert", 16),
            .. CertGroup12("SMF119SS_TLS_", "CCert", 26),
            new("SMF119SS_TLS_Unknown36", 36, 6, SpecKind.Opaque),
            .. SerialGroup12("SMF119SS_TLS_", "SCert", 42),
            .. SerialGroup12("SMF119SS_TLS_", "CCert", 79),
        ]),
        // §3.3 SSH section, 46 bytes.
        new("Ssh", 3, 46,
        [
            C("SMF119SS_SSH_Source", 0, 1, "data_source"),
            R("SMF119SS_SSH_Unused1", 1, 1),
            C("SMF119SS_SSH_Prot_Ver", 2, 1, "ssh_version"),
            F("SMF119SS_SSH_CryptoFlags", 3, "ssh_crypto_flags"),
            C("SMF119SS_SSH_Auth_Method", 4, 2, "ssh_auth_method"),
            C("SMF119SS_SSH_Auth_Method2", 6, 2, "ssh_auth_method"),
            C("SMF119SS_SSH_In_Enc_Alg", 8, 2, "encryption_algorithm"),
            C("SMF119SS_SSH_In_Msg_Auth", 10, 2, "message_authentication"),
            C("SMF119SS_SSH_Kex_Method", 12, 2, "ssh_key_exchange"),
            C("SMF119SS_SSH_Out_Enc_Alg", 14, 2, "encryption_algorithm"),
            C("SMF119SS_SSH_Out_Msg_Auth", 16, 2, "message_authentication"),
            C("SMF119SS_SSH_SKey_Type", 18, 2, "ssh_key_type"),
            N("SMF119SS_SSH_SKey_Len", 20, 2),
            C("SMF119SS_SSH_CKey_Type", 22, 2, "ssh_key_type"),
            N("SMF119SS_SSH_CKey_Len", 24, 2),
            .. CertGroup12("SMF119SS_SSH_", "SCert", 26),
            .. CertGroup12("SMF119SS_SSH_", "CCert", 36),
        ]),
        // §3.4 IPsec section, 148 bytes from 3.2 (74 before).
        new("Ipsec", 4, 148,
        [
            new("SMF119SS_IPSec_IKEMajVer", 0, 1, SpecKind.Low4),
            new("SMF119SS_IPSec_IKEMinVer", 1, 1, SpecKind.Low4),
            Ip("SMF119SS_IPSec_IKETunLclEndpt", 2),
            Ip("SMF119SS_IPSec_IKETunRmtEndpt", 18),
            C("SMF119SS_IPSec_IKETunLclAuthMeth", 34, 2, "ike_auth_method"),
            C("SMF119SS_IPSec_IKETunRmtAuthMeth", 36, 2, "ike_auth_method"),
            C("SMF119SS_IPSec_IKETunAuthAlg", 38, 2, "message_authentication"),
            C("SMF119SS_IPSec_IKETunEncAlg", 40, 2, "encryption_algorithm"),
            C("SMF119SS_IPSec_IKETunDHGroup", 42, 2, "dh_group"),
            C("SMF119SS_IPSec_IKETunPseudoRandFunc", 44, 2, "ike_prf"),
            C("SMF119SS_IPSec_LclCert_Sign_Meth", 46, 2, "cert_signature_method"),
            C("SMF119SS_IPSec_LclCert_Enc_Meth", 48, 2, "cert_public_key_algorithm"),
            C("SMF119SS_IPSec_LclCert_Digest_Alg", 50, 2, "cert_digest"),
            C("SMF119SS_IPSec_LclCert_Key_Type", 52, 2, "cert_key_type"),
            N("SMF119SS_IPSec_LclCert_Key_Len", 54, 2),
            C("SMF119SS_IPSec_RmtCert_Sign_Meth", 56, 2, "cert_signature_method"),
            C("SMF119SS_IPSec_RmtCert_Enc_Meth", 58, 2, "cert_public_key_algorithm"),
            C("SMF119SS_IPSec_RmtCert_Digest_Alg", 60, 2, "cert_digest"),
            C("SMF119SS_IPSec_RmtCert_Key_Type", 62, 2, "cert_key_type"),
            N("SMF119SS_IPSec_RmtCert_Key_Len", 64, 2),
            C("SMF119SS_IPSec_PFSGroup", 66, 2, "dh_group"),
            C("SMF119SS_IPSec_EncapMode", 68, 1, "encapsulation_mode"),
            C("SMF119SS_IPSec_AuthProto", 69, 1, "ipsec_protocol"),
            C("SMF119SS_IPSec_AuthAlg", 70, 2, "message_authentication"),
            C("SMF119SS_IPSec_EncAlg", 72, 2, "encryption_algorithm"),
            .. SerialGroup12("SMF119SS_IPSec_", "LclCert", 74),
            .. SerialGroup12("SMF119SS_IPSec_", "RmtCert", 111),
        ]),
    ];
}
