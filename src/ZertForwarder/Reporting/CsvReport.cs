using System.Text;
using CsvHelper;

namespace ZertForwarder.Reporting;

/// <summary>Writes the four CSV views: UTF-8 without a byte-order mark, RFC 4180 (CRLF, quoted where needed), a header row.</summary>
internal static class CsvReport
{
    public static readonly string[] FileNames = ["servers.csv", "clients.csv", "outbound.csv", "sessions.csv"];

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
        using var csv = CsvWriter.Create(file, CsvWriterOptions.Default, leaveOpen: true);
        csv.WriteRecord(header);
        foreach (var row in rows) csv.WriteRecord(row);
        csv.Flush();
    }
}
