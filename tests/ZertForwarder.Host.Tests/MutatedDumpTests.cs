using System.Text.Json;
using Xunit.Abstractions;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Reporting;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// A dump whose zERT records hold odd values (codes outside the tables, dates out of range, counters at their limits,
/// EBCDIC controls in text; <see cref="RecordMutations"/>) goes through every verb a user runs on a dump: <c>decode</c>
/// in each format, <c>run --once</c> to files and <c>report</c> with its CBOM. Each writes one well-formed output per
/// record that decodes, names the others on stderr with exit 1, and never ends in an unhandled exception.
/// </summary>
public sealed class MutatedDumpTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    /// <summary>
    /// 600 generated zERT records (with the other SMF records of a real dump), each damaged once; how many decode and
    /// how many are rejected.
    /// </summary>
    private (string Path, int Decoded, int Rejected) WriteMutatedDump()
    {
        var random = new Random(119_1213);
        var records = SmfDumpGenerator.GenerateRecords(seed: 78, 600)
            .Select(r => r.IsZert ? RecordMutations.MutateValues(r.Bytes, random) : r.Bytes).ToList();
        var path = _work.Combine("mutated.smf");
        File.WriteAllBytes(path, records.SelectMany(r => r).ToArray());
        var decoded = Dumps.ZertRecords(path).Count;
        var rejected = records.Count(r => r[5] == 119 && r[22] == 0 && r[23] is 11 or 12 && ZertRecordParser.Parse(r).Status == ZertParseStatus.Malformed);
        output.WriteLine($"{decoded} records decode, {rejected} are rejected");
        Assert.True(decoded > 400, $"only {decoded} of 600 mutated records decode");
        return (path, decoded, rejected);
    }

    private void AssertCleanEnd(ForwarderResult result, int rejected)
    {
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == (rejected > 0 ? 1 : 0), result.ToString());
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ZertForwarder.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_writes_one_well_formed_line_per_decoded_record_in_every_format()
    {
        var (dump, decoded, rejected) = WriteMutatedDump();
        foreach (var format in new[] { "ecs", "flat", "json", "leef" })
        {
            var result = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", format, "Zos:UtcOffsets:SYSA=-05:00"], RunLimit);
            AssertCleanEnd(result, rejected);
            var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(decoded, lines.Length);
            foreach (var line in lines)
            {
                if (format == "leef")
                {
                    Assert.StartsWith("LEEF:2.0|IBM|zERT|", line, StringComparison.Ordinal);
                    Assert.DoesNotContain('\r', line);
                    continue;
                }
                using var document = JsonDocument.Parse(line);
                Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            }
        }
    }

    [Fact]
    public async Task Run_once_delivers_every_decoded_record_to_each_file_format()
    {
        var (dump, decoded, rejected) = WriteMutatedDump();
        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
            "Outputs:File:Formats:0=ecs", "Outputs:File:Formats:1=leef", "Outputs:File:Formats:2=flat", $"DeadLetter:Directory={_work.Combine("dead")}",
        ], RunLimit);
        AssertCleanEnd(result, rejected);
        foreach (var file in new[] { "zert-ecs.ndjson", "zert-leef.log", "zert-flat.ndjson" })
        {
            var lines = File.ReadAllLines(_work.Combine("out", file));
            Assert.True(decoded == lines.Length, $"{file}: {lines.Length} lines for {decoded} decoded records");
            if (file.EndsWith(".ndjson", StringComparison.Ordinal))
            {
                foreach (var line in lines) JsonDocument.Parse(line).Dispose();
            }
        }
        // Each rejected record is dead-lettered with its reason (and nothing else is).
        var deadLetters = Directory.Exists(_work.Combine("dead")) ? Directory.GetFiles(_work.Combine("dead")).SelectMany(File.ReadAllLines).ToList() : [];
        Assert.Equal(rejected, deadLetters.Count);
    }

    /// <summary>
    /// A record without a time (an SMF header date or time out of range, and for 119-11 no connection start or end
    /// either: its ECS document has no <c>@timestamp</c>) cannot be placed in the report's time line, so the report
    /// leaves it out and names it; exactly those, and it writes the rest.
    /// </summary>
    [Fact]
    public async Task Report_leaves_out_only_the_records_without_a_time_and_writes_its_tables_page_and_CBOM()
    {
        var (dump, _, rejected) = WriteMutatedDump();
        var ecs = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ecs"], RunLimit);
        var untimed = ecs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => !line.StartsWith("{\"@timestamp\":", StringComparison.Ordinal));
        output.WriteLine($"{untimed} ECS documents without @timestamp");
        Assert.True(untimed > 0, "no record lost its time: the report's leaving out is not exercised");
        var outDirectory = _work.Combine("report");
        var result = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out", outDirectory], RunLimit);
        AssertCleanEnd(result, rejected + untimed);
        Assert.Contains($", {rejected + untimed} rejected.", result.Stdout, StringComparison.Ordinal);
        foreach (var table in new[] { "servers.csv", "clients.csv", "outbound.csv", "sessions.csv" })
        {
            ReportFiles.ReadCsv(Path.Combine(outDirectory, table));
        }
        Assert.True(ReportFiles.ReadCsv(Path.Combine(outDirectory, "sessions.csv")).Count > 0, "no session rows");
        Assert.Contains("</html>", File.ReadAllText(Path.Combine(outDirectory, "report.html")), StringComparison.Ordinal);
        using var cbom = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDirectory, "cbom.cdx.json")));
        Assert.Equal("CycloneDX", cbom.RootElement.GetProperty("bomFormat").GetString());
    }
}
