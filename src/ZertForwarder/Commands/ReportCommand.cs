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
    /// <summary>The filters that may repeat (<c>--system A --system B</c>) or take a comma list; a time range has one <c>--from</c> and one <c>--to</c>.</summary>
    private static readonly HashSet<string> ListOptions = ["--system", "--stack", "--protection", "--port", "--job", "--utc-offset"];
    private static readonly HashSet<string> FilterOptions = [.. ListOptions, "--from", "--to"];
    private static readonly HashSet<string> ValueOptions = [.. FilterOptions, "--out", "--mappings"];
    private static readonly HashSet<string> Switches = ["--weak-only"];

    public static int Execute(IReadOnlyList<string> args)
    {
        // Every usage error at once: the first one stopped the command, one more run per mistake.
        var problems = new List<string>();
        var (inputs, outDir, filter, mappings, offsets) = Parse(args, problems);
        problems.AddRange(inputs.Select(p => Directory.Exists(p) ? $"input '{p}' is a directory; name the dump or NDJSON files"
                : p == "-" ? "input '-' (standard input) can be read only once, and the report reads each input twice: save it to a file first (e.g. zcat dump.gz > dump.smf)"
                : !File.Exists(p) ? $"input '{p}' does not exist"
                // The report reads each input twice (README "Report"): a pipe would be empty the second time, and the
                // report with it, without a word.
                : InputPaths.IsStream(p) ? $"input '{p}' is a pipe or device, which can be read only once, and the report reads each input twice: save it to a file first (e.g. zcat dump.gz > dump.smf)"
                : null)
            .OfType<string>());
        // The mapping files' problems with the command line's: they were named only once those were fixed.
        ZertNormalizer? normalizer = null;
        try
        {
            normalizer = MappingSet.Load(mappings ?? MappingLoading.DefaultDirectory, new MappingOptions { UtcOffsets = offsets }).CreateNormalizer();
        }
        catch (MappingException e)
        {
            problems.Add(MappingLoading.Describe(e));
        }
        if (problems.Count > 0 || normalizer is null) throw new UsageException(problems);

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

    /// <summary>The command line, with each usage error added to <paramref name="problems"/>.</summary>
    private static (List<string> Inputs, string OutDir, ReportFilter Filter, string? Mappings, Dictionary<string, TimeSpan> Offsets) Parse(
        IReadOnlyList<string> args, List<string> problems)
    {
        var a = new Arguments(args, ValueOptions, Switches, problems, repeatable: ListOptions);
        var filter = new ReportFilter();
        var offsets = new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in FilterOptions)
        {
            foreach (var value in a.Values(name).SelectMany(given => Items(name, given, problems)))
            {
                switch (name)
                {
                    case "--system": filter.Systems.Add(value); break;
                    case "--stack": filter.Stacks.Add(value); break;
                    case "--job": filter.Jobs.Add(value); break;
                    case "--protection":
                        // Any case, as the filter matches protections.
                        if (value.ToLowerInvariant() is "none" or "tls" or "ssh" or "ipsec") filter.Protections.Add(value);
                        else problems.Add($"unknown protection '{value}': use none, tls, ssh or ipsec");
                        break;
                    case "--port":
                        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535) filter.Ports.Add(port);
                        else problems.Add($"option '--port' needs a port number (1-65535), not '{value}'");
                        break;
                    case "--from": filter.From = ParseTime(name, value, problems); break;
                    case "--to": filter.To = ParseTime(name, value, problems); break;
                    case "--utc-offset":
                        // Spaces around '=' are dropped, as around the commas: 'SYSA =+01:00' kept the system as
                        // "SYSA ", which no record's SMF id (SMF119SID, four characters) ever matched.
                        var eq = value.IndexOf('=', StringComparison.Ordinal);
                        var system = eq < 0 ? "" : value[..eq].TrimEnd();
                        if (system.Length > 0 && OptionsValidator.TryParseUtcOffset(value[(eq + 1)..].TrimStart(), out var offset))
                        {
                            // The last one won without a word: '--utc-offset SYSA=-05:00 --utc-offset SYSA=-04:00'
                            // converted every SYSA time by -04:00. A system is named in any case, as it is looked up.
                            if (!offsets.TryAdd(system, offset)) problems.Add($"option '--utc-offset' names system '{system}' more than once");
                        }
                        else problems.Add($"option '--utc-offset' needs SID=+HH:MM (e.g. SYSA=-05:00), not '{value}'");
                        break;
                }
            }
        }
        filter.WeakOnly = a.Has("--weak-only");
        if (a.Positional.Count == 0) problems.Add("report needs at least one input: SMF dumps or ECS NDJSON files");
        var outDir = a.Value("--out");
        if (outDir is null && !a.Named("--out")) problems.Add("report needs --out DIR"); // else Arguments said it needs a value
        if (filter.From is { } f && filter.To is { } t && t <= f) problems.Add("--to must be after --from");
        return (a.Positional, outDir ?? "", filter, a.Value("--mappings"), offsets);
    }

    /// <summary>
    /// The values one filter option gives: a list's items, an empty one (a trailing comma) passed over; a time is one
    /// value. A list with no item is a problem: '--stack ,' filtered nothing, and the report covered every stack.
    /// </summary>
    private static string[] Items(string option, string given, List<string> problems)
    {
        if (!ListOptions.Contains(option)) return [given.Trim()];
        var items = given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) problems.Add($"option '{option}' has an empty list ('{given}'): give at least one value");
        return items;
    }

    private static DateTimeOffset? ParseTime(string option, string value, List<string> problems)
    {
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return t;
        problems.Add($"option '{option}' needs an ISO 8601 time (UTC unless it says otherwise), not '{value}'");
        return null;
    }
}
