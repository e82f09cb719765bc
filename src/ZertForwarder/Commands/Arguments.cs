namespace ZertForwarder.Commands;

/// <summary>Tiny option parser: <c>--name value</c> pairs, <c>--flag</c> switches (also <c>--flag=true|false</c>) and positional arguments.</summary>
/// <remarks>
/// A usage error throws <see cref="UsageException"/>; with <c>problems</c>, it is added there instead, so that a verb
/// can list every usage error of its command line at once.
/// </remarks>
internal sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly List<string>? _problems;
    private readonly HashSet<string> _named = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _switches = new(StringComparer.Ordinal);

    /// <param name="repeatable">Value options that may be given more than once, each value kept (<see cref="Values"/>); any other is given once.</param>
    /// <param name="isSetting">For a verb that takes settings: which words are settings (<see cref="Settings"/>), with or without a leading <c>--</c>.</param>
    public Arguments(IReadOnlyList<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> switches, List<string>? problems = null,
        IReadOnlySet<string>? repeatable = null, Func<string, bool>? isSetting = null)
    {
        _problems = problems;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                // The end of the options (POSIX utility syntax guideline 10): what follows is an input even if it
                // begins with "--", e.g. a dump named '--1.smf'.
                Positional.AddRange(args.Skip(i + 1));
                break;
            }
            if (isSetting?.Invoke(arg) == true)
            {
                // Before the options: '--Zos:UtcOffsets:SYSA=+01:00', which run takes, was an unknown option.
                Settings.Add(arg);
            }
            else if (IsOption(arg))
            {
                if (TryReadSwitch(arg, switches, _switches, Problem)) continue;
                string value;
                if (SplitGlued(arg, valueOptions) is var (name, glued))
                {
                    // --name=value, as other tools take it: as an unknown option it took the next word for its value.
                    arg = name;
                    _named.Add(arg);
                    if (glued.Length == 0) { Problem($"option '{name}' needs a value"); continue; }
                    value = glued;
                }
                else if (!valueOptions.Contains(arg))
                {
                    // The word after it, unless an option (or the value is in it: --name=value), is taken as its value:
                    // taken for an input, it was named a second time, as a file that does not exist or an argument the
                    // verb does not take.
                    Problem(i + 1 < args.Count && !IsOption(args[i + 1]) && !arg.Contains('=', StringComparison.Ordinal)
                        ? $"unknown option '{arg}' (read with '{args[++i]}' as its value)"
                        : $"unknown option '{arg}'");
                    continue;
                }
                else
                {
                    _named.Add(arg);
                    // An option is no value: '--out --weak-only' wrote the report into a directory named '--weak-only'.
                    if (i + 1 >= args.Count || IsOption(args[i + 1])) { Problem($"option '{arg}' needs a value"); continue; }
                    value = args[++i];
                }
                if (!_options.TryGetValue(arg, out var values)) _options[arg] = values = [];
                // The last one won without a word: '--out a --out b' wrote to b, and a mistyped value was never named.
                else if (values.Count == 1 && repeatable?.Contains(arg) != true) Problem($"option '{arg}' is given more than once");
                values.Add(value);
            }
            else
            {
                Positional.Add(arg);
            }
        }
    }

    public List<string> Positional { get; } = [];

    /// <summary>The settings (<c>Section:Key=value</c>, <c>--Section:Key=value</c>) before any <c>--</c>, in command-line order.</summary>
    public List<string> Settings { get; } = [];

    /// <summary>True for a word that names an option (<c>--name</c>); <c>-</c> (standard input) is an argument.</summary>
    public static bool IsOption(string arg) => arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2;

    /// <summary>
    /// <c>--name=value</c> of a known value option split into the option and its value (possibly empty), else null.
    /// </summary>
    public static (string Name, string Value)? SplitGlued(string arg, IReadOnlySet<string> valueOptions)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && valueOptions.Contains(arg[..equals]) ? (arg[..equals], arg[(equals + 1)..]) : null;
    }

    /// <summary>
    /// <paramref name="arg"/> as one of the <paramref name="switches"/>, recorded in <paramref name="given"/> as on or
    /// off: written alone (<c>--once</c>) it is on; <c>--once=true</c> and <c>--once=false</c> (any case, as boolean
    /// settings are written) are on and off. False when it is none of them. Another value, or a switch written both on
    /// and off, is a problem.
    /// </summary>
    public static bool TryReadSwitch(string arg, IReadOnlySet<string> switches, Dictionary<string, bool> given, Action<string> problem)
    {
        string name;
        bool on;
        if (switches.Contains(arg))
        {
            (name, on) = (arg, true);
        }
        else if (SplitGlued(arg, switches) is var (glued, value))
        {
            // '--once=true' was an unknown option (an unknown configuration key 'once' for run), though other options
            // take their value after '='.
            name = glued;
            if (!bool.TryParse(value, out on))
            {
                problem($"option '{name}' is on or off: write {name}, {name}=true or {name}=false, not '{arg}'");
                return true;
            }
        }
        else
        {
            return false;
        }
        if (given.TryGetValue(name, out var before) && before != on) problem($"option '{name}' is given both on and off");
        given[name] = on;
        return true;
    }

    /// <summary>The value option was given, or the switch is on.</summary>
    public bool Has(string option) => _options.ContainsKey(option) || _switches.GetValueOrDefault(option);

    /// <summary>
    /// The value option was written, with a value or without one (<c>--out</c>, <c>--out=</c>): a verb that requires it
    /// says so only when it was not written at all, since a missing value is already listed.
    /// </summary>
    public bool Named(string option) => _named.Contains(option);

    public string? Value(string option) => _options.TryGetValue(option, out var v) ? v.FirstOrDefault() : null;

    /// <summary>Every value of a repeatable option, in command-line order.</summary>
    public IReadOnlyList<string> Values(string option) => _options.TryGetValue(option, out var v) ? v : [];

    /// <summary>The option's value as a non-negative whole number; <paramref name="defaultValue"/> when it is not given (or, with problems, not one).</summary>
    public long Long(string option, long defaultValue)
    {
        var text = Value(option);
        if (text is null) return defaultValue;
        if (long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0) return v;
        Problem($"option '{option}' needs a non-negative whole number, not '{text}'");
        return defaultValue;
    }

    private void Problem(string problem)
    {
        if (_problems is null) throw new UsageException(problem);
        _problems.Add(problem);
    }
}
