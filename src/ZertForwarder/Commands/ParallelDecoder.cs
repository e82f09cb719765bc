using System.Buffers;
using System.Collections.Concurrent;
using ZertForwarder.Forwarding;
using ZertForwarder.Running;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Commands;

/// <summary>
/// The record loop of <c>decode</c>: frames are read on the calling thread and copied into batches; each batch is
/// decoded and formatted on the thread pool into its own reusable buffer; buffers and the rejection lines are written
/// in input order, so the output is byte for byte what a one-record-at-a-time loop writes (issue 9).
/// At most <see cref="OrderedParallelStage{TBatch,TResult}.DefaultMaxInFlight"/> batches exist at once, so memory is
/// bounded by the batch size whatever the input size, and a slow stdout holds the reader back.
/// </summary>
internal sealed class ParallelDecoder : IDisposable
{
    /// <summary>Records per batch: large enough that handing a batch to the pool costs little per record.</summary>
    public const int DefaultBatchSize = 512;

    private readonly Func<DecodeCommand.RecordFormatter> _createFormatter;
    private readonly int _batchSize;
    private readonly int _maxInFlight;
    // Formatters may keep per-instance state (a JSON writer), so a worker takes one for a whole batch.
    private readonly ConcurrentBag<DecodeCommand.RecordFormatter> _formatters = [];
    private readonly ConcurrentBag<DecodeCommand.RecordFormatter> _allFormatters = [];
    private readonly Stack<Batch> _freeBatches = new();

    /// <param name="createFormatter">Makes a formatter for one worker; called at most once per concurrent worker.</param>
    public ParallelDecoder(Func<DecodeCommand.RecordFormatter> createFormatter, int batchSize = DefaultBatchSize, int? maxInFlight = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _createFormatter = createFormatter;
        _batchSize = batchSize;
        _maxInFlight = maxInFlight ?? OrderedParallelStage<Batch, Batch>.DefaultMaxInFlight;
    }

    /// <summary>
    /// Decodes every frame of <paramref name="input"/>: one line per zERT record on <paramref name="output"/>, one line
    /// per rejected record on <paramref name="errors"/> (<c>name:offset: reason</c>), and, when the frame chain breaks,
    /// the records before the break followed by one line saying where it broke.
    /// </summary>
    public RecordCounts Decode(Stream input, SmfContainer container, string name, Stream output, TextWriter errors)
    {
        var counts = new RecordCounts();
        var stage = new OrderedParallelStage<Batch, Batch>(Process, done => Write(done, output, errors, counts), _maxInFlight);
        var batch = RentBatch();
        try
        {
            using var reader = new SmfRecordReader(input, container, leaveOpen: true);
            while (reader.TryReadNext(out var frame))
            {
                batch.Add(frame);
                if (batch.Count == _batchSize)
                {
                    stage.Post(batch);
                    batch = RentBatch();
                }
            }
            FinishWith(batch);
        }
        catch (SmfFramingException e)
        {
            // The frames read before a broken chain are sound: they go out (the partly filled batch too) before the
            // break is reported.
            FinishWith(batch);
            output.Flush();
            errors.WriteLine($"{name}:{e.Offset}: {e.Reason}; the rest of the input is not read");
            counts.FramingErrors++;
        }
        catch (InvalidDataException e)
        {
            FinishWith(batch);
            output.Flush();
            errors.WriteLine($"{name}: {e.Message}");
            counts.FramingErrors++;
        }
        catch
        {
            // Anything else (stdout closed, a formatter bug) ends decode; the workers finish before their formatters
            // are disposed.
            stage.Abandon();
            throw;
        }
        output.Flush();
        return counts;

        void FinishWith(Batch last)
        {
            if (last.Count > 0) stage.Post(last);
            stage.Drain();
        }

        // Runs on a pool thread: everything it touches belongs to this batch, except the shared (thread-safe) pools.
        Batch Process(Batch work)
        {
            if (!_formatters.TryTake(out var formatter))
            {
                formatter = _createFormatter();
                _allFormatters.Add(formatter);
            }
            try
            {
                work.Format(formatter, name);
            }
            finally
            {
                _formatters.Add(formatter);
            }
            return work;
        }
    }

    public void Dispose()
    {
        foreach (var formatter in _allFormatters) formatter.Dispose();
        while (_freeBatches.TryPop(out var batch)) batch.Release();
    }

    // Batches are rented and returned on the reading thread only (Post and the consumer both run there).
    private Batch RentBatch() => _freeBatches.TryPop(out var batch) ? batch : new Batch(_batchSize);

    private void Write(Batch batch, Stream output, TextWriter errors, RecordCounts counts)
    {
        output.Write(batch.Output.WrittenSpan);
        foreach (var line in batch.ErrorLines) errors.WriteLine(line);
        batch.AddCountsTo(counts);
        batch.Reset();
        _freeBatches.Push(batch);
    }

    /// <summary>A run of frames copied out of the reader, and what formatting them produced.</summary>
    private sealed class Batch(int capacity)
    {
        private readonly FrameSlot[] _frames = new FrameSlot[capacity];
        private byte[] _bytes = ArrayPool<byte>.Shared.Rent(capacity * 1024);
        private int _bytesUsed;
        private RecordCounts _counts = new();

        public int Count { get; private set; }
        public ArrayBufferWriter<byte> Output { get; } = new(capacity * 2048);
        public List<string> ErrorLines { get; } = [];

        /// <summary>Copies the frame: the reader reuses its buffer for the next one.</summary>
        public void Add(in SmfFrame frame)
        {
            var length = frame.IsError ? 0 : frame.Record.Length;
            if (_bytesUsed + length > _bytes.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_bytes.Length * 2, _bytesUsed + length));
                _bytes.AsSpan(0, _bytesUsed).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_bytes);
                _bytes = larger;
            }
            if (length > 0) frame.Record.Span.CopyTo(_bytes.AsSpan(_bytesUsed));
            _frames[Count++] = new FrameSlot(frame.Offset, _bytesUsed, length, frame.IsError ? frame.Error : null);
            _bytesUsed += length;
        }

        /// <summary>The same classification, counting and messages as <see cref="SmfInput.Read"/>, one batch at a time.</summary>
        public void Format(DecodeCommand.RecordFormatter formatter, string name)
        {
            for (var i = 0; i < Count; i++)
            {
                var frame = _frames[i];
                if (frame.Error is not null)
                {
                    ErrorLines.Add(_counts.CountFramingError(name, frame.Offset, frame.Error));
                    continue;
                }
                var result = ZertRecordParser.Parse(_bytes.AsMemory(frame.Start, frame.Length));
                if (_counts.CountParsed(result, name, frame.Offset) is { } rejection)
                {
                    ErrorLines.Add(rejection);
                }
                else if (result.Status == ZertParseStatus.Decoded)
                {
                    formatter.Write(result.Record!, Output);
                    Output.Write("\n"u8);
                }
            }
        }

        public void AddCountsTo(RecordCounts total) => total.Add(_counts);

        public void Reset()
        {
            Count = 0;
            _bytesUsed = 0;
            _counts = new RecordCounts();
            Output.ResetWrittenCount();
            ErrorLines.Clear();
        }

        public void Release() => ArrayPool<byte>.Shared.Return(_bytes);

        private readonly record struct FrameSlot(long Offset, int Start, int Length, string? Error);
    }
}
