using ZertForwarder.Forwarding;
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

    /// <summary>Counts a frame the reader could not take apart; returns its line for stderr (<c>name:offset: reason</c>).</summary>
    public string CountFramingError(string name, long offset, string error)
    {
        Frames++;
        Rejected++;
        return $"{name}:{offset}: {error}";
    }

    /// <summary>
    /// Counts a parsed frame under exactly one outcome; returns the line for stderr when the record was rejected, null
    /// otherwise. The one classification of <c>decode</c>, <c>report</c> and the parallel decoder.
    /// </summary>
    public string? CountParsed(in ZertParseResult result, string name, long offset)
    {
        Frames++;
        switch (result.Status)
        {
            case ZertParseStatus.Decoded:
                Decoded++;
                if (result.Subtype == 11) Subtype11++; else Subtype12++;
                return null;
            case ZertParseStatus.OtherRecordType:
                OtherTypes++;
                return null;
            case ZertParseStatus.OtherSubtype:
                OtherSubtypes++;
                return null;
            default:
                Rejected++;
                return $"{name}:{offset}: {result.RejectionReason}";
        }
    }

    /// <summary>Adds <paramref name="other"/>'s counts to these.</summary>
    public void Add(RecordCounts other)
    {
        Frames += other.Frames;
        Decoded += other.Decoded;
        Subtype11 += other.Subtype11;
        Subtype12 += other.Subtype12;
        OtherTypes += other.OtherTypes;
        OtherSubtypes += other.OtherSubtypes;
        Rejected += other.Rejected;
        FramingErrors += other.FramingErrors;
    }

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
            if (frame.IsError)
            {
                reportError(counts.CountFramingError(name, frame.Offset, frame.Error!));
                continue;
            }
            var result = ZertRecordParser.Parse(frame.Record.ToArray());
            if (counts.CountParsed(result, name, frame.Offset) is { } rejection) reportError(rejection);
            else if (result.Status == ZertParseStatus.Decoded) yield return new DecodedRecord(result.Record!, frame.Offset, frame.EndOffset);
        }
    }
}

/// <summary>Parsing of input-related option values.</summary>
internal static class InputOptions
{
    /// <summary>The <c>--container</c> argument, spelled as the <c>Input:Container</c> setting is.</summary>
    public static SmfContainer ParseContainer(string value)
    {
        foreach (var container in Enum.GetValues<SmfContainer>())
        {
            if (string.Equals(ChoiceNames.Of(container), value, StringComparison.OrdinalIgnoreCase)) return container;
        }
        throw new UsageException($"unknown container '{value}': use {ChoiceNames.Choices(typeof(SmfContainer))}");
    }
}
