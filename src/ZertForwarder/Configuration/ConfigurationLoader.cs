using System.Collections;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using ZertForwarder.Forwarding;

namespace ZertForwarder.Configuration;

/// <summary>The configuration of one run, or every problem that keeps it from starting.</summary>
public sealed record LoadedConfiguration(ForwarderOptions Options, bool IsEmbeddedDefault, IReadOnlyList<string> Errors);

/// <summary>
/// Builds <see cref="ForwarderOptions"/> from, in rising priority: the JSON file given with <c>--config</c>,
/// environment variables prefixed <c>ZERTFORWARDER_</c> (<c>__</c> separates sections), and <c>Key=value</c>
/// command-line arguments. Unknown keys are errors (a typo must not silently fall back to a default); every problem is
/// collected so that one start-up lists them all.
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentPrefix = "ZERTFORWARDER_";

    public static LoadedConfiguration Load(string? configFile, IReadOnlyList<string> overrides, IDictionary? environment = null)
    {
        var errors = new List<string>();
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            if (Directory.Exists(full)) errors.Add($"configuration file '{configFile}' is a directory: give the JSON file in it");
            else if (!File.Exists(full)) errors.Add($"configuration file '{configFile}' does not exist");
            else builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }
        builder.AddInMemoryCollection(ReadEnvironment(environment ?? Environment.GetEnvironmentVariables()));
        builder.AddInMemoryCollection(ReadOverrides(overrides, errors));

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // The loader's own message only says that loading failed; the reason (a JSON error with its line, a
            // denied read) is the innermost one.
            var reason = e;
            while (reason.InnerException is not null) reason = reason.InnerException;
            errors.Add($"configuration file '{configFile}' cannot be read: {reason.Message}");
            return new LoadedConfiguration(new ForwarderOptions(), false, errors);
        }

        // Every key is checked on its own, so that a value of the wrong type (Metrics:Port=abc) is one listed problem
        // and does not stop the binding of the keys and sections after it: only the values that convert are bound,
        // then validated, and one start-up lists every problem.
        var usable = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, configured) in root.AsEnumerable())
        {
            if (configured is not { } value) continue;
            var problem = CheckKey(typeof(ForwarderOptions), key.Split(':'), out var leafType);
            if (problem is not null)
            {
                errors.Add($"unknown configuration key '{key}'{problem}");
                continue;
            }
            var conversionProblem = CheckValue(leafType!, ref value);
            if (conversionProblem is not null)
            {
                errors.Add($"{key} '{value}' {conversionProblem}");
                continue;
            }
            usable[key] = value;
        }

        var options = new ForwarderOptions();
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(usable).Build().Bind(options);
        }
        catch (InvalidOperationException e)
        {
            errors.Add($"configuration value cannot be used: {e.Message}{(e.InnerException is { } inner ? " " + inner.Message : "")}");
        }

        var embedded = configFile is null && options.Input.Paths.Length == 0 && options.Input.Watch is null && options.Input.Kafka is null &&
                       options.Outputs.Kafka is null && options.Outputs.Elasticsearch is null && options.Outputs.Syslog is null && options.Outputs.File is null && options.Outputs.Splunk is null;
        errors.AddRange(OptionsValidator.Validate(options, embedded));
        return new LoadedConfiguration(options, embedded, errors);
    }

    private static Dictionary<string, string?> ReadEnvironment(IDictionary environment)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            if (entry.Key is not string name || !name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            values[name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = entry.Value as string;
        }
        return values;
    }

    private static Dictionary<string, string?> ReadOverrides(IReadOnlyList<string> overrides, List<string> errors)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in overrides)
        {
            var text = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg;
            var eq = text.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                errors.Add($"argument '{arg}' is not Section:Key=value");
                continue;
            }
            values[text[..eq]] = text[(eq + 1)..];
        }
        return values;
    }

    /// <summary>Walks the options types along the key's sections; returns null when the key names a real setting.</summary>
    private static string? CheckKey(Type type, string[] path, out Type? leafType)
    {
        leafType = null;
        var current = type;
        for (var i = 0; i < path.Length; i++)
        {
            current = Nullable.GetUnderlyingType(current) ?? current;
            if (IsLeaf(current)) return $": '{current.Name}' setting '{string.Join(':', path[..i])}' has no part '{path[i]}'";
            var dictionary = current.GetInterfaces().Append(current)
                .FirstOrDefault(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IDictionary<,>));
            if (dictionary is not null)
            {
                current = dictionary.GetGenericArguments()[1];
                continue;
            }
            if (current.IsArray)
            {
                if (!int.TryParse(path[i], NumberStyles.None, CultureInfo.InvariantCulture, out _)) return $": '{path[i]}' should be an array index";
                current = current.GetElementType()!;
                continue;
            }
            var property = current.GetProperty(path[i], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                var known = current.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name);
                return $" (known keys under {(i == 0 ? "the root" : string.Join(':', path[..i]))}: {string.Join(", ", known)})";
            }
            current = property.PropertyType;
        }
        leafType = current;
        return null;
    }

    /// <summary>
    /// Null when <paramref name="value"/> converts to <paramref name="type"/> the way the binder converts it; else what
    /// is expected. A choice (an enum-typed setting) is written in the configuration as its name in lower case with
    /// hyphens between words (<c>octet-counting</c> for <c>SyslogFraming.OctetCounting</c>), any case accepted; the value is
    /// rewritten to the member's name for the binder.
    /// </summary>
    private static string? CheckValue(Type type, ref string value)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (!IsLeaf(target))
        {
            // A value where a list or a section is expected (Input:Paths=/dumps/a.smf): the binder would drop it
            // without a word, and the run then do something else than asked.
            if (value.Length == 0) return null; // an empty JSON object or array
            return target.IsArray || typeof(System.Collections.IList).IsAssignableFrom(target)
                ? "is a single value, but the setting is a list: give its items as <setting>:0=..., <setting>:1=... (in a JSON file, an array)"
                : "is a single value, but the setting is a section: give its keys as <setting>:<key>=... (in a JSON file, an object)";
        }
        if (target == typeof(string)) return null;
        if (value.Length == 0 && target != type) return null; // an empty nullable setting means "not set"
        if (target.IsEnum)
        {
            var text = value;
            var member = Enum.GetNames(target).FirstOrDefault(n =>
                string.Equals(n, text, StringComparison.OrdinalIgnoreCase) || string.Equals(ChoiceNames.Of(n), text, StringComparison.OrdinalIgnoreCase));
            if (member is null) return $"must be {ChoiceNames.Choices(target)}";
            value = member;
            return null;
        }
        try
        {
            System.ComponentModel.TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            return target switch
            {
                _ when target == typeof(bool) => "must be true or false",
                _ when target == typeof(int) || target == typeof(long) => "must be a whole number",
                _ when target == typeof(double) || target == typeof(decimal) => "must be a number",
                _ when target == typeof(TimeSpan) => "must be a duration like 00:00:30 (hh:mm:ss)",
                _ => $"is not a valid {target.Name}",
            };
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) ||
        type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri);
}
