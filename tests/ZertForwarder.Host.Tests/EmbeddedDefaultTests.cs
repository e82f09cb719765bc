using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// "Operate": <c>zertforwarder run</c> with no configuration at all reads the bundled sample and writes the three
/// files under ./out, prints the per-server summary and exits 0 (README "Two commands").
/// </summary>
public sealed class EmbeddedDefaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Run_without_configuration_writes_every_sample_record_in_three_formats_and_prints_the_summary()
    {
        using var work = new TempDirectory();
        var expected = Dumps.ZertRecords(Dumps.BundledSample);

        var result = await ForwarderProcess.RunAsync(work.Path, ["run"], TimeSpan.FromSeconds(30));

        output.WriteLine($"sample: {expected.Count} zERT records (decoder); exit {result.ExitCode}");
        output.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(expected.Count > 0);
        // The demo sets the UTC offset of every system in the sample: a first run warns about nothing (event 3010).
        Assert.DoesNotContain("no configured UTC offset", result.Stderr, StringComparison.Ordinal);

        var ecs = File.ReadAllLines(work.Combine("out", "zert-ecs.ndjson"));
        var leef = File.ReadAllLines(work.Combine("out", "zert-leef.log"));
        var flat = File.ReadAllLines(work.Combine("out", "zert-flat.ndjson"));
        output.WriteLine($"lines: ecs {ecs.Length}, leef {leef.Length}, flat {flat.Length}");
        Assert.Equal(expected.Count, ecs.Length);
        Assert.Equal(expected.Count, leef.Length);
        Assert.Equal(expected.Count, flat.Length);

        // Every ECS document carries its record's event id (output contract §6), once each, in input order.
        var ecsIds = EcsLines.EventIds(ecs);
        Assert.Equal(expected.Select(r => r.EventId), ecsIds);
        Assert.All(leef, line => Assert.StartsWith("LEEF:2.0|", line, StringComparison.Ordinal));
        Assert.All(flat, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));

        // The summary: the count line, then the busiest servers from the report engine (connections, not records,
        // with the system and stack), and where the full views are: the CSV files, the page and the CBOM in out/.
        Assert.Contains($"{expected.Count} zERT records forwarded", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("0 dead-lettered", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^system\s+stack\s+server\s+port\s+job\s+connections\s+tls\s+ssh\s+ipsec\s+none\s+weak\s*$", RegexOptions.Multiline), result.Stdout);
        var rows = result.Stdout.Split('\n').SkipWhile(l => !l.StartsWith("system", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => Regex.IsMatch(l, @"\s\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+$")).ToList();
        Assert.NotEmpty(rows);
        foreach (var name in new[] { "servers.csv", "clients.csv", "outbound.csv", "sessions.csv", "report.html", "cbom.cdx.json" })
        {
            Assert.True(File.Exists(work.Combine("out", name)), name);
        }
        var servers = Reporting.ReportFiles.ReadCsv(work.Combine("out", "servers.csv"));
        Assert.True(servers.Count > rows.Count);
        Assert.Contains($"more server rows in {work.Combine("out", "servers.csv")}", result.Stdout, StringComparison.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = Regex.Split(rows[i].Trim(), @"\s+");
            Assert.Equal(servers[i]["system"], cells[0]);
            Assert.Equal(servers[i]["connections"], cells[5]);
        }
        // Subtype 12 is counted: the sample records summaries, and rows say so.
        Assert.Contains(servers, s => s["counted_from"].Contains("12", StringComparison.Ordinal));
        Assert.Contains("zert-ecs.ndjson", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_arguments_at_all_is_the_same_embedded_default()
    {
        using var work = new TempDirectory();
        var expected = Dumps.ZertRecords(Dumps.BundledSample);

        var result = await ForwarderProcess.RunAsync(work.Path, [], TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected.Count, File.ReadAllLines(work.Combine("out", "zert-ecs.ndjson")).Length);

        // Run again, the demo replaces its own files (nothing doubled).
        var again = await ForwarderProcess.RunAsync(work.Path, [], TimeSpan.FromSeconds(30));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(expected.Count, File.ReadAllLines(work.Combine("out", "zert-ecs.ndjson")).Length);
    }

    [Fact]
    public async Task The_demo_does_not_replace_a_real_runs_output_in_out()
    {
        // out/ is also where a configured file output usually writes; its lines are counted delivered by that run's
        // checkpoint, so a demo that emptied them lost them for good.
        using var work = new TempDirectory();
        Directory.CreateDirectory(work.Combine("out"));
        File.WriteAllText(work.Combine("out", "zert-ecs.ndjson"), "{\"a real\":\"line\"}\n");

        var result = await ForwarderProcess.RunAsync(work.Path, [], TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("holds output files the demo did not write", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("{\"a real\":\"line\"}\n", File.ReadAllText(work.Combine("out", "zert-ecs.ndjson")));
    }
}
