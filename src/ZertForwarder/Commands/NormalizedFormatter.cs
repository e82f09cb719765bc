using ZertForwarder.Forwarding;
using System.Buffers;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Commands;

/// <summary>The ecs / leef / flat formats of <c>decode</c>: the same writers the sinks get their bytes from.</summary>
internal sealed class NormalizedFormatter : DecodeCommand.RecordFormatter
{
    private readonly Action<ZertRecord, IBufferWriter<byte>> _write;

    private NormalizedFormatter(Action<ZertRecord, IBufferWriter<byte>> write) => _write = write;

    /// <summary>
    /// Builds the normalizer once and returns a factory of formatters over it: the normalizer is thread-safe (its
    /// scratch state is per thread), so decode's workers each take a formatter and share the loaded mappings.
    /// </summary>
    /// <exception cref="MappingException">The mapping files cannot be loaded (all their problems).</exception>
    public static Func<DecodeCommand.RecordFormatter> CreateFactory(string format, ForwarderOptions options)
    {
        // The same normalizer run builds from the same settings, so decode's lines equal run's byte for byte;
        // a system without an offset is named once on stderr (stdout carries the records).
        var normalizer = MappingLoading.CreateNormalizer(options, sid => Console.Error.WriteLine($"zertforwarder: warning: {MappingLoading.MissingOffsetWarning(sid)}"));
        Action<ZertRecord, IBufferWriter<byte>> write = format switch
        {
            "ecs" => normalizer.WriteEcs,
            "leef" => normalizer.WriteLeef,
            _ => normalizer.WriteFlat,
        };
        return () => new NormalizedFormatter(write);
    }

    public override void Write(ZertRecord record, IBufferWriter<byte> output) => _write(record, output);
}
