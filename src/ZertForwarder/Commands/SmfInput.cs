using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Commands;

/// <summary>What happened to the records of one or more inputs; printed at the end of decode and run.</summary>
internal sealed class RecordCounts
{
    public long Frames;
    public long Decoded;
    public long Subtype11;
    public long Subtype12;
    public long OtherTypes;
    public long OtherSubtypes;
    public long Rejected;
    public long FramingErrors;

    public string Describe() =>
        $"{Decoded} zERT records decoded ({Subtype11} subtype 11, {Subtype12} subtype 12), {Rejected} rejected, " +
        $"{OtherTypes} other SMF types and {OtherSubtypes} other 119 subtypes skipped" +
        (FramingErrors > 0 ? $", {FramingErrors} input(s) stopped by a broken frame chain" : "");
}

/// <summary>A decoded record with where it came from.</summary>
internal readonly record struct DecodedRecord(ZertRecord Record, long Offset, long EndOffset);

/// <summary>Shared input loop: frames, classification, per-record error reporting.</summary>
internal static class SmfInput
{
    /// <summary>
    /// Yields the zERT records of <paramref name="stream"/>, copying each so it outlives the next read. Rejected records
    /// are reported on stderr as <c>name:offset: reason</c> and counted; the loop goes on with the next record. A broken
    /// frame chain throws <see cref="SmfFramingException"/> (the caller reports it and stops this input).
    /// </summary>
    public static IEnumerable<DecodedRecord> Read(Stream stream, SmfContainer container, string name, RecordCounts counts, Action<string>? reportError = null)
    {
        reportError ??= Console.Error.WriteLine;
        using var reader = new SmfRecordReader(stream, container, leaveOpen: true);
        while (reader.TryReadNext(out var frame))
        {
            counts.Frames++;
            if (frame.IsError)
            {
                counts.Rejected++;
                reportError($"{name}:{frame.Offset}: {frame.Error}");
                continue;
            }
            var result = ZertRecordParser.Parse(frame.Record.ToArray());
            switch (result.Status)
            {
                case ZertParseStatus.Decoded:
                    counts.Decoded++;
                    if (result.Subtype == 11) counts.Subtype11++; else counts.Subtype12++;
                    yield return new DecodedRecord(result.Record!, frame.Offset, frame.EndOffset);
                    break;
                case ZertParseStatus.OtherRecordType:
                    counts.OtherTypes++;
                    break;
                case ZertParseStatus.OtherSubtype:
                    counts.OtherSubtypes++;
                    break;
                default:
                    counts.Rejected++;
                    reportError($"{name}:{frame.Offset}: SMF 119 subtype {result.Subtype} record rejected: {result.Error}");
                    break;
            }
        }
    }
}

/// <summary>Parsing of input-related option values.</summary>
internal static class InputOptions
{
    public static SmfContainer ParseContainer(string value) => value switch
    {
        "auto" => SmfContainer.Auto,
        "rdw" => SmfContainer.Rdw,
        "vbs" => SmfContainer.Vbs,
        _ => throw new UsageException($"unknown container '{value}': use auto, rdw or vbs"),
    };
}
