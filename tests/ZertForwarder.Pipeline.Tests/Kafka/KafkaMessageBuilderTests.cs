using ZertForwarder.Sinks.Kafka;

namespace ZertForwarder.Pipeline.Tests.Kafka;

/// <summary>
/// The value arrays the Kafka sink hands to Produce (which takes whole arrays only): each holds exactly the event's
/// bytes, arrays are reused per length, and what is kept for reuse stays bounded however many lengths appear.
/// </summary>
public sealed class KafkaMessageBuilderTests
{
    [Fact]
    public void Value_arrays_hold_the_exact_bytes_and_those_kept_for_reuse_stay_under_16_MB()
    {
        var builder = new KafkaMessageBuilder();
        var block = new byte[64 * 1024];
        Random.Shared.NextBytes(block);
        // 400 distinct lengths of 40-64 KB: about 21 MB if every length kept its array.
        var lengths = Enumerable.Range(0, 400).Select(i => 40 * 1024 + i * 61).ToList();
        var first = new Dictionary<int, byte[]>();
        foreach (var length in lengths)
        {
            var value = builder.ValueArray(block.AsMemory(0, length), pooled: true);
            Assert.Equal(length, value.Length);
            Assert.True(block.AsSpan(0, length).SequenceEqual(value));
            first[length] = value;
        }

        // Asked again: early lengths get their kept array back; the later ones were not kept (a new array each time).
        var reused = lengths.Where(l => ReferenceEquals(first[l], builder.ValueArray(block.AsMemory(1, l), pooled: true))).ToList();
        Assert.Equal(lengths.TakeWhile(l => reused.Contains(l)), reused); // a prefix of the lengths in the order seen
        Assert.InRange(reused.Sum(l => (long)l), 15L * 1024 * 1024, 16L * 1024 * 1024);
        Assert.True(block.AsSpan(1, lengths[^1]).SequenceEqual(builder.ValueArray(block.AsMemory(1, lengths[^1]), pooled: true)));
    }
}
