using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Forwarding;

/// <summary>
/// The one tally of what became of SMF records: every frame read lands in exactly one outcome (decoded, rejected,
/// another SMF type, another 119 subtype), classified by <see cref="CountParsed"/> and <see cref="CountFramingError"/>.
/// <c>decode</c> and <c>report</c> sum it per batch and print it; <c>run</c> counts each mapped batch with it and adds
/// the batch to its metrics (<see cref="RunStatistics.Add"/>), so the verbs cannot disagree on what a record counts as.
/// </summary>
/// <remarks>Not thread-safe: one instance per batch or per reading thread, summed with <see cref="Add"/>.</remarks>
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
