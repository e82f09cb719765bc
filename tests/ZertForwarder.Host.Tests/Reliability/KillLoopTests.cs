using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Reliability;

/// <summary>
/// <c>kill -9</c> at random points of a file run, five times, then a clean finish: every record is delivered to the
/// file output and to Elasticsearch; Elasticsearch absorbs the repeats (create → 409); the file output's repeats are
/// bounded by per-sink checkpoints: what the file sink wrote within about one checkpoint interval, not everything
/// the slower Elasticsearch had not confirmed (README "Reliability").
/// </summary>
public sealed class KillLoopTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 5;
    private const int MaxBatchItems = 500;
    private const int BufferCapacity = 6_000;
    /// <summary>How far the file output is ahead of Elasticsearch at each kill: what a shared checkpoint would repeat.</summary>
    private const int FileAhead = 5_000;
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Five_kill_9_at_random_points_then_a_clean_finish_deliver_every_record_with_bounded_repeats()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequestDelay = _ => TimeSpan.FromMilliseconds(100); // the slow sink
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 9009, zertCount: 40_000);
        var expected = Dumps.ZertRecords(dump);
        var ecs = _work.Combine("out", "zert-ecs.ndjson");
        string[] args =
        [
            $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", "Checkpoint:Interval=00:00:00.025",
            $"Outputs:File:Directory={_work.Combine("out")}", $"Outputs:Elasticsearch:Url={elasticsearch.Url}",
            $"Pipeline:MaxBatchItems={MaxBatchItems}", $"Pipeline:BufferCapacity={BufferCapacity}", $"DeadLetter:Directory={_work.Combine("dead-letters")}",
        ];

        var random = new Random(20261205);
        var repeatsPerKill = new List<int>();
        var duplicatesBefore = 0;
        for (var kill = 1; kill <= Kills; kill++)
        {
            // Killed at a random point once the file output is well ahead of the slow Elasticsearch: a checkpoint shared
            // by both sinks would make the file output repeat those events.
            var tally = new LineTally(ecs); // output is deterministic: a repeated event is a repeated line
            tally.Update();
            var target = tally.Lines + random.Next(500, 2_000);
            await using var run = ForwarderProcess.Start(_work.Path, ["run", .. args]);
            await Eventually.TrueAsync(() => (tally.Update() >= target && tally.Distinct >= elasticsearch.Documents.Count + FileAhead) || run.HasExited,
                $"{target} lines in the file output, {FileAhead} ahead of Elasticsearch", TimeSpan.FromSeconds(60), () => run.Stderr);
            Assert.False(run.HasExited, "killed before the end of the input\n" + run.Stderr);
            run.Kill();
            var lines = DiskFullTests.CompleteLines(ecs, whileWriting: true);
            var duplicates = lines.Count - lines.Distinct(StringComparer.Ordinal).Count();
            // The repeats a run makes come at its start (what the previous kill left unconfirmed).
            if (kill > 1) repeatsPerKill.Add(duplicates - duplicatesBefore);
            duplicatesBefore = duplicates;
            output.WriteLine($"kill {kill} (at {target} lines or more): {lines.Count} lines, {lines.Distinct(StringComparer.Ordinal).Count()} distinct, " +
                             $"checkpoint {Checkpoints.Offset(_work.Combine("state"), dump)}, elasticsearch {elasticsearch.Documents.Count}");
        }

        elasticsearch.RequestDelay = _ => null;
        var finish = await ForwarderProcess.RunAsync(_work.Path, ["run", "--once", .. args], TimeSpan.FromSeconds(120));
        Assert.True(finish.ExitCode == 0, finish.ToString());

        var counts = DiskFullTests.Count(expected, ecs, _work.Combine("dead-letters"));
        repeatsPerKill.Add(counts.Duplicated - duplicatesBefore);
        output.WriteLine($"file output after {Kills} x kill -9 and a clean finish: {counts}; repeats per kill: {string.Join(", ", repeatsPerKill)}");
        output.WriteLine($"elasticsearch: {elasticsearch.Documents.Count} documents, {elasticsearch.Conflicts} repeats absorbed (409)");
        Assert.Equal(0, counts.Lost);
        Assert.Equal(0, counts.DeadLettered);
        Assert.Equal(expected.Count, counts.Delivered);
        Assert.True(expected.Select(r => r.EventId).ToHashSet(StringComparer.Ordinal).SetEquals(elasticsearch.Documents.Keys.Select(k => k.Id)));
        // Documented bound (README "Reliability"): per kill, about what the file sink wrote since its last checkpoint
        // write (one 25 ms interval of its output, which depends on the machine's speed), always below the FileAhead
        // events that a checkpoint shared with the slow sink repeats by construction (each kill waits until the file
        // output is that far ahead of Elasticsearch).
        Assert.All(repeatsPerKill, repeats => Assert.InRange(repeats, 0, FileAhead - 1));
    }

    /// <summary>Complete lines and distinct lines of a growing file, read incrementally (the poll runs often).</summary>
    private sealed class LineTally(string path)
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private long _position;

        public int Lines { get; private set; }

        public int Distinct => _seen.Count;

        public int Update()
        {
            if (!File.Exists(path)) return Lines;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Position = _position;
            var appended = new byte[Math.Max(0, stream.Length - _position)];
            var read = stream.ReadAtLeast(appended, appended.Length, throwOnEndOfStream: false);
            var complete = appended.AsSpan(0, read).LastIndexOf((byte)'\n') + 1; // only whole lines; the rest next time
            _position += complete;
            foreach (var line in System.Text.Encoding.UTF8.GetString(appended, 0, complete).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Lines++;
                _seen.Add(line);
            }
            return Lines;
        }
    }
}
