using static ZertForwarder.Mapping.Tests.Support.SpecRecordBuilder;

namespace ZertForwarder.Mapping.Tests.Support;

/// <summary>
/// The golden cases: each builds one record from the layout spec. Record time 2025-10-31 09:05:00.50 (local = UTC for
/// SYSA; SYSB is configured at -05:00 in the tests). Comments give the facts each case is there to prove.
/// </summary>
internal static class GoldenCases
{
    public static readonly IReadOnlyDictionary<string, Func<SpecRecordBuilder>> All = new SortedDictionary<string, Func<SpecRecordBuilder>>(StringComparer.Ordinal)
    {
        // TLS 1.2 ECDHE-RSA AES-GCM, local server by SAFlags X'10', full certs + DNs: strong.
        ["c11-e1-tls12-server-strong"] = () => Tls(1, flags: 0x10, version: 0x0303, cipher: "C02F", role: 2, type: 1, enc: 0, mac: 0, kex: 0),
        // TLS 1.3 local client by SAFlags X'08', termination with start/end times.
        ["c11-e3-tls13-client"] = () => Tls(3, flags: 0x08, version: 0x0304, cipher: "1301", role: 1, type: 1, enc: 0, mac: 1, kex: 0),
        // Protection change, TLS 1.0, role from the handshake role 3 (server with client auth): protocol:tls1.0.
        ["c11-e2-tls10-role-from-handshake"] = () => Tls(2, flags: 0, version: 0x0301, cipher: "002F", role: 3, type: 1, enc: 0, mac: 4, kex: 2),
        // Short termination, TLS 1.1, RC4, resumed session, client by handshake role 1.
        ["c11-e4-tls11-rc4-resumed"] = () => Tls(4, flags: 0, version: 0x0302, cipher: "0005", role: 1, type: 2, enc: 9, mac: 4, kex: 2),
        // SSLv3 with 3DES, role unknown (no flags, handshake role 0): no client/server, direction unknown.
        ["c11-e3-ssl3-3des-role-unknown"] = () => Tls(3, flags: 0, version: 0x0300, cipher: "000A", role: 0, type: 1, enc: 4, mac: 4, kex: 2),
        // SSLv2 6-digit export suite.
        ["c11-e3-ssl2-export"] = () => Tls(3, flags: 0x10, version: 0x0200, cipher: "020080", role: 2, type: 1, enc: 8, mac: 3, kex: 3),
        // NULL cipher suite.
        ["c11-e3-tls12-null-cipher"] = () => Tls(3, flags: 0x10, version: 0x0303, cipher: "0002", role: 2, type: 1, enc: 1, mac: 4, kex: 2),
        // RSA 1024 key and SHA-1 signature: key:rsa<2048, signature:sha1.
        ["c11-e3-tls12-weak-key-sha1"] = () => Tls(3, flags: 0x10, version: 0x0303, cipher: "C030", role: 2, type: 1, enc: 0, mac: 0, kex: 0, keyBits: 1024, signature: 4, digest: 4),
        // Server certificate expiring 10 days after the record time (UTCTime form): cert:expires<30d.
        ["c11-e1-tls12-cert-expiring"] = () => Tls(1, flags: 0x10, version: 0x0303, cipher: "C02F", role: 2, type: 1, enc: 0, mac: 0, kex: 0, notAfterType: 1, notAfter: "251110120000Z"),
        // Server certificate expired before the record time (GeneralizedTime form): cert:expired.
        ["c11-e1-tls12-cert-expired"] = () => Tls(1, flags: 0x10, version: 0x0303, cipher: "C02F", role: 2, type: 1, enc: 0, mac: 0, kex: 0, notAfter: "20240101000000Z"),
        // z/OS 3.2 failed TLS handshake: type 3, version 0, cipher FFFFFF, all else zero.
        ["c11-e3-tls-failed-handshake"] = FailedTls,
        // Unknown codes: cipher ABCD, encryption X'0042', signature X'0099', FIPS X'09': unknown(...) labels, hex cipher.
        ["c11-e3-tls-unknown-codes"] = () => Tls(3, flags: 0x10, version: 0x0303, cipher: "ABCD", role: 2, type: 1, enc: 0x42, mac: 0, kex: 0, signature: 0x99, fips: 9),
        // SSH v2, local server, keys and fingerprints, X.509 server cert via DN types 9/10.
        ["c11-e3-ssh-server"] = Ssh,
        // SSH failed handshake flag (3.2): outcome failure.
        ["c11-e3-ssh-failed"] = SshFailed,
        // IPsec IKEv2 dynamic tunnel, cleartext TCP above it, local client.
        ["c11-e1-ipsec"] = Ipsec,
        // TLS over IPsec: protection tls+ipsec, LEEF cat MULTIPLE.
        ["c11-e3-tls-over-ipsec"] = TlsOverIpsec,
        // No protection, IP filter section: cleartext.
        ["c11-e3-cleartext-ipfilter"] = Cleartext,
        // IPv6 endpoints, TLS 1.3, local server; SYSB with a -05:00 offset; DN with TAB/LF from EBCDIC controls.
        ["c11-e1-ipv6-tls13"] = Ipv6,
        // Enforcement audit with reset flag (event 7, TRN 8, S7 section): denied, failure.
        ["c11-e7-enforcement-reset"] = Enforcement,
        // An event type no table knows (9): event.code still written, no action, LEEF event id ZERT_UNKNOWN, unknown(0x09).
        ["c11-e9-unknown-event-type"] = () => Tls(9, flags: 0x10, version: 0x0303, cipher: "C02F", role: 2, type: 1, enc: 0, mac: 0, kex: 0),
        ["c11-e5-zert-enabled"] = () => Config11(5),
        ["c11-e6-zert-disabled"] = () => Config11(6),
        // Summary, z/OS 3.2 lengths (212/116): cert serials/notAfter, failed-handshake counters, port range.
        ["c12-e1-summary-tls-v32"] = () => SummaryTls(v32: true),
        // Summary, pre-3.2 lengths (204/36): no failed-handshake counters, no serials.
        ["c12-e1-summary-tls-pre32"] = () => SummaryTls(v32: false),
        ["c12-e1-summary-ssh"] = SummarySsh,
        ["c12-e1-summary-ipsec-pre32"] = SummaryIpsec,
        ["c12-e1-summary-cleartext-ee"] = SummaryCleartext,
        ["c12-e2-aggregation-enabled"] = () => Config12(2),
        ["c12-e3-aggregation-disabled"] = () => Config12(3),
        // Static RSA key exchange with AES-GCM (TLS_RSA_WITH_AES_256_GCM_SHA384): not strong, kex:no-forward-secrecy;
        // quantum: key_exchange:RSA, certificate:RSA-2048.
        ["c11-e3-tls12-static-rsa"] = () => Tls(3, flags: 0x10, version: 0x0303, cipher: "009D", role: 2, type: 1, enc: 0, mac: 0, kex: 0),
        // IPsec with IKE DH group 2 (1024-bit MODP) and PFS group 2: kex:dh<2048 (weak).
        ["c11-e1-ipsec-weak-dh-group"] = () => IpsecWith(major: 2, dhGroup: 2, pfsGroup: 2),
        // IKEv1 tunnel (major version 1): ike:v1.
        ["c11-e1-ipsec-ikev1"] = () => IpsecWith(major: 1, dhGroup: 0x0E, pfsGroup: 0x0E),
        // SSH with diffie-hellman-group1-sha1, HMAC-MD5 both ways, 3DES and a 1024-bit RSA host key.
        ["c11-e3-ssh-weak-algorithms"] = SshWeak,
    };

    /// <summary>Cases judged under a named assessment profile (Assessment:Profile): name -> (profile, record).</summary>
    public static readonly IReadOnlyDictionary<string, (string Profile, Func<SpecRecordBuilder> Build)> Profiled =
        new SortedDictionary<string, (string, Func<SpecRecordBuilder>)>(StringComparer.Ordinal)
        {
            // NIST SP 800-52r2: TLS 1.2, ECDHE-RSA, AES-128-GCM, valid RSA-2048 / SHA-256 certificate: compliant.
            ["profile-nist-pass-tls12-ecdhe-gcm"] = ("nist-sp800-52r2", () => Tls(1, flags: 0x10, version: 0x0303, cipher: "C02F", role: 2, type: 1, enc: 0, mac: 0, kex: 0)),
            // NIST SP 800-52r2: TLS 1.0 (3.1) with a CBC suite (3.3.1.1 advice): non-compliant.
            ["profile-nist-fail-tls10"] = ("nist-sp800-52r2", () => Tls(3, flags: 0x10, version: 0x0301, cipher: "C013", role: 2, type: 1, enc: 0, mac: 0, kex: 0)),
            // BSI TR-02102-2: TLS 1.3 with a 3072-bit RSA certificate: compliant.
            ["profile-bsi-pass-tls13-rsa3072"] = ("bsi-tr-02102-2", () => Tls(3, flags: 0x10, version: 0x0304, cipher: "1302", role: 2, type: 1, enc: 0, mac: 0, kex: 0, keyBits: 3072)),
            // BSI TR-02102-2: static RSA (no PFS, 3.3.1) and an RSA-2048 certificate (3.6 asks 3000 bits): non-compliant.
            ["profile-bsi-fail-static-rsa-2048"] = ("bsi-tr-02102-2", () => Tls(3, flags: 0x10, version: 0x0303, cipher: "009C", role: 2, type: 1, enc: 0, mac: 0, kex: 0)),
        };

    internal static SpecRecordBuilder IpsecWith(byte major, ushort dhGroup, ushort pfsGroup)
    {
        var b = Ipsec();
        b.Ipsec![4] = major;
        U16(b.Ipsec, 96, dhGroup);
        U16(b.Ipsec, 222, pfsGroup);
        return b;
    }

    private static SpecRecordBuilder SshWeak()
    {
        var b = Connection(3, 0x40, 0x10, localPort: 22);
        var s = SshSection(2, 0);
        U16(s, 38, 3); // inbound HMAC-MD5
        U16(s, 40, 5); // diffie-hellman-group1-sha1
        U16(s, 44, 3); // outbound HMAC-MD5
        U16(s, 50, 1024); // RSA host key of 1024 bits
        b.Ssh = s;
        return b;
    }

    private static SpecRecordBuilder Connection(byte eventType, byte protos, byte flags, string local = "10.1.1.1", string remote = "192.168.7.20",
        ushort localPort = 443, ushort remotePort = 51234, bool end = true, byte ipProto = 6)
    {
        var b = new SpecRecordBuilder(11);
        var c = b.Common;
        c[0] = eventType;
        c[1] = protos;
        c[2] = flags;
        c[3] = 0x80;
        c[4] = ipProto;
        Text(c, 8, 8, "CICSPRD1");
        Text(c, 16, 8, "STC01234");
        Text(c, 24, 8, "CICSUSR");
        U32(c, 32, (uint)(new TimeSpan(0, 9, 4, 50, 250).Ticks / 100_000)); // SASTime 09:04:50.25 UTC
        U32(c, 36, PackedDate(new DateOnly(2025, 10, 31)));
        if (end)
        {
            U32(c, 40, (uint)(new TimeSpan(0, 9, 5, 0, 0).Ticks / 100_000));
            U32(c, 44, PackedDate(new DateOnly(2025, 10, 31)));
        }
        Ip(c, 48, remote);
        Ip(c, 64, local);
        U16(c, 80, remotePort);
        U16(c, 82, localPort);
        U32(c, 84, 0x0001E240);
        U64(c, 88, 15000);
        U64(c, 96, 250000);
        U64(c, 104, 40);
        U64(c, 112, 210);
        return b;
    }

    internal static SpecRecordBuilder Tls(byte eventType, byte flags, ushort version, string cipher, byte role, byte type, ushort enc, ushort mac, ushort kex,
        int keyBits = 2048, ushort signature = 7, ushort digest = 6, byte notAfterType = 2, string notAfter = "20270630235959Z", byte fips = 0)
    {
        var b = Connection(eventType, 0x80, flags);
        var t = new byte[168];
        U16(t, 0, version);
        t[2] = 2; // provider
        t[3] = type;
        t[4] = role;
        t[7] = 8;
        Bytes(t, 8, [0xA1, 0xB2, 0xC3, 0xD4, 0x01, 0x02, 0x03, 0x04]);
        Text(t, 40, 16, "IBM System SSL");
        Text(t, 56, 6, cipher);
        U16(t, 62, enc);
        U16(t, 64, mac);
        U16(t, 66, kex);
        t[68] = fips;
        t[69] = 0x80;
        U16(t, 72, signature);
        U16(t, 74, 2);
        U16(t, 76, digest);
        t[79] = 3;
        Bytes(t, 80, [0x0A, 0x1B, 0x2C]);
        t[100] = notAfterType;
        Text(t, 101, 15, notAfter);
        U16(t, 116, 2); // RSA
        U16(t, 118, (ushort)keyBits);
        b.Tls = t;
        b.Dn(5, "CN=cics.example.com,O=Example,C=US").Dn(6, "CN=Example Issuing CA,O=Example,C=US");
        return b;
    }

    private static SpecRecordBuilder FailedTls()
    {
        var b = Connection(3, 0x80, 0x10);
        var t = new byte[168];
        t[2] = 1;
        t[3] = 3;
        Text(t, 40, 16, "Observation");
        Text(t, 56, 6, "FFFFFF");
        Text(t, 101, 15, "");
        b.Tls = t;
        return b;
    }

    private static byte[] SshSection(byte version, byte flags)
    {
        var s = new byte[284];
        s[0] = version;
        s[1] = 2;
        s[2] = 0;
        s[3] = 0xC0;
        s[4] = flags;
        Text(s, 8, 8, "SSHD");
        Text(s, 16, 16, "IBM OpenSSH");
        U16(s, 32, 3);
        U16(s, 34, 2);
        U16(s, 36, 4); // 3DES inbound
        U16(s, 38, 4);
        U16(s, 40, 2);
        U16(s, 42, 4);
        U16(s, 44, 4);
        U16(s, 48, 2);
        U16(s, 50, 3072);
        U16(s, 52, 2);
        U16(s, 54, 2048);
        U16(s, 56, 4);
        Bytes(s, 60, [0xDE, 0xAD, 0xBE, 0xEF]);
        U16(s, 188, 7);
        U16(s, 190, 2);
        U16(s, 192, 6);
        s[195] = 2;
        Bytes(s, 196, [0x12, 0x34]);
        s[216] = 2;
        Text(s, 217, 15, "20300101000000Z");
        U16(s, 232, 2);
        U16(s, 234, 4096);
        return s;
    }

    private static SpecRecordBuilder Ssh()
    {
        var b = Connection(3, 0x40, 0x10, localPort: 22);
        b.Ssh = SshSection(2, 0);
        b.Dn(9, "CN=sshd.example.com").Dn(10, "CN=SSH CA");
        return b;
    }

    private static SpecRecordBuilder SshFailed()
    {
        var b = Connection(3, 0x40, 0x10, localPort: 22);
        var s = new byte[284];
        s[1] = 1;
        s[4] = 0x80;
        Text(s, 16, 16, "Observation");
        b.Ssh = s;
        return b;
    }

    private static byte[] IpsecSection()
    {
        var p = new byte[236];
        U32(p, 0, 7);
        p[4] = 0x22; // low 4 bits: 2
        p[5] = 0x00;
        Text(p, 8, 48, "KEYEXCH-RULE-1");
        Ip(p, 56, "10.1.1.1");
        Ip(p, 72, "203.0.113.9");
        U16(p, 88, 2);
        U16(p, 90, 3);
        U16(p, 92, 5);
        U16(p, 94, 4);
        U16(p, 96, 0x13);
        U16(p, 98, 2);
        U32(p, 100, 0);
        U32(p, 104, 480);
        U32(p, 108, 1440);
        U16(p, 112, 7);
        U16(p, 114, 2);
        U16(p, 116, 6);
        p[119] = 1;
        p[120] = 0x77;
        p[140] = 2;
        Text(p, 141, 15, "20260131000000Z");
        U16(p, 156, 2);
        U16(p, 158, 2048);
        U32(p, 208, 12);
        p[212] = 0x40;
        p[213] = 2;
        p[214] = 1;
        p[216] = 1;
        p[217] = 50;
        U16(p, 218, 5);
        U16(p, 220, 0x0011); // not in the truncated V.5 table
        U16(p, 222, 0x0E);
        U32(p, 224, 0);
        U32(p, 228, 60);
        U32(p, 232, 0);
        return p;
    }

    private static SpecRecordBuilder Ipsec()
    {
        var b = Connection(1, 0x20, 0x08, localPort: 1521, remotePort: 40001, end: false);
        b.Ipsec = IpsecSection();
        b.Dn(1, "CN=zos.example.com").Dn(3, "CN=peer.example.net");
        return b;
    }

    private static SpecRecordBuilder TlsOverIpsec()
    {
        var b = Tls(3, flags: 0x10, version: 0x0303, cipher: "009C", role: 2, type: 1, enc: 0, mac: 0, kex: 0);
        b.Common[1] = 0xA0;
        b.Ipsec = IpsecSection();
        return b;
    }

    private static SpecRecordBuilder Cleartext()
    {
        var b = Connection(3, 0x00, 0x10, localPort: 23, remotePort: 50000);
        var f = new byte[100];
        f[0] = 1;
        f[1] = 1;
        Text(f, 4, 40, "PERMIT-TELNET");
        Text(f, 44, 8, "");
        Text(f, 52, 40, "PERMIT-TELNET-IN");
        Text(f, 92, 8, "X1");
        b.IpFilter = f;
        return b;
    }

    private static SpecRecordBuilder Ipv6()
    {
        var b = Tls(1, flags: 0x90, version: 0x0304, cipher: "1302", role: 2, type: 1, enc: 0, mac: 1, kex: 0);
        b.SystemId = "SYSB";
        Ip(b.Common, 48, "2001:db8::20");
        Ip(b.Common, 64, "2001:db8::1");
        b.Dns.Clear();
        b.Dn(5, "CN=v6.example.com,\tOU=Tab\nLine");
        return b;
    }

    private static SpecRecordBuilder Enforcement()
    {
        var b = Tls(7, flags: 0x30, version: 0x0301, cipher: "0035", role: 2, type: 1, enc: 0, mac: 4, kex: 2);
        var s7 = new byte[48];
        Text(s7, 0, 48, "DENY-TLS10");
        b.Enforcement = s7;
        return b;
    }

    private static SpecRecordBuilder Config11(byte eventType)
    {
        var b = new SpecRecordBuilder(11);
        b.Common[0] = eventType;
        return b;
    }

    private static SpecRecordBuilder Summary(byte protos, byte flags, bool v32, byte ipProto = 6)
    {
        var b = new SpecRecordBuilder(12) { Common = new byte[v32 ? 212 : 204] };
        var c = b.Common;
        U64(c, 0, 900_000_000UL << 12); // 15 minutes in TOD units
        c[8] = 1;
        c[9] = flags;
        c[10] = protos;
        Text(c, 11, 8, "FTPD1");
        Text(c, 19, 8, "*FTPUSR*");
        c[27] = ipProto;
        Ip(c, 28, "10.1.1.1");
        Ip(c, 44, "192.168.7.21");
        U16(c, 60, 21);
        U16(c, 62, 21);
        Text(c, 64, 42, "t-10.1.1.1.21.192.168.7.21");
        U32(c, 108, 100);
        U32(c, 112, 2);
        U32(c, 116, 10);
        U32(c, 120, 3);
        U64(c, 124, 1000);
        U64(c, 132, 5000);
        U64(c, 140, 10);
        U64(c, 148, 50);
        U32(c, 156, 130);
        U32(c, 160, 4);
        U32(c, 164, 15);
        U32(c, 168, 1);
        U64(c, 172, 1600);
        U64(c, 180, 9000);
        U64(c, 188, 16);
        U64(c, 196, 90);
        if (v32)
        {
            U32(c, 204, 1);
            U32(c, 208, 3);
        }
        return b;
    }

    private static SpecRecordBuilder SummaryTls(bool v32)
    {
        var b = Summary(0x80, 0x40, v32);
        if (v32) U16(b.Common, 62, 1023); // port range 21-1023
        var t = new byte[v32 ? 116 : 36];
        t[0] = 2;
        t[1] = 0x80;
        U16(t, 2, 0x0303);
        Text(t, 4, 6, "C02B");
        U16(t, 16, 7);
        U16(t, 18, 4);
        U16(t, 20, 6);
        U16(t, 22, 5);
        U16(t, 24, 256);
        if (v32)
        {
            t[42] = 4;
            Bytes(t, 43, [0x01, 0x02, 0x03, 0x04]);
            t[63] = 2;
            Text(t, 64, 15, "20251115000000Z");
        }
        b.Tls = t;
        b.Dn(5, "CN=ftp.example.com");
        return b;
    }

    private static SpecRecordBuilder SummarySsh()
    {
        var b = Summary(0x40, 0x40, v32: true);
        var s = new byte[46];
        s[0] = 2;
        s[2] = 2;
        s[3] = 0x80;
        U16(s, 4, 3);
        U16(s, 8, 9); // RC4_128
        U16(s, 10, 4);
        U16(s, 12, 6);
        U16(s, 14, 9);
        U16(s, 16, 4);
        U16(s, 18, 2);
        U16(s, 20, 1024);
        b.Ssh = s;
        return b;
    }

    private static SpecRecordBuilder SummaryIpsec()
    {
        var b = Summary(0x20, 0x20, v32: false);
        var p = new byte[74];
        p[0] = 1;
        Ip(p, 2, "10.1.1.1");
        Ip(p, 18, "192.168.7.21");
        U16(p, 34, 3);
        U16(p, 36, 3);
        U16(p, 38, 4);
        U16(p, 40, 4);
        U16(p, 42, 2);
        U16(p, 44, 6);
        U16(p, 66, 2);
        p[68] = 2;
        p[69] = 50;
        U16(p, 70, 4);
        U16(p, 72, 4);
        b.Ipsec = p;
        return b;
    }

    private static SpecRecordBuilder SummaryCleartext() => Summary(0x00, 0x00, v32: true, ipProto: 17);

    private static SpecRecordBuilder Config12(byte eventType)
    {
        var b = new SpecRecordBuilder(12);
        b.Common[8] = eventType;
        return b;
    }
}
