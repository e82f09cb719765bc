using ZertForwarder.Forwarding;
using ZertForwarder.Generator;
using ZertForwarder.Smf.Framing;
using ZertForwarder.TestKit;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The one record loop that decode and run share: frames reach the consumer whole and in input order across batches,
/// a broken chain first delivers what was read before it, a checkpoint skips what was delivered, a slow consumer holds
/// the reader back, and a failed batch stops the loop only once the batches still being processed are done.
/// </summary>
public sealed class RecordLoopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A frame as the consumer saw it: where it was and a copy of its bytes.</summary>
    private sealed record Seen(long Offset, long EndOffset, byte[] Record, string? Error);

    [Fact]
    public async Task Frames_reach_the_consumer_whole_and_in_input_order_however_the_workers_finish()
    {
        var dump = SmfDumpGenerator.GenerateDump(seed: 41, zertCount: 2_000, GeneratorContainer.Rdw);
        var expected = ReadSequentially(dump);
        var prepared = new List<int>();
        var consumed = new List<Seen>();
        var consumedBatches = new List<int>();
        var next = 0;
        var loop = new RecordLoop<(FrameBatch Frames, int Index), (FrameBatch Frames, int Index, Seen[] Copies)>(batchSize: 7, maxInFlight: 3,
            frames =>
            {
                prepared.Add(next);
                return (frames, next++);
            },
            work =>
            {
                // Uneven work, so that later batches often finish before earlier ones.
                Thread.SpinWait(work.Index * 7919 % 13 * 2_000);
                return (work.Frames, work.Index, Copy(work.Frames));
            },
            result =>
            {
                // The batch's bytes are still those the worker saw: it is not reused before it is consumed.
                Assert.Equal(result.Copies.Select(c => c.Record), Copy(result.Frames).Select(c => c.Record));
                consumedBatches.Add(result.Index);
                consumed.AddRange(result.Copies);
                return ValueTask.CompletedTask;
            });

        using var reader = new SmfRecordReader(new MemoryStream(dump));
        await loop.ReadAsync(reader).WaitAsync(Patience);

        var batches = (expected.Count + 6) / 7;
        Assert.Equal(Enumerable.Range(0, batches), prepared);
        Assert.Equal(Enumerable.Range(0, batches), consumedBatches);
        AssertSame(expected, consumed);
    }

    [Fact]
    public async Task A_broken_chain_in_the_middle_of_a_batch_delivers_every_frame_before_it_then_is_thrown()
    {
        var dump = SmfDumpGenerator.GenerateDump(seed: 42, zertCount: 300, GeneratorContainer.Rdw);
        var frames = ReadSequentially(dump);
        // Frame 50, the second of the eighth batch of 7, has an RDW length (3) that breaks the chain: the batch being
        // filled holds one frame when the break is met.
        const int breakAt = 50;
        var brokenAt = frames[breakAt].Offset;
        dump[brokenAt] = 0;
        dump[brokenAt + 1] = 3;
        var consumed = new List<Seen>();
        var loop = CopyingLoop(batchSize: 7, maxInFlight: 2, consumed);

        using var reader = new SmfRecordReader(new MemoryStream(dump));
        var thrown = await Assert.ThrowsAsync<SmfFramingException>(() => loop.ReadAsync(reader)).WaitAsync(Patience);

        Assert.Equal(brokenAt, thrown.Offset);
        AssertSame(frames.Take(breakAt).ToList(), consumed);
    }

    [Fact]
    public async Task An_input_that_is_not_an_SMF_dump_is_thrown_without_anything_consumed()
    {
        var garbage = new byte[4096];
        new Random(43).NextBytes(garbage);
        var consumed = new List<Seen>();
        var loop = CopyingLoop(batchSize: 7, maxInFlight: 2, consumed);

        using var reader = new SmfRecordReader(new MemoryStream(garbage));
        await Assert.ThrowsAsync<InvalidDataException>(() => loop.ReadAsync(reader)).WaitAsync(Patience);
        Assert.Empty(consumed);
    }

    [Fact]
    public async Task Frames_ending_at_or_before_the_checkpoint_are_counted_as_read_but_not_delivered()
    {
        var dump = SmfDumpGenerator.GenerateDump(seed: 44, zertCount: 300, GeneratorContainer.Rdw);
        var frames = ReadSequentially(dump);
        // The checkpoint is frame 99's end: frames 0-99 were delivered before the stop.
        var checkpoint = frames[99].EndOffset;
        var consumed = new List<Seen>();
        var positions = new List<long>();
        var loop = CopyingLoop(batchSize: 16, maxInFlight: 2, consumed);

        using var reader = new SmfRecordReader(new MemoryStream(dump));
        await loop.ReadAsync(reader, skipBefore: checkpoint, frameRead: positions.Add).WaitAsync(Patience);

        AssertSame(frames.Skip(100).ToList(), consumed);
        // Progress moves with every frame read, the skipped ones too.
        Assert.Equal(frames.Select(f => f.EndOffset), positions);
    }

    [Fact]
    public async Task A_consumer_that_waits_holds_the_reader_back()
    {
        var dump = SmfDumpGenerator.GenerateDump(seed: 45, zertCount: 2_000, GeneratorContainer.Rdw);
        var frames = ReadSequentially(dump);
        const int batchSize = 10, maxInFlight = 3;
        var room = new TaskCompletionSource();
        var consumed = new List<Seen>();
        var read = 0;
        var waitingForRoom = 0;
        var loop = new RecordLoop<FrameBatch, Seen[]>(batchSize, maxInFlight, batch => batch, Copy, async copies =>
        {
            Volatile.Write(ref waitingForRoom, 1);
            await room.Task;
            consumed.AddRange(copies);
        });

        using var reader = new SmfRecordReader(new MemoryStream(dump));
        var reading = Task.Run(() => loop.ReadAsync(reader, frameRead: _ => Interlocked.Increment(ref read)));

        // The first batch's consumer waits. It runs on the loop's own flow, the one that reads, so from then on nothing
        // more is read: at most the bound of batches, the one being consumed and the one being filled, however fast the
        // workers are.
        await Eventually.TrueAsync(() => Volatile.Read(ref waitingForRoom) == 1, "the first batch's consumer waiting", Patience);
        Assert.False(reading.IsCompleted, "the reader went past a waiting consumer");
        Assert.InRange(Volatile.Read(ref read), batchSize, (maxInFlight + 2) * batchSize);

        room.SetResult();
        await reading.WaitAsync(Patience);
        AssertSame(frames, consumed);
    }

    [Fact]
    public async Task A_failed_batch_stops_the_loop_once_the_batches_still_being_processed_are_done()
    {
        var dump = SmfDumpGenerator.GenerateDump(seed: 46, zertCount: 300, GeneratorContainer.Rdw);
        var frames = ReadSequentially(dump);
        const int batchSize = 16;
        using var fourthStarted = new ManualResetEventSlim();
        using var releaseFourth = new ManualResetEventSlim();
        using var thirdFailed = new ManualResetEventSlim();
        var fourthFinished = false;
        var consumed = new List<int>();
        var next = 0;
        var loop = new RecordLoop<int, int>(batchSize, maxInFlight: 3, _ => next++, index =>
        {
            switch (index)
            {
                case 3:
                    // Fails once batch 4 is being processed, so the loop meets the failure with a batch still running.
                    fourthStarted.Wait(Patience);
                    thirdFailed.Set();
                    throw new InvalidOperationException("batch 3 failed");
                case 4:
                    fourthStarted.Set();
                    releaseFourth.Wait(Patience);
                    Volatile.Write(ref fourthFinished, true);
                    break;
            }
            return index;
        }, index =>
        {
            consumed.Add(index);
            return ValueTask.CompletedTask;
        });

        using var reader = new SmfRecordReader(new MemoryStream(dump));
        var reading = Task.Run(() => loop.ReadAsync(reader));

        Assert.True(thirdFailed.Wait(Patience), "batch 3 did not fail");
        // The failure is not reported while batch 4 is still being processed.
        Assert.False(reading.Wait(TimeSpan.FromMilliseconds(200)), "the loop ended with a batch still running");
        releaseFourth.Set();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => reading).WaitAsync(Patience);

        Assert.Equal("batch 3 failed", failure.Message);
        Assert.True(Volatile.Read(ref fourthFinished));
        // Every batch before the failed one was consumed, none after it; the input was not read to its end.
        Assert.Equal([0, 1, 2], consumed);
        Assert.True(frames.Count > 7 * batchSize, "the dump is too short for the test");
        Assert.True(reader.Position < dump.Length, "the loop read on after the failure");
    }

    /// <summary>A loop whose workers copy each frame out and whose consumer collects the copies, in order.</summary>
    private static RecordLoop<FrameBatch, Seen[]> CopyingLoop(int batchSize, int maxInFlight, List<Seen> consumed) =>
        new(batchSize, maxInFlight, batch => batch, Copy, copies =>
        {
            consumed.AddRange(copies);
            return ValueTask.CompletedTask;
        });

    private static Seen[] Copy(FrameBatch batch)
    {
        var copies = new Seen[batch.Count];
        for (var i = 0; i < copies.Length; i++)
        {
            var frame = batch.Frames[i];
            copies[i] = new Seen(frame.Offset, frame.EndOffset, frame.Record.ToArray(), frame.Error);
        }
        return copies;
    }

    /// <summary>The reference: every frame of the dump, read one at a time.</summary>
    private static List<Seen> ReadSequentially(byte[] dump)
    {
        var frames = new List<Seen>();
        using var reader = new SmfRecordReader(new MemoryStream(dump));
        while (reader.TryReadNext(out var frame)) frames.Add(new Seen(frame.Offset, frame.EndOffset, frame.Record.ToArray(), frame.Error));
        return frames;
    }

    private static void AssertSame(List<Seen> expected, List<Seen> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Offset, actual[i].Offset);
            Assert.Equal(expected[i].EndOffset, actual[i].EndOffset);
            Assert.Equal(expected[i].Error, actual[i].Error);
            Assert.True(expected[i].Record.AsSpan().SequenceEqual(actual[i].Record), $"frame {i} at offset {expected[i].Offset}: the bytes differ");
        }
    }
}
