using ZertForwarder.Forwarding;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Commands;

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
