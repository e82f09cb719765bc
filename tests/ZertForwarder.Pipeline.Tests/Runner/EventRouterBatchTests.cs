using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Runner;

/// <summary>
/// The router takes a mapped batch at a time (issue 9): each sink still gets exactly the events it is expected to take,
/// in input order, a full buffer still holds the writer back, and checkpoints still wait for every sink.
/// </summary>
public sealed class EventRouterBatchTests
{
    [Fact]
    public async Task Each_sink_gets_the_events_its_checkpoint_has_not_passed_in_input_order()
    {
        var time = new ObservedTimeProvider();
        var resumed = new ScriptedSink("resumed");
        var fresh = new ScriptedSink("fresh");
        var options = new SinkRunnerOptions { MaxBatchItems = 7, MaxBatchAge = TimeSpan.Zero };
        await using var resumedRunner = new SinkRunner(resumed, options, timeProvider: time);
        await using var freshRunner = new SinkRunner(fresh, options, timeProvider: time);
        var router = new EventRouter([resumedRunner, freshRunner]);
        // The first sink delivered everything up to position 1,000 before a restart; the second nothing.
        var tracker = new PerSinkAckTracker(0, [1000, 0]);
        await resumedRunner.StartAsync(CancellationToken.None);
        await freshRunner.StartAsync(CancellationToken.None);

        var events = Enumerable.Range(0, 40).Select(n => TestEvents.Create(n, tracker.Track((n + 1) * 50L, expectsEvent: true))).ToList();
        await router.WriteBatchAsync(events, CancellationToken.None);
        Assert.True(await router.CompleteAsync(CancellationToken.None));

        var expectedResumed = events.Skip(20).Select(e => e.EventId).ToList(); // positions 1,050 .. 2,000
        Assert.Equal(expectedResumed, resumed.Batches.SelectMany(b => b).ToList());
        Assert.Equal(events.Select(e => e.EventId).ToList(), fresh.Batches.SelectMany(b => b).ToList());
        Assert.Equal(2000, tracker.CommittedPosition);
    }

    [Fact]
    public async Task A_full_buffer_holds_the_batch_writer_back_until_the_sink_takes_events()
    {
        var time = new ObservedTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new ScriptedSink("slow") { BeforeSend = (_, ct) => release.Task.WaitAsync(ct) };
        var metrics = new PipelineMetrics();
        await using var runner = new SinkRunner(sink, new SinkRunnerOptions { BufferCapacity = 10, MaxBatchItems = 5, MaxBatchAge = TimeSpan.Zero },
            metrics: metrics, timeProvider: time);
        var router = new EventRouter([runner]);
        await runner.StartAsync(CancellationToken.None);
        const string waiting = "zertforwarder_buffer_waiting_writers{sink=\"slow\"}";

        var writing = router.WriteBatchAsync(TestEvents.Many(30), CancellationToken.None).AsTask();
        // The gauge says the writer is held (what the back-pressure host test waits for instead of watching counts).
        await Eventually.TrueAsync(() => sink.SendCalls == 1 && metrics.Render().Contains(waiting + " 1\n", StringComparison.Ordinal),
            "a send is held and the writer waits for room");
        Assert.Equal(10, runner.BufferedItems);
        Assert.False(writing.IsCompleted);

        release.SetResult();
        await writing;
        Assert.Contains(waiting + " 0\n", metrics.Render(), StringComparison.Ordinal);
        Assert.True(await router.CompleteAsync(CancellationToken.None));
        Assert.Equal(30, sink.Delivered.Count);
    }
}
