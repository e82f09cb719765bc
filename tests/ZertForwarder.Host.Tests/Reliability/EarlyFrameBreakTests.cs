using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Smf.Framing;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// A dump whose frame chain breaks after ten good records (an RDW of length 0): <c>decode</c> with auto-detection
/// delivers the good records and names the break's offset, exactly as <c>--container rdw</c> does.
/// </summary>
public sealed class EarlyFrameBreakTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Decode_with_auto_detection_reports_the_break_offset_and_the_good_records_like_container_rdw()
    {
        var full = Dumps.Write(_work.Combine("full.smf"), seed: 88, zertCount: 40);
        var frames = new List<byte[]>();
        using (var stream = File.OpenRead(full))
        using (var reader = new SmfRecordReader(stream, SmfContainer.Rdw))
        {
            while (frames.Count < 10 && reader.TryReadNext(out var frame)) frames.Add(frame.Record.ToArray());
        }
        var good = frames.SelectMany(f => f).ToArray();
        var broken = _work.Combine("broken.smf");
        File.WriteAllBytes(broken, [.. good, 0, 0, 0, 0, .. File.ReadAllBytes(full)[good.Length..]]);
        var expected = Dumps.ZertRecords(broken, stopAtBrokenChain: true);
        Assert.InRange(expected.Count, 1, 10);

        var auto = await ForwarderProcess.RunAsync(_work.Path, ["decode", broken], TimeSpan.FromSeconds(30));
        var rdw = await ForwarderProcess.RunAsync(_work.Path, ["decode", broken, "--container", "rdw"], TimeSpan.FromSeconds(30));
        output.WriteLine($"auto: {auto}\nrdw: {rdw}");

        var autoLines = auto.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected.Count, autoLines.Length);
        Assert.Equal(rdw.Stdout, auto.Stdout);
        Assert.Contains($":{good.Length}", auto.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("not an SMF dump", auto.Stderr, StringComparison.Ordinal);
        Assert.Equal(rdw.ExitCode, auto.ExitCode);
        Assert.Equal(1, auto.ExitCode);
    }
}
