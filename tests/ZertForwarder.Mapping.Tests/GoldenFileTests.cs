using System.Text.Json;
using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// One folder per case under cases/: input.hex (built from the layout spec by <see cref="SpecRecordBuilder"/>) and the
/// expected ECS, LEEF and flat outputs, checked by hand against the output contract. ZERT_UPDATE_GOLDEN=1 rewrites them.
/// </summary>
public sealed class GoldenFileTests
{
    public static TheoryData<string> Cases => [.. GoldenCases.All.Keys];

    public static TheoryData<string> AllCases => [.. GoldenCases.All.Keys, .. GoldenCases.Profiled.Keys];

    private static readonly Dictionary<string, ZertNormalizer> ByProfile = new(StringComparer.Ordinal);

    /// <summary>The record of a case and the normalizer it is judged with (its profile, else the default policy).</summary>
    internal static (byte[] Bytes, ZertNormalizer Normalizer) Case(string name)
    {
        if (GoldenCases.All.TryGetValue(name, out var build)) return (build().Build(), TestMappings.Normalizer);
        var (profile, builder) = GoldenCases.Profiled[name];
        lock (ByProfile)
        {
            if (!ByProfile.TryGetValue(profile, out var n))
            {
                var o = TestMappings.Options;
                n = MappingSet.Load(TestMappings.Directory, new MappingOptions { UtcOffsets = o.UtcOffsets, SurfaceEnforcementRuleName = o.SurfaceEnforcementRuleName, Profile = profile }).CreateNormalizer();
                ByProfile[profile] = n;
            }
            return (builder().Build(), n);
        }
    }

    private static string CaseDir(string name) => Path.Combine(TestMappings.RepoRoot, "tests", "ZertForwarder.Mapping.Tests", "cases", name);

    private const string Refresh = "If the change is intended, run: ZERT_UPDATE_GOLDEN=1 dotnet test tests/ZertForwarder.Mapping.Tests, then review the diff of the cases/ folder against the output contract.";

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Record_maps_to_the_golden_ECS_LEEF_and_flat_outputs(string name)
    {
        var (bytes, n) = Case(name);
        var record = TestMappings.Parse(bytes);
        var ecs = JsonNode.Parse(TestMappings.Render(n.WriteEcs, record))!;
        var flat = JsonNode.Parse(TestMappings.Render(n.WriteFlat, record))!;
        var leef = TestMappings.Render(n.WriteLeef, record);
        var dir = CaseDir(name);
        var indented = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        if (TestMappings.Updating)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "input.hex"), SpecRecordBuilder.ToHex(bytes));
            File.WriteAllText(Path.Combine(dir, "expected.ecs.json"), ecs.ToJsonString(indented) + "\n");
            File.WriteAllText(Path.Combine(dir, "expected.flat.json"), flat.ToJsonString(indented) + "\n");
            File.WriteAllText(Path.Combine(dir, "expected.leef"), leef + "\n");
            return;
        }
        Assert.True(Directory.Exists(dir), $"golden case folder {dir} is missing. {Refresh}");
        var stored = SpecRecordBuilder.FromHex(File.ReadAllText(Path.Combine(dir, "input.hex")));
        Assert.True(stored.AsSpan().SequenceEqual(bytes), $"{name}: input.hex differs from what the case builds. {Refresh}");
        var expectedEcs = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "expected.ecs.json")));
        Assert.True(JsonNode.DeepEquals(expectedEcs, ecs), $"{name}: ECS differs.\nactual:\n{ecs.ToJsonString(indented)}\n{Refresh}");
        var expectedFlat = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "expected.flat.json")));
        Assert.True(JsonNode.DeepEquals(expectedFlat, flat), $"{name}: flat differs.\nactual:\n{flat.ToJsonString(indented)}\n{Refresh}");
        var expectedLeef = File.ReadAllText(Path.Combine(dir, "expected.leef")).TrimEnd('\n');
        Assert.True(expectedLeef == leef, $"{name}: LEEF differs.\nexpected: {expectedLeef}\nactual:   {leef}\n{Refresh}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_bytes_are_deterministic(string name)
    {
        var record = TestMappings.Parse(GoldenCases.All[name]().Build());
        var n = TestMappings.Normalizer;
        Assert.Equal(TestMappings.Render(n.WriteEcs, record), TestMappings.Render(n.WriteEcs, record));
        Assert.Equal(TestMappings.Render(n.WriteLeef, record), TestMappings.Render(n.WriteLeef, record));
    }
}
