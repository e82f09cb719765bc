using ZertForwarder.Forwarding;
using System.Buffers;
using System.Text.Json;
using ZertForwarder.Commands;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Framing;

namespace ZertForwarder.Reporting;

/// <summary>
/// Reads report records from SMF dumps (RDW or VBS, through the decoder and the normalizer's ECS writer) and from the
/// forwarder's own ECS NDJSON. A file whose first non-blank byte is <c>{</c> is NDJSON; anything else is SMF.
/// </summary>
internal sealed class ReportInput(ZertNormalizer normalizer, Action<string> reportError)
{
    public long Rejected { get; private set; }

    public IEnumerable<ReportRecord> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return IsNdjson(stream) ? ReadNdjson(path) : ReadSmf(path);
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

    private IEnumerable<ReportRecord> ReadNdjson(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            ReportRecord? record;
            try
            {
                using var doc = JsonDocument.Parse(line);
                record = ReportRecord.FromEcs(doc.RootElement);
            }
            catch (JsonException e)
            {
                Rejected++;
                reportError($"{path}:{lineNumber}: not an ECS document: {e.Message}");
                continue;
            }
            if (record is not null) yield return record;
        }
    }

    private IEnumerable<ReportRecord> ReadSmf(string path)
    {
        var counts = new RecordCounts();
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var items = SmfInput.Read(stream, SmfContainer.Auto, path, counts, reportError).GetEnumerator();
        while (true)
        {
            try
            {
                if (!items.MoveNext()) break;
            }
            catch (SmfFramingException e)
            {
                Rejected++;
                reportError($"{path}:{e.Offset}: {e.Reason}; the rest of the input is not read");
                break;
            }
            catch (InvalidDataException e)
            {
                Rejected++;
                reportError($"{path}: {e.Message}");
                break;
            }
            buffer.ResetWrittenCount();
            normalizer.WriteEcs(items.Current.Record, buffer);
            using var doc = JsonDocument.Parse(buffer.WrittenMemory);
            if (ReportRecord.FromEcs(doc.RootElement) is { } record) yield return record;
        }
        Rejected += counts.Rejected;
    }
}
