using System.Text.RegularExpressions;
using Xunit.Abstractions;
using ZertForwarder.Benchmarks;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>Per-verb <c>--help</c>, <c>--version</c>, and the <c>bench</c> harness running its child processes end to end.</summary>
public sealed class CommandLineTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData("run", "zertforwarder run [--config FILE] [--once]")]
    [InlineData("decode", "zertforwarder decode FILE|-")]
    [InlineData("generate", "zertforwarder generate --out FILE --count N")]
    [InlineData("validate-mappings", "zertforwarder validate-mappings [DIR]")]
    [InlineData("report", "zertforwarder report INPUT... --out DIR")]
    [InlineData("setup", "zertforwarder setup [--config FILE]")]
    [InlineData("bench", "zertforwarder bench [--records N]")]
    public async Task Each_verb_describes_itself_with_help_and_does_nothing_else(string verb, string synopsis)
    {
        var result = await ForwarderProcess.RunAsync(_work.Path, [verb, "--help"], RunLimit);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(synopsis, result.Stdout, StringComparison.Ordinal);
        // Only this verb: no other verb's synopsis line (a line starting with its name; bench's help names the
        // commands it runs inside its own lines).
        foreach (var other in new[] { "run", "decode", "generate", "validate-mappings", "report", "setup", "bench" }.Where(v => v != verb))
        {
            Assert.DoesNotMatch(new Regex($@"^\s*(Usage: )?zertforwarder {other}\b", RegexOptions.Multiline), result.Stdout);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.Path));
    }

    [Fact]
    public async Task Decode_help_names_every_option_decode_takes()
    {
        // It was: --enforcement-rule-name was taken, and only README named it.
        var result = await ForwarderProcess.RunAsync(_work.Path, ["decode", "--help"], RunLimit);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var option in new[] { "--format", "--container", "--mappings", "--config", "--enforcement-rule-name" })
        {
            Assert.Contains($"[{option}", result.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("10")]
    [InlineData("99999999")]
    public async Task A_block_size_out_of_range_is_a_usage_error_that_leaves_an_existing_output_alone(string blockSize)
    {
        // It crashed with a stack trace after opening (and so emptying) the output file.
        var output = _work.Combine("kept.smf");
        File.WriteAllBytes(output, [1, 2, 3]);
        var result = await ForwarderProcess.RunAsync(_work.Path, ["generate", "--out", output, "--count", "10", "--container", "vbs", "--block-size", blockSize], RunLimit);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"--block-size {blockSize} is outside 64..32,760 bytes", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(output));
    }

    /// <summary>A start-up refusal as users must see it: exit 2, nothing on stdout, no stack trace.</summary>
    private void AssertUsageError(ForwarderResult result)
    {
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Stdout);
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_argument_after_an_unknown_option_is_not_taken_for_an_input()
    {
        // It was: report listed 'out.smf' (or 'value') as an input that does not exist, bench as a file argument it
        // does not take, besides the unknown option the user has to fix.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);
        var temp = Directory.CreateDirectory(_work.Combine("tmp")).FullName;

        var misspelt = await ForwarderProcess.RunAsync(_work.Path, ["report", "--bogus", "out.smf"], RunLimit);
        var withValue = await ForwarderProcess.RunAsync(_work.Path, ["report", "--unknown", "value", dump, "--out", "report"], RunLimit);
        var bench = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--bogus", "5", "--pairs", "file"], RunLimit,
            new Dictionary<string, string> { ["TMPDIR"] = temp });

        AssertUsageError(misspelt);
        Assert.Contains("the command line has 3 problem(s)", misspelt.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown option '--bogus' (read with 'out.smf' as its value)", misspelt.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - report needs at least one input", misspelt.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - report needs --out DIR", misspelt.Stderr, StringComparison.Ordinal);
        AssertUsageError(withValue);
        Assert.Equal("zertforwarder: unknown option '--unknown' (read with 'value' as its value)\nRun 'zertforwarder --help' for usage.\n",
            withValue.Stderr.ReplaceLineEndings("\n"));
        AssertUsageError(bench);
        Assert.Equal("zertforwarder: unknown option '--bogus' (read with '5' as its value)\nRun 'zertforwarder --help' for usage.\n",
            bench.Stderr.ReplaceLineEndings("\n"));
        Assert.False(Directory.Exists(_work.Combine("report")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public async Task An_option_followed_by_another_option_needs_a_value_and_does_not_take_it()
    {
        // It was: 'decode dump --mappings --format' decoded to JSON with '--format' as the mappings directory (exit 0),
        // 'report dump --out --weak-only' wrote the report into a directory named '--weak-only', and '--system --port'
        // filtered on a system named '--port'.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);

        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--mappings", "--format"], RunLimit);
        var report = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out", "--weak-only"], RunLimit);
        var filter = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out", "report", "--system", "--port", "443"], RunLimit);

        AssertUsageError(decode);
        Assert.Contains("option '--mappings' needs a value", decode.Stderr, StringComparison.Ordinal);
        AssertUsageError(report);
        Assert.Equal("zertforwarder: option '--out' needs a value\nRun 'zertforwarder --help' for usage.\n", report.Stderr.ReplaceLineEndings("\n"));
        AssertUsageError(filter);
        Assert.Equal("zertforwarder: option '--system' needs a value\nRun 'zertforwarder --help' for usage.\n", filter.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal(["in.smf"], Directory.EnumerateFileSystemEntries(_work.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Decode_and_generate_list_every_problem_of_the_command_line_at_once()
    {
        // The first one stopped the command: fix it, run again, meet the next.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);

        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "xml", "--container", "zip", "--colour"], RunLimit);
        var generate = await ForwarderProcess.RunAsync(_work.Path,
            ["generate", "--count", "-1", "--seed", "x", "--container", "zip", "--colour", "extra"], RunLimit);

        AssertUsageError(decode);
        Assert.Contains("the command line has 3 problem(s)", decode.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown format 'xml': use json, ecs, leef or flat", decode.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown container 'zip': use ", decode.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown option '--colour'", decode.Stderr, StringComparison.Ordinal);
        AssertUsageError(generate);
        Assert.Contains("the command line has 5 problem(s)", generate.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - generate needs --out FILE", generate.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--count' needs a non-negative whole number, not '-1'", generate.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--seed' needs a non-negative whole number, not 'x'", generate.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown container 'zip': use rdw or vbs", generate.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown option '--colour' (read with 'extra' as its value)", generate.Stderr, StringComparison.Ordinal);
        Assert.Equal(["in.smf"], Directory.EnumerateFileSystemEntries(_work.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("setup")]
    public async Task An_unknown_argument_is_listed_with_the_configurations_problems(string verb)
    {
        // It was: the unknown argument stopped the command alone; the bad setting was named only on the next run.
        var result = await ForwarderProcess.RunAsync(_work.Path, [verb, "bogus", "Metrics:Port=abc", "--config"], RunLimit);

        AssertUsageError(result);
        Assert.Contains("  - unknown argument 'bogus' (settings are Section:Key=value)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--config' needs a file", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - Metrics:Port 'abc' must be a whole number", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.Path));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("setup")]
    public async Task A_setting_given_its_value_in_the_next_argument_is_named_without_the_value(string verb)
    {
        // It was: "unknown argument 'Sec-ret-9f1c'": the password of '--Outputs:Elasticsearch:Password Sec-ret-9f1c' in the log.
        var result = await ForwarderProcess.RunAsync(_work.Path,
            [verb, "--Outputs:Elasticsearch:Url=https://es.invalid:9200", "--Outputs:Elasticsearch:Username=elastic",
             "--Outputs:Elasticsearch:Password", "Sec-ret-9f1c", "Kibana:Space", "--config"], RunLimit);

        AssertUsageError(result);
        Assert.DoesNotContain("Sec-ret-9f1c", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.Contains("  - setting '--Outputs:Elasticsearch:Password' has no value: write --Outputs:Elasticsearch:Password=value, in one argument " +
                        "(the argument after it, not shown, was read as its value)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - setting 'Kibana:Space' has no value: write Kibana:Space=value, in one argument", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--config' needs a file", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_with_an_equals_sign_given_in_the_next_argument_is_not_shown()
    {
        // It was: "unknown configuration key 'VnVh...dw'": an Elasticsearch API key is base64, padded with '=', and a
        // next argument with '=' was read as a setting of its own, whose key the error named.
        const string apiKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==";
        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--Outputs:Elasticsearch:Url=https://es.invalid:9200", "--Outputs:Elasticsearch:ApiKey", apiKey,
             "--Outputs:Kafka:SaslPassword", "Sec=ret-7d1e"], RunLimit);

        AssertUsageError(result);
        Assert.DoesNotContain(apiKey.TrimEnd('='), result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ret-7d1e", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.Contains("  - setting '--Outputs:Elasticsearch:ApiKey' has no value: write --Outputs:Elasticsearch:ApiKey=value, in one argument " +
                        "(the argument after it, not shown, was read as its value)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - setting '--Outputs:Kafka:SaslPassword' has no value: write --Outputs:Kafka:SaslPassword=value, in one argument " +
                        "(the argument after it, not shown, was read as its value)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_option_that_takes_one_value_given_twice_is_a_usage_error()
    {
        // It was: the last one won without a word ('--config base.json --config site.json' ran without base.json).
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);
        var config = _work.Combine("base.json");
        File.WriteAllText(config, "{}");

        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ecs", "--format", "leef"], RunLimit);
        var generate = await ForwarderProcess.RunAsync(_work.Path, ["generate", "--out", "a.smf", "--out", "b.smf", "--count", "1"], RunLimit);
        var report = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out", "a", "--out", "b", "--from", "2026-01-01", "--from", "2026-02-01"], RunLimit);
        var run = await ForwarderProcess.RunAsync(_work.Path, ["run", "--config", config, "--config", config, "--check-config"], RunLimit);

        AssertUsageError(decode);
        Assert.Contains("option '--format' is given more than once", decode.Stderr, StringComparison.Ordinal);
        AssertUsageError(generate);
        Assert.Contains("option '--out' is given more than once", generate.Stderr, StringComparison.Ordinal);
        AssertUsageError(report);
        Assert.Contains("  - option '--out' is given more than once", report.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--from' is given more than once", report.Stderr, StringComparison.Ordinal);
        AssertUsageError(run);
        Assert.Contains("option '--config' is given more than once", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(["base.json", "in.smf"], Directory.EnumerateFileSystemEntries(_work.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Bench_refuses_zero_records_or_rounds()
    {
        // It was: 0 was measured as 1, without a word.
        var temp = Directory.CreateDirectory(_work.Combine("tmp")).FullName;
        var result = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--records", "0", "--rounds", "0", "--pairs", "file"], RunLimit,
            new Dictionary<string, string> { ["TMPDIR"] = temp });

        AssertUsageError(result);
        Assert.Contains("  - option '--records' needs at least 1, not 0", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--rounds' needs at least 1, not 0", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public async Task Validate_mappings_names_an_unknown_option_as_one()
    {
        // It was: '--bogus' was taken for the mappings directory ("--bogus: mappings directory does not exist").
        var result = await ForwarderProcess.RunAsync(_work.Path, ["validate-mappings", "--bogus"], RunLimit);

        AssertUsageError(result);
        Assert.Equal("zertforwarder: unknown option '--bogus'\nRun 'zertforwarder --help' for usage.\n", result.Stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Decode_given_more_than_one_input_names_them()
    {
        // It was: "decode needs exactly one input", and a setting without '=' (or a stray word) was not named.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);
        var result = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "Zos:UtcOffsets:SYSA"], RunLimit);

        AssertUsageError(result);
        Assert.Contains($"decode needs exactly one input (a file path or '-' for standard input), not 2: '{dump}', 'Zos:UtcOffsets:SYSA'", result.Stderr,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_double_dash_a_word_beginning_with_dashes_is_an_input()
    {
        // It was: '--' was an unknown option, and a dump whose name begins with '--' could not be named at all.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);
        File.Copy(dump, _work.Combine("--odd.smf"));

        var plain = await ForwarderProcess.RunAsync(_work.Path, ["decode", "--format", "ecs", "in.smf"], RunLimit);
        var odd = await ForwarderProcess.RunAsync(_work.Path, ["decode", "--format", "ecs", "--", "--odd.smf"], RunLimit);
        var report = await ForwarderProcess.RunAsync(_work.Path, ["report", "--out", "report", "--", "--odd.smf"], RunLimit);

        Assert.True(odd.ExitCode == 0, odd.Stderr);
        Assert.Equal(plain.Stdout, odd.Stdout);
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.True(File.Exists(_work.Combine("report", "servers.csv")));
    }

    [Fact]
    public async Task Decode_and_report_list_the_mapping_files_problems_with_the_command_lines()
    {
        // It was: the command line's problems first, and the mapping files' only on the next run, once those were fixed.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);
        var missing = _work.Combine("no-mappings");

        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ecs", "--mappings", missing, "--container", "zip"], RunLimit);
        var report = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out", "report", "--mappings", missing, "--port", "abc"], RunLimit);

        foreach (var result in new[] { decode, report })
        {
            AssertUsageError(result);
            Assert.Contains("the command line has 2 problem(s)", result.Stderr, StringComparison.Ordinal);
            Assert.Contains($"  - the mapping files have 1 problem(s): {missing}: mappings directory does not exist", result.Stderr, StringComparison.Ordinal);
        }
        Assert.Contains("  - unknown container 'zip'", decode.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--port' needs a port number (1-65535), not 'abc'", report.Stderr, StringComparison.Ordinal);
        Assert.Equal(["in.smf"], Directory.EnumerateFileSystemEntries(_work.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_option_written_with_its_value_after_an_equals_sign_takes_that_value()
    {
        // It was: 'decode dump --format=ecs' was an unknown option that took the dump as its value (and then missed
        // an input), and 'run --config=site.json' an unknown configuration key 'config'.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);
        // A key the configuration does not know: named only when the file is read.
        File.WriteAllText(_work.Combine("site.json"), """{ "Outputs": { "File": { "Bogus": 1 } } }""");

        var glued = await ForwarderProcess.RunAsync(_work.Path, ["decode", "--format=ecs", dump], RunLimit);
        var spaced = await ForwarderProcess.RunAsync(_work.Path, ["decode", "--format", "ecs", dump], RunLimit);
        var run = await ForwarderProcess.RunAsync(_work.Path, ["run", $"Input:Paths:0={dump}", "--config=site.json", "--check-config"], RunLimit);
        var empty = await ForwarderProcess.RunAsync(_work.Path, ["decode", "--format=", dump], RunLimit);

        Assert.Equal(0, glued.ExitCode);
        Assert.Equal(spaced.Stdout, glued.Stdout);
        Assert.StartsWith("{\"@timestamp\"", glued.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown configuration key 'Outputs:File:Bogus'", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("'config'", run.Stderr, StringComparison.Ordinal);
        AssertUsageError(empty);
        Assert.Equal("zertforwarder: option '--format' needs a value\nRun 'zertforwarder --help' for usage.\n", empty.Stderr.ReplaceLineEndings("\n"));

        // A verb's required options written that way count as given: 'generate --count=5' said it needs --count, and
        // '--out=' without a value was listed twice, as needing a value and as missing.
        var generate = await ForwarderProcess.RunAsync(_work.Path, ["generate", "--out=g.smf", "--count=5"], RunLimit);
        var noOut = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out="], RunLimit);
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        Assert.True(File.Exists(_work.Combine("g.smf")));
        AssertUsageError(noOut);
        Assert.Contains("option '--out' needs a value", noOut.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("report needs --out", noOut.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Choices_are_taken_in_any_case_as_decode_takes_its_container()
    {
        // It was: 'decode --container RDW' was taken, 'generate --container VBS', 'decode --format ECS',
        // 'report --protection TLS' and 'bench --pairs FILE' refused.
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 5, zertCount: 10);
        var temp = Directory.CreateDirectory(_work.Combine("tmp")).FullName;

        var generate = await ForwarderProcess.RunAsync(_work.Path, ["generate", "--out", "vbs.smf", "--count", "3", "--container", "VBS"], RunLimit);
        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ECS", "--container", "RDW"], RunLimit);
        var lower = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "ecs"], RunLimit);
        var report = await ForwarderProcess.RunAsync(_work.Path, ["report", dump, "--out", "report", "--protection", "TLS"], RunLimit);
        var bench = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--pairs", "FILE,Nope", "--records", "0"], RunLimit,
            new Dictionary<string, string> { ["TMPDIR"] = temp });

        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Contains(", vbs container.", generate.Stderr, StringComparison.Ordinal);
        Assert.True(decode.ExitCode == 0, decode.ToString());
        Assert.Equal(lower.Stdout, decode.Stdout);
        Assert.True(report.ExitCode == 0, report.ToString());
        AssertUsageError(bench);
        Assert.Contains("the command line has 2 problem(s)", bench.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown bench pair 'Nope'", bench.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_verb_or_an_option_in_the_verbs_place_is_told_the_verbs()
    {
        // It was: "unknown verb 'Decode'", and "unknown verb '--config'" for an option given before any verb.
        var wrongCase = await ForwarderProcess.RunAsync(_work.Path, ["Decode", "dump.smf"], RunLimit);
        var optionFirst = await ForwarderProcess.RunAsync(_work.Path, ["--config", "site.json"], RunLimit);

        const string Verbs = "run, decode, generate, report, validate-mappings, setup, bench";
        AssertUsageError(wrongCase);
        Assert.StartsWith($"zertforwarder: unknown verb 'Decode': use {Verbs}\n", wrongCase.Stderr.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        AssertUsageError(optionFirst);
        Assert.StartsWith($"zertforwarder: option '--config' comes after a verb: zertforwarder VERB --config ... (verbs: {Verbs})\n",
            optionFirst.Stderr.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.Path));
    }

    [Fact]
    public async Task Version_is_printed_alone_and_after_a_verb()
    {
        var alone = await ForwarderProcess.RunAsync(_work.Path, ["--version"], RunLimit);
        var afterVerb = await ForwarderProcess.RunAsync(_work.Path, ["run", "--version"], RunLimit);

        Assert.True(alone.ExitCode == 0, alone.ToString());
        Assert.Matches(new Regex(@"^zertforwarder \d+\.\d+\.\d+\S*\s*$"), alone.Stdout);
        Assert.True(afterVerb.ExitCode == 0, afterVerb.ToString());
        Assert.Equal(alone.Stdout, afterVerb.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.Path));
    }

    [Fact]
    public async Task Bench_runs_decode_and_run_as_processes_and_reports_every_target_line()
    {
        // Only checks that the harness works (children start, forward every record, figures and verdicts print);
        // speed is never asserted in a test.
        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["bench", "--records", "2000", "--rounds", "2", "--pairs", "file,elasticsearch", .. AllowUnoptimized], TimeSpan.FromMinutes(5));

        output.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("input: 2,000 zERT records", result.Stdout, StringComparison.Ordinal);
        foreach (var program in new[] { "decode", "file", "elastic" })
        {
            Assert.Matches(new Regex($@"^{program}\s+[\d,]+ / [\d,]+ / [\d,]+\s+[\d.]+ / [\d.]+ / [\d.]+", RegexOptions.Multiline), result.Stdout);
            Assert.Matches(new Regex($@"^  cold\s+{program}\s", RegexOptions.Multiline), result.Stdout);
            Assert.Matches(new Regex($@"^  round 2\s+{program}\s", RegexOptions.Multiline), result.Stdout);
        }
        Assert.Contains("decode + ECS >= 500,000 records/s:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("run to file >= 0.9 x decode (records/s):", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("peak RSS of run to file <= 256 MB: highest", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("run to Elasticsearch rate / decode rate:", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"load average \d+\.\d+ \d+\.\d+ \d+\.\d+"), result.Stdout);
        // The build line says what was measured: optimized, unless this test run built the program with -p:Optimize=false.
        if (BuildCheck.IsUnoptimized(typeof(BuildCheck).Assembly))
        {
            Assert.Contains("build: UNOPTIMIZED (", result.Stdout, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("\nbuild: optimized\n", result.Stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            Assert.DoesNotContain("UNOPTIMIZED", result.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bench_measures_a_dump_of_the_users_own_and_counts_what_its_reader_rejects()
    {
        // An RDW dump with malformed records and broken frames among the good ones (the bench generates VBS).
        var (dump, rejected) = ParallelDecodeTests.DumpWithMalformedRecords(seed: 93, zertCount: 1_500, breakChainNearEnd: false);
        Assert.True(rejected > 0, "the dump has no rejected records");
        var path = _work.Combine("own.smf");
        File.WriteAllBytes(path, dump);
        var zert = Dumps.ZertRecords(path).Count;

        var result = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--input", path, "--rounds", "1", "--no-cold", "--pairs", "file", .. AllowUnoptimized],
            TimeSpan.FromMinutes(5));

        output.WriteLine(result.Stdout);
        // The programs exit 1 on this dump (records rejected); the bench accepts that only because its reader found them.
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(FormattableString.Invariant($"input: {zert:N0} zERT records ({path}, "), result.Stdout, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"; {rejected:N0} rejected by the reader)"), result.Stdout, StringComparison.Ordinal);
        foreach (var program in new[] { "decode", "file" })
        {
            Assert.Matches(new Regex($@"^{program}\s+[\d,]+ / [\d,]+ / [\d,]+\s+[\d.]+ / [\d.]+ / [\d.]+", RegexOptions.Multiline), result.Stdout);
        }
        Assert.Equal(dump, File.ReadAllBytes(path));
    }

    /// <summary>
    /// These tests only check that the bench works, on whichever build the test run made: one made with
    /// <c>-p:Optimize=false</c> (to debug the program) is measured only when asked to.
    /// </summary>
    private static string[] AllowUnoptimized => BuildCheck.IsUnoptimized(typeof(BuildCheck).Assembly) ? ["--allow-unoptimized"] : [];

    [Fact]
    public async Task Bench_refuses_to_measure_unoptimized_code_before_writing_anything_unless_told_to()
    {
        // DOTNET_JITMinOpts=1 turns the JIT's optimizations off in any build, as a Debug build has them off.
        var temp = Path.Combine(_work.Path, "tmp");
        Directory.CreateDirectory(temp);
        var environment = new Dictionary<string, string> { ["TMPDIR"] = temp, ["DOTNET_JITMinOpts"] = "1" };

        var refused = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--records", "10", "--pairs", "file"], RunLimit, environment);

        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("DOTNET_JITMinOpts=1 turns the JIT's optimizations off", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("dotnet run -c Release --project src/ZertForwarder -- bench", refused.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));

        var measured = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--records", "10", "--rounds", "1", "--no-cold", "--pairs", "file", "--allow-unoptimized"],
            TimeSpan.FromMinutes(5), environment);

        output.WriteLine(measured.Stdout);
        Assert.True(measured.ExitCode == 0, measured.ToString());
        // Marked where the figures are printed and again with the verdicts.
        Assert.Equal(2, Regex.Count(measured.Stdout, "build: UNOPTIMIZED \\(.*DOTNET_JITMinOpts=1.*\\), measured because of --allow-unoptimized"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Theory]
    [InlineData("--records", "--input measures the dump as it is")]
    [InlineData("--missing", "no such file")]
    [InlineData("--empty", "holds no zERT records")]
    [InlineData("--pipe", "is a pipe or device")]
    public async Task Bench_refuses_an_input_it_cannot_measure_before_writing_anything(string variant, string message)
    {
        var temp = Path.Combine(_work.Path, "tmp");
        Directory.CreateDirectory(temp);
        var path = _work.Combine("input.smf");
        if (variant == "--records") Dumps.Write(path, seed: 5, zertCount: 10);
        if (variant == "--empty") File.WriteAllBytes(path, []);
        if (variant == "--pipe") NamedPipes.Create(path);
        string[] args = variant == "--records" ? ["bench", "--input", path, "--records", "10"] : ["bench", "--input", path];

        var result = await ForwarderProcess.RunAsync(_work.Path, args, RunLimit, new Dictionary<string, string> { ["TMPDIR"] = temp });

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public async Task Bench_refuses_a_splunk_url_and_token_file_the_run_to_Splunk_cannot_use_before_measuring_anything()
    {
        // The run to Splunk refused them only when its turn came, after the other programs were measured (exit 1).
        var temp = Path.Combine(_work.Path, "tmp");
        Directory.CreateDirectory(temp);
        var tokenFile = _work.Combine("no-such-token");

        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["bench", "--records", "10", "--rounds", "1", "--no-cold", "--pairs", "file", "--splunk", "notaurl", "--splunk-token-file", tokenFile, .. AllowUnoptimized],
            RunLimit, new Dictionary<string, string> { ["TMPDIR"] = temp });

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("the command line has 2 problem(s)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - --splunk: Outputs:Splunk:Url must be an absolute http:// or https:// URL", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"  - --splunk: Outputs:Splunk:TokenFile: '{tokenFile}' does not exist", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public async Task Bench_lists_every_argument_problem_at_once_without_a_stack_trace()
    {
        // The first one stopped it, and a record count past 2^31 crashed with an overflow.
        var temp = Path.Combine(_work.Path, "tmp");
        Directory.CreateDirectory(temp);

        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["bench", "extra.smf", "--records", "3000000000", "--pairs", "file,nope", "--env", "DOTNET_gcServer", "--ack"], RunLimit,
            new Dictionary<string, string> { ["TMPDIR"] = temp });

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("the command line has 5 problem(s)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("bench takes no file argument ('extra.smf')", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("option '--records' needs at most 2,147,483,647, not 3000000000", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("unknown bench pair 'nope'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--env takes NAME=VALUE items separated by commas, not 'DOTNET_gcServer'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--splunk-token-file and --ack go with --splunk URL", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public async Task Bench_without_room_for_its_files_says_so_before_writing_anything()
    {
        // Two billion records to a file need terabytes; no test machine has them, so this refusal is certain.
        var temp = Path.Combine(_work.Path, "tmp");
        Directory.CreateDirectory(temp);
        var result = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--records", "2000000000", "--pairs", "file"], RunLimit,
            new Dictionary<string, string> { ["TMPDIR"] = temp });

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Matches(new Regex(@"bench of 2,000,000,000 records with the pairs file needs about \d+\.\d GB free in '[^']+' .*, and \d+\.\d GB are free"),
            result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public async Task Bench_with_a_missing_temporary_directory_says_so_without_a_stack_trace()
    {
        var missing = Path.Combine(_work.Path, "no-such-directory");
        var result = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--records", "10", "--pairs", "file"], RunLimit,
            new Dictionary<string, string> { ["TMPDIR"] = missing });

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("which cannot be used", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("no-such-directory", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    /// <summary>Output that cannot be written (stdout on a full disk): one line naming why, exit 1, no stack trace.</summary>
    [Theory]
    [InlineData("decode")]
    [InlineData("--help")]
    public async Task Output_to_a_full_disk_is_one_error_line_and_exit_1(string verb)
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 5, zertCount: 200);
        string[] args = verb == "decode" ? ["decode", dump, "--format", "ecs", "Zos:UtcOffsets:SYSA=-05:00"] : ["--help"];
        // The program's stdout is /dev/full (the launcher execs it with that redirection).
        var result = await ForwarderProcess.RunAsync(_work.Path, args, RunLimit, launcher: ["bash", "-c", "exec \"$@\" > /dev/full", "bash"]);

        output.WriteLine(result.ToString());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("zertforwarder: cannot write the output: No space left on device", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// run with Outputs:File:Stdout=true whose reader goes away (| head): the run stops (exit 2) with the events not
    /// written unacknowledged. The console's stream dropped the writes silently: exit 0 and the whole file checkpointed.
    /// </summary>
    [Fact]
    public async Task A_standard_output_whose_reader_went_away_stops_run_and_checkpoints_nothing_unwritten()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 6, zertCount: 3000);
        string[] args = ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", "Outputs:File:Stdout=true"];
        var result = await ForwarderProcess.RunAsync(_work.Path, args, RunLimit,
            launcher: ["bash", "-c", "\"$@\" | head -c 1 > /dev/null; exit ${PIPESTATUS[0]}", "bash"]);

        output.WriteLine(result.ToString());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the file output cannot write to standard output", result.Stderr, StringComparison.Ordinal);
        Assert.True(Checkpoints.Offset(_work.Combine("state"), dump) < new FileInfo(dump).Length / 2);
    }

    /// <summary>
    /// run --once with Outputs:File:Stdout=true: stdout carries the events and nothing else, and the summary with its
    /// server table goes to stderr. They were written to stdout after the last event, where the program reading the
    /// NDJSON stream met lines that are not JSON.
    /// </summary>
    [Fact]
    public async Task Run_once_to_standard_output_writes_its_summary_to_stderr_not_into_the_events()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 6, zertCount: 300);
        string[] args = ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", "Outputs:File:Stdout=true"];
        var result = await ForwarderProcess.RunAsync(_work.Path, args, RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(300, lines.Length);
        Assert.All(lines, line => System.Text.Json.JsonDocument.Parse(line).Dispose());
        Assert.Matches(new Regex("^server +port job +records", RegexOptions.Multiline), result.Stderr);
    }

    /// <summary>
    /// decode whose reader goes away (<c>| head</c>): it stops at once, says nothing, and exits 141 as <c>cat</c> would.
    /// The console's stream ignored the closed pipe, so decode went on through the whole dump and exited 0.
    /// </summary>
    [Fact]
    public async Task Decode_whose_reader_went_away_stops_quietly_with_the_status_of_SIGPIPE()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 3000);
        string[] args = ["decode", dump, "--format", "ecs", "Zos:UtcOffsets:SYSA=-05:00"];
        var result = await ForwarderProcess.RunAsync(_work.Path, args, RunLimit,
            launcher: ["bash", "-c", "\"$@\" | head -c 1 > /dev/null; exit ${PIPESTATUS[0]}", "bash"]);

        output.WriteLine(result.ToString());
        Assert.Equal(141, result.ExitCode);
        Assert.DoesNotContain("zert records decoded", result.Stderr, StringComparison.OrdinalIgnoreCase); // stopped before the end
        Assert.DoesNotContain("cannot write", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_switch_written_with_true_or_false_after_an_equals_sign_is_on_or_off()
    {
        // It was: 'run --once=true' was an unknown configuration key 'once', and 'report --weak-only=true' and
        // 'decode --enforcement-rule-name=true' unknown options, though other options take their value after '='.
        var sample = Dumps.BundledSample;
        string[] Run(string name) => ["run", $"Input:Paths:0={sample}", $"Outputs:File:Directory={name}", $"Checkpoint:Directory={name}-state"];

        var once = await ForwarderProcess.RunAsync(_work.Path, [.. Run("once"), "--once"], RunLimit);
        var onceTrue = await ForwarderProcess.RunAsync(_work.Path, [.. Run("once-true"), "--once=TRUE"], RunLimit);
        Assert.True(once.ExitCode == 0, once.ToString());
        Assert.True(onceTrue.ExitCode == 0, onceTrue.ToString());
        Assert.Contains("dead-lettered.", once.Stdout, StringComparison.Ordinal);
        Assert.Equal(once.Stdout, onceTrue.Stdout);

        // --once=false is run without --once: it keeps running once the file is done, until stopped, and prints no summary.
        await using (var running = ForwarderProcess.Start(_work.Path, [.. Run("once-false"), "--once=false"]))
        {
            await Eventually.TrueAsync(() => running.Stderr.Contains("Finished ", StringComparison.Ordinal) || running.HasExited,
                "the sample delivered", RunLimit, () => running.Stderr);
            Assert.False(running.HasExited, running.Stderr);
            running.Signal(ForwarderProcess.Sigterm);
            Assert.Equal(0, await running.WaitForExitAsync(RunLimit));
            Assert.DoesNotContain("dead-lettered.", running.Stdout, StringComparison.Ordinal);
        }

        async Task<string> Report(string name, params string[] flags)
        {
            var result = await ForwarderProcess.RunAsync(_work.Path, ["report", sample, "--out", name, .. flags], RunLimit);
            Assert.True(result.ExitCode == 0, result.ToString());
            return File.ReadAllText(_work.Combine(name, "servers.csv"));
        }
        var weak = await Report("weak", "--weak-only");
        Assert.NotEqual(await Report("all"), weak);
        Assert.Equal(weak, await Report("weak-true", "--weak-only=true"));
        Assert.Equal(await Report("all"), await Report("weak-false", "--weak-only=false"));

        async Task<string> Decode(params string[] flags)
        {
            var result = await ForwarderProcess.RunAsync(_work.Path, ["decode", sample, .. flags], RunLimit);
            Assert.True(result.ExitCode == 0, result.ToString());
            return result.Stdout;
        }
        var ruleNames = await Decode("--enforcement-rule-name");
        Assert.NotEqual(await Decode(), ruleNames);
        Assert.Equal(ruleNames, await Decode("--enforcement-rule-name=True"));
        Assert.Equal(await Decode(), await Decode("--enforcement-rule-name=false"));
    }

    [Fact]
    public async Task A_switch_with_another_value_or_given_both_on_and_off_is_listed_with_the_other_problems()
    {
        var sample = Dumps.BundledSample;

        var run = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once=yes", $"Input:Paths:0={sample}", "Outputs:File:Directory=out", "Metrics:Port=abc"], RunLimit);
        var check = await ForwarderProcess.RunAsync(_work.Path, ["run", "--check-config", "--check-config=false", $"Input:Paths:0={sample}", "Outputs:File:Directory=out"], RunLimit);
        var report = await ForwarderProcess.RunAsync(_work.Path, ["report", sample, "--out", "report", "--weak-only=1", "--port", "abc"], RunLimit);
        var decode = await ForwarderProcess.RunAsync(_work.Path, ["decode", sample, "--enforcement-rule-name=", "--format", "xml"], RunLimit);
        var bench = await ForwarderProcess.RunAsync(_work.Path, ["bench", "--no-cold=off", "--records", "0"], RunLimit);

        AssertUsageError(run);
        Assert.Contains("the configuration has 2 problem(s)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--once' is on or off: write --once, --once=true or --once=false, not '--once=yes'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - Metrics:Port 'abc' must be a whole number", run.Stderr, StringComparison.Ordinal);
        AssertUsageError(check);
        Assert.Contains("option '--check-config' is given both on and off", check.Stderr, StringComparison.Ordinal);
        AssertUsageError(report);
        Assert.Contains("the command line has 2 problem(s)", report.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--weak-only' is on or off: write --weak-only, --weak-only=true or --weak-only=false, not '--weak-only=1'", report.Stderr, StringComparison.Ordinal);
        AssertUsageError(decode);
        Assert.Contains("the command line has 2 problem(s)", decode.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - option '--enforcement-rule-name' is on or off: write --enforcement-rule-name, --enforcement-rule-name=true or --enforcement-rule-name=false, not '--enforcement-rule-name='",
            decode.Stderr, StringComparison.Ordinal);
        AssertUsageError(bench);
        Assert.Contains("  - option '--no-cold' is on or off: write --no-cold, --no-cold=true or --no-cold=false, not '--no-cold=off'", bench.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work.Path));
    }

    [Fact]
    public async Task Decode_takes_a_setting_written_after_two_dashes_as_run_does()
    {
        // It was: 'decode --Zos:UtcOffsets:SYSA=+01:00' was an unknown option, while run takes that form.
        var sample = Dumps.BundledSample;

        var plain = await ForwarderProcess.RunAsync(_work.Path, ["decode", sample, "--format", "ecs", "Zos:UtcOffsets:SYSA=+01:00"], RunLimit);
        var dashed = await ForwarderProcess.RunAsync(_work.Path, ["decode", sample, "--format", "ecs", "--Zos:UtcOffsets:SYSA=+01:00"], RunLimit);
        var other = await ForwarderProcess.RunAsync(_work.Path, ["decode", sample, "--format", "ecs", "--Zos:UtcOffsets:SYSA=-05:00"], RunLimit);
        var notDecodes = await ForwarderProcess.RunAsync(_work.Path, ["decode", sample, "--Metrics:Port=9100", "--Zos:Bogus=1"], RunLimit);

        Assert.True(dashed.ExitCode == 0, dashed.ToString());
        Assert.Equal(plain.Stdout, dashed.Stdout);
        Assert.NotEqual(other.Stdout, dashed.Stdout); // the setting is applied, not passed over
        AssertUsageError(notDecodes);
        Assert.Contains("  - decode takes settings of Zos, Mappings, Assessment only, not '--Metrics:Port=9100'", notDecodes.Stderr, StringComparison.Ordinal);
        Assert.Contains("  - unknown configuration key 'Zos:Bogus'", notDecodes.Stderr, StringComparison.Ordinal);
    }
}
