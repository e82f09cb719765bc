using ZertForwarder.Forwarding;
using ZertForwarder.Mapping;
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Commands;

/// <summary>
/// <c>decode FILE|- --format json|ecs|leef|flat</c>: one line per zERT record on stdout, in file order; each rejected
/// record as one line on stderr (<c>file:offset: reason</c>), in file order; a count line on stderr at the end.
/// Records are decoded and formatted on every core in batches and written in input order (<see cref="ParallelDecoder"/>).
/// Exit 0 when nothing was rejected, 1 otherwise.
/// </summary>
internal static class DecodeCommand
{
    private static readonly HashSet<string> ValueOptions = ["--format", "--container", "--mappings", "--config"];

    /// <summary>The configuration sections that shape the normalized output: decode takes them as run does (issue 10).</summary>
    private static readonly string[] OutputSections = ["Zos", "Mappings", "Assessment"];
    private static readonly HashSet<string> Switches = ["--enforcement-rule-name"];

    public static int Execute(IReadOnlyList<string> args)
    {
        // Every usage error at once: the first one stopped the command, one more run per mistake.
        var problems = new List<string>();
        // Section:Key=value arguments are settings, as for run also written --Section:Key=value (the configuration
        // loader reads both); the one other positional argument is the input.
        var a = new Arguments(args, ValueOptions, Switches, problems, isSetting: IsSetting);
        var overrides = a.Settings;
        var inputs = a.Positional;
        if (inputs.Count == 0) problems.Add("decode needs exactly one input: a file path or '-' for standard input");
        // Named, because one of them may be a setting without its '=' or a stray word the user does not see as an input.
        if (inputs.Count > 1) problems.Add($"decode needs exactly one input (a file path or '-' for standard input), not {inputs.Count}: '{string.Join("', '", inputs)}'");
        // Choices in any case, as --container and the settings' choices are: '--format ECS' was refused.
        var format = (a.Value("--format") ?? "json").ToLowerInvariant();
        if (format is not ("json" or "ecs" or "leef" or "flat")) problems.Add($"unknown format '{a.Value("--format")}': use json, ecs, leef or flat");
        var container = InputOptions.ParseContainer(a.Value("--container") ?? "auto", problems);
        foreach (var setting in overrides)
        {
            var section = setting.TrimStart('-').Split(':')[0];
            if (!OutputSections.Contains(section, StringComparer.OrdinalIgnoreCase))
                problems.Add($"decode takes settings of {string.Join(", ", OutputSections)} only, not '{setting}'");
        }
        var options = LoadOutputSettings(a.Value("--config"), overrides, problems);
        if (a.Value("--mappings") is { } directory) options.Mappings.Directory = directory;
        if (a.Has("--enforcement-rule-name")) options.Mappings.EnforcementRuleName = true;
        var surfaceRuleName = options.Mappings.EnforcementRuleName;

        // One formatter per worker thread: the raw JSON writer keeps state; the normalized formats share one
        // (thread-safe) normalizer, built once, so its warnings appear once. Built before the problems are listed,
        // so that the mapping files' are among them.
        Func<RecordFormatter>? createFormatter = null;
        try
        {
            createFormatter = format switch
            {
                "json" => () => new RawJsonFormatter(surfaceRuleName),
                "ecs" or "leef" or "flat" => NormalizedFormatter.CreateFactory(format, options),
                _ => null,
            };
        }
        catch (MappingException e)
        {
            problems.Add(MappingLoading.Describe(e));
        }
        if (problems.Count > 0 || createFormatter is null) throw new UsageException(problems);
        var input = inputs[0];

        using var stream = input == "-" ? Console.OpenStandardInput() : OpenFile(input);
        // Reports a closed pipe: the console's stream ignores it, and `decode dump | head` decoded the whole dump into nothing.
        using var stdout = Sinks.Files.FileSink.OpenStandardOutput();
        using var output = new BufferedStream(stdout, 1 << 16);
        var name = input == "-" ? "<stdin>" : input;
        using var decoder = new ParallelDecoder(createFormatter);
        RecordCounts counts;
        try
        {
            counts = decoder.Decode(stream, container, name, output, Console.Error);
        }
        catch (IOException e) when (e.HResult == Sinks.Files.FileSink.BrokenPipe)
        {
            // The reader has what it wanted (`decode dump | head`): stop at once and quietly, with the status of a
            // program ended by SIGPIPE, as `cat` or `grep` would, so a `set -o pipefail` script sees the same.
            return CommandLine.EndedByBrokenPipe;
        }
        Console.Error.WriteLine(counts.Describe());
        return counts.Rejected + counts.FramingErrors > 0 ? CommandLine.RecordsRejected : CommandLine.Success;
    }

    private static bool IsSetting(string argument) =>
        System.Text.RegularExpressions.Regex.IsMatch(argument, "^(--)?[A-Za-z]+:[^=]+=");

    /// <summary>
    /// The settings of <c>run</c> that shape output, from the same sources in the same order (file, environment,
    /// arguments), each problem added to <paramref name="problems"/>. Problems of other sections (inputs, outputs) are
    /// not decode's business and are not reported.
    /// </summary>
    private static ForwarderOptions LoadOutputSettings(string? configFile, IReadOnlyList<string> overrides, List<string> problems)
    {
        var loaded = ZertForwarder.Configuration.ConfigurationLoader.Load(configFile, overrides);
        var relevant = loaded.Errors.Where(e =>
            OutputSections.Any(section => e.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase)) ||
            (e.StartsWith(UnknownKey, StringComparison.Ordinal) && !InAnotherSection(e[UnknownKey.Length..])) ||
            (e.StartsWith("configuration", StringComparison.Ordinal) && !e.StartsWith(UnknownKey, StringComparison.Ordinal)) ||
            e.StartsWith("argument", StringComparison.Ordinal));
        problems.AddRange(relevant);
        return loaded.Options;
    }

    private const string UnknownKey = "unknown configuration key '";

    /// <summary>
    /// True for an unknown key inside a section that is not decode's (<c>Metrics:Bogus</c>): the file is run's, and
    /// README says decode ignores its other sections. A key of decode's own sections, or of no known section at all (a
    /// misspelt <c>Mapings</c>), is still reported.
    /// </summary>
    private static bool InAnotherSection(string key)
    {
        var section = key.Split(':', 2)[0];
        return !OutputSections.Any(s => string.Equals(s, section, StringComparison.OrdinalIgnoreCase)) &&
               typeof(ForwarderOptions).GetProperties().Any(p => string.Equals(p.Name, section, StringComparison.OrdinalIgnoreCase));
    }

    private static FileStream OpenFile(string path)
    {
        // Opening a directory fails with "access denied", which sends the user looking at permissions.
        if (Directory.Exists(path)) throw new UsageException($"'{path}' is a directory; decode reads one SMF dump file (or - for stdin)");
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {e.Message}");
        }
    }

    /// <summary>Writes one record in one output format (no trailing newline).</summary>
    internal abstract class RecordFormatter : IDisposable
    {
        public abstract void Write(ZertRecord record, IBufferWriter<byte> output);

        public virtual void Dispose()
        {
        }
    }

    internal sealed class RawJsonFormatter(bool surfaceRuleName) : RecordFormatter
    {
        private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        private readonly Utf8JsonWriter _writer = new(Stream.Null, Options);

        public override void Write(ZertRecord record, IBufferWriter<byte> output)
        {
            _writer.Reset(output);
            ZertRawJsonWriter.Write(_writer, record, surfaceRuleName);
            _writer.Flush();
        }

        public override void Dispose()
        {
            _writer.Dispose();
            base.Dispose();
        }
    }
}
