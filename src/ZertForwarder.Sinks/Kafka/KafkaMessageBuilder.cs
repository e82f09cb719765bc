using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Kafka;

/// <summary>
/// Builds the Kafka message of one event (output contract §6): key = the event's key, headers <c>event_id</c>,
/// <c>event_dataset</c>, <c>smf_system_id</c>, <c>content_type</c>, in that order.
/// </summary>
/// <remarks>
/// Confluent.Kafka copies key, value and headers into librdkafka inside <c>Produce</c> and keeps none of them for the
/// delivery report (<c>dotnet.producer.enable.delivery.report.fields=status</c>), so one <see cref="Message{TKey,TValue}"/>
/// is reused for every message; the caller produces one message at a time. Header entries whose values repeat
/// (dataset, system id, content type) are made once; the key and event id bytes come with the event
/// (<see cref="ForwardedEvent.KeyUtf8"/>) when the host built them on its mapping workers. Not thread-safe: one
/// builder per producing loop.
/// </remarks>
internal sealed class KafkaMessageBuilder
{
    /// <summary>Distinct repeated header values remembered at most (datasets x systems x content types is far below).</summary>
    private const int RepeatedHeaderLimit = 4096;

    /// <summary>Longest value copied into a reused array; longer ones (rare) get an array of their own.</summary>
    private const int ReusedValueLimit = 64 * 1024;

    /// <summary>
    /// Bytes of reused arrays kept at most. Documents of 1-4 KB in a few thousand distinct lengths keep well under it;
    /// without a bound, values of every length up to <see cref="ReusedValueLimit"/> could keep 2 GB.
    /// </summary>
    private const long ReusedBytesLimit = 16L * 1024 * 1024;

    private readonly Message<byte[]?, byte[]> _message = new();
    private readonly Dictionary<int, byte[]> _valueArrays = [];
    private long _reusedBytes;
    private readonly RepeatedHeader _dataset = new("event_dataset");
    private readonly RepeatedHeader _systemId = new("smf_system_id");

    /// <summary>The message for <paramref name="item"/> with <paramref name="value"/>; valid until the next call.</summary>
    public Message<byte[]?, byte[]> Build(ForwardedEvent item, byte[] value, byte[] contentType)
    {
        _message.Key = item.KeyUtf8 ?? (item.Key is null ? null : Encoding.UTF8.GetBytes(item.Key));
        _message.Value = value;
        // A new Headers each time: Confluent.Kafka offers no way to replace one entry in place.
        _message.Headers =
        [
            new Header("event_id", item.EventIdUtf8 ?? Encoding.UTF8.GetBytes(item.EventId)),
            _dataset.For(item.Dataset),
            _systemId.For(item.SmfSystemId),
            ContentType(contentType),
        ];
        return _message;
    }

    /// <summary>
    /// <paramref name="value"/> as a whole array, as <c>Produce</c> needs (it takes no offset or length). An event's bytes
    /// are a slice of a pooled block (<see cref="PayloadBlock"/>), so they are copied, into an array of exactly that
    /// length kept for reuse: librdkafka copies the value inside <c>Produce</c>, so the array is free again when
    /// <c>Produce</c> returns, and producing allocates nothing per message. Documents are 1-4 KB, so the arrays kept
    /// (one per length seen) stay a few MB. Valid until the next call.
    /// </summary>
    /// <param name="value">The encoding.</param>
    /// <param name="pooled">
    /// Whether it is a slice of a pooled block (<see cref="ForwardedEvent.Payload"/> set), which is never a whole array:
    /// asking would read the block's array header, a cache miss per message on the producing thread (about 0.1 µs).
    /// </param>
    public byte[] ValueArray(ReadOnlyMemory<byte> value, bool pooled)
    {
        if (!pooled && MemoryMarshal.TryGetArray(value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length)
        {
            return segment.Array;
        }

        if (value.Length > ReusedValueLimit) return value.ToArray();
        if (!_valueArrays.TryGetValue(value.Length, out var array))
        {
            array = new byte[value.Length];
            if (_reusedBytes + array.Length > ReusedBytesLimit) return CopyInto(array, value);
            _valueArrays[value.Length] = array;
            _reusedBytes += array.Length;
        }

        return CopyInto(array, value);
    }

    private static byte[] CopyInto(byte[] array, ReadOnlyMemory<byte> value)
    {
        value.Span.CopyTo(array);
        return array;
    }

    /// <summary>
    /// The header entries of one name whose values repeat. The datasets are constants and the system ids are interned by
    /// the SMF header reader, so the same few string instances come back: they are found by reference (no hashing of
    /// the text, which with a value-keyed lookup was about 1 % of run to Kafka's CPU), other instances by value.
    /// </summary>
    private sealed class RepeatedHeader(string name)
    {
        private readonly Dictionary<object, Header> _byReference = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, Header> _byValue = new(StringComparer.Ordinal);

        public Header For(string value)
        {
            if (_byReference.TryGetValue(value, out var header)) return header;
            if (!_byValue.TryGetValue(value, out header))
            {
                header = new Header(name, Encoding.UTF8.GetBytes(value));
                if (_byValue.Count < RepeatedHeaderLimit) _byValue[value] = header;
            }

            if (_byReference.Count < RepeatedHeaderLimit) _byReference[value] = header;
            return header;
        }
    }

    private Header? _jsonContentType;
    private Header? _otherContentType;

    private Header ContentType(byte[] value)
    {
        // Two values in practice (JSON for ECS, text for LEEF): the arrays are the sink's constants.
        if (_jsonContentType is { } json && ReferenceEquals(json.GetValueBytes(), value)) return json;
        if (_otherContentType is { } other && ReferenceEquals(other.GetValueBytes(), value)) return other;
        var header = new Header("content_type", value);
        if (_jsonContentType is null) _jsonContentType = header; else _otherContentType = header;
        return header;
    }
}
