using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Mapping;
using ZertForwarder.Sinks.Syslog;

namespace ZertForwarder.Commands;

/// <summary>Finds the mapping files and compiles them for a run or a decode.</summary>
internal static class MappingLoading
{
    /// <summary>The mapping files shipped next to the program.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "mappings");

    /// <summary>Loads and compiles the mappings named by the options (all problems at once, as <see cref="MappingException"/>).</summary>
    public static ZertNormalizer CreateNormalizer(ForwarderOptions options, Action<string>? missingUtcOffset = null)
    {
        var offsets = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);
        foreach (var (sid, text) in options.Zos.UtcOffsets)
        {
            if (OptionsValidator.TryParseUtcOffset(text, out var offset)) offsets[sid] = offset;
        }
        var directory = options.Mappings.Directory ?? DefaultDirectory;
        ResolveTemplatesDirectory(options);
        var set = MappingSet.Load(directory, new MappingOptions
        {
            UtcOffsets = offsets,
            Namespace = options.Outputs.Elasticsearch?.Namespace ?? "default",
            SurfaceEnforcementRuleName = options.Mappings.EnforcementRuleName,
            Profile = options.Assessment.Profile,
            RedactDistinguishedNames = options.Mappings.RedactDistinguishedNames,
            LeefMaxLineLength = LeefLineBudget(options),
            LeefEnforcementRaw = options.Mappings.LeefEnforcementRaw,
            MissingUtcOffset = missingUtcOffset,
        });
        return set.CreateNormalizer();
    }

    /// <summary>
    /// The longest LEEF line to write. Mappings:LeefMaxLineLength is what the receiver takes (QRadar's maximum TCP syslog
    /// payload), and QRadar counts the whole syslog message: with the syslog output, the longest RFC 5424 header the
    /// sink puts in front of a line is kept free, else QRadar itself cuts that much off the end of a capped line (the
    /// last DN, its cut marker included).
    /// </summary>
    private static int LeefLineBudget(ForwarderOptions options) =>
        options.Mappings.LeefMaxLineLength > 0 && options.Outputs.Syslog is { } syslog
            ? options.Mappings.LeefMaxLineLength - Rfc5424Formatter.LongestHeaderLength(syslog)
            : options.Mappings.LeefMaxLineLength;

    /// <summary>
    /// Outputs:Elasticsearch:TemplatesDirectory's default names the shipped templates: it is resolved against the mappings
    /// in use (Mappings:Directory, else the program's), not the working directory.
    /// </summary>
    public static void ResolveTemplatesDirectory(ForwarderOptions options)
    {
        if (options.Outputs.Elasticsearch is { TemplatesDirectory: "mappings/elasticsearch" } es)
        {
            es.TemplatesDirectory = Path.Combine(options.Mappings.Directory ?? DefaultDirectory, "elasticsearch");
        }
    }

    /// <summary>The mapping files' problems as one item of a verb's list of usage errors.</summary>
    public static string Describe(MappingException e) => $"the mapping files have {e.Problems.Count} problem(s): {string.Join("; ", e.Problems)}";

    /// <summary>The warning of a system without a configured offset (once per system and run).</summary>
    public static string MissingOffsetWarning(string systemId) =>
        $"SMF system {systemId} has no configured UTC offset (setting Zos:UtcOffsets:{systemId}, e.g. \"-05:00\"): its record times are taken as UTC";

    public static ZertNormalizer CreateNormalizer(string? directory, bool surfaceEnforcementRuleName) =>
        MappingSet.Load(directory ?? DefaultDirectory, new MappingOptions { SurfaceEnforcementRuleName = surfaceEnforcementRuleName }).CreateNormalizer();
}
