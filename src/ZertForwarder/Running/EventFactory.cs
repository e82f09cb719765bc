using System.Buffers;
using System.Text;
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
            // Encoded here, on one of the parallel workers, rather than in the Kafka sink's single produce loop.
            KeyUtf8 = formats.KafkaFields && envelope.Key is { } key ? Encoding.UTF8.GetBytes(key) : null,
            EventIdUtf8 = formats.KafkaFields ? Encoding.ASCII.GetBytes(envelope.EventId) : null,
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
        // One exact-size array per encoding (sinks may keep it until every sink is done with the event). Every byte
        // is overwritten by the copy, so the runtime need not zero it first (documents are 1-3 KB).
        var written = _scratch.WrittenSpan;
        var bytes = GC.AllocateUninitializedArray<byte>(written.Length);
        written.CopyTo(bytes);
        return bytes;
    }
}
