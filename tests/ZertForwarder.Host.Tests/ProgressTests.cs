using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// "Operate: progress": on a terminal, a file run shows a progress bar (bytes, records, rate) and logs as text; when
/// stderr is redirected (the other tests) logs are JSON lines and there is no bar. The terminal comes from
/// util-linux <c>script</c> (a pseudo-terminal).
/// </summary>
public sealed class ProgressTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [SkippableFact]
    public async Task On_a_terminal_a_file_run_shows_a_progress_bar_that_ends_at_100_percent_with_the_record_count()
    {
        var script = new[] { "/usr/bin/script", "/bin/script" }.FirstOrDefault(File.Exists);
        if (script is null)
        {
            // common.md: with ZERT_REQUIRE_TOOLS=1 (CI) a missing tool fails the test; elsewhere it skips.
            Assert.False(Environment.GetEnvironmentVariable("ZERT_REQUIRE_TOOLS") == "1", "util-linux 'script' is required (ZERT_REQUIRE_TOOLS=1)");
            throw new SkipException("util-linux 'script' is not installed");
        }
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 8, zertCount: 5000);
        var expected = Dumps.ZertRecords(dump);
        var command = string.Join(' ', new[]
        {
            Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet",
            ForwarderProcess.AssemblyPath, "run", "--once", $"Input:Paths:0={dump}",
            $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        }.Select(Quote));

        var info = new ProcessStartInfo(script) { WorkingDirectory = _work.Path, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--quiet", "--return", "--command", command, "/dev/null" }) info.ArgumentList.Add(arg);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ZERTFORWARDER_", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        info.Environment["TERM"] = "xterm";
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var readAll = process.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var terminal = await readAll;

        output.WriteLine(terminal.Replace("\r", "\n", StringComparison.Ordinal));
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("100.0%", terminal, StringComparison.Ordinal);
        Assert.Contains("[########################]", terminal, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{expected.Count:N0} records"), terminal, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"Timestamp\"", terminal, StringComparison.Ordinal); // text logs on a terminal, not JSON
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
