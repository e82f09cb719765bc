using System.Buffers;
using System.Text;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Commands;
using ZertForwarder.Configuration;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;
using ZertForwarder.Running;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// Issue 9: <c>decode</c> formats batches on every core and writes them in input order. Its stdout, its rejection lines
/// and its counts must be exactly those of the one-record-at-a-time loop it replaced, whatever order the workers
/// finish in, with malformed records and a broken frame chain mixed in.
/// </summary>
public sealed class ParallelDecodeTests(ITestOutputHelper output)
{
    private const string Name = "dump.smf";

    public static TheoryData<string> Formats => new() { "json", "ecs", "leef", "flat" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_50k_record_dump_with_malformed_records_decodes_byte_for_byte_as_the_sequential_loop(string format)
    {
        var (dump, corrupted) = DumpWithMalformedRecords(seed: 91, zertCount: 50_000, breakChainNearEnd: false);
        var createFormatter = FormatterFactory(format);

        var expected = DecodeSequentially(dump, createFormatter);
        // The default shape, and an odd batch size with a tight bound so that batches often finish out of order and
        // the reader waits on the writer.
        foreach (var (batchSize, maxInFlight) in new (int, int?)[] { (ParallelDecoder.DefaultBatchSize, null), (97, 3) })
        {
            var actual = DecodeInParallel(dump, createFormatter, batchSize, maxInFlight);
            output.WriteLine($"{format}, batches of {batchSize}: {actual.Stdout.Length} bytes out, {actual.Stderr.Split('\n').Length - 1} stderr lines; " +
                             $"{actual.Counts.Describe()}");
            Assert.Equal(expected.Counts.Describe(), actual.Counts.Describe());
            Assert.Equal(expected.Counts.Frames, actual.Counts.Frames);
            Assert.Equal(expected.Stderr, actual.Stderr);
            Assert.True(expected.Stdout.AsSpan().SequenceEqual(actual.Stdout), $"{format}: stdout differs from the sequential loop's");
        }
        // The corruptions took effect: each malformed record is one rejection line, in file order.
        Assert.Equal(corrupted, expected.Counts.Rejected);
        Assert.True(expected.Counts.Decoded > 49_000, expected.Counts.Describe());
        var offsets = expected.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => long.Parse(l.Split(':')[1])).ToList();
        Assert.Equal(offsets.Order(), offsets);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_broken_frame_chain_in_the_middle_of_a_batch_writes_every_record_before_it_then_says_where(string format)
    {
        var (dump, _) = DumpWithMalformedRecords(seed: 92, zertCount: 3_000, breakChainNearEnd: true);
        var createFormatter = FormatterFactory(format);

        var expected = DecodeSequentially(dump, createFormatter);
        var actual = DecodeInParallel(dump, createFormatter, batchSize: 256, maxInFlight: null);
        output.WriteLine(actual.Stderr.Split('\n').Reverse().Skip(1).First());

        Assert.Equal(1, actual.Counts.FramingErrors);
        Assert.Contains("the rest of the input is not read", actual.Stderr, StringComparison.Ordinal);
        Assert.Equal(expected.Counts.Describe(), actual.Counts.Describe());
        Assert.Equal(expected.Stderr, actual.Stderr);
        Assert.True(expected.Stdout.AsSpan().SequenceEqual(actual.Stdout), $"{format}: stdout differs from the sequential loop's");
    }

    [Fact]
    public void A_VBS_dump_decodes_as_the_sequential_loop()
    {
        var dump = SmfDumpGenerator.GenerateDump(seed: 93, zertCount: 5_000, GeneratorContainer.Vbs);
        var createFormatter = FormatterFactory("ecs");
        var expected = DecodeSequentially(dump, createFormatter);
        var actual = DecodeInParallel(dump, createFormatter, batchSize: 128, maxInFlight: 4);
        Assert.Equal(5_000, actual.Counts.Decoded);
        Assert.Equal(expected.Counts.Describe(), actual.Counts.Describe());
        Assert.True(expected.Stdout.AsSpan().SequenceEqual(actual.Stdout));
    }

    [Fact]
    public async Task The_stage_hands_results_over_in_posting_order_however_the_workers_finish()
    {
        var consumed = new List<int>();
        var stage = new OrderedParallelStage<int, int>(i =>
        {
            // Uneven work so that later batches often finish before earlier ones.
            Thread.SpinWait((i * 7919 % 13) * 5_000);
            return i;
        }, Into(consumed), maxInFlight: 4);
        for (var i = 0; i < 500; i++) await stage.PostAsync(i);
        await stage.DrainAsync();
        Assert.Equal(Enumerable.Range(0, 500), consumed);
    }

    [Fact]
    public async Task The_stage_holds_the_producer_back_when_the_bound_is_reached()
    {
        using var gate = new ManualResetEventSlim(false);
        var consumed = new List<int>();
        var stage = new OrderedParallelStage<int, int>(i =>
        {
            gate.Wait();
            return i;
        }, Into(consumed), maxInFlight: 3);
        // Posted from here: the workers all wait at the gate, so nothing finishes and only the bound decides whether a
        // post returns. Three start at once; the fourth waits for the oldest, which cannot finish.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(stage.PostAsync(i).AsTask().IsCompletedSuccessfully, $"post {i} is within the bound");
        }
        var fourth = stage.PostAsync(3).AsTask();
        Assert.False(fourth.IsCompleted, "the producer went past the bound");
        Assert.Empty(consumed);

        gate.Set();
        await fourth.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 4; i < 10; i++) await stage.PostAsync(i);
        await stage.DrainAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 10), consumed);
    }

    [Fact]
    public async Task A_worker_failure_surfaces_after_every_earlier_result_is_consumed()
    {
        var consumed = new List<int>();
        var stage = new OrderedParallelStage<int, int>(i => i == 5 ? throw new InvalidOperationException("batch 5 failed") : i, Into(consumed), maxInFlight: 2);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            for (var i = 0; i < 20; i++) await stage.PostAsync(i);
            await stage.DrainAsync();
        });
        Assert.Equal("batch 5 failed", failure.Message);
        Assert.Equal(Enumerable.Range(0, 5), consumed);
    }

    [Fact]
    public async Task Abandoning_after_a_failure_waits_for_the_batches_still_running()
    {
        var finished = 0;
        // The workers start only once all four batches are posted: a batch that failed before a later post would be
        // reported by that post (it consumes finished batches first), not by the drain this test is about.
        using var allPosted = new ManualResetEventSlim();
        var stage = new OrderedParallelStage<int, int>(i =>
        {
            allPosted.Wait();
            if (i == 0) throw new InvalidOperationException("batch 0 failed");
            Thread.SpinWait(200_000);
            Interlocked.Increment(ref finished);
            return i;
        }, _ => ValueTask.CompletedTask, maxInFlight: 4);
        for (var i = 0; i < 4; i++) await stage.PostAsync(i);
        allPosted.Set();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await stage.DrainAsync());
        stage.Abandon();
        Assert.Equal(0, stage.InFlight);
        Assert.Equal(3, Volatile.Read(ref finished));
    }

    [Fact]
    public async Task With_an_asynchronous_consumer_results_are_awaited_in_order_and_a_waiting_consumer_holds_the_producer_back()
    {
        // run's use: the consumer hands a batch to the router, which waits while a sink's buffer is full.
        var consumed = new List<int>();
        var room = new TaskCompletionSource();
        var waitingForRoom = 0;
        var stage = new OrderedParallelStage<int, int>(i => i, async i =>
        {
            if (i == 2)
            {
                Volatile.Write(ref waitingForRoom, 1);
                await room.Task;
            }
            consumed.Add(i);
        }, maxInFlight: 3);
        var (producer, posted) = PostInBackground(stage, 10);

        // Batches 0 and 1 are routed, batch 2's consumer waits. The consumer runs on the producer's own flow (inside a
        // post), so once it waits the producer cannot post again: the count is final, at most the bound (3) past the
        // batches consumed, however fast the workers were.
        await Eventually.TrueAsync(() => Volatile.Read(ref waitingForRoom) == 1, "batch 2's consumer waiting", TimeSpan.FromSeconds(30));
        Assert.False(producer.IsCompleted, "the producer went past a waiting consumer");
        Assert.Equal([0, 1], consumed);
        Assert.InRange(posted(), 3, 2 + 3);

        room.SetResult();
        await producer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 10), consumed);
    }

    [Fact]
    public async Task With_an_asynchronous_consumer_a_failed_batch_stops_the_producer_instead_of_leaving_it_waiting()
    {
        // The hang this replaced: run's routing loop died on a batch that ran out of memory while the reader waited for
        // room in a channel that nobody read any more.
        var consumed = new List<int>();
        var stage = new OrderedParallelStage<int, int>(i => i == 5 ? throw new OutOfMemoryException() : i, Into(consumed), maxInFlight: 2);
        await Assert.ThrowsAsync<OutOfMemoryException>(async () =>
        {
            for (var i = 0; i < 1000; i++) await stage.PostAsync(i);
            await stage.DrainAsync();
        }).WaitAsync(TimeSpan.FromSeconds(30));
        stage.Abandon();
        Assert.Equal(Enumerable.Range(0, 5), consumed);
        Assert.Equal(0, stage.InFlight);
    }

    private sealed record Decoded(byte[] Stdout, string Stderr, RecordCounts Counts);

    /// <summary>
    /// Posts 0 .. <paramref name="count"/> - 1 and drains, on the thread pool; <c>posted</c> reads how many posts have
    /// returned so far.
    /// </summary>
    private static (Task Producer, Func<int> Posted) PostInBackground(OrderedParallelStage<int, int> stage, int count)
    {
        var posted = 0;
        var producer = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await stage.PostAsync(i);
                Interlocked.Increment(ref posted);
            }
            await stage.DrainAsync();
        });
        return (producer, () => Volatile.Read(ref posted));
    }

    /// <summary>A consumer that adds each result to <paramref name="consumed"/> and never waits.</summary>
    private static Func<int, ValueTask> Into(List<int> consumed) => i =>
    {
        consumed.Add(i);
        return ValueTask.CompletedTask;
    };

    private static Func<DecodeCommand.RecordFormatter> FormatterFactory(string format) => format == "json"
        ? () => new DecodeCommand.RawJsonFormatter(surfaceRuleName: false)
        : NormalizedFormatter.CreateFactory(format, new ForwarderOptions());

    private static Decoded DecodeInParallel(byte[] dump, Func<DecodeCommand.RecordFormatter> createFormatter, int batchSize, int? maxInFlight)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        using var decoder = new ParallelDecoder(createFormatter, batchSize, maxInFlight);
        var counts = decoder.Decode(new MemoryStream(dump), SmfContainer.Auto, Name, stdout, stderr);
        return new Decoded(stdout.ToArray(), stderr.ToString(), counts);
    }

    /// <summary>The reference: decode's loop as it was before it went parallel, one record at a time on one thread.</summary>
    private static Decoded DecodeSequentially(byte[] dump, Func<DecodeCommand.RecordFormatter> createFormatter)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        using var formatter = createFormatter();
        var counts = new RecordCounts();
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            using var reader = new SmfRecordReader(new MemoryStream(dump), SmfContainer.Auto);
            while (reader.TryReadNext(out var frame))
            {
                if (frame.IsError)
                {
                    stderr.WriteLine(counts.CountFramingError(Name, frame.Offset, frame.Error!));
                    continue;
                }
                var result = ZertRecordParser.Parse(frame.Record.ToArray());
                if (counts.CountParsed(result, Name, frame.Offset) is { } rejection)
                {
                    stderr.WriteLine(rejection);
                    continue;
                }
                if (result.Status != ZertParseStatus.Decoded) continue;
                buffer.ResetWrittenCount();
                formatter.Write(result.Record!, buffer);
                buffer.Write("\n"u8);
                stdout.Write(buffer.WrittenSpan);
            }
        }
        catch (SmfFramingException e)
        {
            stderr.WriteLine($"{Name}:{e.Offset}: {e.Reason}; the rest of the input is not read");
            counts.FramingErrors++;
        }
        return new Decoded(stdout.ToArray(), stderr.ToString(), counts);
    }

    /// <summary>
    /// An RDW dump in which about one zERT record in 500 is malformed (SMF119SD_TRN = 1, layout §1, as in
    /// <see cref="CorruptRecordTests"/>), about one in 700 is followed by a 5-byte frame too short to carry an SMF
    /// record type, and, if asked, the chain of lengths breaks (RDW length 3) shortly before the end.
    /// </summary>
    internal static (byte[] Dump, long Rejected) DumpWithMalformedRecords(ulong seed, int zertCount, bool breakChainNearEnd)
    {
        var records = SmfDumpGenerator.GenerateRecords(seed, zertCount).Select(r => r.Bytes.ToArray()).ToList();
        var random = new Random((int)seed);
        var frames = new List<byte[]>(records.Count + records.Count / 500);
        long rejected = 0;
        foreach (var record in records)
        {
            if (random.Next(500) == 0 && ZertRecordParser.Parse(record).Status == ZertParseStatus.Decoded)
            {
                record[24] = 0;
                record[25] = 1;
                rejected++;
            }
            frames.Add(record);
            if (random.Next(700) == 0)
            {
                frames.Add([0, 5, 0, 0, 0xFF]);
                rejected++;
            }
        }
        if (breakChainNearEnd)
        {
            // Not on a batch boundary, so the batch being filled when the chain breaks is partly full.
            var breakAt = frames.Count - 333;
            frames[breakAt][0] = 0;
            frames[breakAt][1] = 3;
        }
        var dump = new MemoryStream();
        foreach (var frame in frames) dump.Write(frame);
        return (dump.ToArray(), rejected);
    }
}
