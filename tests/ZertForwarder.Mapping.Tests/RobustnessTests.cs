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
