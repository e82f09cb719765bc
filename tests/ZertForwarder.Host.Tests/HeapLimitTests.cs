using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Running;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The managed heap limit of <c>run</c> (issue 9): sized from the sink buffers unless configured, and a run under it
/// delivers everything.
/// </summary>
public sealed class HeapLimitTests(ITestOutputHelper output)
{
    private const long MB = 1024 * 1024;

    [Fact]
    public void The_default_grows_with_the_outputs_and_their_buffers()
    {
        var options = new ForwarderOptions();
        Assert.Equal(256 * MB, HeapLimit.For(options, outputCount: 1));
        Assert.Equal(512 * MB, HeapLimit.For(options, outputCount: 3));
        options.Pipeline.BufferBytes = 256 * MB;
        Assert.Equal(128 * MB + 2 * 2 * 256 * MB, HeapLimit.For(options, outputCount: 2));
    }

    [Fact]
    public void A_configured_limit_wins_and_zero_sets_none()
    {
        Assert.Equal(300 * MB, HeapLimit.For(new ForwarderOptions { Memory = { HeapLimitMB = 300 } }, outputCount: 4));
        Assert.Null(HeapLimit.For(new ForwarderOptions { Memory = { HeapLimitMB = 0 } }, outputCount: 1));
    }

    [Fact]
    public async Task A_run_names_its_limit_and_delivers_every_record_under_it()
    {
        using var work = new TempDirectory();
        var dump = work.Combine("in.smf");
        Dumps.Write(dump, seed: 9, zertCount: 3000);
        var expected = Dumps.ZertRecords(dump);
        var result = await ForwarderProcess.RunAsync(work.Path,
            ["run", "--once", $"Input:Paths:0={dump}", $"Outputs:File:Directory={work.Combine("out")}", "Outputs:File:Formats:0=ecs",
             $"Checkpoint:Directory={work.Combine("state")}", "Memory:HeapLimitMB=200"], TimeSpan.FromSeconds(60));
        output.WriteLine(result.Stderr.Split('\n').FirstOrDefault(l => l.Contains("heap limit", StringComparison.Ordinal)) ?? "(no start line)");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("managed heap limit 200 MB", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(expected.Count, File.ReadAllLines(work.Combine("out", "zert-ecs.ndjson")).Length);
    }
}
