using ZertForwarder.Configuration;

namespace ZertForwarder.Commands;

/// <summary>The command line of the verbs that take run's settings (run, setup): <c>--config FILE</c>, the verb's switches and <c>Section:Key=value</c> settings.</summary>
internal static class SettingsArguments
{
    /// <summary>
    /// The configuration the command line names, with the command line's own problems first among its errors: an
    /// unknown argument stopped the verb alone, and the problems of the settings were named only on the next run.
    /// </summary>
    /// <param name="given">The verb's <paramref name="switches"/> that were given.</param>
    public static LoadedConfiguration Load(IReadOnlyList<string> args, IReadOnlySet<string> switches, out IReadOnlySet<string> given)
    {
        string? configFile = null;
        var settings = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config")
            {
                if (i + 1 >= args.Count || Arguments.IsOption(args[i + 1])) problems.Add("option '--config' needs a file");
                else configFile = args[++i];
            }
            else if (switches.Contains(args[i]))
            {
                seen.Add(args[i]);
            }
            else if (args[i].Contains('=', StringComparison.Ordinal))
            {
                settings.Add(args[i]);
            }
            else
            {
                problems.Add($"unknown argument '{args[i]}' (settings are Section:Key=value)");
            }
        }
        given = seen;
        var loaded = ConfigurationLoader.Load(configFile, settings);
        return problems.Count == 0 ? loaded : loaded with { Errors = [.. problems, .. loaded.Errors] };
    }
}
