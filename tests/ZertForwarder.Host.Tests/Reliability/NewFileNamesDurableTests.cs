using System.Diagnostics;
using System.Text.RegularExpressions;
using ZertForwarder.Host.Tests.Support;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// A checkpoint may only count lines a power loss cannot take back, and that includes the name of a new file: fsync of
/// the file does not make its directory entry durable (fsync(2)). The forwarder runs under <c>strace</c>, which records
/// the system calls in order; a power loss cannot be caused here, but the order that survives one can be checked: the
/// output directory (and the dead-letter directory) synced after each file was created in it and before the checkpoint
/// that counts its lines.
/// </summary>
public sealed partial class NewFileNamesDurableTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [SkippableFact]
    public async Task The_directory_of_a_new_or_rotated_output_file_is_synced_before_a_checkpoint_counts_its_lines()
    {
        RequireStrace();
        var dump = Dumps.Write(_work.Combine("in.smf"), seed: 21, zertCount: 400);
        var trace = _work.Combine("trace.txt");

        // Rotation every ~200 KB: 400 ECS documents make several files, each a new name in the output directory.
        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["run", "--once", $"Input:Paths:0={dump}", "Outputs:File:Directory=out", "Outputs:File:Formats:0=ecs", "Outputs:File:RotateBytes=200000",
             "Checkpoint:Directory=state", "Logging:Progress=false"],
            TimeSpan.FromMinutes(2), launcher: ["strace", "-f", "-y", "-e", "trace=fsync,rename,renameat,renameat2", "-o", trace, "--"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.True(Directory.GetFiles(_work.Combine("out"), "zert-ecs.ndjson.*").Length >= 2, "the output rotated at least twice");

        // Each call in the order the calls began (a call another thread interrupted is recorded "<unfinished ...>").
        var calls = File.ReadLines(trace).Select(line => Call().Match(line)).Where(m => m.Success)
            .Select(m => (Name: m.Groups["name"].Value, Path: m.Groups["fd"].Success ? m.Groups["fd"].Value : m.Groups["to"].Value, From: m.Groups["from"].Value))
            .ToList();
        var outputDirectory = false; // the output directory synced since its last new name
        var deadLetterDirectory = false;
        var outputCreated = false;
        var checkpoints = 0;
        foreach (var (name, path, from) in calls)
        {
            if (name == "fsync" && path.EndsWith("/out/zert-ecs.ndjson", StringComparison.Ordinal)) outputCreated = true;
            else if (name == "fsync" && path.EndsWith("/out", StringComparison.Ordinal)) outputDirectory = true;
            else if (name == "fsync" && path.EndsWith("/state/dead-letters", StringComparison.Ordinal)) deadLetterDirectory = true;
            else if (name.StartsWith("rename", StringComparison.Ordinal) && from.EndsWith("/out/zert-ecs.ndjson", StringComparison.Ordinal))
            {
                outputDirectory = false; // a rotation: the old file's new name, and a new file under the name
            }
            else if (name.StartsWith("rename", StringComparison.Ordinal) && path.EndsWith("/state/checkpoints.json", StringComparison.Ordinal))
            {
                checkpoints++;
                Assert.True(deadLetterDirectory, $"checkpoint {checkpoints} written before the dead-letter file's directory was synced");
                if (outputCreated) Assert.True(outputDirectory, $"checkpoint {checkpoints} written before the output directory was synced after its last new file");
            }
        }
        Assert.True(checkpoints >= 1 && outputCreated, $"the trace holds {checkpoints} checkpoint(s) and {calls.Count} calls");
    }

    /// <summary>strace is installed by CI (.ci/install-tools.sh); elsewhere the test skips, saying why.</summary>
    private static void RequireStrace()
    {
        string? problem;
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("strace", ["-f", "-o", "/dev/null", "--", "true"]) { RedirectStandardError = true })!;
            var error = probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            problem = probe.ExitCode == 0 ? null : $"strace cannot trace here: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            problem = $"strace is not installed ({e.Message})";
        }
        if (problem is null) return;
        Assert.False(Environment.GetEnvironmentVariable("ZERT_REQUIRE_TOOLS") == "1", $"strace is required (ZERT_REQUIRE_TOOLS=1): {problem}");
        throw new SkipException(problem);
    }

    // 'PID fsync(FD</path>' or 'PID rename("from", "to"' (renameat/renameat2: 'AT_FDCWD, "from", AT_FDCWD, "to"').
    [GeneratedRegex("""^\d+\s+(?<name>fsync|rename|renameat2?)\((?:\d+<(?<fd>[^>]*)>|(?:AT_FDCWD, )?"(?<from>[^"]*)", (?:AT_FDCWD, )?"(?<to>[^"]*)")""")]
    private static partial Regex Call();
}
