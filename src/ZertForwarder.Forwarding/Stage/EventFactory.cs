using System.Buffers;
using System.Text;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Forwarding;

/// <summary>
/// Turns one decoded record into a <see cref="ForwardedEvent"/> with the encodings the sinks need. One instance per
/// thread (it owns scratch buffers); the normalizer itself is shared.
/// </summary>
internal sealed class EventFactory(ZertNormalizer normalizer, OutputFormats formats)
{
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);

    // Made once: a method group passed as a delegate is a new delegate object at every call (three per record).
    private readonly Action<ZertRecord, IBufferWriter<byte>> _writeEcs = normalizer.WriteEcs;
    private readonly Action<ZertRecord, IBufferWriter<byte>> _writeLeef = normalizer.WriteLeef;
    private readonly Action<ZertRecord, IBufferWriter<byte>> _writeFlat = normalizer.WriteFlat;

    /// <param name="block">
    /// Where the encodings are written (the events of one batch share a pooled block, see <see cref="PayloadBlock"/>);
    /// null: one exact-size array per encoding.
    /// </param>
    public ForwardedEvent Create(ZertRecord record, IEventAcknowledgement? position, out EventEnvelope envelope, PayloadBlock? block = null)
    {
        envelope = normalizer.Describe(record);
        block?.AddEvent();
        return new ForwardedEvent
        {
            EventIdUtf8 = envelope.EventIdUtf8, // the text only when a sink asks for it
            Dataset = envelope.Dataset,
            Key = envelope.Key,
            SmfSystemId = envelope.SmfSystemId,
            // Encoded here, on one of the parallel workers, rather than in the Kafka sink's single produce loop.
            KeyUtf8 = formats.KafkaFields ? envelope.KeyUtf8 ?? (envelope.Key is { } key ? Encoding.UTF8.GetBytes(key) : null) : null,
            Ecs = formats.Ecs ? Encode(record, _writeEcs, block) : default,
            Leef = formats.Leef ? Encode(record, _writeLeef, block) : default,
            Flat = formats.Flat ? Encode(record, _writeFlat, block) : default,
            Payload = block,
            Position = position,
        };
    }

    private ReadOnlyMemory<byte> Encode(ZertRecord record, Action<ZertRecord, IBufferWriter<byte>> write, PayloadBlock? block)
    {
        if (block is not null)
        {
            block.BeginItem();
            write(record, block);
            return block.EndItem();
        }

        _scratch.ResetWrittenCount();
        write(record, _scratch);
        // One exact-size array per encoding. Every byte is overwritten by the copy, so the runtime need not zero it
        // first (documents are 1-3 KB).
        var written = _scratch.WrittenSpan;
        var bytes = GC.AllocateUninitializedArray<byte>(written.Length);
        written.CopyTo(bytes);
        return bytes;
    }
}
