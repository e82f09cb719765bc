using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>Issue 10 LEEF for QRadar, the one-line message (issue 11) and DN redaction (issue 8).</summary>
public sealed class LeefQRadarTests
{
    private static List<KeyValuePair<string, string>> Leef(ZertNormalizer n, byte[] bytes) =>
        LeefAndValidationTests.ParseLeef(TestMappings.Render(n.WriteLeef, TestMappings.Parse(bytes))).Attributes;

    private static ZertNormalizer With(Func<MappingOptions, MappingOptions> change) =>
        MappingSet.Load(TestMappings.Directory, change(TestMappings.Options)).CreateNormalizer();

    private static MappingOptions Copy(MappingOptions o, DnRedaction redaction = DnRedaction.None, int maxLine = MappingOptions.DefaultLeefMaxLineLength, bool enforcementRaw = false) => new()
    {
        UtcOffsets = o.UtcOffsets, SurfaceEnforcementRuleName = o.SurfaceEnforcementRuleName, RedactDistinguishedNames = redaction,
        LeefMaxLineLength = maxLine, LeefEnforcementRaw = enforcementRaw,
    };

    [Theory]
    [MemberData(nameof(GoldenFileTests.Cases), MemberType = typeof(GoldenFileTests))]
    public void The_system_as_identHostName_no_END_TIME_without_an_end_and_the_assessment_before_the_DNs(string name)
    {
        var bytes = GoldenCases.All[name]().Build();
        var attributes = Leef(TestMappings.Normalizer, bytes);
        var keys = attributes.Select(a => a.Key).ToList();
        // Output contract §4: identHostName is the system name, the same value as SYSTEM_NAME.
        Assert.Equal(attributes.Single(a => a.Key == "SYSTEM_NAME").Value, attributes.Single(a => a.Key == "identHostName").Value);
        var ecs = JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteEcs, TestMappings.Parse(bytes)))!;
        var hasEnd = ecs["event"]?["end"] is not null;
        if (TestMappings.Parse(bytes).Subtype == 11)
        {
            Assert.Equal(hasEnd, keys.Contains("END_TIME"));
            Assert.Equal(hasEnd, keys.Contains("END_DATE"));
        }
        var assessment = keys.IndexOf("ASSESSMENT_LEVEL");
        Assert.True(assessment > keys.IndexOf("externalId"), "assessment after the predefined keys");
        Assert.True(keys.Take(assessment).All(k => char.IsLower(k[0])), "only predefined keys before the assessment");
        var firstDn = keys.FindIndex(k => k.StartsWith("DN_", StringComparison.Ordinal));
        if (firstDn >= 0) Assert.True(firstDn > keys.IndexOf("RISK_SCORE") && keys.Skip(firstDn).All(k => k.StartsWith("DN_", StringComparison.Ordinal)), "DNs come last");
        // Code 0 ("not supplied") is never written as a value.
        Assert.DoesNotContain(attributes, a => a.Value is "unknown" or "not-supplied");
        Assert.DoesNotContain("MESSAGE", keys);
    }

    [Fact]
    public void Enforcement_hex_is_in_LEEF_only_when_asked_for()
    {
        var bytes = GoldenCases.All["c11-e7-enforcement-reset"]().Build();
        Assert.DoesNotContain(Leef(TestMappings.Normalizer, bytes), a => a.Key == "ENFORCEMENT_SECTION");
        Assert.Contains(Leef(With(o => Copy(o, enforcementRaw: true)), bytes), a => a.Key == "ENFORCEMENT_SECTION" && a.Value.Length > 50);
        var flat = JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteFlat, TestMappings.Parse(bytes)))!;
        Assert.NotNull(flat["ENFORCEMENT_SECTION"]);
    }

    [Fact]
    public void A_line_over_the_maximum_has_its_longest_DNs_shortened_and_marked_and_nothing_else()
    {
        var longDn = "CN=" + new string('a', 900) + ",OU=" + new string('b', 600) + ",O=Example,C=US";
        var b = GoldenCases.All["c11-e1-tls12-server-strong"]();
        b.Dn(7, longDn).Dn(8, "CN=Short CA");
        var bytes = b.Build();
        var full = TestMappings.Render(TestMappings.Normalizer.WriteLeef, TestMappings.Parse(bytes));
        var capped = With(o => Copy(o, maxLine: 2300));
        var line = TestMappings.Render(capped.WriteLeef, TestMappings.Parse(bytes));
        Assert.True(full.Length > 2300, "the record must need shortening");
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(line) <= 2300, $"line of {line.Length} bytes");
        var before = LeefAndValidationTests.ParseLeef(full).Attributes;
        var after = LeefAndValidationTests.ParseLeef(line).Attributes;
        Assert.Equal(before.Select(a => a.Key), after.Select(a => a.Key));
        for (var i = 0; i < before.Count; i++)
        {
            if (before[i].Key.StartsWith("DN_", StringComparison.Ordinal) && before[i].Value != after[i].Value)
            {
                Assert.EndsWith("...[cut]", after[i].Value, StringComparison.Ordinal);
                Assert.StartsWith(after[i].Value[..^"...[cut]".Length], before[i].Value, StringComparison.Ordinal);
            }
            else Assert.Equal(before[i], after[i]);
        }
        Assert.Contains(after, a => a.Key == "DN_TLS_CLIENT_CERT_SUBJECT" && a.Value.EndsWith("...[cut]", StringComparison.Ordinal));
        Assert.Contains(after, a => a.Key == "DN_TLS_CLIENT_CERT_ISSUER" && a.Value == "CN=Short CA");
    }

    [Theory]
    [InlineData(DnRedaction.Hash)]
    [InlineData(DnRedaction.Drop)]
    public void DN_redaction_applies_to_ECS_LEEF_and_flat(DnRedaction redaction)
    {
        var n = With(o => Copy(o, redaction));
        var record = TestMappings.Parse(GoldenCases.All["c11-e1-tls12-server-strong"]().Build());
        var ecs = TestMappings.Render(n.WriteEcs, record);
        var flat = JsonNode.Parse(TestMappings.Render(n.WriteFlat, record))!;
        var leef = Leef(n, GoldenCases.All["c11-e1-tls12-server-strong"]().Build()).ToDictionary(a => a.Key, a => a.Value);
        foreach (var text in new[] { ecs, flat.ToJsonString(), string.Join('\t', leef.Values) })
            Assert.DoesNotContain("cics.example.com", text, StringComparison.Ordinal);
        var subject = JsonNode.Parse(ecs)!["tls"]!["server"]!["x509"]!["subject"]?["distinguished_name"];
        if (redaction == DnRedaction.Drop)
        {
            Assert.Null(subject);
            Assert.Null(flat["DN_TLS_SERVER_CERT_SUBJECT"]);
            Assert.False(leef.ContainsKey("DN_TLS_SERVER_CERT_SUBJECT"));
            return;
        }
        // Unkeyed SHA-256 prefix: stable, equal DNs group together, the same in every format.
        var expected = "sha256:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("CN=cics.example.com,O=Example,C=US"u8))[..32];
        Assert.Equal(expected, (string)subject!);
        Assert.Equal(expected, (string)flat["DN_TLS_SERVER_CERT_SUBJECT"]!);
        Assert.Equal(expected, leef["DN_TLS_SERVER_CERT_SUBJECT"]);
        Assert.NotEqual(expected, (string)flat["DN_TLS_SERVER_CERT_ISSUER"]!);
    }

    [Fact]
    public void Message_is_one_readable_line_in_ECS_and_flat()
    {
        var record = TestMappings.Parse(GoldenCases.All["c11-e1-tls12-server-strong"]().Build());
        var ecs = JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteEcs, record))!;
        var message = (string)ecs["message"]!;
        Assert.Equal("connection-initiated: TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, client 192.168.7.20:51234 -> server 10.1.1.1:443, job CICSPRD1: strong", message);
        Assert.Equal(message, (string)JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteFlat, record))!["MESSAGE"]!);
    }

    [Fact]
    public void A_system_without_an_offset_is_reported_once()
    {
        var reported = new System.Collections.Concurrent.ConcurrentBag<string>();
        var n = MappingSet.Load(TestMappings.Directory, new MappingOptions { MissingUtcOffset = reported.Add }).CreateNormalizer();
        for (var i = 0; i < 3; i++)
        {
            TestMappings.Render(n.WriteEcs, TestMappings.Parse(GoldenCases.All["c11-e1-tls12-server-strong"]().Build()));
            TestMappings.Render(n.WriteEcs, TestMappings.Parse(GoldenCases.All["c11-e1-ipv6-tls13"]().Build()));
        }
        Assert.Equal(["SYSA", "SYSB"], reported.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Systems_without_an_offset_are_reported_for_at_most_1024_ids()
    {
        // The id comes from the record: damaged ids must not be remembered (and warned about) without end.
        var reported = new List<string>();
        var set = MappingSet.Load(TestMappings.Directory, new MappingOptions { MissingUtcOffset = reported.Add });
        for (var i = 0; i < 1100; i++) set.NoteMissingUtcOffset($"S{i:X3}");
        set.NoteMissingUtcOffset("S000");
        Assert.Equal(1024, reported.Count);
        Assert.Equal(Enumerable.Range(0, 1024).Select(i => $"S{i:X3}"), reported);
    }
}
