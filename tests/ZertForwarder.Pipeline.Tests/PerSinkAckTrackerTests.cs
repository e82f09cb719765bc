namespace ZertForwarder.Pipeline.Tests;

/// <summary>Per-sink progress: each sink's position moves on its own; the input's is the lowest; a sink that already has a position is not expected.</summary>
public sealed class PerSinkAckTrackerTests
{
    [Fact]
    public void Each_sink_commits_on_its_own_and_the_input_position_is_the_lowest()
    {
        var tracker = new PerSinkAckTracker(0, [0, 0]);
        var handles = Enumerable.Range(1, 4).Select(i => tracker.Track(i * 100, expectsEvent: true)).ToList();
        foreach (var handle in handles) handle.CompleteFor(0); // the fast sink has everything
        handles[0].CompleteFor(1);                              // the slow one the first record only

        Assert.Equal(400, tracker.SinkCommittedPosition(0));
        Assert.Equal(100, tracker.SinkCommittedPosition(1));
        Assert.Equal(100, tracker.CommittedPosition);
    }

    [Fact]
    public void After_a_restart_a_sink_is_not_expected_for_what_it_already_has()
    {
        // Resumed at 100 (the slow sink's position); the fast sink had everything up to 300.
        var tracker = new PerSinkAckTracker(100, [300, 100]);
        var committed = new List<long>();
        tracker.Committed += committed.Add;
        var second = tracker.Track(200, expectsEvent: true);
        var third = tracker.Track(300, expectsEvent: true);
        var fourth = tracker.Track(400, expectsEvent: true);

        Assert.False(second.IsExpectedBy(0));
        Assert.False(third.IsExpectedBy(0));
        Assert.True(fourth.IsExpectedBy(0));
        Assert.True(second.IsExpectedBy(1));
        Assert.Throws<InvalidOperationException>(() => second.CompleteFor(0));

        second.CompleteFor(1);
        third.CompleteFor(1);
        Assert.Equal(300, tracker.CommittedPosition);
        fourth.CompleteFor(1);
        fourth.CompleteFor(0);
        Assert.Equal(400, tracker.CommittedPosition);
        Assert.Equal(400, committed.Max());
    }

    [Fact]
    public void With_one_sink_the_same_rules_hold_without_per_record_arrays()
    {
        // Resumed at 100 with the only sink at 100: positions after it are expected, records without an event are not.
        var tracker = new PerSinkAckTracker(100, [100]);
        var committed = new List<long>();
        tracker.Committed += committed.Add;
        var first = tracker.Track(200, expectsEvent: true);
        var skipped = tracker.Track(300, expectsEvent: false);
        var third = tracker.Track(400, expectsEvent: true);

        Assert.True(first.IsExpectedBy(0));
        Assert.False(skipped.IsExpectedBy(0));
        Assert.Throws<InvalidOperationException>(() => skipped.CompleteFor(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => first.IsExpectedBy(1));
        Assert.Throws<InvalidOperationException>(first.Complete);

        third.CompleteFor(0);
        Assert.Equal(100, tracker.CommittedPosition); // 200 is still out
        first.CompleteFor(0);
        Assert.Equal(400, tracker.CommittedPosition);
        Assert.Equal(400, committed[^1]);
        Assert.Throws<InvalidOperationException>(() => first.CompleteFor(0)); // twice
    }

    [Fact]
    public void Records_without_an_event_are_done_for_every_sink_at_once()
    {
        var tracker = new PerSinkAckTracker(0, [0, 0, 0]);
        var handle = tracker.Track(50, expectsEvent: false);
        Assert.All(Enumerable.Range(0, 3), i => Assert.False(handle.IsExpectedBy(i)));
        Assert.Equal(50, tracker.CommittedPosition);
    }

    [Fact]
    public void The_checkpoint_store_keeps_each_sinks_offset_across_a_restart()
    {
        var directory = Directory.CreateTempSubdirectory("zf-persink-").FullName;
        try
        {
            var input = Path.Combine(directory, "input.smf");
            File.WriteAllBytes(input, new byte[1000]);
            using (var store = new FileCheckpointStore(Path.Combine(directory, "state"), TimeSpan.Zero))
            {
                store.GetResumePoint(input);
                store.Commit(input, 200, new Dictionary<string, long> { ["file"] = 800, ["elasticsearch"] = 200 });
            }

            using var reopened = new FileCheckpointStore(Path.Combine(directory, "state"), TimeSpan.Zero);
            var resume = reopened.GetResumePoint(input);
            Assert.Equal(200, resume.Offset);
            Assert.Equal(800, resume.SinkOffsets!["file"]);
            Assert.Equal(200, resume.SinkOffsets["elasticsearch"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
