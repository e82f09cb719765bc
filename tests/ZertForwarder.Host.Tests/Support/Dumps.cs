using ZertForwarder.Generator;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>One zERT record of an input, as the decoder (not the host) sees it.</summary>
public readonly record struct ExpectedRecord(string EventId, long Offset, long EndOffset);

/// <summary>Synthetic SMF dumps from the generator, and what the decoder finds in a dump.</summary>
public static class Dumps
{
    /// <summary>Writes a dump of <paramref name="zertCount"/> zERT records (plus the non-zERT records real dumps carry).</summary>
    public static string Write(string path, ulong seed, int zertCount, GeneratorContainer container = GeneratorContainer.Rdw)
    {
        using var file = File.Create(path);
        SmfDumpGenerator.WriteDump(file, seed, zertCount, container);
        return path;
    }

    /// <summary>
    /// The zERT records of a dump in file order, with the event id every output carries (output contract: the first
    /// 16 bytes of the SHA-256 of the logical record) and the record's byte range. Computed with the SMF decoder.
    /// </summary>
    /// <param name="stopAtBrokenChain">Return the records before a broken frame chain instead of throwing.</param>
    public static IReadOnlyList<ExpectedRecord> ZertRecords(string path, bool stopAtBrokenChain = false)
    {
        var records = new List<ExpectedRecord>();
        using var stream = File.OpenRead(path);
        using var reader = new SmfRecordReader(stream, SmfContainer.Auto);
        while (true)
        {
            SmfFrame frame;
            try
            {
                if (!reader.TryReadNext(out frame)) break;
            }
            catch (SmfFramingException) when (stopAtBrokenChain)
            {
                break;
            }
            if (frame.IsError) continue;
            var result = ZertRecordParser.Parse(frame.Record.ToArray());
            if (result.Status == ZertParseStatus.Decoded)
            {
                records.Add(new ExpectedRecord(ZertEventId.Compute(frame.Record.Span), frame.Offset, frame.EndOffset));
            }
        }
        return records;
    }

    /// <summary>The sample dump bundled with the program (what the embedded default reads).</summary>
    public static string BundledSample => Path.Combine(ForwarderProcess.ProgramDirectory, "samples", "zert-sample.smf");
}
