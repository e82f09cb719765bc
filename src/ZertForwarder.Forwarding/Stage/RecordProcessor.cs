using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Forwarding;

/// <summary>
/// The decode and map stages between a source and the sinks: frames are decoded and normalized in parallel batches
/// on an <see cref="OrderedParallelStage{TBatch, TResult}"/>, then handed to the <see cref="EventRouter"/> in input
/// order, so per-key order holds and a full sink buffer blocks the reader (back-pressure reaches the file or the Kafka
/// consumer).
/// </summary>
internal sealed class RecordProcessor : IDisposable
{
    /// <summary>Records per parallel work item: big enough to amortize the hand-off, small enough to keep latency low.</summary>
    public const int BatchSize = 256;

    private readonly ZertNormalizer _normalizer;
    private readonly OutputFormats _formats;
    private readonly EventRouter _router;
    private readonly IDeadLetterOutput? _malformedDeadLetters;
    private readonly RunStatistics _stats;
    private readonly ILogger _logger;
    private readonly ThreadLocal<EventFactory> _factories;
    private readonly LogRateLimit _rejectedLogLimit;

    public RecordProcessor(ZertNormalizer normalizer, OutputFormats formats, EventRouter router, IDeadLetterOutput? malformedDeadLetters,
        RunStatistics stats, ILogger logger, TimeProvider time)
    {
        _rejectedLogLimit = new LogRateLimit(time);
        _normalizer = normalizer;
        _formats = formats;
        _router = router;
        _malformedDeadLetters = malformedDeadLetters;
        _stats = stats;
        _logger = logger;
        _factories = new ThreadLocal<EventFactory>(() => new EventFactory(_normalizer, _formats));
    }

    public int SinkCount => _router.SinkCount;

    public void Dispose() => _factories.Dispose();

    /// <summary>One frame taken from an input, with the acknowledgement that lets the input checkpoint past it.</summary>
    public readonly record struct Frame(ReadOnlyMemory<byte>? Record, string Origin, long Offset, long EndOffset, string? FramingError, IEventAcknowledgement? Ack, bool AckExpectsEvent);

    /// <summary>
    /// Reads every frame of <paramref name="reader"/>: decode+map runs in parallel batches, routing in order.
    /// <paramref name="track"/> is called in input order for each frame's end offset and returns the acknowledgement
    /// (with the sink count for zERT records, zero for frames that produce no event).
    /// </summary>
    /// <param name="skipBefore">A checkpoint: records ending at or before it were delivered before the last stop and are skipped.</param>
    public async Task ProcessAsync(SmfRecordReader reader, string name, Func<long, bool, IEventAcknowledgement?> track, Action<long>? progress,
        CancellationToken cancellationToken, long skipBefore = 0)
    {
        // The record loop decode uses too: batches are decoded and mapped on the thread pool and routed here, in input
        // order, as their turn comes. At most InFlight batches exist at once: while the router waits for room in a
        // sink's buffer, the reader waits as well, so back-pressure reaches the file. A failed batch (mapping out of
        // memory, a sink write that threw) ends the input; a broken frame chain is thrown after the frames before it
        // are routed.
        var loop = new RecordLoop<Frame[], MappedBatch>(BatchSize, InFlight, frames => Track(frames, name, track), MapBatch,
            mapped => RouteAsync(mapped, cancellationToken));
        await loop.ReadAsync(reader, skipBefore, position =>
        {
            _stats.FramesRead.Increment();
            progress?.Invoke(position);
        }, () => _stats.DeliveredBefore.Increment(), cancellationToken);
    }

    /// <summary>Batches mapped or waiting to be routed at once: the stage's default, two per core.</summary>
    private static int InFlight => OrderedParallelStage<Frame[], MappedBatch>.DefaultMaxInFlight;

    /// <summary>
    /// Decodes and maps one record synchronously (stream sources such as Kafka, one RDW-prefixed record per message).
    /// Like a file's frames, each message lands in exactly one counter: forwarded, rejected (dead-lettered with the
    /// reason, e.g. random bytes or an RDW length that does not match the message size) or skipped by type.
    /// </summary>
    public async Task ProcessOneAsync(byte[] record, string origin, IEventAcknowledgement ack, Action completeWithoutEvent, CancellationToken cancellationToken)
    {
        _stats.FramesRead.Increment();
        var framingError = SmfRecordReader.CheckSingleRecord(record);
        var frame = new Frame(record, origin, 0, record.Length, framingError, ack, true);
        var counts = new RecordCounts();
        var output = Map(frame, counts, _factories.Value!);
        _stats.Add(counts);
        if (output.Event is null)
        {
            if (output.Malformed is not null) await DeadLetterMalformedAsync(output, cancellationToken);
            completeWithoutEvent();
            return;
        }
        _stats.AddForwarded(output.Envelope);
        await _router.WriteAsync(output.Event, cancellationToken);
    }

    /// <summary>
    /// Registers each frame's position with its input, in input order, before the parallel work starts (the record
    /// loop runs this on the reading flow).
    /// </summary>
    private static Frame[] Track(FrameBatch batch, string name, Func<long, bool, IEventAcknowledgement?> track)
    {
        var frames = batch.Frames;
        var tracked = new Frame[frames.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            var f = frames[i];
            // The record points into the batch's bytes, valid until the batch is routed.
            ReadOnlyMemory<byte>? record = f.IsError ? null : f.Record;
            var status = record is not { } bytes ? ZertParseStatus.Malformed : ZertRecordParser.Classify(bytes.Span);
            var expectsEvent = status == ZertParseStatus.Decoded;
            tracked[i] = new Frame(record, name, f.Offset, f.EndOffset, f.Error, track(f.EndOffset, expectsEvent), expectsEvent);
        }
        return tracked;
    }

    /// <summary>Decodes and maps one batch (on the thread pool).</summary>
    private MappedBatch MapBatch(Frame[] frames)
    {
        // The batch's encodings share one pooled block, given back when the sinks are done with the last of them.
        var block = new PayloadBlock();
        var counts = new RecordCounts();
        var factory = _factories.Value!; // this worker's, for the whole batch
        var outputs = new Output[frames.Length];
        for (var i = 0; i < outputs.Length; i++) outputs[i] = Map(frames[i], counts, factory, block);
        return new MappedBatch(outputs, counts);
    }

    /// <summary>
    /// Decodes and maps one frame, counting it in <paramref name="counts"/> under exactly one outcome with the
    /// classification decode and report use.
    /// </summary>
    private static Output Map(Frame frame, RecordCounts counts, EventFactory factory, PayloadBlock? block = null)
    {
        // A frame the reader could not take apart (a file's broken frame has no bytes; a Kafka message whose RDW does not
        // match its size keeps them, for the dead letter) is not parsed.
        if (frame.FramingError is not null || frame.Record is not { } record)
        {
            var error = frame.FramingError ?? "frame without a record";
            counts.CountFramingError(frame.Origin, frame.Offset, error);
            return new Output(frame, null, default, error);
        }
        var result = ZertRecordParser.Parse(record);
        counts.CountParsed(result, frame.Origin, frame.Offset);
        return result.Status switch
        {
            ZertParseStatus.Decoded => new Output(frame,
                factory.Create(result.Record!, frame.AckExpectsEvent ? frame.Ack : null, out var envelope, block), envelope, null),
            ZertParseStatus.Malformed => new Output(frame, null, default, result.RejectionReason),
            _ => new Output(frame, null, default, null), // another SMF type or 119 subtype: skipped
        };
    }

    private async ValueTask RouteAsync(MappedBatch batch, CancellationToken cancellationToken)
    {
        // Counted when routed, as one batch: records_total moves with what reaches the router.
        _stats.Add(batch.Counts);
        // Decoded records, events and dead letters no longer refer to the frames' bytes once this returns: the record
        // loop reuses them for a later batch.
        await RouteBatchAsync(batch.Outputs, cancellationToken);
    }

    private async Task RouteBatchAsync(Output[] outputs, CancellationToken cancellationToken)
    {
        // The batch's events go to the router in one call (in input order); frames without an event are settled here.
        var events = new List<ForwardedEvent>(outputs.Length);
        for (var o = 0; o < outputs.Length; o++)
        {
            // Read in place: an output is a large struct, and a copy held across the await below would be one more copy
            // of it into this method's state, with a write barrier per reference, for every record.
            if (outputs[o].Event is { } forwarded)
            {
                _stats.AddForwarded(outputs[o].Envelope);
                events.Add(forwarded);
                continue;
            }
            if (outputs[o].Malformed is not null)
            {
                await DeadLetterMalformedAsync(outputs[o], cancellationToken);
            }
            CompleteWithoutEvent(outputs[o].Frame);
        }
        if (events.Count == 0) return;
        await _router.WriteBatchAsync(events, cancellationToken);
    }

    /// <summary>
    /// A frame that produces no event is done for every sink at once; a zERT frame whose record turned out malformed
    /// was tracked for K sinks, so it is completed K times.
    /// </summary>
    private void CompleteWithoutEvent(in Frame frame)
    {
        if (frame.Ack is ISinkAcknowledgement perSink)
        {
            for (var i = 0; i < _router.SinkCount; i++)
            {
                if (perSink.IsExpectedBy(i)) perSink.CompleteFor(i);
            }
        }
        else if (frame.Ack is { } ack)
        {
            var completions = frame.AckExpectsEvent ? _router.SinkCount : 0;
            for (var i = 0; i < completions; i++) ack.Complete();
        }
    }

    private async Task DeadLetterMalformedAsync(Output output, CancellationToken cancellationToken)
    {
        var frame = output.Frame;
        if (_rejectedLogLimit.TryLog(out var notLogged))
        {
            if (notLogged > 0) Log.RejectionsNotLogged(_logger, notLogged, LogRateLimit.PerWindow, LogRateLimit.Window.TotalSeconds);
            Log.RecordRejected(_logger, frame.Origin, frame.Offset, output.Malformed!);
        }
        if (_malformedDeadLetters is null) return;
        var bytes = frame.Record is { } record ? record.ToArray() : [];
        var payload = JsonSerializer.SerializeToUtf8Bytes(new MalformedRecord(frame.Origin, frame.Offset, output.Malformed!, Convert.ToHexString(bytes)),
            MalformedRecordContext.Default.MalformedRecord);
        var dead = new ForwardedEvent
        {
            // Framing errors have no record bytes: the id then hashes where the frame was, still deterministic.
            EventId = ZertEventId.Compute(bytes.Length > 0 ? bytes : Encoding.UTF8.GetBytes($"{frame.Origin}:{frame.Offset}")),
            Dataset = "zos.zert_malformed",
            Ecs = payload,
        };
        await _malformedDeadLetters.WriteAsync(dead, "decoder", output.Malformed!, cancellationToken);
    }

    private readonly record struct MappedBatch(Output[] Outputs, RecordCounts Counts);

    private readonly record struct Output(Frame Frame, ForwardedEvent? Event, EventEnvelope Envelope, string? Malformed);
}

/// <summary>How a malformed SMF record is kept in the dead-letter output.</summary>
internal sealed record MalformedRecord(string Origin, long Offset, string Reason, string RecordHex);

[System.Text.Json.Serialization.JsonSerializable(typeof(MalformedRecord))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class MalformedRecordContext : System.Text.Json.Serialization.JsonSerializerContext;
