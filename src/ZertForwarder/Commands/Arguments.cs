namespace ZertForwarder.Commands;

/// <summary>Tiny option parser: <c>--name value</c> pairs, <c>--flag</c> switches and positional arguments.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    public Arguments(IReadOnlyList<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> switches)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                if (switches.Contains(arg)) { _options[arg] = null; continue; }
                if (!valueOptions.Contains(arg)) throw new UsageException($"unknown option '{arg}'");
                if (i + 1 >= args.Count) throw new UsageException($"option '{arg}' needs a value");
                _options[arg] = args[++i];
            }
            else
            {
                Positional.Add(arg);
            }
        }
    }

    public List<string> Positional { get; } = [];

    public bool Has(string option) => _options.ContainsKey(option);

    public string? Value(string option) => _options.TryGetValue(option, out var v) ? v : null;

    public long Long(string option, long defaultValue)
    {
        var text = Value(option);
        if (text is null) return defaultValue;
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v
            : throw new UsageException($"option '{option}' needs a non-negative whole number, not '{text}'");
    }
}
