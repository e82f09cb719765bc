using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using static ZertForwarder.TestKit.UnixModes;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The files <c>run</c> creates (outputs, checkpoint, a watched dump's <c>.done</c> marker) are 0600 under the common
/// umask 022, or the file output's Outputs:File:Permissions; a Permissions value that is no such mode is a start-up
/// problem listed with the others (exit 2), by <c>run --check-config</c> too.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CreatedFileModeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _work = new();

    /// <summary>The forwarder under umask 022, whatever the test process's is.</summary>
    private static readonly string[] Umask022 = ["sh", "-c", "umask 022 && exec \"$@\"", "sh"];

    public void Dispose() => _work.Dispose();

    [Theory]
    [InlineData(null, "0600")]
    [InlineData("0640", "0640")]
    public async Task Run_creates_its_output_checkpoint_and_done_marker_files_with_their_mode_not_the_umasks(string? permissions, string outputMode)
    {
        var incoming = _work.Combine("incoming");
        Directory.CreateDirectory(incoming);
        var dump = Dumps.Write(Path.Combine(incoming, "a.smf"), seed: 7, zertCount: 20);
        var outDirectory = _work.Combine("out");
        string[] args =
        [
            "run", "--once", $"Input:Watch:Directory={incoming}", "Input:Watch:Pattern=*.smf", "Input:Watch:CompletedAction=mark",
            "Input:Watch:SettleTime=00:00:00", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:File:Directory={outDirectory}", "Outputs:File:Formats:0=ecs", "Outputs:File:Formats:1=leef",
            .. permissions is null ? Array.Empty<string>() : [$"Outputs:File:Permissions={permissions}"],
        ];

        var result = await ForwarderProcess.RunAsync(_work.Path, args, RunLimit, launcher: Umask022);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        // The checkpoint and the marker stay 0600 whatever the file output's setting: they are the forwarder's own
        // files, not a shipper's.
        (string File, string Mode)[] expected =
        [
            (Path.Combine(outDirectory, "zert-ecs.ndjson"), outputMode), (Path.Combine(outDirectory, "zert-leef.log"), outputMode),
            (_work.Combine("state", "checkpoints.json"), "0600"), (dump + ".done", "0600"),
        ];
        Assert.Equal(expected, expected.Select(e => (e.File, ModeOf(e.File))));
    }

    [Fact]
    public async Task A_Permissions_value_that_is_no_mode_is_listed_with_the_other_problems_at_start_and_by_check_config()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 7, zertCount: 20);
        string[] settings =
        [
            $"Input:Paths:0={dump}", $"Outputs:File:Directory={_work.Combine("out")}", "Outputs:File:Permissions=0755",
            $"Checkpoint:Directory={_work.Combine("state")}", "Pipeline:BufferCapacity=0",
        ];

        foreach (var verb in new[] { "--once", "--check-config" })
        {
            var result = await ForwarderProcess.RunAsync(_work.Path, ["run", verb, .. settings], RunLimit);

            output.WriteLine(result.ToString());
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("Outputs:File:Permissions '0755' must be an octal mode such as 0600 or 0640", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("BufferCapacity", result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(_work.Combine("out")), $"run {verb} created the output directory");
        }
    }
}
