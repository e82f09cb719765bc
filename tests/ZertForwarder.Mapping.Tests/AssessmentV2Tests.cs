using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// Issue 10 assessment v2: forward secrecy, group sizes, IKE and SSH algorithms, compliance profiles that cite their
/// standard, quantum readiness; the same facts in ECS, LEEF and flat.
/// </summary>
public sealed class AssessmentV2Tests
{
    private static JsonObject Assessment(ZertNormalizer n, byte[] bytes) =>
        JsonNode.Parse(TestMappings.Render(n.WriteEcs, TestMappings.Parse(bytes)))!["zos"]!["zert"]!["assessment"]!.AsObject();

    private static string[] Reasons(JsonObject assessment) => [.. (assessment["reasons"]?.AsArray() ?? []).Select(r => (string)r!)];

    private static ZertNormalizer Profile(string profile) => GoldenFileTests.Case(GoldenCases.Profiled.First(p => p.Value.Profile == profile).Key).Normalizer;

    [Fact]
    public void Static_RSA_key_exchange_is_not_strong_and_says_it_lacks_forward_secrecy()
    {
        var a = Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e3-tls12-static-rsa"]().Build());
        Assert.NotEqual("strong", (string)a["level"]!);
        Assert.Contains("kex:no-forward-secrecy", Reasons(a));
        // The same record with ECDHE is strong: the reason is the key exchange, nothing else.
        var ecdhe = Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e1-tls12-server-strong"]().Build());
        Assert.Equal("strong", (string)ecdhe["level"]!);
        Assert.Empty(Reasons(ecdhe));
    }

    [Theory]
    [InlineData("C027", "cipher:cbc")] // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: no other reason than its CBC mode
    [InlineData("C011", "cipher:rc4")] // TLS_ECDHE_RSA_WITH_RC4_128_SHA, IBM's encryption code left 0: the name alone
    [InlineData("C010", "cipher:null")] // TLS_ECDHE_RSA_WITH_NULL_SHA
    public void Suite_markers_starting_with_an_underscore_are_judged_not_taken_for_comments(string cipher, string reason)
    {
        var record = GoldenCases.Tls(1, flags: 0x10, version: 0x0303, cipher: cipher, role: 2, type: 1, enc: 0, mac: 0, kex: 0).Build();
        var a = Assessment(TestMappings.Normalizer, record);
        Assert.Contains(reason, Reasons(a));
        Assert.NotEqual("strong", (string)a["level"]!);
        Assert.Contains(reason + " (SP800-52r2 3.3.1", string.Join(",", Reasons(Assessment(Profile("nist-sp800-52r2"), record))));
    }

    [Fact]
    public void Quantum_part_lists_stay_right_and_bounded_whatever_key_lengths_the_records_carry()
    {
        // Key lengths come from the record: damaged length fields could make a new part list per record.
        var set = MappingSet.Load(TestMappings.Directory, TestMappings.Options);
        var normalizer = new ZertNormalizer(set);
        for (var bits = 1; bits <= QuantumParts.MaxLists + 200; bits++)
        {
            var record = GoldenCases.Tls(1, flags: 0x10, version: 0x0303, cipher: "C02F", role: 2, type: 1, enc: 0, mac: 0, kex: 0, keyBits: bits).Build();
            if (bits % 700 == 0 || bits > QuantumParts.MaxLists)
            {
                Assert.Equal(["key_exchange:ECDHE", $"certificate:RSA-{bits}"], Assessment(normalizer, record)["quantum_vulnerable"]!.AsArray().Select(p => (string)p!));
            }
            else
            {
                TestMappings.Render(normalizer.WriteEcs, TestMappings.Parse(record));
            }
        }
        Assert.Equal(QuantumParts.MaxLists, set.Assessor.Quantum.KeptLists);
    }

    [Fact]
    public void ECDHE_is_not_quantum_safe_and_names_the_vulnerable_parts()
    {
        var a = Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e1-tls12-server-strong"]().Build());
        Assert.False((bool)a["quantum_safe"]!);
        Assert.Equal(["key_exchange:ECDHE", "certificate:RSA-2048"], a["quantum_vulnerable"]!.AsArray().Select(p => (string)p!));
        var tls13 = Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e3-tls13-client"]().Build());
        Assert.False((bool)tls13["quantum_safe"]!);
        Assert.Contains("key_exchange:(EC)DHE", tls13["quantum_vulnerable"]!.AsArray().Select(p => (string)p!));
        var cleartext = Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e3-cleartext-ipfilter"]().Build());
        Assert.Null(cleartext["quantum_safe"]);
        Assert.False((bool)cleartext["compliant"]!);
    }

    [Theory]
    [InlineData(1)] // IKE group 1 (768-bit MODP): code 1 of table V.20 is a group, not "none"
    [InlineData(2)]
    public void Every_IKE_Diffie_Hellman_group_is_a_quantum_vulnerable_part(ushort group)
    {
        var a = Assessment(TestMappings.Normalizer, GoldenCases.IpsecWith(major: 1, dhGroup: group, pfsGroup: group).Build());
        Assert.False((bool)a["quantum_safe"]!);
        Assert.Contains($"key_exchange:DH-group-{group}", a["quantum_vulnerable"]!.AsArray().Select(p => (string)p!));
        Assert.Contains("kex:dh<2048", Reasons(a));
    }

    [Theory]
    [InlineData(218)] // SMF119SC_IPSec_AuthAlg, the IPsec SA's integrity algorithm (table V.6)
    [InlineData(92)] // SMF119SC_IPSec_IKETunAuthAlg, the IKE SA's
    public void An_IPsec_tunnel_with_HMAC_MD5_integrity_is_weak(int offset)
    {
        var b = GoldenCases.IpsecWith(major: 2, dhGroup: 0x13, pfsGroup: 0x13);
        b.Ipsec![94] = 0;
        b.Ipsec[95] = 0x11; // IKE encryption as the SA's (not 3DES), so that nothing else is weak
        Assert.Equal("strong", (string)Assessment(TestMappings.Normalizer, b.Build())["level"]!);
        b.Ipsec[offset] = 0;
        b.Ipsec[offset + 1] = 3; // HMAC-MD5
        var a = Assessment(TestMappings.Normalizer, b.Build());
        Assert.Equal("weak", (string)a["level"]!);
        Assert.Equal(["mac:md5"], Reasons(a));
        Assert.Contains("mac:md5 (SP800-52r2 3.3.1)", Reasons(Assessment(Profile("nist-sp800-52r2"), b.Build())));
    }

    [Fact]
    public void Weak_groups_IKEv1_and_weak_SSH_algorithms_are_named()
    {
        Assert.Contains("kex:dh<2048", Reasons(Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e1-ipsec-weak-dh-group"]().Build())));
        Assert.Contains("ike:v1", Reasons(Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e1-ipsec-ikev1"]().Build())));
        Assert.DoesNotContain("ike:v1", Reasons(Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e1-ipsec"]().Build())));
        var ssh = Reasons(Assessment(TestMappings.Normalizer, GoldenCases.All["c11-e3-ssh-weak-algorithms"]().Build()));
        Assert.Superset(new HashSet<string> { "kex:dh<2048", "kex:sha1", "mac:md5", "cipher:3des", "key:rsa<2048" }, ssh.ToHashSet());
    }

    [Fact]
    public void Under_NIST_SP_800_52r2_TLS_1_0_fails_and_TLS_1_2_ECDHE_GCM_with_a_valid_RSA_2048_certificate_passes()
    {
        var nist = Profile("nist-sp800-52r2");
        var pass = Assessment(nist, GoldenCases.Profiled["profile-nist-pass-tls12-ecdhe-gcm"].Build().Build());
        Assert.Equal("nist-sp800-52r2", (string)pass["profile"]!);
        Assert.True((bool)pass["compliant"]!);
        var fail = Assessment(nist, GoldenCases.Profiled["profile-nist-fail-tls10"].Build().Build());
        Assert.False((bool)fail["compliant"]!);
        Assert.Contains("protocol:tls1.0 (SP800-52r2 3.1)", Reasons(fail));
        var staticRsa = Assessment(nist, GoldenCases.All["c11-e3-tls12-static-rsa"]().Build());
        Assert.False((bool)staticRsa["compliant"]!);
        Assert.Contains("kex:no-forward-secrecy (SP800-52r2 3.3.1.1)", Reasons(staticRsa));
    }

    [Fact]
    public void Under_BSI_TR_02102_2_RSA_2048_and_static_RSA_fail_and_TLS_1_3_with_RSA_3072_passes()
    {
        var bsi = Profile("bsi-tr-02102-2");
        Assert.True((bool)Assessment(bsi, GoldenCases.Profiled["profile-bsi-pass-tls13-rsa3072"].Build().Build())["compliant"]!);
        var fail = Assessment(bsi, GoldenCases.Profiled["profile-bsi-fail-static-rsa-2048"].Build().Build());
        Assert.False((bool)fail["compliant"]!);
        Assert.Contains("key:rsa<3000 (BSI TR-02102-2 3.6)", Reasons(fail));
        Assert.Contains("kex:no-forward-secrecy (BSI TR-02102-2 3.3.1)", Reasons(fail));
    }

    [Theory]
    [InlineData("nist-sp800-52r2", "cipher:not-approved (SP800-52r2 3.3.1)")]
    [InlineData("bsi-tr-02102-2", "cipher:not-recommended (BSI TR-02102-2 3.3.1)")]
    public void Under_both_profiles_only_AES_suites_comply(string profile, string reason)
    {
        var n = Profile(profile);
        JsonObject Judge(ushort version, string cipher) =>
            Assessment(n, GoldenCases.Tls(1, flags: 0x10, version: version, cipher: cipher, role: 2, type: 1, enc: 0, mac: 0, kex: 0, keyBits: 3072).Build());
        // TLS_AES_128_GCM_SHA256 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 comply; their ChaCha20-Poly1305 and Camellia
        // counterparts, with everything else the same, do not.
        Assert.True((bool)Judge(0x0304, "1301")["compliant"]!);
        Assert.True((bool)Judge(0x0303, "C02F")["compliant"]!);
        foreach (var (version, cipher) in new[] { ((ushort)0x0304, "1303"), ((ushort)0x0303, "CCA8"), ((ushort)0x0303, "C08A") })
        {
            var a = Judge(version, cipher);
            Assert.False((bool)a["compliant"]!);
            Assert.Equal([reason], Reasons(a));
        }
    }

    [Fact]
    public void Under_BSI_TR_02102_2_a_TLS_1_2_suite_with_an_HMAC_SHA1_MAC_does_not_comply()
    {
        var bsi = Profile("bsi-tr-02102-2");
        JsonObject Judge(string cipher) =>
            Assessment(bsi, GoldenCases.Tls(1, flags: 0x10, version: 0x0303, cipher: cipher, role: 2, type: 1, enc: 0, mac: 0, kex: 0, keyBits: 3072).Build());
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 is in Table 2 (CBC is advice only); TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA is not.
        Assert.True((bool)Judge("C027")["compliant"]!);
        var sha1 = Judge("C013");
        Assert.False((bool)sha1["compliant"]!);
        Assert.Contains("mac:sha1 (BSI TR-02102-2 3.3.1)", Reasons(sha1));
        // SP 800-52 Rev. 2 lists the *_CBC_SHA suites (3.3.1.1): there the same record complies.
        Assert.True((bool)Assessment(Profile("nist-sp800-52r2"), GoldenCases.Tls(1, flags: 0x10, version: 0x0303, cipher: "C013", role: 2, type: 1, enc: 0, mac: 0, kex: 0).Build())["compliant"]!);
    }

    [Theory]
    [InlineData((ushort)0x0305, "C02F", "protocol:unknown")] // a TLS version table V.4 does not name
    [InlineData((ushort)0x7F1C, "1301", "protocol:unknown")] // a TLS 1.3 draft version
    [InlineData((ushort)0x0303, "C0B4", "cipher:unknown")] // TLS_SHA256_SHA256 (RFC 9150, no encryption), not in the registry table
    [InlineData((ushort)0x0303, "FF85", "cipher:unknown")] // a private-use code
    public void An_unknown_TLS_version_or_cipher_suite_is_not_rated_strong(ushort version, string cipher, string reason)
    {
        JsonObject Judge(ZertNormalizer n, ushort v, string c) =>
            Assessment(n, GoldenCases.Tls(1, flags: 0x10, version: v, cipher: c, role: 2, type: 1, enc: 0, mac: 0, kex: 0, keyBits: 3072).Build());
        Assert.Equal("strong", (string)Judge(TestMappings.Normalizer, 0x0303, "C02F")["level"]!);
        var a = Judge(TestMappings.Normalizer, version, cipher);
        Assert.Equal("acceptable", (string)a["level"]!);
        Assert.Equal([reason], Reasons(a));
        // Both standards list the versions and suites they allow: a code neither names does not comply.
        foreach (var profile in new[] { "nist-sp800-52r2", "bsi-tr-02102-2" })
        {
            var p = Judge(Profile(profile), version, cipher);
            Assert.False((bool)p["compliant"]!);
            Assert.StartsWith(reason + " (", Assert.Single(Reasons(p)));
        }
    }

    [Fact]
    public void Under_BSI_TR_02102_2_a_CBC_suite_with_encrypt_then_MAC_is_not_marked_for_CBC()
    {
        var b = GoldenCases.Tls(1, flags: 0x10, version: 0x0303, cipher: "C027", role: 2, type: 1, enc: 0, mac: 0, kex: 0, keyBits: 3072);
        Assert.Equal(0x80, b.Tls![69]); // TLS_CryptoFlags: encrypt-then-MAC in use
        var withEtm = Assessment(Profile("bsi-tr-02102-2"), b.Build());
        Assert.Equal("strong", (string)withEtm["level"]!);
        Assert.Empty(Reasons(withEtm));
        b.Tls[69] = 0;
        Assert.Equal(["cipher:cbc (BSI TR-02102-2 3.3.1.1)"], Reasons(Assessment(Profile("bsi-tr-02102-2"), b.Build())));
        // SP 800-52 Rev. 2 prefers GCM / CCM whatever the MAC order, and the default policy makes no exemption.
        b.Tls[69] = 0x80;
        Assert.Contains("cipher:cbc (SP800-52r2 3.3.1.1)", Reasons(Assessment(Profile("nist-sp800-52r2"), b.Build())));
        Assert.Contains("cipher:cbc", Reasons(Assessment(TestMappings.Normalizer, b.Build())));
    }

    [Fact]
    public void Every_profile_loads_and_every_rule_cites_its_section()
    {
        var dir = Path.Combine(TestMappings.Directory, "assessment", "profiles");
        var profiles = Directory.EnumerateFiles(dir, "*.json").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Contains("nist-sp800-52r2", profiles);
        Assert.Contains("bsi-tr-02102-2", profiles);
        foreach (var profile in profiles)
        {
            var set = MappingSet.Load(TestMappings.Directory, new MappingOptions { Profile = profile });
            Assert.Equal(profile, set.Policy.ProfileName);
            Assert.All(set.Policy.ReasonCitations, c => Assert.Matches(@"^\d+(\.\d+)* ", c));
            // The rule's section is in the reason code itself, so a SIEM sees which rule failed.
            Assert.All(set.Policy.Reasons, r => Assert.Matches(@" \((SP800-52r2|BSI TR-02102-2) \d+(\.\d+)*\)$", r));
        }
        var unknown = Assert.Throws<MappingException>(() => MappingSet.Load(TestMappings.Directory, new MappingOptions { Profile = "pci-dss" }));
        Assert.Contains(unknown.Problems, p => p.Contains("Assessment:Profile 'pci-dss'", StringComparison.Ordinal) && p.Contains("nist-sp800-52r2", StringComparison.Ordinal));
        Assert.Throws<MappingException>(() => MappingSet.Load(TestMappings.Directory, new MappingOptions { Profile = "../policy" }));
    }

    /// <summary>Runs <paramref name="check"/> on a copy of the mappings directory whose <paramref name="file"/> is edited.</summary>
    private static void WithEditedMappings(string file, Func<string, string> edit, Action<string> check)
    {
        var dir = Directory.CreateTempSubdirectory("zert-mappings-");
        try
        {
            foreach (var source in Directory.EnumerateFiles(TestMappings.Directory, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(dir.FullName, Path.GetRelativePath(TestMappings.Directory, source));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target);
            }
            var path = Path.Combine(dir.FullName, file);
            var text = File.ReadAllText(path);
            var edited = edit(text);
            Assert.NotEqual(text, edited);
            File.WriteAllText(path, edited);
            check(dir.FullName);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_profile_file_without_citations_is_rejected()
    {
        WithEditedMappings(Path.Combine("assessment", "profiles", "nist-sp800-52r2.json"),
            text => text.Replace("\"cite\": \"3.1 Protocol Version Support: servers shall not support SSL 2.0\"", "\"score\": 90", StringComparison.Ordinal)
                .Replace("\"score\": 90, \"score\": 90", "\"score\": 90", StringComparison.Ordinal),
            dir =>
            {
                var e = Assert.Throws<MappingException>(() => MappingSet.Load(dir, new MappingOptions { Profile = "nist-sp800-52r2" }));
                Assert.Contains(e.Problems, p => p.Contains("cite", StringComparison.Ordinal));
                // validate-mappings checks every profile, not only the one in use.
                Assert.Contains(MappingSet.Validate(dir), p => p.Contains("profiles/nist-sp800-52r2.json", StringComparison.Ordinal) && p.Contains("cite", StringComparison.Ordinal));
            });
    }

    [Fact]
    public void Post_quantum_markers_and_IKE_versions_that_cannot_match_are_start_up_problems_not_a_crash()
    {
        WithEditedMappings(Path.Combine("assessment", "policy.json"),
            text => text.Replace("\"post_quantum_markers\": [ \"MLKEM\",", "\"post_quantum_markers\": [ 5, { \"name\": \"X25519MLKEM768\" }, \" \", \"MLKEM\",", StringComparison.Ordinal)
                .Replace("\"ike_major_versions\": { \"1\": \"ike:v1\" }", "\"ike_major_versions\": { \"v1\": \"ike:v1\", \"99\": \"ike:v1\" }", StringComparison.Ordinal),
            dir =>
            {
                var e = Assert.Throws<MappingException>(() => MappingSet.Load(dir, TestMappings.Options));
                Assert.Equal(3, e.Problems.Count(p => p.Contains("post_quantum_markers", StringComparison.Ordinal) && p.Contains("must be a non-empty string", StringComparison.Ordinal)));
                Assert.Contains(e.Problems, p => p.Contains("IKE major version 'v1'", StringComparison.Ordinal));
                Assert.Contains(e.Problems, p => p.Contains("IKE major version '99'", StringComparison.Ordinal));
            });
    }

    [Fact]
    public void A_policy_name_no_record_can_carry_is_a_start_up_problem_not_a_rule_silently_switched_off()
    {
        WithEditedMappings(Path.Combine("assessment", "policy.json"),
            text => text.Replace("\"TLSv1.0\": \"protocol:tls1.0\"", "\"TLSV1.0\": \"protocol:tls1.0\"", StringComparison.Ordinal)
                .Replace("\"_RC4_\": \"cipher:rc4\"", "\"_rc4_\": \"cipher:rc4\"", StringComparison.Ordinal)
                .Replace("\"HMAC-MD5\": \"mac:md5\"", "\"HMAC_MD5\": \"mac:md5\"", StringComparison.Ordinal)
                .Replace("\"group-5\": \"kex:dh<2048\"", "\"group5\": \"kex:dh<2048\"", StringComparison.Ordinal),
            dir =>
            {
                var e = Assert.Throws<MappingException>(() => MappingSet.Load(dir, TestMappings.Options));
                foreach (var typo in new[] { "'TLSV1.0'", "'_rc4_'", "'HMAC_MD5'", "'group5'" })
                    Assert.Contains(e.Problems, p => p.Contains("assessment/policy.json", StringComparison.Ordinal) && p.Contains(typo, StringComparison.Ordinal));
                Assert.Equal(4, e.Problems.Count);
            });
        // Names derived from suite names only (static ECDH, plain PSK) are real names, not typos: the shipped files load.
        Assert.Empty(MappingSet.Validate(TestMappings.Directory));
    }

    [Fact]
    public void Assessment_and_quantum_fields_are_the_same_in_ECS_LEEF_and_flat()
    {
        var n = TestMappings.Normalizer;
        var record = TestMappings.Parse(GoldenCases.All["c11-e3-tls12-static-rsa"]().Build());
        var a = JsonNode.Parse(TestMappings.Render(n.WriteEcs, record))!["zos"]!["zert"]!["assessment"]!;
        var flat = JsonNode.Parse(TestMappings.Render(n.WriteFlat, record))!;
        var (_, leef) = LeefAndValidationTests.ParseLeef(TestMappings.Render(n.WriteLeef, record));
        var l = leef.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(string.Join(',', a["quantum_vulnerable"]!.AsArray().Select(x => (string)x!)), (string)flat["QUANTUM_VULNERABLE"]!);
        Assert.Equal((string)flat["QUANTUM_VULNERABLE"]!, l["QUANTUM_VULNERABLE"]);
        Assert.Equal("false", l["QUANTUM_SAFE"]);
        Assert.Equal((bool)a["compliant"]! ? "true" : "false", l["ASSESSMENT_COMPLIANT"]);
        Assert.Equal("default", l["ASSESSMENT_PROFILE"]);
    }
}
