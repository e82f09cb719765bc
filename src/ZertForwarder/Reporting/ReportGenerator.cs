using System.Globalization;
using ZertForwarder.Mapping;

namespace ZertForwarder.Reporting;

/// <summary>What a report run wrote, for the terminal.</summary>
internal sealed class ReportResult(Report report, string directory, long records, long rejected)
{
    public Report Report { get; } = report;
    public string Directory { get; } = directory;
    public long Records { get; } = records;
    public long Rejected { get; } = rejected;

    /// <summary>The busiest servers as a table, and where the full views are.</summary>
    public void WriteSummary(TextWriter output, int maxRows)
    {
        var rows = Report.Servers;
        const string format = "{0,-8} {1,-8} {2,-28} {3,11} {4,-8} {5,11} {6,9} {7,9} {8,9} {9,9} {10,9}";
        output.WriteLine($"{Records} zERT records read ({Report.RecordCount} connection and interval records in the report), {Rejected} rejected.");
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, format, "system", "stack", "server", "port", "job", "connections", "tls", "ssh", "ipsec", "none", "weak"));
        foreach (var row in rows.Take(maxRows))
        {
            var c = row.Counts;
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, format, row.Key.System, row.Key.Stack, row.Key.ServerIp, row.Key.Port, row.Key.Job,
                c.Connections, c.ConnectionsByProtection[1], c.ConnectionsByProtection[2], c.ConnectionsByProtection[3], c.ConnectionsByProtection[0], c.Weak));
        }
        var full = Path.GetFullPath(Directory);
        if (rows.Count > maxRows) output.WriteLine($"... {rows.Count - maxRows} more server rows in {Path.Combine(full, "servers.csv")}");
        output.WriteLine($"Report: {full} (servers.csv, clients.csv, outbound.csv, sessions.csv, report.html, cbom.cdx.json)");
    }
}

/// <summary>
/// Reads the inputs twice and writes every view of the report. The counting rule needs each stack's summary intervals
/// and addresses and each connection's records in time before it can count a record (<see cref="StackFacts"/>); the
/// first reading learns only those, the second counts each record into the rows as it comes. Of a record only its time
/// and byte counters are kept, and only of connection records, so memory follows the rows, the connections and the
/// stacks.
/// </summary>
internal static class ReportGenerator
{
    public static ReportResult Generate(IReadOnlyList<string> inputs, string directory, ReportFilter filter, ZertNormalizer normalizer, string mappingsDirectory, Action<string> reportError)
    {
        // Each reading writes documents with only the values it reads: the first a record's head, the second what the
        // rows count. The second meets the same rejected records and names them; the first says nothing.
        var learning = new ReportInput<RecordHead>(normalizer, RecordHead.FromEcs, reportError: _ => { }, normalizer.SelectEcsTargets(RecordHead.Targets));
        var stacks = new StackFacts();
        foreach (var path in inputs)
        {
            learning.Read(path, stacks.Learn);
        }
        var input = new ReportInput<ReportRecord>(normalizer, ReportRecord.FromEcs, reportError, normalizer.SelectEcsTargets(ReportRecord.Targets));
        var builder = new ReportBuilder(stacks, filter);
        foreach (var path in inputs)
        {
            input.Read(path, builder.Add);
        }
        var report = builder.Report;
        // Loaded before anything is written: a broken table stopped the report after five of its six files.
        var catalog = AlgorithmCatalog.Load(AlgorithmTable(mappingsDirectory));
        System.IO.Directory.CreateDirectory(directory);
        CsvReport.Write(report, directory);
        HtmlReport.Write(report, Path.Combine(directory, "report.html"), normalizer.Mappings.CertificateExpiryWarningDays);
        Cbom.Write(report, catalog, Path.Combine(directory, "cbom.cdx.json"));
        return new ReportResult(report, directory, builder.RecordsRead, input.Rejected);
    }

    /// <summary>
    /// The CBOM's algorithm table of a mapping directory; one from before the CBOM existed has none, and the shipped one
    /// serves then.
    /// </summary>
    internal static string AlgorithmTable(string mappingsDirectory)
    {
        var table = Path.Combine(mappingsDirectory, "cbom", "algorithms.json");
        return File.Exists(table) ? table : Path.Combine(AppContext.BaseDirectory, "mappings", "cbom", "algorithms.json");
    }
}
