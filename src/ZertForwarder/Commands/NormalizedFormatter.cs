using System.Buffers;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Commands;

/// <summary>The ecs / leef / flat formats of <c>decode</c>: the same writers the sinks get their bytes from.</summary>
internal sealed class NormalizedFormatter : DecodeCommand.RecordFormatter
{
    private readonly Action<ZertRecord, IBufferWriter<byte>> _write;

    private NormalizedFormatter(Action<ZertRecord, IBufferWriter<byte>> write) => _write = write;

    public static NormalizedFormatter Create(string format, ZertForwarder.Configuration.ForwarderOptions options)
    {
        ZertNormalizer normalizer;
        try
        {
            // The same normalizer run builds from the same settings, so decode's lines equal run's byte for byte;
            // a system without an offset is named once on stderr (stdout carries the records).
            normalizer = MappingLoading.CreateNormalizer(options, sid => Console.Error.WriteLine($"zertforwarder: warning: {MappingLoading.MissingOffsetWarning(sid)}"));
        }
        catch (MappingException e)
        {
            throw new UsageException($"the mapping files have {e.Problems.Count} problem(s):{Environment.NewLine}  - " +
                string.Join(Environment.NewLine + "  - ", e.Problems));
        }
        return format switch
        {
            "ecs" => new NormalizedFormatter(normalizer.WriteEcs),
            "leef" => new NormalizedFormatter(normalizer.WriteLeef),
            _ => new NormalizedFormatter(normalizer.WriteFlat),
        };
    }

    public override void Write(ZertRecord record, IBufferWriter<byte> output) => _write(record, output);
}
