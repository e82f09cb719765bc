using ZertForwarder.Configuration;
using ZertForwarder.Mapping;

namespace ZertForwarder.Commands;

/// <summary>Finds the mapping files and compiles them for a run or a decode.</summary>
internal static class MappingLoading
{
    /// <summary>The mapping files shipped next to the program.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "mappings");

    /// <summary>Loads and compiles the mappings named by the options (all problems at once, as <see cref="MappingException"/>).</summary>
    public static ZertNormalizer CreateNormalizer(ForwarderOptions options)
    {
        var offsets = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);
        foreach (var (sid, text) in options.Zos.UtcOffsets)
        {
            if (OptionsValidator.TryParseUtcOffset(text, out var offset)) offsets[sid] = offset;
        }
        var directory = options.Mappings.Directory ?? DefaultDirectory;
        if (options.Outputs.Elasticsearch is { } es && es.TemplatesDirectory == "mappings/elasticsearch")
        {
            // The default names the shipped templates; resolve it against the mappings in use, not the working directory.
            es.TemplatesDirectory = Path.Combine(directory, "elasticsearch");
        }
        var set = MappingSet.Load(directory, new MappingOptions
        {
            UtcOffsets = offsets,
            Namespace = options.Outputs.Elasticsearch?.Namespace ?? "default",
            SurfaceEnforcementRuleName = options.Mappings.EnforcementRuleName,
        });
        return set.CreateNormalizer();
    }

    public static ZertNormalizer CreateNormalizer(string? directory, bool surfaceEnforcementRuleName) =>
        MappingSet.Load(directory ?? DefaultDirectory, new MappingOptions { SurfaceEnforcementRuleName = surfaceEnforcementRuleName }).CreateNormalizer();
}
