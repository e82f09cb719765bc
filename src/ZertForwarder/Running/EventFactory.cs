using System.Buffers;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Running;

/// <summary>
/// Turns one decoded record into a <see cref="ForwardedEvent"/> with the encodings the sinks need. One instance per
/// thread (it owns scratch buffers); the normalizer itself is shared.
/// </summary>
internal sealed class EventFactory(ZertNormalizer normalizer, OutputFormats formats)
{
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);

    public ForwardedEvent Create(ZertRecord record, IEventAcknowledgement? position, out EventEnvelope envelope)
    {
        envelope = normalizer.Describe(record);
        return new ForwardedEvent
        {
            EventId = envelope.EventId,
            Dataset = envelope.Dataset,
            Key = envelope.Key,
            SmfSystemId = envelope.SmfSystemId,
            Ecs = formats.Ecs ? Encode(record, normalizer.WriteEcs) : default,
            Leef = formats.Leef ? Encode(record, normalizer.WriteLeef) : default,
            Flat = formats.Flat ? Encode(record, normalizer.WriteFlat) : default,
            Position = position,
        };
    }

    private byte[] Encode(ZertRecord record, Action<ZertRecord, IBufferWriter<byte>> write)
    {
        _scratch.ResetWrittenCount();
        write(record, _scratch);
        return _scratch.WrittenSpan.ToArray();
    }
}
