using Confluent.Kafka;
using ZertForwarder.Generator;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>A topic of raw SMF records as z/OS-side shippers fill it, for the Kafka input's tests.</summary>
public static class RawRecordTopic
{
    /// <summary>
    /// Publishes a generated dump's records to <paramref name="topic"/> (created by the caller), one logical record with
    /// its RDW per message, round robin over <paramref name="partitions"/>. Returns the records and the event ids of the
    /// zERT ones (output contract: what every output carries).
    /// </summary>
    public static (IReadOnlyList<GeneratedRecord> Records, HashSet<string> ZertIds) Publish(MockKafkaCluster kafka, string topic, int partitions, ulong seed, int zertCount)
    {
        var records = SmfDumpGenerator.GenerateRecords(seed, zertCount);
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, LingerMs = 5 })
            .SetLogHandler((_, _) => { }).Build();
        var partition = 0;
        foreach (var record in records) producer.Produce(new TopicPartition(topic, partition++ % partitions), new Message<Null, byte[]> { Value = record.Bytes });
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(10)));
        var ids = records.Where(r => ZertRecordParser.Parse(r.Bytes).Status == ZertParseStatus.Decoded)
            .Select(r => ZertEventId.Compute(r.Bytes)).ToHashSet(StringComparer.Ordinal);
        return (records, ids);
    }
}
