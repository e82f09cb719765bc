using System.Text;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Payload;

/// <summary>
/// Pooled event bytes (issue 9): every encoding stays contiguous and intact however it was written, and a block goes
/// back to the pool only when every sink an event was routed to has settled it.
/// </summary>
public sealed class PayloadBlockTests
{
    private static byte[] Document(int n) => Encoding.UTF8.GetBytes($"{{\"n\":{n},\"pad\":\"{new string((char)('a' + n % 26), 100 + n * 37 % 4000)}\"}}");

    [Fact]
    public void Encodings_written_in_pieces_across_many_segments_come_back_whole()
    {
        var block = new PayloadBlock();
        var written = new List<(int N, ReadOnlyMemory<byte> Bytes)>();
        for (var n = 0; n < 600; n++)
        {
            // Written the way an IBufferWriter user may write: several small requests, the first without a size hint.
            var document = Document(n);
            block.BeginItem();
            var offset = 0;
            while (offset < document.Length)
            {
                var piece = Math.Min(document.Length - offset, 1 + n % 700);
                var span = block.GetSpan(offset == 0 ? 0 : piece);
                piece = Math.Min(piece, span.Length);
                document.AsSpan(offset, piece).CopyTo(span);
                block.Advance(piece);
                offset += piece;
            }

            written.Add((n, block.EndItem()));
        }

        Assert.True(written.Sum(w => w.Bytes.Length) > 4 * PayloadBlock.SegmentSize, "the test spans several segments");
        foreach (var (n, bytes) in written)
        {
            Assert.Equal(Document(n), bytes.ToArray());
        }
    }

    [Fact]
    public void A_document_larger_than_a_segment_is_kept_whole()
    {
        var block = new PayloadBlock();
        var big = new byte[PayloadBlock.SegmentSize + 12345];
        Random.Shared.NextBytes(big);
        block.BeginItem();
        big.CopyTo(block.GetSpan(big.Length));
        block.Advance(big.Length);
        Assert.Equal(big, block.EndItem().ToArray());
    }

    [Fact]
    public void Releasing_more_events_than_the_block_holds_is_an_error()
    {
        var block = new PayloadBlock();
        block.AddEvent();
        block.ReleaseEvent();
        Assert.Equal(0, block.PendingEvents);
        Assert.Throws<InvalidOperationException>(block.ReleaseEvent);
    }

    [Fact]
    public async Task A_block_is_released_only_when_every_sink_settled_every_event_in_it()
    {
        var time = new ObservedTimeProvider();
        var fast = new ScriptedSink("fast") { Script = (e, _) => e.EventId == TestEvents.IdOf(3) ? (ItemOutcome.Rejected, "bad document") : (ItemOutcome.Delivered, null) };
        var releaseSlow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new ScriptedSink("slow") { BeforeSend = (_, ct) => releaseSlow.Task.WaitAsync(ct) };
        var options = new SinkRunnerOptions { MaxBatchItems = 4, MaxBatchAge = TimeSpan.Zero };
        await using var fastRunner = new SinkRunner(fast, options, timeProvider: time);
        await using var slowRunner = new SinkRunner(slow, options, timeProvider: time);
        var router = new EventRouter([fastRunner, slowRunner]);
        await fastRunner.StartAsync(CancellationToken.None);
        await slowRunner.StartAsync(CancellationToken.None);

        var block = new PayloadBlock();
        var events = Enumerable.Range(0, 8).Select(n => InBlock(block, n)).ToList();
        Assert.Equal(8, block.PendingEvents);
        foreach (var e in events)
        {
            await router.WriteAsync(e, CancellationToken.None);
        }

        // The fast sink settled all eight (one of them rejected: dropped without a dead-letter output, still settled).
        await Eventually.TrueAsync(() => fast.Delivered.Count == 7 && slow.SendCalls >= 1, "the fast sink is done, the slow one is sending");
        Assert.Equal(8, block.PendingEvents);

        releaseSlow.SetResult();
        await Eventually.TrueAsync(() => block.PendingEvents == 0, "every event released by both sinks");
        Assert.Equal(8, slow.Delivered.Count);
    }

    [Fact]
    public async Task An_event_no_sink_expects_is_released_at_once()
    {
        // After a restart with per-sink checkpoints, an event both sinks delivered before is routed to neither.
        var sink = new ScriptedSink();
        await using var runner = new SinkRunner(sink, new SinkRunnerOptions(), timeProvider: new ObservedTimeProvider());
        var router = new EventRouter([runner]);
        var tracker = new PerSinkAckTracker(0, [1000]);
        var block = new PayloadBlock();
        await router.WriteAsync(InBlock(block, 1, tracker.Track(500, expectsEvent: true)), CancellationToken.None);
        Assert.Equal(0, block.PendingEvents);
        Assert.Equal(0, sink.SendCalls);
    }

    private static ForwardedEvent InBlock(PayloadBlock block, int n, IEventAcknowledgement? position = null)
    {
        var template = TestEvents.Create(n);
        block.AddEvent();
        return new ForwardedEvent
        {
            EventId = template.EventId,
            Dataset = template.Dataset,
            Key = template.Key,
            Ecs = Write(block, template.Ecs.Span),
            Leef = Write(block, template.Leef.Span),
            Payload = block,
            Position = position,
        };
    }

    private static ReadOnlyMemory<byte> Write(PayloadBlock block, ReadOnlySpan<byte> bytes)
    {
        block.BeginItem();
        bytes.CopyTo(block.GetSpan(bytes.Length));
        block.Advance(bytes.Length);
        return block.EndItem();
    }
}
