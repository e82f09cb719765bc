using System.Buffers;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Commands;

/// <summary>The ecs / leef / flat formats of <c>decode</c>: the same writers the sinks get their bytes from.</summary>
internal sealed class NormalizedFormatter : DecodeCommand.RecordFormatter
{
    private readonly Action<ZertRecord, IBufferWriter<byte>> _write;

    private NormalizedFormatter(Action<ZertRecord, IBufferWriter<byte>> write) => _write = write;

    public static NormalizedFormatter Create(string format, string? mappingsDirectory, bool surfaceEnforcementRuleName)
    {
        ZertNormalizer normalizer;
        try
        {
            normalizer = MappingLoading.CreateNormalizer(mappingsDirectory, surfaceEnforcementRuleName);
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
