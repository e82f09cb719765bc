using System.Buffers;
using System.Collections.Concurrent;
using ZertForwarder.Forwarding;
using ZertForwarder.Smf.Framing;

namespace ZertForwarder.Commands;

/// <summary>
/// What <c>decode</c> does with the frames of the shared <see cref="RecordLoop{TWork, TResult}"/> (the one run uses
/// too): each batch is decoded and formatted on the thread pool into its own reusable buffer; buffers and the rejection
/// lines are written in input order, so the output is byte for byte what a one-record-at-a-time loop writes (issue 9).
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
    // Output buffers are taken by a worker and given back once written, so a batch's output is formatted into memory
    // that is already there.
    private readonly ConcurrentBag<Formatted> _freeOutputs = [];

    /// <param name="createFormatter">Makes a formatter for one worker; called at most once per concurrent worker.</param>
    public ParallelDecoder(Func<DecodeCommand.RecordFormatter> createFormatter, int batchSize = DefaultBatchSize, int? maxInFlight = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _createFormatter = createFormatter;
        _batchSize = batchSize;
        _maxInFlight = maxInFlight ?? OrderedParallelStage<FrameBatch, Formatted>.DefaultMaxInFlight;
    }

    /// <summary>
    /// Decodes every frame of <paramref name="input"/>: one line per zERT record on <paramref name="output"/>, one line
    /// per rejected record on <paramref name="errors"/> (<c>name:offset: reason</c>), and, when the frame chain breaks,
    /// the records before the break followed by one line saying where it broke.
    /// </summary>
    public RecordCounts Decode(Stream input, SmfContainer container, string name, Stream output, TextWriter errors)
    {
        var counts = new RecordCounts();
        var loop = new RecordLoop<FrameBatch, Formatted>(_batchSize, _maxInFlight, frames => frames, frames => Format(frames, name),
            formatted =>
            {
                Write(formatted, output, errors, counts);
                return ValueTask.CompletedTask;
            });
        try
        {
            using var reader = new SmfRecordReader(input, container, leaveOpen: true);
            // The loop is asynchronous for run's sinks; decode's consumer never waits, so the wait costs once per input.
            loop.ReadAsync(reader).GetAwaiter().GetResult();
        }
        catch (SmfFramingException e)
        {
            // The loop wrote every record before the break; the break is reported after them.
            output.Flush();
            errors.WriteLine($"{name}:{e.Offset}: {e.Reason}; the rest of the input is not read");
            counts.FramingErrors++;
        }
        catch (InvalidDataException e)
        {
            output.Flush();
            errors.WriteLine($"{name}: {e.Message}");
            counts.FramingErrors++;
        }
        output.Flush();
        return counts;
    }

    public void Dispose()
    {
        // The loop has waited for every worker, even after a failure, so no formatter is still in use.
        foreach (var formatter in _allFormatters) formatter.Dispose();
    }

    /// <summary>
    /// Runs on a pool thread: every frame counted once (<see cref="RecordCounts"/>) with its rejection line, one batch
    /// at a time. Everything it touches belongs to this batch, except the shared (thread-safe) pools.
    /// </summary>
    private Formatted Format(FrameBatch batch, string name)
    {
        if (!_formatters.TryTake(out var formatter))
        {
            formatter = _createFormatter();
            _allFormatters.Add(formatter);
        }
        if (!_freeOutputs.TryTake(out var formatted)) formatted = new Formatted(_batchSize);
        try
        {
            batch.DecodeEach(name, formatted.Counts, formatted.ErrorLines, (formatter, formatted), static (record, state) =>
            {
                state.formatter.Write(record, state.formatted.Output);
                state.formatted.Output.Write("\n"u8);
            });
        }
        finally
        {
            _formatters.Add(formatter);
        }
        return formatted;
    }

    // Runs on the reading flow, in input order.
    private void Write(Formatted formatted, Stream output, TextWriter errors, RecordCounts counts)
    {
        output.Write(formatted.Output.WrittenSpan);
        foreach (var line in formatted.ErrorLines) errors.WriteLine(line);
        counts.Add(formatted.Counts);
        formatted.Reset();
        _freeOutputs.Add(formatted);
    }

    /// <summary>What formatting one batch produced: the output lines, the rejection lines and the counts.</summary>
    private sealed class Formatted(int batchSize)
    {
        public ArrayBufferWriter<byte> Output { get; } = new(batchSize * 2048);
        public List<string> ErrorLines { get; } = [];
        public RecordCounts Counts { get; private set; } = new();

        public void Reset()
        {
            Output.ResetWrittenCount();
            ErrorLines.Clear();
            Counts = new RecordCounts();
        }
    }
}
