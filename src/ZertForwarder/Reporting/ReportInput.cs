using ZertForwarder.Forwarding;
using System.Buffers;
using System.Text.Json;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Framing;

namespace ZertForwarder.Reporting;

/// <summary>
/// Reads records from SMF dumps (RDW or VBS, through the decoder and the normalizer's ECS writer) and from the
/// forwarder's own ECS NDJSON, each ECS document turned into a <typeparamref name="T"/> by <paramref name="read"/>
/// (null: not a zERT record). A file whose first non-blank byte is <c>{</c> is NDJSON; anything else is SMF. The
/// documents made from SMF records hold only the values of <paramref name="only"/>, the targets the reader needs (the
/// values at those paths are the full document's).
/// </summary>
internal sealed class ReportInput<T>(ZertNormalizer normalizer, Func<JsonElement, T?> read, Action<string> reportError, EcsTargets only)
    where T : class
{
    /// <summary>Records per batch of the record loop, as <c>decode</c>'s.</summary>
    private const int BatchSize = 512;

    public long Rejected { get; private set; }

    /// <summary>Hands every record of <paramref name="path"/> to <paramref name="add"/>, in input order.</summary>
    public void Read(string path, Action<T> add)
    {
        bool ndjson;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            ndjson = IsNdjson(stream);
        }
        if (ndjson)
        {
            foreach (var record in ReadNdjson(path)) add(record);
        }
        else
        {
            ReadSmf(path, add);
        }
    }

    /// <summary>
    /// NDJSON starts with <c>{</c> and then a quoted name (or <c>}</c>). The first byte alone is not enough: an RDW or
    /// BDW of a 31.5 KB record starts with X'7B' too, but is followed by a second length byte and X'0000'.
    /// </summary>
    private static bool IsNdjson(Stream stream)
    {
        int b;
        while ((b = stream.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF)
        {
        }
        if (b != '{') return false;
        while ((b = stream.ReadByte()) is ' ' or '\t' or '\r' or '\n')
        {
        }
        return b is '"' or '}';
    }

    private IEnumerable<T> ReadNdjson(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            T? record;
            try
            {
                using var doc = JsonDocument.Parse(line);
                record = read(doc.RootElement);
            }
            catch (Exception e) when (IsUnreadable(e))
            {
                Rejected++;
                reportError($"{path}:{lineNumber}: not an ECS document: {e.Message}");
                continue;
            }
            if (record is not null) yield return record;
        }
    }

    /// <summary>
    /// An SMF dump goes through the record loop <c>decode</c> and <c>run</c> use: frames are decoded and turned into
    /// records on every core, and handed on in input order with the rejection lines.
    /// </summary>
    private void ReadSmf(string path, Action<T> add)
    {
        var counts = new RecordCounts();
        var loop = new RecordLoop<FrameBatch, Converted>(BatchSize, OrderedParallelStage<FrameBatch, Converted>.DefaultMaxInFlight,
            frames => frames, frames => Convert(frames, path),
            converted =>
            {
                foreach (var line in converted.ErrorLines) reportError(line);
                foreach (var record in converted.Records) add(record);
                counts.Add(converted.Counts);
                Rejected += converted.Unusable;
                return ValueTask.CompletedTask;
            });
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            using var reader = new SmfRecordReader(stream, SmfContainer.Auto, leaveOpen: true);
            // The consumer never waits, so waiting for the loop costs once per input.
            loop.ReadAsync(reader).GetAwaiter().GetResult();
        }
        catch (SmfFramingException e)
        {
            // The records before the break were handed on first.
            Rejected++;
            reportError($"{path}:{e.Offset}: {e.Reason}; the rest of the input is not read");
        }
        catch (InvalidDataException e)
        {
            Rejected++;
            reportError($"{path}: {e.Message}");
        }
        Rejected += counts.Rejected;
    }

    /// <summary>
    /// Runs on a pool thread: decodes a batch with the classification and messages of <c>decode</c>, and reads each zERT
    /// record from its ECS document (the normalizer is thread-safe). Nothing it returns refers to the batch's bytes,
    /// which are reused once the batch is consumed.
    /// </summary>
    private Converted Convert(FrameBatch batch, string path)
    {
        var converted = new Converted();
        var buffer = new ArrayBufferWriter<byte>(4096);
        batch.DecodeEach(path, converted.Counts, converted.ErrorLines, (normalizer, only, buffer, read, converted, path), static (record, state) =>
        {
            state.buffer.ResetWrittenCount();
            state.normalizer.WriteEcs(record, state.only, state.buffer);
            using var doc = JsonDocument.Parse(state.buffer.WrittenMemory);
            try
            {
                if (state.read(doc.RootElement) is { } item) state.converted.Records.Add(item);
            }
            catch (Exception e) when (IsUnreadable(e))
            {
                // A record the report cannot place (an SMF header date or time out of range gives no @timestamp) is
                // left out with the reason, as a bad line of an ECS file is; decode and run still forward it.
                state.converted.Unusable++;
                state.converted.ErrorLines.Add($"{state.path}: {Describe(record)} left out of the report: {e.Message}");
            }
        });
        return converted;
    }

    /// <summary>What one batch of an SMF dump gave: records, rejection lines and counts, each in input order.</summary>
    private sealed class Converted
    {
        public List<T> Records { get; } = [];
        public List<string> ErrorLines { get; } = [];
        public RecordCounts Counts { get; } = new();

        /// <summary>Records decoded but left out of the report (<see cref="ReportInput{T}.Convert"/>).</summary>
        public int Unusable { get; set; }
    }

    /// <summary>What reading a document's fields throws for one the report cannot use (not a whole input's failure).</summary>
    private static bool IsUnreadable(Exception e) => e is JsonException or FormatException or InvalidOperationException;

    private static string Describe(Smf.Zert.ZertRecord record) =>
        $"an SMF 119 subtype {record.Subtype} record of system {record.Header.SystemId}";
}
