using System.Buffers.Binary;
using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

public sealed class RobustnessTests
{
    [Fact]
    public void A_large_enforcement_section_and_a_1024_character_DN_map_in_full()
    {
        var b = new SpecRecordBuilder(11);
        b.Common[0] = 7;
        b.Common[1] = 0x80;
        b.Tls = new byte[168];
        b.Enforcement = new byte[20_000];
        b.Enforcement.AsSpan().Fill(0xC1);
        var dn = "CN=" + new string('a', 1021);
        b.Dn(5, dn);
        var record = TestMappings.Parse(b.Build());
        var ecs = System.Text.Json.Nodes.JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteEcs, record))!;
        Assert.Equal(40_000, ((string)ecs["zos"]!["zert"]!["enforcement"]!["raw"]!).Length);
        Assert.Equal(dn, (string?)ecs["tls"]!["server"]!["x509"]!["subject"]!["distinguished_name"]);
        Assert.Contains("DN_TLS_SERVER_CERT_SUBJECT=" + dn, TestMappings.Render(TestMappings.Normalizer.WriteLeef, record), StringComparison.Ordinal);
    }

    /// <summary>
    /// A record whose DN walk stopped (layout §2.7: here the issuer entry's DN_Len is below its own 4-byte header) is
    /// decoded, not rejected: ECS, LEEF and flat are written from it, each the same as the intact record's but for the
    /// issuer DN that was not read and the event id (a hash of the record's bytes).
    /// </summary>
    [Fact]
    public void A_record_whose_dn_walk_stopped_maps_like_the_intact_one_without_the_unread_dn()
    {
        var intact = GoldenCases.All["c11-e1-tls12-server-strong"]().Build();
        var stopped = (byte[])intact.Clone();
        var dnOffset = (int)BinaryPrimitives.ReadUInt32BigEndian(stopped.AsSpan(28 + 6 * 8)); // S6 triplet (§1.2)
        var issuerEntry = dnOffset + BinaryPrimitives.ReadUInt16BigEndian(stopped.AsSpan(dnOffset));
        SpecRecordBuilder.U16(stopped, issuerEntry, 2); // the issuer entry's DN_Len, below its own 4-byte header
        var before = TestMappings.Parse(intact);
        var after = TestMappings.Parse(stopped);
        var n = TestMappings.Normalizer;

        var expectedEcs = JsonNode.Parse(TestMappings.Render(n.WriteEcs, before))!.AsObject();
        var actualEcs = JsonNode.Parse(TestMappings.Render(n.WriteEcs, after))!.AsObject();
        Assert.NotNull(expectedEcs["tls"]!["server"]!["x509"]!["issuer"]);
        expectedEcs["tls"]!["server"]!["x509"]!.AsObject().Remove("issuer");
        expectedEcs["event"]!.AsObject().Remove("id");
        actualEcs["event"]!.AsObject().Remove("id");
        Assert.Equal(expectedEcs.ToJsonString(), actualEcs.ToJsonString());

        const string issuer = "DN_TLS_SERVER_CERT_ISSUER";
        static string WithoutEventId(string leef) => System.Text.RegularExpressions.Regex.Replace(leef, "externalId=[0-9a-f]+", "externalId=");
        var expectedLeef = WithoutEventId(TestMappings.Render(n.WriteLeef, before));
        Assert.Contains($"\t{issuer}=CN=Example Issuing CA,O=Example,C=US", expectedLeef, StringComparison.Ordinal);
        Assert.Equal(expectedLeef.Replace($"\t{issuer}=CN=Example Issuing CA,O=Example,C=US", "", StringComparison.Ordinal),
            WithoutEventId(TestMappings.Render(n.WriteLeef, after)));

        var expectedFlat = JsonNode.Parse(TestMappings.Render(n.WriteFlat, before))!.AsObject();
        Assert.True(expectedFlat.Remove(issuer));
        Assert.Equal(expectedFlat.ToJsonString(), JsonNode.Parse(TestMappings.Render(n.WriteFlat, after))!.ToJsonString());
    }

    [Fact]
    public void One_normalizer_used_from_many_threads_gives_the_same_bytes_as_one_thread()
    {
        var records = GoldenCases.All.Values.Select(build => TestMappings.Parse(build().Build())).ToArray();
        var n = TestMappings.Normalizer;
        string Render(Zert r) => TestMappings.Render(n.WriteEcs, r.Record) + TestMappings.Render(n.WriteLeef, r.Record) + TestMappings.Render(n.WriteFlat, r.Record) + n.Describe(r.Record).Key;
        var expected = records.Select(r => Render(new Zert(r))).ToArray();
        var actual = new string[records.Length * 20];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = Render(new Zert(records[i % records.Length])));
        for (var i = 0; i < actual.Length; i++) Assert.Equal(expected[i % records.Length], actual[i]);
    }

    private readonly record struct Zert(ZertForwarder.Smf.Zert.ZertRecord Record);
}
