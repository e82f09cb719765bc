using System.Text;
using Confluent.Kafka;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>One message as an independent consumer reads it back.</summary>
public readonly record struct KafkaMessage(int Partition, long Offset, IReadOnlyDictionary<string, string> Headers, byte[] Value)
{
    /// <summary>The <c>event_id</c> header (output contract §6).</summary>
    public string? EventId => Headers.GetValueOrDefault("event_id");
}

/// <summary>
/// An independent consumer (no group, <c>Assign</c> from the beginning: test infrastructure §1b) that reads a topic
/// up to its high watermarks, i.e. everything the forwarder's producer got acknowledged.
/// </summary>
public static class KafkaReadBack
{
    public static List<KafkaMessage> ReadAll(string bootstrapServers, string topic, TimeSpan timeout)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var partitions = metadata.Topics.Single().Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();

        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "host-tests-readback",
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        var remaining = new Dictionary<int, long>();
        foreach (var partition in partitions)
        {
            var high = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
            if (high > 0) remaining[partition.Partition.Value] = high;
        }
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));

        var messages = new List<KafkaMessage>();
        var deadline = DateTime.UtcNow + timeout;
        while (remaining.Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"read {messages.Count} messages of {topic}; partitions not finished: {string.Join(", ", remaining.Keys)}");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF) continue;
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var header in result.Message.Headers ?? []) headers[header.Key] = Encoding.UTF8.GetString(header.GetValueBytes());
            messages.Add(new KafkaMessage(result.Partition.Value, result.Offset.Value, headers, result.Message.Value));
            if (result.Offset.Value + 1 >= remaining[result.Partition.Value]) remaining.Remove(result.Partition.Value);
        }
        consumer.Close();
        return messages;
    }
}
