namespace ZertForwarder.Commands;

/// <summary>Verb dispatch. Exit codes: 0 success, 1 some records were rejected or dead-lettered, 2 usage or configuration error.</summary>
internal static class CommandLine
{
    public const int Success = 0;
    public const int RecordsRejected = 1;
    public const int UsageError = 2;

    /// <summary>128 + SIGPIPE: <c>decode</c> whose stdout reader went away, the status `cat` has in that case.</summary>
    public const int EndedByBrokenPipe = 141;

    public const string Usage = """
        zertforwarder: forward IBM z/OS zERT records (SMF 119 subtypes 11 and 12) to SIEMs.

        Usage:
          zertforwarder run [--config FILE] [--once] [--check-config] [Section:Key=value ...]
              Move records from the configured inputs to the configured outputs. With no configuration, reads the
              bundled sample SMF file and writes ECS, LEEF and flat files under ./out, then prints a summary.
              --check-config checks the settings, the input files and the mapping files only, and exits (0 valid, 2 problems listed).
          zertforwarder decode FILE|- [--format json|ecs|leef|flat] [--container auto|rdw|vbs] [--mappings DIR]
                               [--config FILE] [--enforcement-rule-name] [Zos|Mappings|Assessment:Key=value ...]
              Print one line per zERT record. json = IBM field names; ecs/leef/flat = the normalized outputs, shaped
              by the same Zos, Mappings and Assessment settings as run (e.g. Zos:UtcOffsets:SYSA=-05:00).
          zertforwarder generate --out FILE --count N [--seed S] [--container rdw|vbs] [--block-size N]
              Write a synthetic SMF dump (realistic zERT traffic) for tests, benchmarks and demos.
          zertforwarder report INPUT... --out DIR [--system SID] [--stack NAME] [--from TIME] [--to TIME]
                  [--protection none|tls|ssh|ipsec] [--port N] [--job NAME] [--weak-only] [--utc-offset SID=+HH:MM]
                  [--mappings DIR]
              Servers, clients, outbound and sessions CSV, an HTML page with charts and a CycloneDX CBOM from SMF
              dumps or the forwarder's ECS NDJSON.
          zertforwarder setup [--config FILE] [Section:Key=value ...]
              Install the Elasticsearch templates (Outputs:Elasticsearch) and the Kibana data view, searches,
              dashboards and detection rules (Kibana:Url), then exit.
          zertforwarder validate-mappings [DIR]
              Load and check the mapping files, list every problem, run nothing.
          zertforwarder bench [--records N] [--pairs file,kafka,elasticsearch] [--rounds R] [--env NAME=VALUE,...] [--splunk URL]
              Measure decode, run to file, to Kafka (against kcat) and to Elasticsearch as whole processes, against the targets.
          zertforwarder --version
              Print the version.

        'zertforwarder VERB --help' describes one verb.
        """;

    /// <summary>Per-verb help (<c>zertforwarder VERB --help</c>): the verb's lines of <see cref="Usage"/>, or its own text.</summary>
    private static readonly Dictionary<string, Func<string>> VerbUsage = new(StringComparer.Ordinal)
    {
        ["run"] = () => VerbLines("run") + "\n\nSettings: --config FILE (JSON), ZERTFORWARDER_<Section>__<Key> environment variables, Section:Key=value arguments (README \"Configuration\").",
        ["decode"] = () => VerbLines("decode") + "\n\nRejected records go to stderr as file:offset: reason; exit 1 if any.",
        ["generate"] = () => VerbLines("generate"),
        ["report"] = () => VerbLines("report") + "\n\nWrites servers.csv, clients.csv, outbound.csv, sessions.csv, report.html and cbom.cdx.json under DIR and prints the"
            + "\nbusiest rows. Exit 0: every record read; 1: some records were rejected (each named on stderr); 2: usage errors.",
        ["validate-mappings"] = () => VerbLines("validate-mappings"),
        ["setup"] = () => VerbLines("setup") + "\n\nExit 0: everything installed; 1: Kibana rejected some objects (each named); 2: configuration problems, refused credentials, unreachable cluster.",
        ["bench"] = () => Benchmarks.Bench.Usage,
    };

    /// <summary>The product version (the assembly's informational version, as set at build time).</summary>
    public static string Version =>
        typeof(CommandLine).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(CommandLine).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return await RunVerbAsync(args);
        }
        catch (IOException e)
        {
            // Output that cannot be written (stdout on a full disk, a closed pipe reported as an error): one line and
            // exit 1, never a stack trace. The verbs handle their inputs' and outputs' errors themselves; this is what
            // reaches the top, mostly the console.
            try
            {
                Console.Error.WriteLine($"zertforwarder: cannot write the output: {e.Message}");
            }
            catch (IOException)
            {
                // stderr is gone too: the exit code says it.
            }
            return RecordsRejected;
        }
    }

    private static async Task<int> RunVerbAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            if (args.Length == 0) return await RunCommand.ExecuteAsync([]);
            Console.Out.WriteLine(Usage);
            return Success;
        }
        if (args[0] is "--version" or "-V" or "version")
        {
            Console.Out.WriteLine($"zertforwarder {Version}");
            return Success;
        }
        var rest = args[1..];
        if (VerbUsage.TryGetValue(args[0], out var verbUsage))
        {
            // "VERB --help" / "VERB --version" answer before any option of the verb is checked.
            if (rest.Any(arg => arg is "--help" or "-h"))
            {
                Console.Out.WriteLine(verbUsage());
                return Success;
            }
            if (rest.Any(arg => arg is "--version"))
            {
                Console.Out.WriteLine($"zertforwarder {Version}");
                return Success;
            }
        }
        try
        {
            return args[0] switch
            {
                "decode" => DecodeCommand.Execute(rest),
                "generate" => GenerateCommand.Execute(rest),
                "validate-mappings" => ValidateMappingsCommand.Execute(rest),
                "report" => ReportCommand.Execute(rest),
                "run" => await RunCommand.ExecuteAsync(rest),
                "setup" => await SetupCommand.ExecuteAsync(rest),
                "bench" => await BenchCommand.ExecuteAsync(rest),
                _ => Fail(UnknownVerb(args[0])),
            };
        }
        catch (UsageException e)
        {
            return Fail(e.Problems);
        }
    }

    /// <summary>
    /// An unknown verb, with the verbs there are; an option in the verb's place (<c>zertforwarder --config F</c>) is told
    /// to follow one: it was called an unknown verb, as if options were verbs.
    /// </summary>
    private static string UnknownVerb(string word) => Arguments.IsOption(word)
        ? $"option '{word}' comes after a verb: zertforwarder VERB {word} ... (verbs: {string.Join(", ", VerbUsage.Keys)})"
        : $"unknown verb '{word}': use {string.Join(", ", VerbUsage.Keys)}";

    /// <summary>The lines of <see cref="Usage"/> that describe <paramref name="verb"/>: its synopsis and the indented text under it.</summary>
    private static string VerbLines(string verb)
    {
        var lines = Usage.Split('\n');
        var start = Array.FindIndex(lines, line => line.TrimStart().StartsWith($"zertforwarder {verb} ", StringComparison.Ordinal)
            || line.Trim() == $"zertforwarder {verb}");
        if (start < 0) return Usage;
        var end = start + 1;
        while (end < lines.Length && lines[end].StartsWith("      ", StringComparison.Ordinal)) end++;
        return "Usage:\n" + string.Join('\n', lines[start..end]);
    }

    private static int Fail(string message) => Fail([message]);

    private static int Fail(IReadOnlyList<string> problems)
    {
        if (problems.Count == 1)
        {
            Console.Error.WriteLine($"zertforwarder: {problems[0]}");
        }
        else
        {
            Console.Error.WriteLine($"zertforwarder: the command line has {problems.Count} problem(s):");
            foreach (var problem in problems) Console.Error.WriteLine($"  - {problem}");
        }
        Console.Error.WriteLine("Run 'zertforwarder --help' for usage.");
        return UsageError;
    }
}

/// <summary>A command line that cannot be run as given: every problem found in it, so that one run lists them all.</summary>
internal sealed class UsageException(IReadOnlyList<string> problems) : Exception(string.Join("; ", problems))
{
    public UsageException(string message)
        : this([message])
    {
    }

    public IReadOnlyList<string> Problems { get; } = problems;
}
