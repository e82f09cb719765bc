using System.Net;

namespace ZertForwarder.Generator.Model;

/// <summary>zERT connection detail common section, 119-11 S1, 128 bytes (layout §2.1).</summary>
public sealed class ConnectionCommonSection
{
    /// <summary>SMF119SC_SAEvent_Type: table V.2 (1 init, 2 change, 3 term, 4 short term, 5 enabled, 6 disabled, 7 enforcement).</summary>
    public byte EventType { get; set; } = 1;

    /// <summary>SMF119SC_SASecProtos: X'80' TLS/SSL, X'40' SSH, X'20' IPsec (any combination), X'00' none.</summary>
    public byte SecurityProtocols { get; set; }

    /// <summary>SMF119SC_SAFlags: X'80' IPv6, X'40' AT-TLS bypass, X'20' reset by enforcement, X'10' local server, X'08' local client (table V.3).</summary>
    public byte Flags { get; set; }

    /// <summary>SMF119SC_SASecFlags: X'80' IP security enabled, X'40' IPv6 IP security enabled, X'20' IP filtering applied.</summary>
    public byte SecurityFlags { get; set; }

    /// <summary>SMF119SC_SAIPProto: 6 TCP, 17 UDP (Enterprise Extender).</summary>
    public byte IpProtocol { get; set; } = 6;

    /// <summary>SMF119SC_SAJobname (8).</summary>
    public string JobName { get; set; } = "";

    /// <summary>SMF119SC_SAJobID (8), e.g. <c>STC01234</c>.</summary>
    public string JobId { get; set; } = "";

    /// <summary>SMF119SC_SAUserID (8).</summary>
    public string UserId { get; set; } = "";

    /// <summary>SMF119SC_SASTime: connection start, hundredths since UTC midnight.</summary>
    public uint StartTime { get; set; }

    /// <summary>SMF119SC_SASDate: connection start date (UTC), packed 0cyydddF; null writes zero.</summary>
    public DateOnly? StartDate { get; set; }

    /// <summary>SMF119SC_SAETime: connection end, hundredths since UTC midnight (termination events only).</summary>
    public uint EndTime { get; set; }

    /// <summary>SMF119SC_SAEDate: connection end date (UTC); null writes zero ("not set").</summary>
    public DateOnly? EndDate { get; set; }

    /// <summary>SMF119SC_SARIP: remote address. IPv4 when the IPv6 flag is off, IPv6 (possibly IPv4-mapped) when on; null writes zeros.</summary>
    public IPAddress? RemoteIp { get; set; }

    /// <summary>SMF119SC_SALIP: local address, same rule as <see cref="RemoteIp"/>.</summary>
    public IPAddress? LocalIp { get; set; }

    /// <summary>SMF119SC_SARPort.</summary>
    public ushort RemotePort { get; set; }

    /// <summary>SMF119SC_SALPort.</summary>
    public ushort LocalPort { get; set; }

    /// <summary>SMF119SC_SAConnID: TCP connection ID.</summary>
    public uint ConnectionId { get; set; }

    /// <summary>SMF119SC_SAInBytes.</summary>
    public ulong InBytes { get; set; }

    /// <summary>SMF119SC_SAOutBytes.</summary>
    public ulong OutBytes { get; set; }

    /// <summary>SMF119SC_SAInSegDG: inbound segments / datagrams.</summary>
    public ulong InSegments { get; set; }

    /// <summary>SMF119SC_SAOutSegDG: outbound segments / datagrams.</summary>
    public ulong OutSegments { get; set; }

    /// <summary>Sets <see cref="StartTime"/>/<see cref="StartDate"/> from a UTC instant.</summary>
    public void SetStart(DateTime utc) { (StartTime, var date) = Encoding.SmfTimeEncoding.Split(utc); StartDate = date; }

    /// <summary>Sets <see cref="EndTime"/>/<see cref="EndDate"/> from a UTC instant.</summary>
    public void SetEnd(DateTime utc) { (EndTime, var date) = Encoding.SmfTimeEncoding.Split(utc); EndDate = date; }
}

/// <summary>IP filter section, 119-11 S2, 100 bytes (layout §2.2).</summary>
public sealed class IpFilterSection
{
    /// <summary>SMF119SC_IPFlt_OutAct: table V.10 (0 no rule, 1 permit clear, 2 permit with IPsec, 3 deny).</summary>
    public byte OutboundAction { get; set; }

    /// <summary>SMF119SC_IPFlt_InbAct: table V.10.</summary>
    public byte InboundAction { get; set; }

    /// <summary>SMF119SC_IPFlt_OutRuleName (40).</summary>
    public string OutboundRuleName { get; set; } = "";

    /// <summary>SMF119SC_IPFlt_OutRuleExt (8).</summary>
    public string OutboundRuleExtension { get; set; } = "";

    /// <summary>SMF119SC_IPFlt_InRuleName (40).</summary>
    public string InboundRuleName { get; set; } = "";

    /// <summary>SMF119SC_IPFlt_InRuleExt (8).</summary>
    public string InboundRuleExtension { get; set; } = "";
}

/// <summary>TLS protocol attributes section, 119-11 S3, 168 bytes (layout §2.3).</summary>
public sealed class TlsConnectionSection
{
    /// <summary>SMF119SC_TLS_Prot_Ver: table V.4 (X'0300' SSLv3 … X'0304' TLS 1.3, X'0200' SSLv2, 0 unknown/failed).</summary>
    public ushort ProtocolVersion { get; set; }

    /// <summary>SMF119SC_TLS_Source: 1 stream observation, 2 cryptographic protocol provider.</summary>
    public byte Source { get; set; } = 2;

    /// <summary>SMF119SC_TLS_Handshake_Type: 1 full, 2 abbreviated, 3 failed (3.2).</summary>
    public byte HandshakeType { get; set; } = 1;

    /// <summary>SMF119SC_TLS_Handshake_Role: 0 unknown, 1 client, 2 server, 3 server with client authentication.</summary>
    public byte HandshakeRole { get; set; }

    /// <summary>SMF119SC_TLS_Session_ID (left aligned, ≤ 32 bytes); SMF119SC_TLS_Session_ID_Len is its length.</summary>
    public byte[] SessionId { get; set; } = [];

    /// <summary>SMF119SC_TLS_Protocol_Provider (16): <c>Observation</c> or the CPP name, e.g. <c>IBM System SSL</c>.</summary>
    public string ProtocolProvider { get; set; } = "";

    /// <summary>SMF119SC_TLS_Neg_Cipher (6): 4 hex chars + 2 blanks (SSLv3+), 6 chars (SSLv2), or <c>FFFFFF</c> (failed, 3.2).</summary>
    public string NegotiatedCipher { get; set; } = "";

    /// <summary>SMF119SC_TLS_CS_Enc_Alg: table V.5.</summary>
    public ushort CipherEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SC_TLS_CS_Msg_Auth: table V.6.</summary>
    public ushort CipherMessageAuthentication { get; set; }

    /// <summary>SMF119SC_TLS_CS_Kex_Alg: table V.7.</summary>
    public ushort CipherKeyExchange { get; set; }

    /// <summary>SMF119SC_TLS_FIPS_Mode: table V.8.</summary>
    public byte FipsMode { get; set; }

    /// <summary>SMF119SC_TLS_CryptoFlags: X'80' encrypt-then-MAC.</summary>
    public byte CryptoFlags { get; set; }

    /// <summary>SMF119SC_TLS_SCert_*: server certificate group at offset 72; null writes zeros.</summary>
    public CertificateAttributes? ServerCertificate { get; set; }

    /// <summary>SMF119SC_TLS_CCert_*: client certificate group at offset 120; null writes zeros.</summary>
    public CertificateAttributes? ClientCertificate { get; set; }
}

/// <summary>SSH protocol attributes section, 119-11 S4, 284 bytes (layout §2.4).</summary>
public sealed class SshConnectionSection
{
    /// <summary>SMF119SC_SSH_Prot_Ver: 1 or 2; 0 unknown (3.2, failed handshake).</summary>
    public byte ProtocolVersion { get; set; } = 2;

    /// <summary>SMF119SC_SSH_Source: 1 stream observation, 2 CPP.</summary>
    public byte Source { get; set; } = 2;

    /// <summary>SMF119SC_SSH_FIPS_Mode: table V.8.</summary>
    public byte FipsMode { get; set; }

    /// <summary>SMF119SC_SSH_CryptoFlags: X'80' EtM inbound, X'40' EtM outbound.</summary>
    public byte CryptoFlags { get; set; }

    /// <summary>SMF119SC_SSH_Flags (3.2, offset 4): X'80' handshake failed.</summary>
    public byte SshFlags { get; set; }

    /// <summary>SMF119SC_SSH_Comp (8): SFTPS, SFTPC, SCPS, SCPC, SSH, SSHD.</summary>
    public string Component { get; set; } = "";

    /// <summary>SMF119SC_SSH_Protocol_Provider (16): <c>Observation</c> or <c>IBM OpenSSH</c>.</summary>
    public string ProtocolProvider { get; set; } = "";

    /// <summary>SMF119SC_SSH_Auth_Method: table V.17.</summary>
    public ushort AuthMethod { get; set; }

    /// <summary>SMF119SC_SSH_Auth_Method2: table V.17.</summary>
    public ushort AuthMethod2 { get; set; }

    /// <summary>SMF119SC_SSH_In_Enc_Alg: table V.5.</summary>
    public ushort InboundEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SC_SSH_In_Msg_Auth: table V.6.</summary>
    public ushort InboundMessageAuthentication { get; set; }

    /// <summary>SMF119SC_SSH_Kex_Method: table V.18.</summary>
    public ushort KeyExchangeMethod { get; set; }

    /// <summary>SMF119SC_SSH_Out_Enc_Alg: table V.5.</summary>
    public ushort OutboundEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SC_SSH_Out_Msg_Auth: table V.6.</summary>
    public ushort OutboundMessageAuthentication { get; set; }

    /// <summary>SMF119SC_SSH_SKey_Type: table V.16.</summary>
    public ushort ServerKeyType { get; set; }

    /// <summary>SMF119SC_SSH_SKey_Len: bits.</summary>
    public ushort ServerKeyLength { get; set; }

    /// <summary>SMF119SC_SSH_CKey_Type: table V.16.</summary>
    public ushort ClientKeyType { get; set; }

    /// <summary>SMF119SC_SSH_CKey_Len: bits.</summary>
    public ushort ClientKeyLength { get; set; }

    /// <summary>SMF119SC_SSH_SKey_FP (≤ 64 bytes, left aligned); SMF119SC_SSH_SKey_FPLen is its length.</summary>
    public byte[] ServerKeyFingerprint { get; set; } = [];

    /// <summary>SMF119SC_SSH_CKey_FP (≤ 64 bytes, left aligned); SMF119SC_SSH_CKey_FPLen is its length.</summary>
    public byte[] ClientKeyFingerprint { get; set; } = [];

    /// <summary>SMF119SC_SSH_SCert_*: server X.509 certificate group at offset 188; null writes zeros.</summary>
    public CertificateAttributes? ServerCertificate { get; set; }

    /// <summary>SMF119SC_SSH_CCert_*: client X.509 certificate group at offset 236; null writes zeros.</summary>
    public CertificateAttributes? ClientCertificate { get; set; }
}

/// <summary>IPsec protocol attributes section, 119-11 S5, 236 bytes (layout §2.5).</summary>
public sealed class IpsecConnectionSection
{
    /// <summary>SMF119SC_IPSec_IKETunID.</summary>
    public uint IkeTunnelId { get; set; }

    /// <summary>SMF119SC_IPSec_IKEMajVer: 1 IKEv1, 2 IKEv2.</summary>
    public byte IkeMajorVersion { get; set; }

    /// <summary>SMF119SC_IPSec_IKEMinVer.</summary>
    public byte IkeMinorVersion { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunKeyExchRule (48).</summary>
    public string IkeKeyExchangeRule { get; set; } = "";

    /// <summary>SMF119SC_IPSec_IKETunLclEndpt (IPv4/IPv6 by the common section's IPv6 flag).</summary>
    public IPAddress? IkeLocalEndpoint { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunRmtEndpt.</summary>
    public IPAddress? IkeRemoteEndpoint { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunLclAuthMeth: table V.19.</summary>
    public ushort IkeLocalAuthMethod { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunRmtAuthMeth: table V.19.</summary>
    public ushort IkeRemoteAuthMethod { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunAuthAlg: table V.6.</summary>
    public ushort IkeAuthAlgorithm { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunEncAlg: table V.5.</summary>
    public ushort IkeEncryptionAlgorithm { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunDHGroup: table V.20.</summary>
    public ushort IkeDhGroup { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunPseudoRandFunc: table V.21.</summary>
    public ushort IkePseudoRandomFunction { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunLifesize (KB).</summary>
    public uint IkeLifesize { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunLifetime (minutes).</summary>
    public uint IkeLifetime { get; set; }

    /// <summary>SMF119SC_IPSec_IKETunReauthIntvl (minutes).</summary>
    public uint IkeReauthInterval { get; set; }

    /// <summary>SMF119SC_IPSec_LclCert_*: local IKE certificate group at offset 112; null writes zeros.</summary>
    public CertificateAttributes? LocalCertificate { get; set; }

    /// <summary>SMF119SC_IPSec_RmtCert_*: remote IKE certificate group at offset 160; null writes zeros.</summary>
    public CertificateAttributes? RemoteCertificate { get; set; }

    /// <summary>SMF119SC_IPSec_TunID.</summary>
    public uint TunnelId { get; set; }

    /// <summary>SMF119SC_IPSec_TunFlags: X'80' IPv6 endpoints, X'40' FIPS 140.</summary>
    public byte TunnelFlags { get; set; }

    /// <summary>SMF119SC_IPSec_TunType: 1 manual, 2 dynamic, 3 shadow.</summary>
    public byte TunnelType { get; set; } = 2;

    /// <summary>SMF119SC_IPSec_TunState: 1 active, 2 manual inactive.</summary>
    public byte TunnelState { get; set; } = 1;

    /// <summary>SMF119SC_IPSec_EncapMode: 1 tunnel, 2 transport.</summary>
    public byte EncapsulationMode { get; set; } = 1;

    /// <summary>SMF119SC_IPSec_AuthProto: 50 ESP, 51 AH.</summary>
    public byte AuthProtocol { get; set; } = 50;

    /// <summary>SMF119SC_IPSec_AuthAlg: table V.6.</summary>
    public ushort AuthAlgorithm { get; set; }

    /// <summary>SMF119SC_IPSec_EncAlg: table V.5.</summary>
    public ushort EncryptionAlgorithm { get; set; }

    /// <summary>SMF119SC_IPSec_PFSGroup: table V.20.</summary>
    public ushort PfsGroup { get; set; }

    /// <summary>SMF119SC_IPSec_Lifesize (KB).</summary>
    public uint Lifesize { get; set; }

    /// <summary>SMF119SC_IPSec_Lifetime (minutes).</summary>
    public uint Lifetime { get; set; }

    /// <summary>SMF119SC_IPSec_VPNLifeExpire (minutes; 0 unlimited).</summary>
    public uint VpnLifeExpire { get; set; }
}
