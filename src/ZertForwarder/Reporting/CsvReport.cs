using System.Text;
using CsvHelper;

namespace ZertForwarder.Reporting;

/// <summary>
/// Writes the four CSV views: UTF-8 without a byte-order mark, RFC 4180 (CRLF, quoted where needed), a header row.
/// Job names, user ids and DNs come from the records, and a spreadsheet runs a cell that starts with <c>=</c>,
/// <c>+</c>, <c>-</c>, <c>@</c>, tab or CR as a formula (CSV injection: <c>=HYPERLINK(...)</c> in a DN). Such a text
/// field is written with a leading apostrophe, which spreadsheets read as "this cell is text" (OWASP's advice,
/// CsvHelper's <see cref="CsvInjection.Escape"/>). Every number the report writes is a count, never negative, so no
/// number is changed.
/// </summary>
internal static class CsvReport
{
    public static readonly string[] FileNames = ["servers.csv", "clients.csv", "outbound.csv", "sessions.csv"];

    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };

    public static void Write(Report report, string directory)
    {
        Write(Path.Combine(directory, "servers.csv"), ServerRow.Header, report.Servers.Select(r => r.Fields()));
        Write(Path.Combine(directory, "clients.csv"), ClientRow.Header, report.Clients.Select(r => r.Fields()));
        Write(Path.Combine(directory, "outbound.csv"), OutboundRow.Header, report.Outbound.Select(r => r.Fields()));
        Write(Path.Combine(directory, "sessions.csv"), SessionRow.Header, report.Sessions.Select(r => r.Fields()));
    }

    private static void Write(string path, string[] header, IEnumerable<string[]> rows)
    {
        using var file = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        using var csv = CsvWriter.Create(file, Options, leaveOpen: true);
        csv.WriteRecord(header);
        foreach (var row in rows) csv.WriteRecord(row);
        csv.Flush();
    }
}
