using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping.Tests.Support;

internal static class TestMappings
{
    /// <summary>The mappings/ folder copied next to the test assembly.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "mappings");

    public static readonly MappingOptions Options = new()
    {
        UtcOffsets = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { ["SYSB"] = TimeSpan.FromHours(-5) },
        SurfaceEnforcementRuleName = true,
    };

    private static readonly Lazy<MappingSet> LazySet = new(() => MappingSet.Load(Directory, Options));

    public static MappingSet Set => LazySet.Value;

    public static ZertNormalizer Normalizer { get; } = new(Set);

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ZertForwarder.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("ZertForwarder.sln not found above the test directory");
        }
    }

    public static ZertRecord Parse(byte[] bytes)
    {
        var result = ZertRecordParser.Parse(bytes);
        Assert.True(result.Status == ZertParseStatus.Decoded, $"record did not decode: {result.Status} {result.Error}");
        return result.Record!;
    }

    public static string Render(Action<ZertRecord, System.Buffers.IBufferWriter<byte>> write, ZertRecord record)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        write(record, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The ECS documents of the zERT records among 2,000 generated ones (the generator's default seed, each system at its
    /// own UTC offset), as the forwarder writes them: what the SIEM content tests check their fields against.
    /// </summary>
    public static IReadOnlyList<System.Text.Json.Nodes.JsonObject> GeneratedEcsDocuments => LazyGeneratedDocuments.Value;

    private static readonly Lazy<List<System.Text.Json.Nodes.JsonObject>> LazyGeneratedDocuments = new(() =>
    {
        var records = Generator.SmfDumpGenerator.GenerateRecords(Generator.SmfDumpGenerator.DefaultSeed, 2000, includeForeignRecords: false);
        var offsets = records.GroupBy(r => r.SystemId).ToDictionary(g => g.Key, g => g.First().UtcOffset, StringComparer.Ordinal);
        var normalizer = MappingSet.Load(Directory, new MappingOptions { UtcOffsets = offsets }).CreateNormalizer();
        return [.. records.Where(r => r.IsZert).Select(r => System.Text.Json.Nodes.JsonNode.Parse(Render(normalizer.WriteEcs, Parse(r.Bytes)))!.AsObject())];
    });

    /// <summary>The record's ECS document, as the shipped mappings write it.</summary>
    public static System.Text.Json.Nodes.JsonObject Ecs(SpecRecordBuilder b) =>
        System.Text.Json.Nodes.JsonNode.Parse(Render(Normalizer.WriteEcs, Parse(b.Build())))!.AsObject();

    /// <summary>The record's flat document, as the shipped mappings write it.</summary>
    public static System.Text.Json.Nodes.JsonObject Flat(SpecRecordBuilder b) =>
        System.Text.Json.Nodes.JsonNode.Parse(Render(Normalizer.WriteFlat, Parse(b.Build())))!.AsObject();

    /// <summary>The record's LEEF attributes by key, as the shipped mappings write them.</summary>
    public static Dictionary<string, string> Leef(SpecRecordBuilder b) =>
        LeefAndValidationTests.ParseLeef(Render(Normalizer.WriteLeef, Parse(b.Build())))
            .Attributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);

    public static bool Updating => Environment.GetEnvironmentVariable("ZERT_UPDATE_GOLDEN") == "1";
}
