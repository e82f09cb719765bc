using ZertForwarder.Mapping.Tests.Support;
using static ZertForwarder.Mapping.Tests.Support.SpecRecordBuilder;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// Records built from the layout spec map to exactly the values the output contract documents. Expected values are
/// written here by hand from the contract (and, for Community ID, from the published reference vectors).
/// </summary>
public sealed class DocumentedValuesTests
{
    private static SpecRecordBuilder Connection(byte eventType, byte flags = 0x10, string local = "10.0.0.1", ushort localPort = 443,
        string remote = "10.0.0.2", ushort remotePort = 50000, byte proto = 6)
    {
        var b = new SpecRecordBuilder(11);
        b.Common[0] = eventType;
        b.Common[2] = flags;
        b.Common[4] = proto;
        Ip(b.Common, 64, local);
        Ip(b.Common, 48, remote);
        U16(b.Common, 82, localPort);
        U16(b.Common, 80, remotePort);
        U64(b.Common, 88, 100); // in bytes
        U64(b.Common, 96, 900); // out bytes
        U64(b.Common, 104, 3);  // in segments
        U64(b.Common, 112, 7);  // out segments
        return b;
    }

    private static SpecRecordBuilder WithTls(SpecRecordBuilder b, ushort version, string cipher, ushort enc = 0)
    {
        b.Common[1] = 0x80;
        var t = new byte[168];
        U16(t, 0, version);
        t[2] = 1;
        t[3] = 1;
        Text(t, 56, 6, cipher);
        U16(t, 62, enc);
        b.Tls = t;
        return b;
    }

    [Theory]
    // Reference vectors of the Community ID v1 spec (corelight/community-id-spec), seed 0, either direction.
    [InlineData("128.232.110.120", 34855, "66.35.250.204", 80, 6, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")]
    [InlineData("66.35.250.204", 80, "128.232.110.120", 34855, 6, false, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")]
    [InlineData("192.168.1.52", 54585, "8.8.8.8", 53, 17, false, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")]
    [InlineData("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, 6, true, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")]
    public void Community_id_matches_the_reference_vectors(string local, ushort localPort, string remote, ushort remotePort, byte proto, bool ipv6, string expected)
    {
        var ecs = TestMappings.Ecs(Connection(3, flags: (byte)(ipv6 ? 0x90 : 0x10), local, localPort, remote, remotePort, proto));
        Assert.Equal(expected, (string?)ecs["network"]!["community_id"]);
        Assert.Equal(proto == 6 ? "tcp" : "udp", (string?)ecs["network"]!["transport"]);
        Assert.Equal(proto == 6 ? "6" : "17", (string?)ecs["network"]!["iana_number"]);
        Assert.Equal(ipv6 ? "ipv6" : "ipv4", (string?)ecs["network"]!["type"]);
    }

    [Theory]
    [InlineData(0x0200, "ssl", "2.0")]
    [InlineData(0x0300, "ssl", "3.0")]
    [InlineData(0x0301, "tls", "1.0")]
    [InlineData(0x0302, "tls", "1.1")]
    [InlineData(0x0303, "tls", "1.2")]
    [InlineData(0x0304, "tls", "1.3")]
    public void TLS_version_codes_map_to_the_contract_pair(ushort code, string protocol, string version)
    {
        var tls = TestMappings.Ecs(WithTls(Connection(3), code, "C02F"))["tls"]!;
        Assert.Equal(protocol, (string?)tls["version_protocol"]);
        Assert.Equal(version, (string?)tls["version"]);
    }

    [Fact]
    public void TLS_version_0000_is_omitted()
    {
        var tls = TestMappings.Ecs(WithTls(Connection(3), 0, "C02F"))["tls"]!;
        Assert.Null(tls["version"]);
        Assert.Null(tls["version_protocol"]);
    }

    [Theory]
    [InlineData("C02F", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")]
    [InlineData("1301", "TLS_AES_128_GCM_SHA256")]
    [InlineData("0005", "TLS_RSA_WITH_RC4_128_SHA")]
    [InlineData("010080", "SSL_CK_RC4_128_WITH_MD5")]
    [InlineData("0700C0", "SSL_CK_DES_192_EDE3_CBC_WITH_MD5")]
    [InlineData("ABCD", "ABCD")]
    public void Cipher_codes_map_to_IANA_or_SSLv2_names_and_unknown_codes_to_the_hex_string(string code, string name)
    {
        var ecs = TestMappings.Ecs(WithTls(Connection(3), 0x0303, code));
        Assert.Equal(name, (string?)ecs["tls"]!["cipher"]);
        Assert.Equal(code, (string?)ecs["zos"]!["zert"]!["tls"]!["cipher_code"]);
    }

    [Fact]
    public void Algorithms_are_derived_from_the_suite_when_IBM_codes_are_unknown_and_unknown_codes_are_labelled()
    {
        var tls = TestMappings.Ecs(WithTls(Connection(3), 0x0303, "C030", enc: 0))["zos"]!["zert"]!["tls"]!;
        Assert.Equal("AES_256_GCM", (string?)tls["encryption"]);
        Assert.Equal("ECDHE_RSA", (string?)tls["key_exchange"]);
        Assert.Equal("none", (string?)tls["mac"]); // AEAD: no separate MAC (V.6 X'0001')
        var known = TestMappings.Ecs(WithTls(Connection(3), 0x0303, "C030", enc: 0x0009))["zos"]!["zert"]!["tls"]!;
        Assert.Equal("RC4_128", (string?)known["encryption"]); // IBM's own code wins when it is known
        var b = WithTls(Connection(3), 0x0303, "ABCD", enc: 0x0042);
        b.Tls![64] = 0x00;
        b.Tls![65] = 0x77;
        var unknown = TestMappings.Ecs(b)["zos"]!["zert"]!["tls"]!;
        Assert.Equal("unknown(0x0042)", (string?)unknown["encryption"]);
        Assert.Equal("unknown(0x0077)", (string?)unknown["mac"]);
    }

    /// <summary>
    /// Contract §2: absent facts are never written as zeros. IBM's algorithm code 0 is "unknown" (V.5-V.7): it leaves no
    /// zos.zert.tls.*_code, while a known code is kept beside the name.
    /// </summary>
    [Fact]
    public void IBM_algorithm_code_0_writes_no_raw_code()
    {
        var b = WithTls(Connection(3), 0x0303, "C030", enc: 0x0009);
        U16(b.Tls!, 66, 2); // key exchange RSA; MAC code stays 0
        var tls = TestMappings.Ecs(b)["zos"]!["zert"]!["tls"]!;
        Assert.Equal(9, (int)tls["encryption_code"]!);
        Assert.Equal(2, (int)tls["key_exchange_code"]!);
        Assert.Null(tls["mac_code"]);
        Assert.Equal("none", (string?)tls["mac"]); // still derived from the AEAD suite

        var summary = new SpecRecordBuilder(12);
        summary.Common[8] = 1;
        summary.Common[10] = 0x80;
        summary.Common[27] = 6;
        var s = new byte[36];
        s[0] = 2;
        U16(s, 2, 0x0303);
        Text(s, 4, 6, "C02F");
        summary.Tls = s;
        var summaryTls = TestMappings.Ecs(summary)["zos"]!["zert"]!["tls"]!;
        Assert.Equal("C02F", (string?)summaryTls["cipher_code"]);
        foreach (var code in new[] { "encryption_code", "mac_code", "key_exchange_code" }) Assert.Null(summaryTls[code]);
    }

    /// <summary>
    /// A failed handshake (z/OS 3.2) leaves every field of its section zero but the source, the provider and, for TLS,
    /// the cipher (layout §2.3, §2.4, §3.1): FIPS mode 0 ("off") and clear encrypt-then-MAC bits are then not facts
    /// (contract §2), while the same zeros of a completed handshake are.
    /// </summary>
    [Fact]
    public void A_failed_handshake_writes_no_FIPS_mode_or_encrypt_then_MAC()
    {
        var failedTls = WithTls(Connection(3), 0, "FFFFFF");
        failedTls.Tls![3] = 3; // handshake type: failed
        var tls = TestMappings.Ecs(failedTls)["zos"]!["zert"]!["tls"]!;
        Assert.Equal("failed", (string?)tls["handshake_type"]);
        Assert.Null(tls["fips_mode"]);
        Assert.Null(tls["encrypt_then_mac"]);
        Assert.Null(TestMappings.Flat(failedTls)["TLS_FIPS_MODE"]);
        var completed = TestMappings.Ecs(WithTls(Connection(3), 0x0303, "C02F"))["zos"]!["zert"]!["tls"]!;
        Assert.Equal("off", (string?)completed["fips_mode"]);
        Assert.False((bool)completed["encrypt_then_mac"]!);

        var failedSsh = Connection(3);
        failedSsh.Common[1] = 0x40;
        failedSsh.Ssh = new byte[284];
        failedSsh.Ssh[1] = 2;    // Source: provider
        failedSsh.Ssh[4] = 0x80; // SSH_Flags: handshake failed
        var ssh = TestMappings.Ecs(failedSsh)["zos"]!["zert"]!["ssh"]!;
        Assert.True((bool)ssh["handshake_failed"]!);
        foreach (var name in new[] { "fips_mode", "encrypt_then_mac_inbound", "encrypt_then_mac_outbound" }) Assert.Null(ssh[name]);
        Assert.Null(TestMappings.Flat(failedSsh)["SSH_FIPS_MODE"]);

        var summary = new SpecRecordBuilder(12);
        summary.Common[8] = 1;
        summary.Common[10] = 0x80;
        summary.Common[27] = 6;
        U32(summary.Common, 208, 1); // one failed handshake at the interval's end
        var s = new byte[36];
        s[0] = 2;
        Text(s, 4, 6, "FFFFFF");
        summary.Tls = s;
        Assert.Null(TestMappings.Ecs(summary)["zos"]!["zert"]!["tls"]!["encrypt_then_mac"]);
    }

    [Theory]
    [InlineData(1, "connection-initiated", "network", "connection,start")]
    [InlineData(2, "protection-changed", "network", "connection,protocol")]
    [InlineData(3, "connection-terminated", "network", "connection,end")]
    [InlineData(4, "short-connection-terminated", "network", "connection,start,end")]
    [InlineData(5, "zert-enabled", "configuration", "change")]
    [InlineData(6, "zert-disabled", "configuration", "change")]
    [InlineData(7, "enforcement-audit", "network", "connection,info")]
    public void Connection_event_types_are_classified_as_the_contract_table_says(byte eventType, string action, string category, string types)
    {
        var e = TestMappings.Ecs(Connection(eventType))["event"]!;
        Assert.Equal(action, (string?)e["action"]);
        Assert.Equal([category], e["category"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(types.Split(','), e["type"]!.AsArray().Select(x => (string)x!));
        Assert.Equal($"119-11-{eventType}", (string?)e["code"]);
        Assert.Equal("event", (string?)e["kind"]);
        Assert.Equal("success", (string?)e["outcome"]);
    }

    [Fact]
    public void Enforcement_reset_is_denied_and_a_failure()
    {
        var e = TestMappings.Ecs(Connection(7, flags: 0x30))["event"]!;
        Assert.Equal(["connection", "denied"], e["type"]!.AsArray().Select(x => (string)x!));
        Assert.Equal("failure", (string?)e["outcome"]);
    }

    [Theory]
    [InlineData(1, "security-session-summary", "network", "connection,info")]
    [InlineData(2, "aggregation-enabled", "configuration", "change")]
    [InlineData(3, "aggregation-disabled", "configuration", "change")]
    public void Summary_event_types_are_classified_as_the_contract_table_says(byte eventType, string action, string category, string types)
    {
        var b = new SpecRecordBuilder(12);
        b.Common[8] = eventType;
        var e = TestMappings.Ecs(b)["event"]!;
        Assert.Equal(action, (string?)e["action"]);
        Assert.Equal([category], e["category"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(types.Split(','), e["type"]!.AsArray().Select(x => (string)x!));
        Assert.Equal("metric", (string?)e["kind"]);
    }

    /// <summary>
    /// Contract §2.2: failure for a failed TLS or SSH handshake (z/OS 3.2 indicators). A 119-12 SSH session of failed
    /// handshakes says so by SAEndFailedHsConnCnt > 0 with an SSH section of only Source (protocol version 0, layout
    /// §3.1); the same counter beside a negotiated session (version 2) is not a failure.
    /// </summary>
    [Theory]
    [InlineData(0, 3, "failure")]
    [InlineData(2, 3, "success")]
    [InlineData(0, 0, "success")]
    public void A_summary_of_failed_SSH_handshakes_is_a_failure(byte sshVersion, uint endFailed, string outcome)
    {
        var b = new SpecRecordBuilder(12);
        b.Common[8] = 1;      // interval record
        b.Common[9] = 0x40;   // local is server
        b.Common[10] = 0x40;  // SSH protection
        b.Common[27] = 6;
        U32(b.Common, 208, endFailed);
        var ssh = new byte[46];
        ssh[0] = 1;           // Source: stream observation; nothing else when the handshake failed
        ssh[2] = sshVersion;
        b.Ssh = ssh;

        var ecs = TestMappings.Ecs(b);

        Assert.Equal(outcome, (string?)ecs["event"]!["outcome"]);
        var reasons = ecs["zos"]!["zert"]!["assessment"]!["reasons"]?.AsArray().Select(x => (string)x!).ToList() ?? [];
        Assert.Equal(outcome == "failure", reasons.Any(r => r.Contains("handshake", StringComparison.Ordinal)));
    }

    [Fact]
    public void Local_server_role_puts_the_remote_end_in_client_and_counts_bytes_from_the_server_side()
    {
        var ecs = TestMappings.Ecs(Connection(3, flags: 0x10));
        Assert.Equal("ingress", (string?)ecs["network"]!["direction"]);
        Assert.Equal("10.0.0.1", (string?)ecs["server"]!["ip"]);
        Assert.Equal(443, (int)ecs["server"]!["port"]!);
        Assert.Equal(900, (long)ecs["server"]!["bytes"]!);   // local out
        Assert.Equal(100, (long)ecs["client"]!["bytes"]!);   // local in
        Assert.Equal(7, (long)ecs["server"]!["packets"]!);
        Assert.Equal(3, (long)ecs["client"]!["packets"]!);
        Assert.Equal("10.0.0.2", (string?)ecs["source"]!["ip"]);
        Assert.Equal("10.0.0.1", (string?)ecs["destination"]!["ip"]);
        Assert.Equal(1000, (long)ecs["network"]!["bytes"]!);
        Assert.Equal(10, (long)ecs["network"]!["packets"]!);
    }

    [Fact]
    public void Local_client_role_puts_the_local_end_in_client()
    {
        var ecs = TestMappings.Ecs(Connection(3, flags: 0x08));
        Assert.Equal("egress", (string?)ecs["network"]!["direction"]);
        Assert.Equal("10.0.0.1", (string?)ecs["client"]!["ip"]);
        Assert.Equal(900, (long)ecs["client"]!["bytes"]!);   // local out
        Assert.Equal(100, (long)ecs["server"]!["bytes"]!);   // local in
        Assert.Equal("10.0.0.2", (string?)ecs["destination"]!["ip"]);
    }

    [Fact]
    public void Unknown_role_writes_no_client_server_source_or_destination()
    {
        var ecs = TestMappings.Ecs(Connection(3, flags: 0));
        Assert.Equal("unknown", (string?)ecs["network"]!["direction"]);
        foreach (var side in new[] { "client", "server", "source", "destination" }) Assert.Null(ecs[side]);
        Assert.Equal("10.0.0.1", (string?)ecs["zos"]!["zert"]!["local"]!["ip"]);
        Assert.Equal(50000, (int)ecs["zos"]!["zert"]!["remote"]!["port"]!);
    }

    [Fact]
    public void Record_time_uses_the_configured_offset_and_summary_start_is_end_minus_the_interval()
    {
        var b = new SpecRecordBuilder(12) { SystemId = "SYSB", LocalTime = new DateTime(2024, 10, 31, 9, 5, 0, 500) };
        b.Common[8] = 1;
        U64(b.Common, 0, 1_500_000UL << 12); // 1.5 s in TOD units
        var ecs = TestMappings.Ecs(b);
        Assert.Equal("2024-10-31T14:05:00.500Z", (string?)ecs["@timestamp"]); // local 09:05:00.50 at -05:00
        Assert.Equal("2024-10-31T14:05:00.500Z", (string?)ecs["event"]!["end"]);
        Assert.Equal("2024-10-31T14:04:59.000Z", (string?)ecs["event"]!["start"]);
        Assert.Equal(1_500_000_000, (long)ecs["event"]!["duration"]!);
    }

    /// <summary>
    /// A 119-11 IPsec section (layout §2.5): IKE major version <paramref name="ikeMajor"/> (0 for a manual tunnel, whose
    /// IKE half is all zero), minor version 0, tunnel type 1 (manual) or 2 (dynamic), SA lifetimes zero for a manual
    /// tunnel.
    /// </summary>
    private static SpecRecordBuilder WithIpsec(SpecRecordBuilder b, byte ikeMajor)
    {
        b.Common[1] = 0x20;
        var p = new byte[236];
        if (ikeMajor != 0)
        {
            U32(p, 0, 9);         // IKETunID
            p[4] = ikeMajor;
            U32(p, 100, 0);       // IKE lifesize 0: no size limit
            U32(p, 104, 480);
            U32(p, 108, 1440);
            U32(p, 224, 0);       // SA lifesize 0
            U32(p, 228, 60);
        }
        U32(p, 208, 3);           // TunID
        p[213] = (byte)(ikeMajor == 0 ? 1 : 2);
        p[214] = 1;
        p[216] = 2;
        p[217] = 50;
        U16(p, 218, 4);
        U16(p, 220, 4);
        b.Ipsec = p;
        return b;
    }

    [Fact]
    public void A_manual_IPsec_tunnel_writes_no_IKE_numbers_or_SA_lifetimes_and_a_dynamic_one_writes_its_zeros()
    {
        var manual = TestMappings.Ecs(WithIpsec(Connection(3), ikeMajor: 0))["zos"]!["zert"]!["ipsec"]!;
        Assert.Null(manual["ike"]);
        Assert.Equal("manual", (string?)manual["tunnel"]!["type"]);
        Assert.Null(manual["tunnel"]!["lifesize_kb"]);
        Assert.Null(manual["tunnel"]!["lifetime_minutes"]);
        var manualFlat = TestMappings.Flat(WithIpsec(Connection(3), ikeMajor: 0));
        Assert.DoesNotContain(manualFlat, p => p.Key.StartsWith("IKE_", StringComparison.Ordinal) || p.Key is "IPSEC_LIFESIZE" or "IPSEC_LIFETIME");

        var dynamic = TestMappings.Ecs(WithIpsec(Connection(3), ikeMajor: 2))["zos"]!["zert"]!["ipsec"]!;
        Assert.Equal(0, (int)dynamic["ike"]!["minor_version"]!);   // IKEv2.0: a real zero
        Assert.Equal(0, (int)dynamic["ike"]!["lifesize_kb"]!);     // no size limit
        Assert.Equal(480, (int)dynamic["ike"]!["lifetime_minutes"]!);
        Assert.Equal(0, (int)dynamic["tunnel"]!["lifesize_kb"]!);
        Assert.Equal(60, (int)dynamic["tunnel"]!["lifetime_minutes"]!);
        Assert.Equal(0, (int)TestMappings.Flat(WithIpsec(Connection(3), ikeMajor: 2))["IKE_MINOR_VERSION"]!);

        var summary = new SpecRecordBuilder(12);
        summary.Common[8] = 1;
        summary.Common[10] = 0x20;
        summary.Common[27] = 6;
        var s = new byte[74];
        s[68] = 1;                // tunnel mode; IKE fields 0-45 all zero: a manual tunnel
        s[69] = 50;
        summary.Ipsec = s;
        Assert.Null(TestMappings.Ecs(summary)["zos"]!["zert"]!["ipsec"]!["ike"]);
        Assert.Null(TestMappings.Flat(summary)["IKE_MINOR_VERSION"]);
    }

    /// <summary>
    /// IBM records the short connection counts of a summary (layout §3.1) and the local server / client bits of SAFlags
    /// (table V.3) for TCP only. On an Enterprise Extender record (UDP, IP protocol 17) those bytes mean nothing, even
    /// when they are set: no short connection count is written and the bits name no role, so the direction is unknown
    /// and there is no client or server (contract §2, §2.3). A TCP record's zeros are counts and are written, and its
    /// bits name the role.
    /// </summary>
    [Theory]
    [InlineData(6)]
    [InlineData(17)]
    public void Short_connection_counts_and_local_socket_bits_are_written_for_TCP_only(byte proto)
    {
        var tcp = proto == 6;
        var summary = new SpecRecordBuilder(12);
        summary.Common[8] = 1;                          // interval record
        summary.Common[9] = 0x40;                       // local is the server (TCP only)
        summary.Common[27] = proto;
        U32(summary.Common, 108, 4);                    // connections at interval start
        U32(summary.Common, 156, 9);                    // and end
        if (!tcp)
        {
            U32(summary.Common, 116, 2);                // short connections at interval start
            U32(summary.Common, 164, 3);                // and end: bytes that mean nothing for UDP
        }

        var ecs = TestMappings.Ecs(summary);
        var counters = ecs["zos"]!["zert"]!["summary"]!;
        Assert.Equal(5, (int)counters["connections"]!["delta"]!);
        Assert.Equal(tcp ? "ingress" : "unknown", (string?)ecs["network"]!["direction"]);
        var flat = TestMappings.Flat(summary);
        var leef = TestMappings.Leef(summary);
        Assert.Equal(9, (int)flat["SA_CONNECTION_CNT_END"]!);
        Assert.Equal("9", leef["SA_CONNECTION_CNT_END"]);
        if (tcp)
        {
            Assert.Equal("""{"start":0,"end":0,"delta":0}""", counters["short_connections"]!.ToJsonString());
            foreach (var name in new[] { "SA_SHORT_CONN_CNT_BEG", "SA_SHORT_CONN_CNT_END" })
            {
                Assert.Equal(0, (int)flat[name]!);
                Assert.Equal("0", leef[name]);
            }
            Assert.True((bool)flat["LOCAL_SOCKET"]!);
            Assert.False((bool)flat["LOCAL_SOCKET_CLIENT"]!);
            Assert.Equal("true", leef["LOCAL_SOCKET"]);
            Assert.Equal("false", leef["LOCAL_SOCKET_CLIENT"]);
        }
        else
        {
            Assert.Null(counters["short_connections"]);
            foreach (var name in new[] { "SA_SHORT_CONN_CNT_BEG", "SA_SHORT_CONN_CNT_END", "LOCAL_SOCKET", "LOCAL_SOCKET_CLIENT" })
            {
                Assert.False(flat.ContainsKey(name), name);
                Assert.False(leef.ContainsKey(name), name);
            }
        }

        var connection = Connection(3, flags: 0x10, proto: proto); // X'10': local is the TCP server
        ecs = TestMappings.Ecs(connection);
        flat = TestMappings.Flat(connection);
        leef = TestMappings.Leef(connection);
        Assert.Equal(3, (int)flat["EVENT_TYPE"]!);
        var envelope = TestMappings.Normalizer.Describe(TestMappings.Parse(connection.Build()));
        if (tcp)
        {
            Assert.Equal("ingress", (string?)ecs["network"]!["direction"]);
            Assert.Equal("10.0.0.1", (string?)ecs["server"]!["ip"]);
            Assert.Equal("10.0.0.2", (string?)ecs["client"]!["ip"]);
            Assert.Equal(("10.0.0.2", "10.0.0.1"), (leef["src"], leef["dst"]));
            Assert.Contains("client 10.0.0.2:50000 -> server 10.0.0.1:443", (string)ecs["message"]!, StringComparison.Ordinal);
            Assert.Equal(("10.0.0.1", 443), (envelope.ServerIp, envelope.ServerPort));
            Assert.True((bool)flat["LOCAL_SOCKET"]!);
            Assert.False((bool)flat["LOCAL_SOCKET_CLIENT"]!);
            Assert.Equal("true", leef["LOCAL_SOCKET"]);
            Assert.Equal("false", leef["LOCAL_SOCKET_CLIENT"]);
        }
        else
        {
            // Unknown role (contract §2.3): no client/server/source/destination, LEEF src/dst are local/remote.
            Assert.Equal("unknown", (string?)ecs["network"]!["direction"]);
            foreach (var name in new[] { "client", "server", "source", "destination" }) Assert.Null(ecs[name]);
            Assert.Equal(("10.0.0.1", "10.0.0.2"), (leef["src"], leef["dst"]));
            Assert.Contains("local 10.0.0.1:443 <-> remote 10.0.0.2:50000", (string)ecs["message"]!, StringComparison.Ordinal);
            Assert.Null(envelope.ServerIp);
            foreach (var name in new[] { "LOCAL_SOCKET", "LOCAL_SOCKET_CLIENT" })
            {
                Assert.False(flat.ContainsKey(name), name);
                Assert.False(leef.ContainsKey(name), name);
            }
        }
    }

    /// <summary>
    /// The local server / client bits of a 119-11 record's SAFlags (X'10' / X'08', table V.3) came with z/OS 3.2: an
    /// earlier record has neither, on every TCP connection, and flat and LEEF wrote <c>LOCAL_SOCKET=false</c> and
    /// <c>LOCAL_SOCKET_CLIENT=false</c> ("neither server nor client") even where the TLS handshake names the role that ECS
    /// reports. They are written only when SAFlags names the role; ECS's role is unchanged.
    /// </summary>
    [Theory]
    [InlineData(0x00, null, null)] // before 3.2: no role bits; the TLS handshake says server
    [InlineData(0x10, true, false)]
    [InlineData(0x08, false, true)]
    public void Local_socket_bits_are_written_only_when_SAFlags_names_the_local_role(byte flags, bool? server, bool? client)
    {
        var connection = WithTls(Connection(3, flags), 0x0303, "C02F");
        connection.Tls![4] = 2; // TLS_Handshake_Role: server (layout §2.3)
        var ecs = TestMappings.Ecs(connection);
        var flat = TestMappings.Flat(connection);
        var leef = TestMappings.Leef(connection);
        // The role ECS reports: the bits first, then the handshake (contract §2.3).
        Assert.Equal(flags == 0x08 ? "egress" : "ingress", (string?)ecs["network"]!["direction"]);
        foreach (var (name, value) in new[] { ("LOCAL_SOCKET", server), ("LOCAL_SOCKET_CLIENT", client) })
        {
            Assert.Equal(value, (bool?)flat[name]);
            Assert.Equal(value?.ToString().ToLowerInvariant(), leef.GetValueOrDefault(name));
        }
    }

    /// <summary>
    /// A configuration event (119-11 event types 5 / 6, 119-12 2 / 3) has no connection: IBM leaves its IP protocol and
    /// ports zero. ECS writes no <c>network.transport</c> / <c>iana_number</c> and no <c>server.port</c> for a zero
    /// (contract §2: a zero port is an absent fact); flat and LEEF write no <c>EE_SESSION</c> (not
    /// <c>unknown(0x00)</c>) and no <c>SERVER_BEGIN_PORT</c> / <c>SERVER_END_PORT</c> either.
    /// </summary>
    [Theory]
    [InlineData(11, 5)]
    [InlineData(11, 6)]
    [InlineData(12, 2)]
    [InlineData(12, 3)]
    public void Configuration_events_name_no_IP_protocol_or_server_port(int subtype, byte eventType)
    {
        var b = new SpecRecordBuilder(subtype);
        b.Common[subtype == 11 ? 0 : 8] = eventType; // SAEvent_Type (layout §2.1, §3.1); every other byte zero

        var ecs = TestMappings.Ecs(b);
        Assert.Null(ecs["network"]);
        Assert.Null(ecs["server"]);
        var flat = TestMappings.Flat(b);
        var leef = TestMappings.Leef(b);
        Assert.Equal(eventType, (int)flat["EVENT_TYPE"]!);
        foreach (var name in new[] { "EE_SESSION", "SERVER_BEGIN_PORT", "SERVER_END_PORT" })
        {
            Assert.False(flat.ContainsKey(name), $"{name} = {flat[name]?.ToJsonString()}");
            Assert.False(leef.ContainsKey(name), $"{name} = {(leef.TryGetValue(name, out var v) ? v : null)}");
        }
    }

    [Fact]
    public void Zero_ports_blank_names_and_zero_serials_are_omitted()
    {
        var b = Connection(3, flags: 0x10, localPort: 0);
        b.Tls = new byte[168];
        b.Common[1] = 0x80;
        var ecs = TestMappings.Ecs(b);
        Assert.Null(ecs["server"]!["port"]);
        Assert.Null(ecs["process"]);
        Assert.Null(ecs["user"]);
        Assert.Null(ecs["tls"]!["server"]);
        Assert.Null(ecs["zos"]!["zert"]!["job_id"]);
    }
}
