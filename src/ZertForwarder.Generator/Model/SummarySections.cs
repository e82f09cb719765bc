using System.Net;

namespace ZertForwarder.Generator.Model;

/// <summary>zERT summary common section, 119-12 S1: 204 bytes, or 212 from z/OS 3.2 (layout §3.1).</summary>
public sealed class SummaryCommonSection
{
    /// <summary>When true the section is 212 bytes and carries the 3.2 failed-handshake counters (S1Len 212).</summary>
    public bool IncludeFailedHandshakeCounters { get; set; }

    /// <summary>SMF119SS_SAIntervalDuration: interval length in TOD units (µs &lt;&lt; 12).</summary>
    public ulong IntervalDuration { get; set; }

    /// <summary>SMF119SS_SAEvent_Type: 1 interval, 2 aggregation enabled, 3 aggregation disabled.</summary>
    public byte EventType { get; set; } = 1;

    /// <summary>SMF119SS_SAFlags: X'80' IPv6, X'40' local server, X'20' local client.</summary>
    public byte Flags { get; set; }

    /// <summary>SMF119SS_SASecProtos: exactly one of X'80' TLS, X'40' SSH, X'20' IPsec, X'00' none.</summary>
    public byte SecurityProtocol { get; set; }

    /// <summary>SMF119SS_SAJobname (8).</summary>
    public string JobName { get; set; } = "";

    /// <summary>SMF119SS_SAUserID (8).</summary>
    public string UserId { get; set; } = "";

    /// <summary>SMF119SS_SAIPProto: 6 TCP, 17 UDP.</summary>
    public byte IpProtocol { get; set; } = 6;

    /// <summary>SMF119SS_SASrvIP.</summary>
    public IPAddress? ServerIp { get; set; }

    /// <summary>SMF119SS_SACltIP.</summary>
    public IPAddress? ClientIp { get; set; }

    /// <summary>SMF119SS_SASrvPortStart.</summary>
    public ushort ServerPortStart { get; set; }

    /// <summary>SMF119SS_SASrvPortEnd.</summary>
    public ushort ServerPortEnd { get; set; }

    /// <summary>SMF119SS_SASessionID (42, EBCDIC): opaque 'p-value' key.</summary>
    public string SessionId { get; set; } = "";

    /// <summary>SMF119SS_SAInitLifeConnCnt.</summary>
    public uint InitConnections { get; set; }

    /// <summary>SMF119SS_SAInitLifePartialConnCnt.</summary>
    public uint InitPartialConnections { get; set; }

    /// <summary>SMF119SS_SAInitLifeShortConnCnt.</summary>
    public uint InitShortConnections { get; set; }

    /// <summary>SMF119SS_SAInitActiveConnCnt.</summary>
    public uint InitActiveConnections { get; set; }

    /// <summary>SMF119SS_SAInitLifeInBytes.</summary>
    public ulong InitInBytes { get; set; }

    /// <summary>SMF119SS_SAInitLifeOutBytes.</summary>
    public ulong InitOutBytes { get; set; }

    /// <summary>SMF119SS_SAInitLifeInSegDG.</summary>
    public ulong InitInSegments { get; set; }

    /// <summary>SMF119SS_SAInitLifeOutSegDG.</summary>
    public ulong InitOutSegments { get; set; }

    /// <summary>SMF119SS_SAEndLifeConnCnt.</summary>
    public uint EndConnections { get; set; }

    /// <summary>SMF119SS_SAEndLifePartialConnCnt.</summary>
    public uint EndPartialConnections { get; set; }

    /// <summary>SMF119SS_SAEndLifeShortConnCnt.</summary>
    public uint EndShortConnections { get; set; }

    /// <summary>SMF119SS_SAEndActiveConnCnt.</summary>
    public uint EndActiveConnections { get; set; }

    /// <summary>SMF119SS_SAEndLifeInBytes.</summary>
    public ulong EndInBytes { get; set; }

    /// <summary>SMF119SS_SAEndLifeOutBytes.</summary>
    public ulong EndOutBytes { get; set; }

    /// <summary>SMF119SS_SAEndLifeInSegDG.</summary>
    public ulong EndInSegments { get; set; }

    /// <summary>SMF119SS_SAEndLifeOutSegDG.</summary>
    public ulong EndOutSegments { get; set; }

    /// <summary>SMF119SS_SAInitFailedHsConnCnt (3.2, written only with <see cref="IncludeFailedHandshakeCounters"/>).</summary>
    public uint InitFailedHandshakes { get; set; }

    /// <summary>SMF119SS_SAEndFailedHsConnCnt (3.2, written only with <see cref="IncludeFailedHandshakeCounters"/>).</summary>
    public uint EndFailedHandshakes { get; set; }
}

/// <summary>TLS protocol attributes section, 119-12 S2: 36 bytes, or 116 from z/OS 3.2 (layout §3.2).</summary>
public sealed class TlsSummarySection
{
    /// <summary>When true the section is 116 bytes with the 3.2 serial/notAfter fields at 42-115 (bytes 36-41 stay zero).</summary>
    public bool IncludeCertificateDetails { get; set; }

    /// <summary>SMF119SS_TLS_Source: 1 observation, 2 CPP.</summary>
    public byte Source { get; set; } = 2;

    /// <summary>SMF119SS_TLS_CryptoFlags: X'80' encrypt-then-MAC.</summary>
    public byte CryptoFlags { get; set; }

    /// <summary>SMF119SS_TLS_Prot_Ver: table V.4.</summary>
    public ushort ProtocolVersion { get; set; }

    /// <summary>SMF119SS_TLS_Neg_Cipher (6): same rules as 119-11.</summary>
    public string NegotiatedCipher { get; set; } = "";

    /// <summary>SMF119SS_TLS_CS_Enc_Alg: table V.5.</summary>
    public ushort CipherEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SS_TLS_CS_Msg_Auth: table V.6.</summary>
    public ushort CipherMessageAuthentication { get; set; }

    /// <summary>SMF119SS_TLS_CS_Kex_Alg: table V.7.</summary>
    public ushort CipherKeyExchange { get; set; }

    /// <summary>SMF119SS_TLS_SCert_*: signature/enc/digest/key type/key length at 16-25; serial and notAfter at 42-78 (3.2).</summary>
    public CertificateAttributes? ServerCertificate { get; set; }

    /// <summary>SMF119SS_TLS_CCert_*: at 26-35; serial and notAfter at 79-115 (3.2).</summary>
    public CertificateAttributes? ClientCertificate { get; set; }
}

/// <summary>SSH protocol attributes section, 119-12 S3, 46 bytes (layout §3.3).</summary>
public sealed class SshSummarySection
{
    /// <summary>SMF119SS_SSH_Source: 1 observation, 2 CPP.</summary>
    public byte Source { get; set; } = 2;

    /// <summary>SMF119SS_SSH_Prot_Ver: 1 or 2; 0 unknown.</summary>
    public byte ProtocolVersion { get; set; } = 2;

    /// <summary>SMF119SS_SSH_CryptoFlags: X'80' EtM inbound, X'40' EtM outbound.</summary>
    public byte CryptoFlags { get; set; }

    /// <summary>SMF119SS_SSH_Auth_Method: table V.17.</summary>
    public ushort AuthMethod { get; set; }

    /// <summary>SMF119SS_SSH_Auth_Method2: table V.17.</summary>
    public ushort AuthMethod2 { get; set; }

    /// <summary>SMF119SS_SSH_In_Enc_Alg: table V.5.</summary>
    public ushort InboundEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SS_SSH_In_Msg_Auth: table V.6.</summary>
    public ushort InboundMessageAuthentication { get; set; }

    /// <summary>SMF119SS_SSH_Kex_Method: table V.18.</summary>
    public ushort KeyExchangeMethod { get; set; }

    /// <summary>SMF119SS_SSH_Out_Enc_Alg: table V.5.</summary>
    public ushort OutboundEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SS_SSH_Out_Msg_Auth: table V.6.</summary>
    public ushort OutboundMessageAuthentication { get; set; }

    /// <summary>SMF119SS_SSH_SKey_Type: table V.16.</summary>
    public ushort ServerKeyType { get; set; }

    /// <summary>SMF119SS_SSH_SKey_Len.</summary>
    public ushort ServerKeyLength { get; set; }

    /// <summary>SMF119SS_SSH_CKey_Type: table V.16.</summary>
    public ushort ClientKeyType { get; set; }

    /// <summary>SMF119SS_SSH_CKey_Len.</summary>
    public ushort ClientKeyLength { get; set; }

    /// <summary>SMF119SS_SSH_SCert_*: signature/enc/digest/key type/key length at 26-35 (serial/notAfter are not in 119-12 SSH).</summary>
    public CertificateAttributes? ServerCertificate { get; set; }

    /// <summary>SMF119SS_SSH_CCert_*: at 36-45.</summary>
    public CertificateAttributes? ClientCertificate { get; set; }
}

/// <summary>IPsec protocol attributes section, 119-12 S4: 74 bytes, or 148 from z/OS 3.2 (layout §3.4).</summary>
public sealed class IpsecSummarySection
{
    /// <summary>When true the section is 148 bytes with the 3.2 local/remote certificate serial and notAfter at 74-147.</summary>
    public bool IncludeCertificateDetails { get; set; }

    /// <summary>SMF119SS_IPSec_IKEMajVer.</summary>
    public byte IkeMajorVersion { get; set; }

    /// <summary>SMF119SS_IPSec_IKEMinVer.</summary>
    public byte IkeMinorVersion { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunLclEndpt.</summary>
    public IPAddress? IkeLocalEndpoint { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunRmtEndpt.</summary>
    public IPAddress? IkeRemoteEndpoint { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunLclAuthMeth: table V.19.</summary>
    public ushort IkeLocalAuthMethod { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunRmtAuthMeth: table V.19.</summary>
    public ushort IkeRemoteAuthMethod { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunAuthAlg: table V.6.</summary>
    public ushort IkeAuthAlgorithm { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunEncAlg: table V.5.</summary>
    public ushort IkeEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunDHGroup: table V.20.</summary>
    public ushort IkeDhGroup { get; set; }

    /// <summary>SMF119SS_IPSec_IKETunPseudoRandFunc: table V.21.</summary>
    public ushort IkePseudoRandomFunction { get; set; }

    /// <summary>SMF119SS_IPSec_LclCert_*: sign/enc/digest/key type/key length at 46-55; serial and notAfter at 74-110 (3.2).</summary>
    public CertificateAttributes? LocalCertificate { get; set; }

    /// <summary>SMF119SS_IPSec_RmtCert_*: at 56-65; serial and notAfter at 111-147 (3.2).</summary>
    public CertificateAttributes? RemoteCertificate { get; set; }

    /// <summary>SMF119SS_IPSec_PFSGroup: table V.20.</summary>
    public ushort PfsGroup { get; set; }

    /// <summary>SMF119SS_IPSec_EncapMode: 1 tunnel, 2 transport.</summary>
    public byte EncapsulationMode { get; set; } = 1;

    /// <summary>SMF119SS_IPSec_AuthProto: 50 ESP, 51 AH.</summary>
    public byte AuthProtocol { get; set; } = 50;

    /// <summary>SMF119SS_IPSec_AuthAlg: table V.6.</summary>
    public ushort AuthAlgorithm { get; set; }

    /// <summary>SMF119SS_IPSec_EncAlg: table V.5.</summary>
    public ushort EncryptionAlgorithm { get; set; }
}
