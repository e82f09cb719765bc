using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Mapping;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// What a run keeps about the records it forwards (<see cref="RunStatistics"/>). The per-server table <c>run --once</c>
/// prints with a configuration: its counts agree with the ECS documents the same run wrote, busiest servers first,
/// and it holds at most <see cref="ServerSummary.MaxServers"/> rows whatever the input names (records of servers
/// beyond that are counted under the table, not lost from it); a run that does not print it keeps none. The
/// freshness gauge follows at most <see cref="RunStatistics.MaxSystems"/> systems.
/// </summary>
public sealed partial class RunStatisticsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>A row as <see cref="ServerSummary.WriteTo"/> prints it; a blank job leaves its column empty.</summary>
    [GeneratedRegex(@"^(?<server>.+?)\s+(?<port>\d+|-)\s+(?<job>[A-Z@#$][A-Z0-9@#$]*)?\s+(?<total>\d+)\s+(?<tls>\d+)\s+(?<ssh>\d+)\s+(?<ipsec>\d+)\s+(?<none>\d+)\s+(?<weak>\d+)$")]
    private static partial Regex Row();

    private sealed record Counts(long Total, long Tls, long Ssh, long Ipsec, long None, long Weak);

    [Fact]
    public async Task Run_once_prints_per_server_counts_that_agree_with_the_ECS_documents_it_wrote()
    {
        using var work = new TempDirectory();
        var dump = Dumps.Write(work.Combine("dump.smf"), seed: 23, zertCount: 3000);
        var config = work.Combine("forwarder.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            Input = new { Paths = new[] { dump } },
            Outputs = new { File = new { Directory = work.Combine("out"), Formats = new[] { "ecs" } } },
            Checkpoint = new { Directory = work.Combine("state") },
            Logging = new { Progress = false },
        }));

        var run = await ForwarderProcess.RunAsync(work.Path, ["run", "--config", config, "--once"], Timeout);
        Assert.True(run.ExitCode == 0, run.ToString());

        // What the table should say, from the documents: connection detail records per server address, port and job.
        var expected = new Dictionary<(string Server, string Port, string Job), Counts>();
        foreach (var line in File.ReadLines(work.Combine("out", "zert-ecs.ndjson")))
        {
            var doc = JsonDocument.Parse(line).RootElement;
            if (doc.GetProperty("event").GetProperty("dataset").GetString() != "zos.zert_connection") continue;
            var server = doc.TryGetProperty("server", out var s) && s.TryGetProperty("ip", out var ip) ? ip.GetString()! : "(role unknown)";
            var port = s.ValueKind == JsonValueKind.Object && s.TryGetProperty("port", out var p) ? p.GetInt32().ToString(CultureInfo.InvariantCulture) : "-";
            var job = doc.TryGetProperty("process", out var process) ? process.GetProperty("name").GetString()! : "";
            var zert = doc.GetProperty("zos").GetProperty("zert");
            var protection = zert.TryGetProperty("protection", out var list) ? list.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
            var level = zert.GetProperty("assessment").GetProperty("level").GetString();
            var key = (server, port, job);
            var c = expected.GetValueOrDefault(key, new Counts(0, 0, 0, 0, 0, 0));
            expected[key] = new Counts(c.Total + 1,
                c.Tls + (protection.Contains("tls") ? 1 : 0),
                c.Ssh + (protection.Contains("ssh") ? 1 : 0),
                c.Ipsec + (protection.Contains("ipsec") ? 1 : 0),
                c.None + (protection.Count == 0 || protection.SequenceEqual(["none"]) ? 1 : 0),
                c.Weak + (level is "weak" or "cleartext" ? 1 : 0));
        }
        Assert.True(expected.Count > 40, $"the dump names only {expected.Count} servers; the test needs more than one table's worth");

        var lines = run.Stdout.Split('\n', StringSplitOptions.TrimEntries);
        var header = Array.FindIndex(lines, l => Regex.IsMatch(l, @"^server\s+port\s+job\s+records\s+tls\s+ssh\s+ipsec\s+none\s+weak$"));
        Assert.True(header >= 0, run.ToString());
        var printed = lines.Skip(header + 1).TakeWhile(l => !l.StartsWith("...", StringComparison.Ordinal) && l.Length > 0).ToList();
        Assert.Equal(40, printed.Count);
        var previousTotal = long.MaxValue;
        foreach (var line in printed)
        {
            var m = Row().Match(line);
            Assert.True(m.Success, $"not a table row: '{line}'");
            var key = (m.Groups["server"].Value, m.Groups["port"].Value, m.Groups["job"].Value);
            Assert.True(expected.TryGetValue(key, out var want), $"the table names {key}, which no document does");
            var got = new Counts(Number(m, "total"), Number(m, "tls"), Number(m, "ssh"), Number(m, "ipsec"), Number(m, "none"), Number(m, "weak"));
            Assert.Equal(want, got);
            Assert.True(got.Total <= previousTotal, "rows are not busiest first");
            previousTotal = got.Total;
        }
        // Busiest first: no server left out of the table has more records than the last one shown.
        Assert.True(expected.Values.Select(c => c.Total).OrderDescending().ElementAt(39) == previousTotal);
        Assert.Contains($"... and {expected.Count - 40} more servers", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("not itemized", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Servers_beyond_the_limit_are_counted_under_the_table_and_known_servers_still_count()
    {
        var summary = new ServerSummary();
        for (var i = 0; i < ServerSummary.MaxServers; i++) summary.Add(Connection($"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", weak: false));
        summary.Add(Connection("192.0.2.1", weak: true));
        summary.Add(Connection("192.0.2.2", weak: true));
        summary.Add(Connection("192.0.2.3", weak: false));
        // A server the table already holds keeps counting after the limit is reached.
        summary.Add(Connection("10.0.0.7", weak: true));
        summary.Add(Connection("10.0.0.7", weak: false));

        Assert.Equal(ServerSummary.MaxServers, summary.Count);
        var text = new StringWriter();
        summary.WriteTo(text, maxRows: 2);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var first = Row().Match(lines[1]);
        Assert.Equal(("10.0.0.7", "443", "TN3270", "3", "1"), (first.Groups["server"].Value, first.Groups["port"].Value, first.Groups["job"].Value,
            first.Groups["total"].Value, first.Groups["weak"].Value));
        Assert.Equal($"... and {ServerSummary.MaxServers - 2} more servers", lines[3]);
        Assert.StartsWith($"... and 3 records of servers beyond the first {ServerSummary.MaxServers} ", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_that_does_not_print_the_table_keeps_none()
    {
        using var continuous = new Pipeline.PipelineMetrics();
        using var once = new Pipeline.PipelineMetrics();
        Assert.Null(new RunStatistics(continuous).Summary);
        Assert.NotNull(new RunStatistics(once, serverSummary: true).Summary);
    }

    [Fact]
    public void The_freshness_gauge_follows_at_most_1024_systems()
    {
        using var metrics = new Pipeline.PipelineMetrics();
        var stats = new RunStatistics(metrics);
        var time = new DateTime(2026, 3, 2, 0, 0, 0, DateTimeKind.Utc);
        // System ids come from the records: damaged ones must not add a series each for as long as the run lasts.
        for (var i = 0; i < RunStatistics.MaxSystems + 50; i++) stats.AddForwarded(Connection("10.0.0.1", weak: false) with { SmfSystemId = $"S{i:X3}", RecordTime = time });
        stats.AddForwarded(Connection("10.0.0.1", weak: false) with { SmfSystemId = "S000", RecordTime = time.AddHours(1) });

        var series = metrics.Render().Split('\n').Where(l => l.StartsWith(RunStatistics.NewestRecordMetric + "{", StringComparison.Ordinal)).ToList();
        Assert.Equal(RunStatistics.MaxSystems, series.Count);
        var s000 = Assert.Single(series, l => l.Contains("system=\"S000\"", StringComparison.Ordinal));
        Assert.EndsWith(" " + (time.AddHours(1) - DateTime.UnixEpoch).TotalSeconds.ToString(CultureInfo.InvariantCulture), s000, StringComparison.Ordinal);
    }

    private static long Number(Match m, string group) => long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static EventEnvelope Connection(string serverIp, bool weak) =>
        new(Encoding.ASCII.GetBytes("id"), "zos.zert_connection", serverIp + ":443", "SYSA", IsConnectionDetail: true, serverIp, 443, "TN3270",
            ["tls"], weak ? "weak" : "acceptable", weak);
}
