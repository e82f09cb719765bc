using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Xunit.Abstractions;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Support;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The <c>report</c> verb end to end (issue 13): the real executable over generated dumps, its CSV files read back
/// with CsvHelper and checked against counts computed independently from the generator's models; the page rendered
/// by headless Chromium; the CBOM validated against the official CycloneDX 1.6 JSON schema.
/// </summary>
public sealed class ReportTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private static string WriteDump(string path, IEnumerable<GeneratedRecord> records)
    {
        // A generated record's bytes are the logical record with its RDW: concatenated, they are an RDW dump.
        using var file = File.Create(path);
        foreach (var r in records) file.Write(r.Bytes);
        return path;
    }

    private async Task<ForwarderResult> Report(IEnumerable<string> args)
    {
        var result = await ForwarderProcess.RunAsync(_work.Path, ["report", .. args], RunLimit);
        output.WriteLine(result.ToString());
        return result;
    }

    [Fact]
    public async Task Counts_follow_the_counting_rule_over_a_dump_that_mixes_subtypes_11_and_12()
    {
        var records = SmfDumpGenerator.GenerateRecords(11, 4000);
        var dump = WriteDump(_work.Combine("mixed.smf"), records);
        var expected = ExpectedCounts.From(records);
        // The dump must really mix: detail records inside summary intervals (not counted) and connections outside
        // them (aggregation switched off for a while), next to the summaries.
        output.WriteLine($"covered 119-11 records {expected.CoveredDetailRecords}, uncovered connections {expected.UncoveredConnections}, summary connections {expected.SummaryConnections}");
        Assert.True(expected.CoveredDetailRecords > 100);
        Assert.True(expected.UncoveredConnections > 10);
        Assert.True(expected.SummaryConnections > 100);

        var result = await Report([dump, "--out", "r", "--utc-offset", ExpectedCounts.UtcOffsets(records)]);
        Assert.True(result.ExitCode == 0, result.ToString());

        var rows = ReportFiles.ReadCsv(_work.Combine("r", "servers.csv")).Concat(ReportFiles.ReadCsv(_work.Combine("r", "outbound.csv"))).ToList();
        var keys = expected.Connections.Keys.Select(k => (k.System, k.Stack)).Distinct().ToList();
        Assert.True(keys.Count >= 5);
        foreach (var (system, stack) in keys)
        {
            var mine = rows.Where(r => r["system"] == system && r["stack"] == stack).ToList();
            foreach (var p in ExpectedCounts.Protections)
            {
                Assert.True(expected.Connections.GetValueOrDefault((system, stack, p)) == mine.Sum(r => r.Long($"connections_{p}")), $"{system}/{stack} connections_{p}");
                Assert.True(expected.Bytes.GetValueOrDefault((system, stack, p)) == mine.Sum(r => r.Long($"bytes_{p}")), $"{system}/{stack} bytes_{p}");
            }
        }
        // Rows say where their numbers come from; a mixed dump has rows counted from both subtypes.
        Assert.Contains(rows, r => r["counted_from"] == "11+12");

        // clients.csv splits each server's connections by client; sessions.csv by security session.
        var servers = ReportFiles.ReadCsv(_work.Combine("r", "servers.csv"));
        var clients = ReportFiles.ReadCsv(_work.Combine("r", "clients.csv"));
        foreach (var server in servers.Where(s => !s["protections"].Contains("ipsec", StringComparison.Ordinal)))
        {
            var of = clients.Where(c => c["system"] == server["system"] && c["stack"] == server["stack"] && c["server_ip"] == server["server_ip"]
                && c["server_port"] == server["server_port"] && c["job"] == server["job"]).ToList();
            Assert.True(server.Long("connections") == of.Sum(c => c.Long("connections")), $"clients of {server["server_ip"]}:{server["server_port"]}");
        }
        var sessions = ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv"));
        Assert.Equal(rows.Sum(r => r.Long("connections_tls")), sessions.Where(s => s["protocol"] == "tls").Sum(s => s.Long("connections")));
        Assert.Contains(sessions, s => s["protocol"] == "tls" && s["cipher_suite"].StartsWith("TLS_", StringComparison.Ordinal) && s["server_cert_subject"].Length > 0);
        Assert.Contains(sessions, s => s["protocol"] == "ssh" && s["version"] == "SSHv2");
        Assert.Contains(sessions, s => s["protocol"] == "ipsec" && s["version"].StartsWith("IKEv", StringComparison.Ordinal));
        Assert.Contains(ReportFiles.ReadCsv(_work.Combine("r", "outbound.csv")), r => r["kind"] == "enterprise-extender");
    }

    [Fact]
    public async Task Servers_come_from_subtype_12_alone_and_from_subtype_11_alone()
    {
        var records = SmfDumpGenerator.GenerateRecords(5, 1500, includeForeignRecords: false);
        var summaries = WriteDump(_work.Combine("only12.smf"), records.Where(r => r.Subtype == 12));
        var details = WriteDump(_work.Combine("only11.smf"), records.Where(r => r.Subtype == 11));
        var offsets = ExpectedCounts.UtcOffsets(records);
        Assert.Equal(0, (await Report([summaries, "--out", "r12", "--utc-offset", offsets])).ExitCode);
        Assert.Equal(0, (await Report([details, "--out", "r11", "--utc-offset", offsets])).ExitCode);

        // Summaries alone: each z/OS server's connections are the interval deltas of its security sessions.
        var expected12 = records.Where(r => r.Summary is { Common.EventType: 1 } s && (s.Common.Flags & 0x40) != 0 && s.Common.SecurityProtocol != 0x20)
            .GroupBy(r => (r.SystemId, r.Summary!.Identification.StackName, r.Summary.Common.ServerIp!.ToString(), r.Summary.Common.ServerPortStart, r.Summary.Common.JobName))
            .ToDictionary(g => g.Key, g => g.Sum(r => (long)r.Summary!.Common.EndConnections - r.Summary.Common.InitConnections));
        var servers12 = ReportFiles.ReadCsv(_work.Combine("r12", "servers.csv"));
        Assert.NotEmpty(servers12);
        Assert.All(servers12, s => Assert.Equal("12", s["counted_from"]));
        var checkedRows = 0;
        foreach (var ((system, stack, ip, port, job), connections) in expected12.Where(e => e.Value > 0))
        {
            var row = servers12.Single(s => s["system"] == system && s["stack"] == stack && s["server_ip"] == ip && s["server_port"] == port.ToString(System.Globalization.CultureInfo.InvariantCulture) && s["job"] == job);
            if (row["protections"].Contains("ipsec", StringComparison.Ordinal)) continue;
            Assert.True(connections == row.Long("connections"), $"{system}/{stack} {ip}:{port} {job}");
            checkedRows++;
        }
        Assert.True(checkedRows >= 10, $"{checkedRows} server rows checked");

        // Details alone: each server's connections are its distinct connections (z/OS 3.2 systems say the role in SAFlags X'10').
        var expected11 = records.Where(r => r.Connection is { Common.EventType: >= 1 and <= 4 or 7 } c && (c.Common.Flags & 0x10) != 0)
            .GroupBy(r => (r.SystemId, r.Connection!.Identification.StackName, r.Connection.Common.LocalIp!.ToString(), r.Connection.Common.LocalPort, r.Connection.Common.JobName))
            .ToDictionary(g => g.Key, g => g.Select(r => (r.Connection!.Common.ConnectionId, r.Connection.Common.StartTime, r.Connection.Common.StartDate)).Distinct().Count());
        var servers11 = ReportFiles.ReadCsv(_work.Combine("r11", "servers.csv"));
        Assert.All(servers11, s => Assert.Equal("11", s["counted_from"]));
        Assert.True(expected11.Count >= 5);
        foreach (var ((system, stack, ip, port, job), connections) in expected11)
        {
            var row = servers11.Single(s => s["system"] == system && s["stack"] == stack && s["server_ip"] == ip && s["server_port"] == port.ToString(System.Globalization.CultureInfo.InvariantCulture) && s["job"] == job);
            Assert.True(connections == row.Long("connections"), $"{system}/{stack} {ip}:{port} {job}");
        }
        Assert.NotEmpty(ReportFiles.ReadCsv(_work.Combine("r11", "clients.csv")));
        Assert.NotEmpty(ReportFiles.ReadCsv(_work.Combine("r11", "outbound.csv")));
        Assert.NotEmpty(ReportFiles.ReadCsv(_work.Combine("r12", "sessions.csv")));
    }

    [Fact]
    public async Task An_smf_dump_and_the_ecs_ndjson_that_run_wrote_from_it_give_the_same_report()
    {
        var records = SmfDumpGenerator.GenerateRecords(21, 1200);
        var dump = WriteDump(_work.Combine("in.smf"), records);
        var offsets = ExpectedCounts.UtcOffsets(records).Split(',');
        var run = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={dump}", "Outputs:File:Directory=ecs", "Checkpoint:Directory=state",
                .. offsets.Select(o => $"Zos:UtcOffsets:{o.Split('=')[0]}={o.Split('=')[1]}")], RunLimit);
        Assert.True(run.ExitCode == 0, run.ToString());
        var ndjson = Directory.GetFiles(_work.Combine("ecs"), "*.ndjson").Single();

        Assert.Equal(0, (await Report([dump, "--out", "from-smf", "--utc-offset", string.Join(',', offsets)])).ExitCode);
        Assert.Equal(0, (await Report([ndjson, "--out", "from-ecs"])).ExitCode);
        foreach (var name in new[] { "servers.csv", "clients.csv", "outbound.csv", "sessions.csv", "report.html", "cbom.cdx.json" })
        {
            var a = File.ReadAllBytes(_work.Combine("from-smf", name));
            Assert.True(a.Length > 200, name);
            Assert.True(a.AsSpan().SequenceEqual(File.ReadAllBytes(_work.Combine("from-ecs", name))), $"{name} differs between SMF and ECS input");
        }
    }

    /// <summary>
    /// A record whose SMF header time is out of range (SMF119TME = 8,640,000 hundredths, midnight of the next day)
    /// decodes, but its document has no @timestamp to place it by: the report leaves it out with the reason and exit 1,
    /// as it does a bad line of an ECS file; it crashed. An ECS line with a connection id that is no 64-bit integer
    /// is read with the id left empty.
    /// </summary>
    [Fact]
    public async Task A_record_the_report_cannot_place_is_left_out_with_the_reason_and_the_rest_is_reported()
    {
        var records = SmfDumpGenerator.GenerateRecords(21, 300).Select(r => r.Bytes.ToArray()).ToList();
        // A summary record: a connection record whose header time does not decode takes the connection's (README "Time").
        var victim = records.FindIndex(r => r.Length > 24 && r[5] == 119 && r[22] == 0 && r[23] == 12);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(records[victim].AsSpan(6), 8_640_000); // SMF119TME
        var dump = _work.Combine("bad-time.smf");
        File.WriteAllBytes(dump, records.SelectMany(r => r).ToArray());

        var result = await Report([dump, "--out", "r"]);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith(dump + ": an SMF 119 subtype", StringComparison.Ordinal) && l.Contains("left out of the report", StringComparison.Ordinal));
        Assert.NotEmpty(ReportFiles.ReadCsv(_work.Combine("r", "servers.csv")));

        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ecs"], RunLimit);
        var lines = decode.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        var connection = lines.FindIndex(l => l.Contains("\"connection_id\":", StringComparison.Ordinal));
        lines[connection] = System.Text.RegularExpressions.Regex.Replace(lines[connection], "\"connection_id\":[0-9]+", "\"connection_id\":99999999999999999999");
        var ndjson = _work.Combine("odd-id.ndjson");
        File.WriteAllLines(ndjson, lines.Where(l => l.Contains("\"@timestamp\"", StringComparison.Ordinal)));
        var fromEcs = await Report([ndjson, "--out", "r2"]);
        Assert.True(fromEcs.ExitCode == 0, fromEcs.ToString());
    }

    [Fact]
    public async Task A_damaged_dump_reports_every_sound_record_before_the_break_and_names_each_rejected_one()
    {
        // Malformed records, too-short frames and a broken chain near the end, read in parallel batches: the report
        // must hold exactly the records decode writes from the same dump (an independent path: its ECS lines are read
        // back as NDJSON), and stderr must name each rejected frame and the break, in input order.
        var (bytes, _) = ParallelDecodeTests.DumpWithMalformedRecords(seed: 17, zertCount: 3000, breakChainNearEnd: true);
        var dump = _work.Combine("damaged.smf");
        File.WriteAllBytes(dump, bytes);
        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ecs"], RunLimit);
        Assert.True(decode.ExitCode == 1, decode.ToString());
        var ndjson = _work.Combine("decoded.ndjson");
        File.WriteAllText(ndjson, decode.Stdout);

        var fromSmf = await Report([dump, "--out", "from-smf"]);
        var fromEcs = await Report([ndjson, "--out", "from-ecs"]);

        Assert.True(fromSmf.ExitCode == 1, fromSmf.ToString());
        Assert.True(fromEcs.ExitCode == 0, fromEcs.ToString());
        var lines = fromSmf.Stderr.Split('\n').Where(l => l.StartsWith(dump + ":", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count >= 5, fromSmf.Stderr); // rejected frames before the break, and the break
        Assert.EndsWith("the rest of the input is not read", lines[^1], StringComparison.Ordinal);
        var offsets = lines.Select(l => long.Parse(l[(dump.Length + 1)..l.IndexOf(':', dump.Length + 1)], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(offsets.Order(), offsets);
        Assert.Equal(decode.Stderr.Split('\n').Where(l => l.StartsWith(dump + ":", StringComparison.Ordinal)), lines);
        foreach (var name in new[] { "servers.csv", "clients.csv", "outbound.csv", "sessions.csv" })
        {
            var a = File.ReadAllBytes(_work.Combine("from-smf", name));
            Assert.True(a.Length > 200, name);
            Assert.True(a.AsSpan().SequenceEqual(File.ReadAllBytes(_work.Combine("from-ecs", name))), $"{name} differs between the damaged dump and its decoded ECS");
        }
    }

    [Fact]
    public async Task Filters_narrow_every_view_and_bad_filters_are_usage_errors()
    {
        var dump = Dumps.Write(_work.Combine("in.smf"), 3, 1500);
        Assert.Equal(0, (await Report([dump, "--out", "all"])).ExitCode);
        Assert.Equal(0, (await Report([dump, "--out", "f", "--system", "SYSA", "--protection", "tls", "--port", "443"])).ExitCode);
        Assert.Equal(0, (await Report([dump, "--out", "weak", "--weak-only", "--job", "CICS*"])).ExitCode);

        var all = ReportFiles.ReadCsv(_work.Combine("all", "servers.csv"));
        var filtered = ReportFiles.ReadCsv(_work.Combine("f", "servers.csv"));
        Assert.NotEmpty(filtered);
        Assert.True(filtered.Count < all.Count);
        Assert.All(filtered, r => Assert.True(r["system"] == "SYSA" && r["server_port"] == "443" && r["protections"] == "tls", string.Join(",", r.Values)));
        var sessions = ReportFiles.ReadCsv(_work.Combine("weak", "sessions.csv"));
        Assert.NotEmpty(sessions);
        Assert.All(sessions, s => Assert.True(s["job"].StartsWith("CICS", StringComparison.Ordinal) && s["assessment_level"] is "weak" or "cleartext", string.Join(",", s.Values)));

        var bad = await Report([dump, "--out", "x", "--protection", "quantum", "--port", "99999"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("unknown protection 'quantum'", bad.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bad.Stderr, StringComparison.Ordinal);
        var missing = await Report([_work.Combine("no-such.smf"), "--out", "x"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_usage_error_is_listed_at_once()
    {
        // The first one stopped the command: fix it, run again, meet the next.
        var missing = _work.Combine("no-such.smf");
        var result = await Report([missing, "--port", "abc", "--protection", "quantum", "--from", "yesterday", "--utc-offset", "SYSA", "--colour"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the command line has 7 problem(s)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--port' needs a port number (1-65535), not 'abc'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown protection 'quantum'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--from' needs an ISO 8601 time", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--utc-offset' needs SID=+HH:MM", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown option '--colour'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - report needs --out DIR", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"  - input '{missing}' does not exist", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_system_given_two_utc_offsets_is_a_usage_error_that_names_it()
    {
        // It was: the last one won without a word, and every time of that system was converted by it.
        var dump = Dumps.BundledSample;

        var twice = await Report([dump, "--out", "twice", "--utc-offset", "SYSA=-05:00,SYSB=-05:00", "--utc-offset", "sysa=-04:00"]);
        var twoSystems = await Report([dump, "--out", "two", "--utc-offset", "SYSA=-05:00", "--utc-offset", "SYSB=-05:00"]);

        Assert.Equal(2, twice.ExitCode);
        Assert.Equal("zertforwarder: option '--utc-offset' names system 'sysa' more than once\nRun 'zertforwarder --help' for usage.\n",
            twice.Stderr.ReplaceLineEndings("\n"));
        Assert.False(Directory.Exists(_work.Combine("twice")));
        Assert.True(twoSystems.ExitCode == 0, twoSystems.ToString());
    }

    [Fact]
    public async Task Spaces_around_a_utc_offsets_equals_sign_are_dropped()
    {
        // 'SYSA =+01:00' kept the system as "SYSA ", which matched no record: its times were taken as UTC.
        // 'SYSA= +01:00' was refused as no offset.
        var records = SmfDumpGenerator.GenerateRecords(21, 600);
        var dump = WriteDump(_work.Combine("in.smf"), records);
        var offsets = ExpectedCounts.UtcOffsets(records);
        Assert.Contains(offsets.Split(','), o => !o.EndsWith("=+00:00", StringComparison.Ordinal));

        var plain = await Report([dump, "--out", "plain", "--utc-offset", offsets]);
        var none = await Report([dump, "--out", "none"]);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        foreach (var (spacing, dir) in new[] { (" =", "before"), ("= ", "after"), ("  =  ", "both") })
        {
            var spaced = await Report([dump, "--out", dir, "--utc-offset", offsets.Replace("=", spacing, StringComparison.Ordinal)]);
            Assert.True(spaced.ExitCode == 0, spaced.ToString());
            Assert.Equal(plain.Stderr, spaced.Stderr);
            foreach (var name in new[] { "servers.csv", "clients.csv", "outbound.csv", "sessions.csv", "report.html", "cbom.cdx.json" })
            {
                Assert.True(File.ReadAllBytes(_work.Combine("plain", name)).AsSpan().SequenceEqual(File.ReadAllBytes(_work.Combine(dir, name))), $"{name} differs ('{spacing}')");
            }
        }

        // The offsets do show in the report: without them the sessions are placed at other times.
        Assert.False(File.ReadAllBytes(_work.Combine("plain", "sessions.csv")).AsSpan().SequenceEqual(File.ReadAllBytes(_work.Combine("none", "sessions.csv"))));
        Assert.Equal(2, (await Report([dump, "--out", "no-system", "--utc-offset", " =+01:00"])).ExitCode);
    }

    [Fact]
    public async Task An_empty_filter_list_is_a_usage_error_not_no_filter()
    {
        // It was: '--stack ,' was taken as no filter, and the report covered every stack.
        var dump = Dumps.BundledSample;

        var empty = await Report([dump, "--out", "empty", "--stack", ","]);
        var emptyToo = await Report([dump, "--out", "empty", "--system", " , ", "--job", "", "--port", "443"]);
        var trailingComma = await Report([dump, "--out", "trailing", "--stack", "TCPIP,"]);
        var plain = await Report([dump, "--out", "plain", "--stack", "TCPIP"]);

        Assert.Equal(2, empty.ExitCode);
        Assert.Equal("zertforwarder: option '--stack' has an empty list (','): give at least one value\nRun 'zertforwarder --help' for usage.\n",
            empty.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal(2, emptyToo.ExitCode);
        Assert.Contains("the command line has 2 problem(s)", emptyToo.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--system' has an empty list (' , '): give at least one value", emptyToo.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--job' has an empty list (''): give at least one value", emptyToo.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_work.Combine("empty")));
        // An empty item after a comma is passed over.
        Assert.True(trailingComma.ExitCode == 0, trailingComma.ToString());
        Assert.Equal(File.ReadAllText(_work.Combine("plain", "servers.csv")), File.ReadAllText(_work.Combine("trailing", "servers.csv")));
    }

    [Fact]
    public async Task Quantum_and_compliance_verdicts_are_read_from_the_assessment_fields_when_present()
    {
        var dump = Dumps.Write(_work.Combine("in.smf"), 6, 800);
        var decoded = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ecs"], RunLimit);
        Assert.Equal(0, decoded.ExitCode);
        // The assessment's verdict fields (zos.zert.assessment.quantum_safe, quantum_vulnerable, profile, compliant):
        // here every record says quantum-safe and non-compliant under a test profile, which the fallback never would.
        var lines = decoded.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var doc = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            var assessment = doc["zos"]!["zert"]!["assessment"]!.AsObject();
            assessment["quantum_safe"] = true;
            assessment["quantum_vulnerable"] = new System.Text.Json.Nodes.JsonArray();
            assessment["profile"] = "test-profile";
            assessment["compliant"] = false;
            return doc.ToJsonString();
        });
        File.WriteAllLines(_work.Combine("verdicts.ndjson"), lines);
        Assert.Equal(0, (await Report([_work.Combine("verdicts.ndjson"), "--out", "r"])).ExitCode);

        var servers = ReportFiles.ReadCsv(_work.Combine("r", "servers.csv"));
        Assert.Contains(servers, s => s.Long("connections") > 0);
        Assert.All(servers, s =>
        {
            Assert.Equal(0, s.Long("quantum_vulnerable_connections"));
            Assert.Equal(s.Long("connections"), s.Long("noncompliant_connections"));
        });
        Assert.All(ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv")), s =>
        {
            Assert.Equal("test-profile", s["profile"]);
            Assert.Equal("false", s["compliant"]);
            Assert.Equal(s["protocol"] == "none" ? "" : "true", s["quantum_safe"]);
        });
    }

    private static string? Chromium() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }.Select(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists)).FirstOrDefault(p => p is not null);

    private static async Task<string> RunChromium(string chromium, params string[] args)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] all = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", .. args];
        foreach (var a in all) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }

    [SkippableFact]
    public async Task The_page_draws_its_charts_in_headless_chromium_and_shows_the_csv_numbers()
    {
        var chromium = Chromium();
        Skip.If(chromium is null, "headless Chromium is not installed (bash .ci/install-tools.sh installs Debian's chromium)");
        var dump = Dumps.Write(_work.Combine("in.smf"), 9, 2000);
        Assert.Equal(0, (await Report([dump, "--out", "r"])).ExitCode);
        var page = _work.Combine("r", "report.html");
        var html = File.ReadAllText(page);
        // Self-contained: no external script, style, image or font is referenced.
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*""(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);

        // Screenshot: the charts are painted. Count the pixels in the charts' colours (TLS blue, cleartext red,
        // weak-reason amber, quantum purple) in the top of the page, where the charts are.
        var png = _work.Combine("shot.png");
        await RunChromium(chromium!, $"--screenshot={png}", "--window-size=1400,1300", "--hide-scrollbars", new Uri(page).AbsoluteUri);
        var (width, height, rgb) = ReportFiles.ReadPng(png);
        int Count(int r, int g, int b)
        {
            var n = 0;
            for (var i = 0; i < width * height * 3; i += 3)
            {
                if (Math.Abs(rgb[i] - r) <= 3 && Math.Abs(rgb[i + 1] - g) <= 3 && Math.Abs(rgb[i + 2] - b) <= 3) n++;
            }
            return n;
        }
        var blue = Count(0x2f, 0x7e, 0xd8);
        var red = Count(0xd6, 0x45, 0x45);
        var amber = Count(0xe0, 0xa0, 0x30);
        var purple = Count(0x8e, 0x5c, 0xc4);
        output.WriteLine($"screenshot {width}x{height}: blue {blue}, red {red}, amber {amber}, purple {purple} pixels");
        Assert.True(blue > 5000 && red > 2000 && amber > 2000 && purple > 2000, "the charts were not painted");

        // DOM after the scripts ran: every chart drew shapes, and every servers/outbound table cell equals the CSV.
        var dom = await RunChromium(chromium!, "--dump-dom", "--virtual-time-budget=5000", new Uri(page).AbsoluteUri);
        Assert.Contains("data-charts-drawn=\"true\"", dom, StringComparison.Ordinal);
        foreach (var chart in new[] { "chart-protection-mix", "chart-weak-reasons", "chart-cert-expiry", "chart-top-cleartext", "chart-tls-versions", "chart-quantum-share" })
        {
            var figure = Regex.Match(dom, $"<figure id=\"{chart}\">(.*?)</figure>", RegexOptions.Singleline);
            Assert.True(figure.Success, chart);
            var shapes = Regex.Count(figure.Groups[1].Value, "class=\"bar\"");
            output.WriteLine($"{chart}: {shapes} shapes");
            Assert.True(shapes > 0, $"{chart} drew nothing");
        }
        foreach (var table in new[] { "servers", "outbound", "clients" })
        {
            var csv = ReportFiles.ReadCsv(_work.Combine("r", $"{table}.csv"));
            var body = Regex.Match(dom, $"<table id=\"{table}\">.*?<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value;
            var shown = Regex.Matches(body, "<tr[^>]*>(.*?)</tr>", RegexOptions.Singleline)
                .Select(tr => Regex.Matches(tr.Groups[1].Value, "<td[^>]*>(.*?)</td>", RegexOptions.Singleline).Select(td => WebUtility.HtmlDecode(td.Groups[1].Value)).ToArray())
                .ToList();
            Assert.Equal(csv.Count, shown.Count);
            for (var i = 0; i < csv.Count; i++) Assert.Equal(csv[i].Values.ToArray(), shown[i]);
        }
    }

    /// <summary>
    /// The expiry chart marks as close to expiry (amber) what the assessment policy calls expiring
    /// (<c>certificate_expiry.warning_days</c>), not a fixed 30 days: with a policy of 3650 days every certificate that
    /// is not expired yet is amber.
    /// </summary>
    [SkippableFact]
    public async Task The_expiry_chart_uses_the_policy_warning_days()
    {
        var chromium = Chromium();
        Skip.If(chromium is null, "headless Chromium is not installed (bash .ci/install-tools.sh installs Debian's chromium)");
        var dump = Dumps.Write(_work.Combine("in.smf"), 9, 2000);
        var mappings = _work.Combine("mappings");
        foreach (var file in Directory.GetFiles(Path.Combine(ForwarderProcess.ProgramDirectory, "mappings"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(mappings, Path.GetRelativePath(Path.Combine(ForwarderProcess.ProgramDirectory, "mappings"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var policy = Path.Combine(mappings, "assessment", "policy.json");
        File.WriteAllText(policy, File.ReadAllText(policy).Replace("\"warning_days\": 30", "\"warning_days\": 3650", StringComparison.Ordinal));

        async Task<(int Amber, int Green, string Html)> ExpiryChart(string output, params string[] extra)
        {
            Assert.Equal(0, (await Report([dump, "--out", output, .. extra])).ExitCode);
            var page = _work.Combine(output, "report.html");
            var dom = await RunChromium(chromium!, "--dump-dom", "--virtual-time-budget=5000", new Uri(page).AbsoluteUri);
            var figure = Regex.Match(dom, "<figure id=\"chart-cert-expiry\">(.*?)</figure>", RegexOptions.Singleline).Groups[1].Value;
            return (Regex.Count(figure, "fill=\"#e0a030\""), Regex.Count(figure, "fill=\"#34a37e\""), File.ReadAllText(page));
        }

        var standard = await ExpiryChart("r30");
        var wide = await ExpiryChart("r3650", "--mappings", mappings);

        output.WriteLine($"30 days: {standard.Amber} amber, {standard.Green} green; 3650 days: {wide.Amber} amber, {wide.Green} green");
        Assert.True(standard.Green > 0, "the generated certificates should include some far from expiry");
        Assert.Equal(0, wide.Green);
        Assert.Equal(standard.Amber + standard.Green, wide.Amber);
        Assert.Contains("within 30 days of the newest record", standard.Html, StringComparison.Ordinal);
        Assert.Contains("within 3650 days of the newest record", wide.Html, StringComparison.Ordinal);
    }

    private static string? SchemaDirectory()
    {
        if (Environment.GetEnvironmentVariable("ZERTFORWARDER_CYCLONEDX_SCHEMAS") is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "cyclonedx", "schema");
            if (File.Exists(Path.Combine(candidate, "bom-1.6.SNAPSHOT.schema.json"))) return candidate;
        }
        return null;
    }

    [SkippableFact]
    public async Task The_cbom_is_valid_cyclonedx_1_6_and_lists_the_crypto_in_use()
    {
        var schemas = SchemaDirectory();
        Skip.If(schemas is null, "the CycloneDX schemas are not there (bash .ci/install-tools.sh fetches them from the npm package @cyclonedx/cyclonedx-library)");
        var dump = Dumps.Write(_work.Combine("in.smf"), 4, 1500);
        Assert.Equal(0, (await Report([dump, "--out", "a"])).ExitCode);
        Assert.Equal(0, (await Report([dump, "--out", "b"])).ExitCode);
        var text = File.ReadAllText(_work.Combine("a", "cbom.cdx.json"));
        Assert.Equal(text, File.ReadAllText(_work.Combine("b", "cbom.cdx.json"))); // deterministic

        var registry = new SchemaRegistry();
        var build = new BuildOptions { SchemaRegistry = registry };
        foreach (var (file, alias) in new[] { ("spdx.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json"), ("jsf-0.82.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"), ("cryptography-defs.SNAPSHOT.schema.json", "cryptography-defs.SNAPSHOT.schema.json") })
        {
            var referenced = JsonSchema.FromText(File.ReadAllText(Path.Combine(schemas!, file)), build);
            // bom-1.6 refers to them by their file names next to its own $id.
            registry.Register(new Uri($"http://cyclonedx.org/schema/{alias}"), referenced);
        }
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(schemas!, "bom-1.6.SNAPSHOT.schema.json")), build);
        using var bom = JsonDocument.Parse(text);
        var result = schema.Evaluate(bom.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}")).Take(20).ToList();
        Assert.True(result.IsValid, string.Join("\n", errors));
        // The validator must be able to fail: the same document with an invalid quantum level is rejected.
        var broken = text.Replace("\"nistQuantumSecurityLevel\": 0", "\"nistQuantumSecurityLevel\": 9", StringComparison.Ordinal);
        using (var brokenDoc = JsonDocument.Parse(broken)) Assert.False(schema.Evaluate(brokenDoc.RootElement).IsValid);

        var root = bom.RootElement;
        Assert.Equal("1.6", root.GetProperty("specVersion").GetString());
        var components = root.GetProperty("components").EnumerateArray().ToList();
        JsonElement Crypto(JsonElement c) => c.GetProperty("cryptoProperties");
        var protocols = components.Where(c => Crypto(c).GetProperty("assetType").GetString() == "protocol").Select(c => Crypto(c).GetProperty("protocolProperties")).ToList();
        var tls12 = protocols.Single(p => p.GetProperty("type").GetString() == "tls" && p.GetProperty("version").GetString() == "1.2");
        var tls13 = protocols.Single(p => p.GetProperty("type").GetString() == "tls" && p.GetProperty("version").GetString() == "1.3");
        Assert.Contains(tls12.GetProperty("cipherSuites").EnumerateArray(), s => s.GetProperty("name").GetString() == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
            && s.GetProperty("identifiers").EnumerateArray().Select(i => i.GetString()).SequenceEqual(["0xC0", "0x2F"]));
        Assert.Contains(tls13.GetProperty("cipherSuites").EnumerateArray(), s => s.GetProperty("name").GetString() == "TLS_AES_128_GCM_SHA256"
            && s.GetProperty("identifiers").EnumerateArray().Select(i => i.GetString()).SequenceEqual(["0x13", "0x01"]));
        Assert.Contains(protocols, p => p.GetProperty("type").GetString() == "ssh");
        Assert.Contains(protocols, p => p.GetProperty("type").GetString() == "ipsec");
        var algorithms = components.Where(c => Crypto(c).GetProperty("assetType").GetString() == "algorithm")
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => Crypto(c).GetProperty("algorithmProperties"));
        Assert.Equal(0, algorithms["ECDHE"].GetProperty("nistQuantumSecurityLevel").GetInt32());
        Assert.Equal("key-agree", algorithms["ECDHE"].GetProperty("primitive").GetString());
        Assert.Equal(1, algorithms["AES-128-GCM"].GetProperty("nistQuantumSecurityLevel").GetInt32());
        Assert.Equal("gcm", algorithms["AES-128-GCM"].GetProperty("mode").GetString());
        Assert.Contains(algorithms.Values, a => a.GetProperty("primitive").GetString() == "signature" && a.GetProperty("nistQuantumSecurityLevel").GetInt32() == 0);
        var certificates = components.Where(c => Crypto(c).GetProperty("assetType").GetString() == "certificate").ToList();
        Assert.Contains(certificates, c => Crypto(c).GetProperty("certificateProperties").GetProperty("subjectName").GetString()!.StartsWith("CN=cicspa01.sysa.bank.example", StringComparison.Ordinal)
            && Crypto(c).GetProperty("certificateProperties").TryGetProperty("notValidAfter", out _));
        var refs = components.Select(c => c.GetProperty("bom-ref").GetString()).ToHashSet();
        foreach (var cert in certificates)
        {
            var p = Crypto(cert).GetProperty("certificateProperties");
            Assert.Contains(p.GetProperty("signatureAlgorithmRef").GetString(), refs);
            Assert.Contains(p.GetProperty("subjectPublicKeyRef").GetString(), refs);
        }
        // Every service (server endpoint and job) is linked to the assets it uses.
        var services = root.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("bom-ref").GetString()).ToHashSet();
        var dependencies = root.GetProperty("dependencies").EnumerateArray().ToList();
        Assert.Contains(dependencies, d => d.GetProperty("ref").GetString()!.Contains("/CICSPA01/server/10.10.1.11:443", StringComparison.Ordinal)
            && d.GetProperty("dependsOn").EnumerateArray().Any(x => x.GetString()!.StartsWith("crypto/certificate/", StringComparison.Ordinal)));
        Assert.All(dependencies, d =>
        {
            Assert.Contains(d.GetProperty("ref").GetString(), services);
            Assert.All(d.GetProperty("dependsOn").EnumerateArray(), x => Assert.Contains(x.GetString(), refs));
        });
    }

    /// <summary>
    /// Every cipher suite in the CBOM names algorithms the catalog knows. SSL 2.0 kinds (SSL_CK_RC4_128_WITH_MD5) were
    /// parsed like TLS suite names: "CK" became an algorithm and RC4, DES or 3DES went missing from the inventory; IPsec
    /// with null encryption listed only its key exchange and MAC, like a session whose cipher is unknown.
    /// </summary>
    [Fact]
    public async Task Every_cipher_suite_in_the_cbom_names_known_algorithms_SSL_2_and_null_encryption_included()
    {
        var dump = Dumps.Write(_work.Combine("in.smf"), 7, 20_000);
        Assert.Equal(0, (await Report([dump, "--out", "r"])).ExitCode);
        using var bom = JsonDocument.Parse(File.ReadAllText(_work.Combine("r", "cbom.cdx.json")));
        var components = bom.RootElement.GetProperty("components").EnumerateArray().ToList();
        var algorithms = components.Where(c => c.GetProperty("cryptoProperties").GetProperty("assetType").GetString() == "algorithm")
            .ToDictionary(c => c.GetProperty("bom-ref").GetString()!, c => c.GetProperty("cryptoProperties").GetProperty("algorithmProperties").GetProperty("primitive").GetString());
        var suites = components.Where(c => c.GetProperty("cryptoProperties").GetProperty("assetType").GetString() == "protocol")
            .SelectMany(c => c.GetProperty("cryptoProperties").GetProperty("protocolProperties").TryGetProperty("cipherSuites", out var list)
                ? list.EnumerateArray().Select(s => (Protocol: c.GetProperty("name").GetString()!, Name: s.GetProperty("name").GetString()!,
                    Algorithms: s.GetProperty("algorithms").EnumerateArray().Select(a => a.GetString()!).ToList()))
                : [])
            .ToList();

        foreach (var suite in suites)
        {
            var unknown = suite.Algorithms.Where(a => algorithms[a] == "unknown").ToList();
            Assert.True(unknown.Count == 0, $"{suite.Protocol} {suite.Name}: unknown algorithm(s) {string.Join(", ", unknown)}");
        }
        var ssl2 = suites.Where(s => s.Name.StartsWith("SSL_CK_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ssl2);
        Assert.Contains(ssl2, s => s.Name == "SSL_CK_RC4_128_WITH_MD5" && s.Algorithms.Order().SequenceEqual(["crypto/algorithm/HMAC-MD5", "crypto/algorithm/RC4-128", "crypto/algorithm/RSA"]));
        Assert.All(ssl2, s => Assert.Contains(s.Algorithms, a => algorithms[a] is "block-cipher" or "stream-cipher"));
        Assert.Contains(suites, s => s.Protocol.StartsWith("ipsec", StringComparison.OrdinalIgnoreCase) && s.Algorithms.Contains("crypto/algorithm/NULL"));
    }

    /// <summary>
    /// Overlapping dumps (the same dump given twice) give the report of one: connection records were counted once
    /// already, interval summaries were counted again, doubling every total of servers that have summaries.
    /// </summary>
    [Fact]
    public async Task The_same_dump_given_twice_gives_the_report_of_it_given_once()
    {
        var dump = Dumps.Write(_work.Combine("in.smf"), 11, 3000);
        Assert.Equal(0, (await Report([dump, "--out", "once"])).ExitCode);
        Assert.Equal(0, (await Report([dump, dump, "--out", "twice"])).ExitCode);
        foreach (var file in new[] { "servers.csv", "clients.csv", "outbound.csv", "sessions.csv" })
        {
            // Every column but the records read (records_119_11, records_119_12), which count each reading.
            var once = ReportFiles.ReadCsv(_work.Combine("once", file));
            var twice = ReportFiles.ReadCsv(_work.Combine("twice", file));
            Assert.Equal(once.Count, twice.Count);
            for (var i = 0; i < once.Count; i++)
            {
                foreach (var (column, value) in once[i].Where(c => !c.Key.StartsWith("records_119_", StringComparison.Ordinal)))
                {
                    Assert.True(value == twice[i][column], $"{file} row {i + 1} {column}: {value} given once, {twice[i][column]} given twice");
                }
            }
        }
    }
}
