using System.Globalization;
using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Mapping;
using ZertForwarder.Reporting;

namespace ZertForwarder.Commands;

/// <summary>
/// <c>report INPUT... --out DIR [filters]</c>: servers.csv, clients.csv, outbound.csv, sessions.csv, report.html and
/// cbom.cdx.json over SMF dumps and/or the forwarder's own ECS NDJSON (README "Report").
/// </summary>
internal static class ReportCommand
{
    private static readonly HashSet<string> ValueOptions =
        ["--out", "--system", "--stack", "--from", "--to", "--protection", "--port", "--job", "--mappings", "--utc-offset"];
    private static readonly HashSet<string> Switches = ["--weak-only"];

    public static int Execute(IReadOnlyList<string> args)
    {
        var (inputs, outDir, filter, mappings, offsets) = Parse(args);
        var problems = inputs.Select(p => Directory.Exists(p) ? $"input '{p}' is a directory; name the dump or NDJSON files"
                : p == "-" ? "input '-' (standard input) can be read only once, and the report reads each input twice: save it to a file first (e.g. zcat dump.gz > dump.smf)"
                : !File.Exists(p) ? $"input '{p}' does not exist"
                // The report reads each input twice (README "Report"): a pipe would be empty the second time, and the
                // report with it, without a word.
                : InputPaths.IsStream(p) ? $"input '{p}' is a pipe or device, which can be read only once, and the report reads each input twice: save it to a file first (e.g. zcat dump.gz > dump.smf)"
                : null)
            .OfType<string>().ToList();
        if (problems.Count > 0) throw new UsageException(string.Join("; ", problems));

        ZertNormalizer normalizer;
        try
        {
            normalizer = MappingSet.Load(mappings ?? MappingLoading.DefaultDirectory, new MappingOptions { UtcOffsets = offsets }).CreateNormalizer();
        }
        catch (MappingException e)
        {
            throw new UsageException($"the mapping files have {e.Problems.Count} problem(s): {string.Join("; ", e.Problems)}");
        }
        ReportResult result;
        try
        {
            result = ReportGenerator.Generate(inputs, outDir, filter, normalizer, mappings ?? MappingLoading.DefaultDirectory, Console.Error.WriteLine);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the inputs or write '{outDir}': {e.Message}");
        }
        result.WriteSummary(Console.Out, maxRows: 20);
        return result.Rejected > 0 ? CommandLine.RecordsRejected : CommandLine.Success;
    }

    private static (List<string> Inputs, string OutDir, ReportFilter Filter, string? Mappings, Dictionary<string, TimeSpan> Offsets) Parse(IReadOnlyList<string> args)
    {
        // Options that may repeat (--system A --system B, or --system A,B) are collected here, not in Arguments.
        var filter = new ReportFilter();
        var rest = new List<string>();
        var offsets = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!ValueOptions.Contains(name) || name is "--out" or "--mappings")
            {
                rest.Add(name);
                if (name is "--out" or "--mappings" && i + 1 < args.Count) rest.Add(args[++i]);
                continue;
            }
            if (i + 1 >= args.Count) throw new UsageException($"option '{name}' needs a value");
            foreach (var value in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                switch (name)
                {
                    case "--system": filter.Systems.Add(value); break;
                    case "--stack": filter.Stacks.Add(value); break;
                    case "--job": filter.Jobs.Add(value); break;
                    case "--protection":
                        if (value is not ("none" or "tls" or "ssh" or "ipsec")) throw new UsageException($"unknown protection '{value}': use none, tls, ssh or ipsec");
                        filter.Protections.Add(value);
                        break;
                    case "--port":
                        filter.Ports.Add(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
                            ? port
                            : throw new UsageException($"option '--port' needs a port number (1-65535), not '{value}'"));
                        break;
                    case "--from": filter.From = ParseTime(name, value); break;
                    case "--to": filter.To = ParseTime(name, value); break;
                    case "--utc-offset":
                        var eq = value.IndexOf('=', StringComparison.Ordinal);
                        if (eq <= 0 || !OptionsValidator.TryParseUtcOffset(value[(eq + 1)..], out var offset))
                            throw new UsageException($"option '--utc-offset' needs SID=+HH:MM (e.g. SYSA=-05:00), not '{value}'");
                        offsets[value[..eq]] = offset;
                        break;
                }
            }
        }
        var a = new Arguments(rest, ValueOptions, Switches);
        filter.WeakOnly = a.Has("--weak-only");
        if (a.Positional.Count == 0) throw new UsageException("report needs at least one input: SMF dumps or ECS NDJSON files");
        var outDir = a.Value("--out") ?? throw new UsageException("report needs --out DIR");
        if (filter.From is { } f && filter.To is { } t && t <= f) throw new UsageException("--to must be after --from");
        return (a.Positional, outDir, filter, a.Value("--mappings"), offsets);
    }

    private static DateTimeOffset ParseTime(string option, string value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : throw new UsageException($"option '{option}' needs an ISO 8601 time (UTC unless it says otherwise), not '{value}'");
}
