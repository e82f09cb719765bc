namespace ZertForwarder.Sinks.Kafka;

/// <summary>
/// Configuration of <see cref="KafkaSink"/>, bound from <c>Outputs:Kafka</c>. The producer is always idempotent
/// with <c>acks=all</c> (output contract §6: records of one key stay ordered in one partition, and librdkafka's
/// own retries neither reorder nor duplicate them on a real broker).
/// </summary>
public sealed class KafkaSinkOptions : KafkaConnectionOptions
{
    /// <summary>Topic that receives every event in <see cref="Format"/>.</summary>
    public string Topic { get; set; } = "zert-events";

    /// <summary><c>ecs</c> (the ECS JSON document, default) or <c>leef</c> (the LEEF 2.0 line) as the value written to <see cref="Topic"/>.</summary>
    public KafkaValueFormat Format { get; set; } = KafkaValueFormat.Ecs;

    /// <summary>
    /// Optional second topic that receives the LEEF line of every event while <see cref="Topic"/> gets ECS.
    /// An event counts as delivered only when both copies are; a retry after a partial failure sends both
    /// again, so the copy that had succeeded may appear twice (at least once).
    /// </summary>
    public string? LeefTopic { get; set; }

    /// <summary><c>none</c>, <c>gzip</c>, <c>snappy</c>, <c>lz4</c> (default: cheap on CPU, 4-6x on ECS JSON) or <c>zstd</c>.</summary>
    public string Compression { get; set; } = "lz4";

    /// <summary>How long librdkafka waits to fill a batch (<c>linger.ms</c>).</summary>
    public int LingerMs { get; set; } = 20;

    /// <summary>Maximum size in bytes of one partition batch (<c>batch.size</c>).</summary>
    public int BatchSize { get; set; } = 1_000_000;

    /// <summary>
    /// How long librdkafka keeps retrying one message (<c>message.timeout.ms</c>) before reporting it failed;
    /// the item is then marked Retry and the pipeline's own retry limit takes over.
    /// </summary>
    public int MessageTimeoutMs { get; set; } = 120_000;
}

/// <summary>What a Kafka message's value carries (<c>Outputs:Kafka:Format</c>).</summary>
public enum KafkaValueFormat
{
    /// <summary>The ECS JSON document (output contract §2).</summary>
    Ecs,

    /// <summary>The LEEF 2.0 line for QRadar (output contract §3).</summary>
    Leef,
}
