using ZertForwarder.Configuration;

namespace ZertForwarder.Commands;

/// <summary>The command line of the verbs that take run's settings (run, setup): <c>--config FILE</c>, the verb's switches and <c>Section:Key=value</c> settings.</summary>
internal static class SettingsArguments
{
    private static readonly HashSet<string> ConfigOption = ["--config"];

    /// <summary>
    /// Whether an argument reads as a <c>Section:Key=value</c> setting (a leading <c>--</c> allowed): a ':' before its
    /// first '='. Every setting names a section; a secret such as a base64 API key padded with '=' names none.
    /// </summary>
    private static bool IsSetting(string arg)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && arg.AsSpan(0, equals).Contains(':');
    }

    /// <summary>
    /// The configuration the command line names, with the command line's own problems first among its errors: an
    /// unknown argument stopped the verb alone, and the problems of the settings were named only on the next run.
    /// </summary>
    /// <param name="given">The verb's <paramref name="switches"/> that are on (<c>--once</c>, <c>--once=true</c>).</param>
    public static LoadedConfiguration Load(IReadOnlyList<string> args, IReadOnlySet<string> switches, out IReadOnlySet<string> given)
    {
        var configFiles = new List<string>();
        var settings = new List<string>();
        var switchValues = new Dictionary<string, bool>(StringComparer.Ordinal);
        var problems = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config")
            {
                if (i + 1 >= args.Count || Arguments.IsOption(args[i + 1])) problems.Add("option '--config' needs a file");
                else configFiles.Add(args[++i]);
            }
            else if (Arguments.SplitGlued(args[i], ConfigOption) is var (_, file))
            {
                // Read as a setting, '--config=site.json' was an unknown configuration key 'config'.
                if (file.Length == 0) problems.Add("option '--config' needs a file");
                else configFiles.Add(file);
            }
            else if (Arguments.TryReadSwitch(args[i], switches, switchValues, problems.Add))
            {
                // Read as a setting, '--once=true' was an unknown configuration key 'once'.
            }
            else if (args[i].Contains('=', StringComparison.Ordinal))
            {
                settings.Add(args[i]);
            }
            else if (args[i].Contains(':', StringComparison.Ordinal))
            {
                // A setting written as '--Outputs:Elasticsearch:Password value': the next argument is its value, and
                // may be a password, so it is taken along and not quoted (README "URLs and secrets"), unless it is a
                // setting itself; a value may hold an '=' (base64 padding).
                var setting = args[i];
                var valueFollows = i + 1 < args.Count && !Arguments.IsOption(args[i + 1]) && !IsSetting(args[i + 1]);
                if (valueFollows) i++;
                problems.Add($"setting '{setting}' has no value: write {setting}=value, in one argument" +
                             (valueFollows ? " (the argument after it, not shown, was read as its value)" : ""));
            }
            else
            {
                problems.Add($"unknown argument '{args[i]}' (settings are Section:Key=value)");
            }
        }
        // One file is read: '--config base.json --config site.json' ran without base.json, without a word.
        if (configFiles.Count > 1) problems.Add("option '--config' is given more than once");
        given = switchValues.Where(s => s.Value).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var loaded = ConfigurationLoader.Load(configFiles.FirstOrDefault(), settings);
        return problems.Count == 0 ? loaded : loaded with { Errors = [.. problems, .. loaded.Errors] };
    }
}
