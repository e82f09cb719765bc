namespace ZertForwarder.Pipeline.Tests;

public sealed class AckTrackerTests
{
    [Fact]
    public void The_committed_position_only_moves_over_a_fully_acknowledged_prefix()
    {
        var tracker = new AckTracker(startPosition: 1000);
        var first = tracker.Track(1100, expectedCompletions: 2);
        var second = tracker.Track(1200, expectedCompletions: 2);
        var third = tracker.Track(1300, expectedCompletions: 2);

        third.Complete();
        third.Complete();
        second.Complete();
        Assert.Equal(1000, tracker.CommittedPosition); // first is not done, so nothing after it counts

        first.Complete();
        Assert.Equal(1000, tracker.CommittedPosition); // one of two sinks
        first.Complete();
        Assert.Equal(1100, tracker.CommittedPosition); // second still waits for one sink

        second.Complete();
        Assert.Equal(1300, tracker.CommittedPosition);
        Assert.Equal(0, tracker.PendingCount);
    }

    [Fact]
    public void A_record_without_an_event_is_done_at_once_but_waits_behind_earlier_ones()
    {
        var tracker = new AckTracker();
        var withEvent = tracker.Track(10, 1);
        tracker.Track(20, 0); // e.g. a skipped subtype
        Assert.Equal(0, tracker.CommittedPosition);

        withEvent.Complete();
        Assert.Equal(20, tracker.CommittedPosition);

        tracker.Track(30, 0);
        Assert.Equal(30, tracker.CommittedPosition);
    }

    [Fact]
    public void Records_without_an_event_behind_a_waiting_one_take_one_entry_per_run_and_commit_as_before()
    {
        // A full SMF dump while the sink is down: 100 records of other types between zERT records, none delivered.
        var tracker = new AckTracker();
        var events = new List<IEventAcknowledgement>();
        long position = 0;
        for (var e = 0; e < 50; e++)
        {
            events.Add(tracker.Track(position += 10, 1));
            for (var other = 0; other < 100; other++) tracker.Track(position += 10, 0);
        }
        Assert.Equal(100, tracker.PendingCount); // 50 events and 50 runs, not 5,050 entries
        Assert.Equal(0, tracker.CommittedPosition);

        // Delivered out of order: the committed position still moves over the contiguous prefix only, and past each
        // run to its last record.
        events[1].Complete();
        Assert.Equal(0, tracker.CommittedPosition);
        events[0].Complete();
        Assert.Equal(2 * 1010, tracker.CommittedPosition); // both events and the runs after them
        foreach (var e in events.Skip(2)) e.Complete();
        Assert.Equal(position, tracker.CommittedPosition);
        Assert.Equal(0, tracker.PendingCount);

        // Nothing waits now: a record without an event is committed at once, as before.
        tracker.Track(position + 10, 0);
        Assert.Equal(position + 10, tracker.CommittedPosition);
    }

    [Fact]
    public void Completing_a_handle_more_often_than_expected_is_an_error()
    {
        var tracker = new AckTracker();
        var handle = tracker.Track(5, 1);
        handle.Complete();

        Assert.Throws<InvalidOperationException>(handle.Complete);
        Assert.Equal(5, tracker.CommittedPosition);
    }

    [Fact]
    public void Positions_must_be_tracked_in_input_order()
    {
        var tracker = new AckTracker();
        tracker.Track(50, 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Track(40, 1));
    }

    [Fact]
    public void The_committed_event_reports_each_advance()
    {
        var tracker = new AckTracker();
        var reported = new List<long>();
        tracker.Committed += reported.Add;
        var a = tracker.Track(1, 1);
        var b = tracker.Track(2, 1);
        var c = tracker.Track(3, 1);

        b.Complete();
        a.Complete();
        c.Complete();

        Assert.Equal([2L, 3L], reported);
    }

    [Fact]
    public async Task Concurrent_completions_from_several_sinks_end_at_the_last_position()
    {
        const int records = 20_000;
        const int sinks = 3;
        var tracker = new AckTracker();
        var handles = Enumerable.Range(1, records).Select(p => tracker.Track(p, sinks)).ToArray();

        // Each sink completes every handle once, in its own shuffled order, on its own thread.
        await Task.WhenAll(Enumerable.Range(0, sinks).Select(sink => Task.Run(() =>
        {
            var order = handles.ToArray();
            new Random(sink).Shuffle(order);
            foreach (var handle in order)
            {
                handle.Complete();
            }
        })));

        Assert.Equal(records, tracker.CommittedPosition);
        Assert.Equal(0, tracker.PendingCount);
    }
}
