using System.Buffers;
using System.Text.Json;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>
/// The body-building concern: one NDJSON buffer for a batch, a <c>create</c> action with <c>_index</c> and <c>_id</c>
/// followed by the event's ECS JSON as it was serialized by the mapper (never re-serialized). Each item's bytes are
/// contiguous, so any run of items is a slice of the buffer: splitting by <c>MaxBulkBytes</c> or after an HTTP 413
/// costs no copying.
/// </summary>
internal sealed class BulkBody
{
    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly List<BulkItem> _items;

    private BulkBody(ArrayBufferWriter<byte> buffer, List<BulkItem> items)
    {
        _buffer = buffer;
        _items = items;
    }

    /// <summary>The items in body order.</summary>
    public IReadOnlyList<BulkItem> Items => _items;

    /// <summary>
    /// Writes every event that can be sent; an event without ECS or with a dataset that cannot name a data stream is
    /// rejected in <paramref name="outcome"/> with the reason and left out.
    /// </summary>
    public static BulkBody Build(IReadOnlyList<ForwardedEvent> batch, Func<string, string> dataStreamFor, BatchOutcome outcome)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(4096, batch.Count * 2048));
        var items = new List<BulkItem>(batch.Count);
        using var writer = new Utf8JsonWriter(buffer);
        for (var i = 0; i < batch.Count; i++)
        {
            var forwardedEvent = batch[i];
            if (forwardedEvent.Ecs.IsEmpty)
            {
                outcome.Reject(i, "event has no ECS encoding");
                continue;
            }

            if (!IsValidDataset(forwardedEvent.Dataset))
            {
                outcome.Reject(i, $"dataset '{forwardedEvent.Dataset}' cannot name a data stream");
                continue;
            }

            var start = buffer.WrittenCount;
            var dataStream = dataStreamFor(forwardedEvent.Dataset);
            writer.Reset(buffer);
            writer.WriteStartObject();
            writer.WriteStartObject("create");
            writer.WriteString("_index", dataStream);
            writer.WriteString("_id", forwardedEvent.EventId);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.Flush();

            // NDJSON: action line, source line, each ending in \n including the last (test infrastructure §2).
            buffer.Write("\n"u8);
            buffer.Write(forwardedEvent.Ecs.Span);
            buffer.Write("\n"u8);
            items.Add(new BulkItem(i, start, buffer.WrittenCount - start, forwardedEvent.Ecs.Length, dataStream));
        }

        return new BulkBody(buffer, items);
    }

    /// <summary>The NDJSON of items <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
    public ReadOnlyMemory<byte> Slice(int first, int count)
    {
        var start = _items[first].Start;
        var last = _items[first + count - 1];
        return _buffer.WrittenMemory[start..(last.Start + last.Length)];
    }

    /// <summary>Consecutive runs of items whose bodies stay within <paramref name="maxBytes"/> (an item alone may exceed it).</summary>
    public IEnumerable<(int First, int Count)> Chunks(long maxBytes)
    {
        var first = 0;
        long bytes = 0;
        for (var i = 0; i < _items.Count; i++)
        {
            if (i > first && bytes + _items[i].Length > maxBytes)
            {
                yield return (first, i - first);
                first = i;
                bytes = 0;
            }

            bytes += _items[i].Length;
        }

        if (_items.Count > first)
        {
            yield return (first, _items.Count - first);
        }
    }

    /// <summary>Elasticsearch's data stream naming rules for the dataset part.</summary>
    private static bool IsValidDataset(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 100 && !value.Any(char.IsUpper) &&
        value.IndexOfAny([' ', '\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ':']) < 0;
}

/// <param name="BatchIndex">Index of the event in the batch (for <see cref="BatchOutcome"/>).</param>
/// <param name="Start">Offset of the action line in the body.</param>
/// <param name="Length">Bytes of action and source lines.</param>
/// <param name="DocumentBytes">Bytes of the ECS document alone (for the "too large" reason).</param>
/// <param name="DataStream">The data stream it is created in (for a refusal that stops the run).</param>
internal readonly record struct BulkItem(int BatchIndex, int Start, int Length, int DocumentBytes, string DataStream);
