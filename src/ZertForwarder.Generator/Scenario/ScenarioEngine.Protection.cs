using ZertForwarder.Generator.Encoding;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

// Protection: the TLS, SSH and IPsec sections of a connection, its certificate names and the enforcement sections.
internal sealed partial class ScenarioEngine
{
    private void BuildProtection(Connection conn, ArrivalPlan plan, ref bool isShort, ref bool lateTls)
    {
        var app = conn.App;
        var zos32 = conn.Stack.System.IsZos32;
        switch (app.Kind)
        {
            case AppKind.CicsHttps:
            case AppKind.Db2Tls:
            case AppKind.MqChannel:
            case AppKind.Tn3270Tls:
                if (plan.Failed || (zos32 && plan.TlsVersion is null && _rng.Chance(0.03)))
                {
                    SetFailedTls(conn);
                    isShort = true;
                    break;
                }

                var clientAuthProbability = app.Kind switch { AppKind.MqChannel => 0.9, AppKind.Db2Tls => 0.25, AppKind.Tn3270Tls => 0.15, _ => 0.1 };
                SetTls(conn, source: 2, plan.TlsVersion ?? ServerVersion(app.Kind), plan.ClientAuth ?? _rng.Chance(clientAuthProbability), plan.LargeNames, sticky: plan.TlsVersion is null);
                break;
            case AppKind.FtpControl:
                var roll = _rng.NextDouble();
                if (plan.Change || roll < 0.15)
                {
                    lateTls = true; // AUTH TLS after the init record: cleartext first, change record later
                }
                else if (roll < 0.75)
                {
                    SetTls(conn, 2, plan.TlsVersion ?? ServerVersion(app.Kind), false, plan.LargeNames, sticky: plan.TlsVersion is null);
                }

                break;
            case AppKind.SshdServer:
                if (plan.Failed || (zos32 && plan.Observation is null && _rng.Chance(0.04)))
                {
                    conn.Ssh = new SshConnectionSection { ProtocolVersion = 0, Source = 2, ProtocolProvider = "IBM OpenSSH", SshFlags = 0x80, Component = "" };
                    conn.FailedHandshake = true;
                    isShort = true;
                    break;
                }

                SetSsh(conn, plan.Observation ?? _rng.Chance(0.25), plan.X509 ?? _rng.Chance(0.1), plan.LargeNames);
                break;
            case AppKind.OutboundSftp:
                SetSsh(conn, false, plan.X509 ?? _rng.Chance(0.2), plan.LargeNames);
                break;
            case AppKind.LegacyWeb:
                SetTls(conn, source: 1, plan.TlsVersion ?? LegacyVersion(), false, false, sticky: plan.TlsVersion is null);
                break;
            case AppKind.OutboundHttps:
                SetTls(conn, 2, plan.TlsVersion ?? (_rng.Chance(0.5) ? (ushort)0x0304 : (ushort)0x0303), false, plan.LargeNames, sticky: plan.TlsVersion is null);
                break;
            case AppKind.Db2OverIpsec:
                SetIpsec(conn, ikeVersion: 1, tunnelMode: false, manual: false, certificates: false, plan.LargeNames);
                break;
            case AppKind.MqOverIpsec:
                SetTls(conn, 2, plan.TlsVersion ?? (ushort)0x0303, true, plan.LargeNames, sticky: plan.TlsVersion is null);
                SetIpsec(conn, ikeVersion: 2, tunnelMode: true, manual: false, certificates: true, plan.LargeNames);
                break;
            case AppKind.EnterpriseExtender:
                if (plan.Ipsec ?? _rng.Chance(0.6))
                {
                    SetIpsec(conn, ikeVersion: 2, tunnelMode: false, manual: false, certificates: true, plan.LargeNames);
                }

                break;
            case AppKind.ManualTunnel:
                SetIpsec(conn, ikeVersion: 0, tunnelMode: false, manual: true, certificates: false, false);
                break;
            default:
                break; // cleartext: Db2Clear, Tn3270Clear, HttpClear
        }
    }

    private ushort ServerVersion(AppKind kind)
    {
        var r = _rng.NextDouble();
        if (kind == AppKind.Tn3270Tls)
        {
            return r < 0.25 ? (ushort)0x0304 : r < 0.7 ? (ushort)0x0303 : r < 0.8 ? (ushort)0x0302 : (ushort)0x0301;
        }

        return r < 0.35 ? (ushort)0x0304 : r < 0.87 ? (ushort)0x0303 : r < 0.92 ? (ushort)0x0302 : (ushort)0x0301;
    }

    private ushort LegacyVersion()
    {
        var r = _rng.NextDouble();
        return r < 0.08 ? (ushort)0x0200 : r < 0.23 ? (ushort)0x0300 : r < 0.48 ? (ushort)0x0301 : r < 0.58 ? (ushort)0x0302 : r < 0.93 ? (ushort)0x0303 : (ushort)0x0304;
    }

    private void SetFailedTls(Connection conn)
    {
        // Layout §2.3, 3.2 rule: only Source, Protocol_Provider and Neg_Cipher ('FFFFFF') are set.
        conn.Tls = new TlsConnectionSection { ProtocolVersion = 0, Source = 2, HandshakeType = 3, HandshakeRole = 0, ProtocolProvider = "IBM System SSL", NegotiatedCipher = "FFFFFF" };
        conn.FailedHandshake = true;
    }

    private void SetTls(Connection conn, byte source, ushort version, bool clientAuth, bool largeNames, bool sticky)
    {
        CertificateIdentity? serverCert;
        CertificateIdentity? clientCert = null;
        if (conn.LocalServer)
        {
            serverCert = conn.App.ServerCertificate;
            if (clientAuth)
            {
                clientCert = _rng.Pick(_topology.ClientCertificates);
            }
        }
        else
        {
            serverCert = conn.App.Kind == AppKind.OutboundHttps
                ? _topology.HttpsPartnerCertificates[_topology.HttpsPartners.IndexOf(conn.RemoteIp)]
                : _topology.DrQueueManagerCertificate;
            if (clientAuth)
            {
                clientCert = _topology.IkeCertificates.TryGetValue(conn.Stack, out var own) ? own : _topology.ClientCertificates[0];
            }
        }

        var ecKey = serverCert?.Attributes.KeyType == 5;
        CipherSuite suite;
        // A given client usually negotiates the same version and suite with a given server, which is what lets
        // 119-12 aggregate many connections into one security session.
        var preferenceKey = $"{conn.App.JobName}|{conn.Stack.Name}|{conn.Stack.System.SmfId}|{(conn.LocalServer ? conn.RemoteIp : conn.LocalIp)}|{conn.LocalServer}";
        if (sticky && _tlsPreferences.TryGetValue(preferenceKey, out var preference) && _rng.Chance(0.85))
        {
            (version, suite) = preference;
        }
        else
        {
            var suites = CipherSuiteCatalog.ForVersion(version);
            do
            {
                // TLS 1.0-1.2 suites name the certificate's key type (ECDSA vs RSA); TLS 1.3 and SSL suites do not here.
                suite = _rng.Pick(suites);
            }
            while (version is >= 0x0301 and <= 0x0303 && suite.NeedsEcKey != ecKey);
            if (sticky)
            {
                _tlsPreferences[preferenceKey] = (version, suite);
            }
        }

        var cpp = source == 2;
        var tls = new TlsConnectionSection
        {
            ProtocolVersion = version,
            Source = source,
            HandshakeType = _rng.Chance(0.2) ? (byte)2 : (byte)1,
            HandshakeRole = conn.LocalServer ? (clientAuth ? (byte)3 : (byte)2) : (byte)1,
            SessionId = cpp ? RandomBytes(version == 0x0200 ? 16 : 32) : [],
            ProtocolProvider = cpp ? "IBM System SSL" : "Observation",
            NegotiatedCipher = suite.Code,
            CipherEncryptionAlgorithm = suite.Encryption,
            CipherMessageAuthentication = suite.Mac,
            CipherKeyExchange = suite.KeyExchange,
            FipsMode = cpp && conn.Stack.System.SmfId == "PRD1" ? (byte)1 : (byte)0,
            CryptoFlags = suite.Cbc && version is >= 0x0301 and <= 0x0303 && _rng.Chance(0.15) ? (byte)0x80 : (byte)0,
            ServerCertificate = cpp ? serverCert?.Attributes : null,
            ClientCertificate = cpp && clientAuth ? clientCert?.Attributes : null,
        };
        conn.Tls = tls;
        if (cpp && serverCert is not null)
        {
            // Layout V.9: 5/6 server subject/issuer, 7/8 client subject/issuer.
            AddNames(conn, serverCert, 5, largeNames);
            if (clientAuth && clientCert is not null)
            {
                AddNames(conn, clientCert, 7, largeNames);
            }
        }
    }

    private void SetSsh(Connection conn, bool observation, bool x509, bool largeNames)
    {
        if (observation)
        {
            conn.Ssh = new SshConnectionSection { ProtocolVersion = _rng.Chance(0.05) ? (byte)1 : (byte)2, Source = 1, ProtocolProvider = "Observation" };
            return;
        }

        var server = conn.LocalServer;
        var auth = _rng.Pick(AuthMethods);
        var publicKey = auth.First == 3 || auth.Second == 3;
        var cipher = _rng.Pick(SshCiphers);
        var mac = _rng.Pick(SshMacs);
        var serverKey = _rng.Pick(SshServerKeys);
        var clientKey = publicKey ? _rng.Pick(SshClientKeys) : (Type: (ushort)0, Bits: (ushort)0);
        var ssh = new SshConnectionSection
        {
            ProtocolVersion = 2,
            Source = 2,
            FipsMode = conn.Stack.System.SmfId == "PRD1" ? (byte)1 : (byte)0,
            CryptoFlags = _rng.Chance(0.3) ? (byte)0xC0 : (byte)0,
            Component = server ? _rng.Pick(ServerComponents) : _rng.Pick(ClientComponents),
            ProtocolProvider = "IBM OpenSSH",
            AuthMethod = auth.First,
            AuthMethod2 = auth.Second,
            InboundEncryptionAlgorithm = cipher,
            OutboundEncryptionAlgorithm = cipher,
            InboundMessageAuthentication = mac,
            OutboundMessageAuthentication = mac,
            KeyExchangeMethod = _rng.Pick(SshKex),
            ServerKeyType = serverKey.Type,
            ServerKeyLength = serverKey.Bits,
            ClientKeyType = clientKey.Type,
            ClientKeyLength = clientKey.Bits,
            ServerKeyFingerprint = _topology.HostKeyFingerprints[conn.Stack],
            ClientKeyFingerprint = publicKey ? _rng.Pick(_topology.ClientKeyFingerprints) : [],
        };
        if (x509)
        {
            // X.509 authentication: certificate groups plus DN types 9-12 (layout V.9).
            var serverCert = server ? (conn.App.ServerCertificate ?? _topology.HttpsPartnerCertificates[2]) : _topology.HttpsPartnerCertificates[2];
            var clientCert = _rng.Pick(_topology.ClientCertificates);
            ssh.ServerCertificate = serverCert.Attributes;
            ssh.ClientCertificate = clientCert.Attributes;
            ssh.ServerKeyType = serverCert.Attributes.KeyType == 5 ? (ushort)5 : (ushort)2;
            ssh.ServerKeyLength = serverCert.Attributes.KeyLength;
            AddNames(conn, serverCert, 9, largeNames);
            AddNames(conn, clientCert, 11, largeNames);
        }

        conn.Ssh = ssh;
    }

    // V.17 auth (first, second), V.5 ciphers (0 = AES/ChaCha beyond the truncated table, 4 = 3DES), V.6 MACs, V.18 kex, V.16 keys.
    private static readonly (ushort First, ushort Second)[] AuthMethods = [(2, 0), (3, 0), (3, 0), (8, 0), (3, 2), (3, 8)];
    private static readonly ushort[] SshCiphers = [0, 0, 0, 4];
    private static readonly ushort[] SshMacs = [4, 4, 3, 0];
    private static readonly ushort[] SshKex = [2, 3, 4, 5, 6, 0];
    private static readonly (ushort Type, ushort Bits)[] SshServerKeys = [(2, 2048), (2, 3072), (2, 4096), (5, 256), (5, 384)];
    private static readonly (ushort Type, ushort Bits)[] SshClientKeys = [(2, 2048), (2, 4096), (7, 2048), (5, 256), (5, 521)];
    private static readonly string[] ServerComponents = ["SSHD", "SFTPS", "SFTPS", "SCPS"];
    private static readonly string[] ClientComponents = ["SFTPC", "SFTPC", "SCPC", "SSH"];

    private void SetIpsec(Connection conn, int ikeVersion, bool tunnelMode, bool manual, bool certificates, bool largeNames)
    {
        var stack = conn.Stack;
        var ipsec = new IpsecConnectionSection
        {
            TunnelId = ++_tunnelCounter,
            TunnelFlags = (byte)((conn.Ipv6 ? 0x80 : 0) | (stack.System.SmfId == "PRD1" ? 0x40 : 0)),
            TunnelType = manual ? (byte)1 : stack.System.SmfId == "SYSA" && _rng.Chance(0.1) ? (byte)3 : (byte)2,
            TunnelState = 1,
            EncapsulationMode = tunnelMode ? (byte)1 : (byte)2,
        };
        if (manual)
        {
            // Manual tunnel: IKE half zero (layout §2.5), AH with HMAC-SHA1, no lifetimes.
            ipsec.AuthProtocol = 51;
            ipsec.AuthAlgorithm = 4;
            ipsec.EncryptionAlgorithm = 1;
            conn.Ipsec = ipsec;
            return;
        }

        var ah = ikeVersion == 1 && _rng.Chance(0.1);
        ipsec.IkeTunnelId = 0x1000 + (uint)_rng.Next(0x4000);
        ipsec.IkeMajorVersion = (byte)ikeVersion;
        ipsec.IkeMinorVersion = 0;
        ipsec.IkeKeyExchangeRule = ikeVersion == 1 ? "KEYEX_PARTNER_DB2_IKEV1" : $"KEYEX_DRSITE_{stack.System.SmfId}_IKEV2";
        ipsec.IkeLocalEndpoint = conn.LocalIp;
        ipsec.IkeRemoteEndpoint = tunnelMode && !conn.Ipv6 ? _vpnGateway : conn.RemoteIp;
        ipsec.AuthProtocol = ah ? (byte)51 : (byte)50;
        if (ikeVersion == 1)
        {
            ipsec.IkeLocalAuthMethod = ipsec.IkeRemoteAuthMethod = 3; // pre-shared key
            ipsec.IkeAuthAlgorithm = _rng.Chance(0.7) ? (ushort)4 : (ushort)3;
            ipsec.IkeEncryptionAlgorithm = _rng.Chance(0.5) ? (ushort)4 : (ushort)0;
            ipsec.IkeDhGroup = _rng.Pick(DhGroupsV1);
            ipsec.IkePseudoRandomFunction = ipsec.IkeAuthAlgorithm == 3 ? (ushort)6 : (ushort)0;
            ipsec.IkeLifetime = 480;
            ipsec.IkeReauthInterval = 1_440;
            ipsec.AuthAlgorithm = 4;
            ipsec.EncryptionAlgorithm = ah ? (ushort)1 : _rng.Chance(0.5) ? (ushort)4 : (ushort)0;
            ipsec.PfsGroup = _rng.Chance(0.5) ? (ushort)0 : (ushort)2;
            ipsec.Lifetime = 240;
        }
        else
        {
            var ecdsa = _topology.IkeCertificates.TryGetValue(stack, out var own) && own.Attributes.KeyType == 5;
            ipsec.IkeLocalAuthMethod = ecdsa ? (ushort)4 : (ushort)2;
            ipsec.IkeRemoteAuthMethod = 2;
            ipsec.IkeAuthAlgorithm = 0;
            ipsec.IkeEncryptionAlgorithm = 0;
            ipsec.IkeDhGroup = _rng.Pick(DhGroupsV2);
            ipsec.IkePseudoRandomFunction = _rng.Chance(0.7) ? (ushort)2 : (ushort)3;
            ipsec.IkeLifesize = _rng.Chance(0.3) ? 1_048_576u : 0u;
            ipsec.IkeLifetime = 1_440;
            ipsec.IkeReauthInterval = 1_440;
            ipsec.AuthAlgorithm = 1; // AES-GCM ESP: integrated integrity
            ipsec.EncryptionAlgorithm = 0;
            ipsec.PfsGroup = ipsec.IkeDhGroup;
            ipsec.Lifetime = 480;
            ipsec.Lifesize = _rng.Chance(0.2) ? 4_194_304u : 0u;
        }

        if (certificates && _topology.IkeCertificates.TryGetValue(stack, out var local))
        {
            var remote = _rng.Pick(_topology.IkePeerCertificates);
            ipsec.LocalCertificate = local.Attributes;
            ipsec.RemoteCertificate = remote.Attributes;
            ipsec.IkeRemoteAuthMethod = remote.Attributes.KeyType == 5 ? (ushort)4 : (ushort)2;
            // Layout V.9: 1/2 local subject/issuer, 3/4 remote subject/issuer.
            AddNames(conn, local, 1, largeNames);
            AddNames(conn, remote, 3, largeNames);
        }

        conn.Ipsec = ipsec;
    }

    private static readonly ushort[] DhGroupsV1 = [2, 5, 14];
    private static readonly ushort[] DhGroupsV2 = [14, 19, 20, 21];

    private void AddNames(Connection conn, CertificateIdentity cert, ushort subjectType, bool large)
    {
        if (large)
        {
            conn.Names.Add(new DistinguishedNameEntry(subjectType, _pki.LongName(CommonName(cert.Subject))));
            conn.Names.Add(new DistinguishedNameEntry((ushort)(subjectType + 1), _pki.LongName(CommonName(cert.Issuer))));
        }
        else
        {
            conn.Names.Add(new DistinguishedNameEntry(subjectType, cert.Subject));
            conn.Names.Add(new DistinguishedNameEntry((ushort)(subjectType + 1), cert.Issuer));
        }
    }

    private static string CommonName(string dn)
    {
        var comma = dn.IndexOf(',', StringComparison.Ordinal);
        return (comma < 0 ? dn : dn[..comma]).Replace("CN=", "", StringComparison.Ordinal);
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _rng.NextBytes(bytes);
        return bytes;
    }

    private static byte[] EnforcementSection(string rule, string action)
    {
        // Layout §2.6: field layout unknown; IBM hints at a 48-byte rule name. Raw: rule(48) action(48) reserved(8).
        var bytes = new byte[104];
        EbcdicText.WritePadded(bytes.AsSpan(0, 48), rule);
        EbcdicText.WritePadded(bytes.AsSpan(48, 48), action);
        return bytes;
    }
}
