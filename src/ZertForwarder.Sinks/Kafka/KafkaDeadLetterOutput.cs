using System.Text;
using Confluent.Kafka;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Kafka;

/// <summary>
/// Dead-letter output on a Kafka topic: the value is the event's ECS JSON (or its LEEF line, or its flat JSON,
/// whichever was encoded), the key is the event's key, and headers say why: <c>reason</c>, <c>sink</c>,
/// <c>event_id</c>, plus <c>event_dataset</c>, <c>smf_system_id</c> and <c>content_type</c>.
/// </summary>
/// <remarks>
/// <see cref="WriteAsync"/> returns only after the broker acknowledged the record (<c>acks=all</c>, idempotent
/// producer), because the runner acknowledges the event to the source right after. A record that cannot be
/// written throws, so the event is not acknowledged and is read again after a restart.
/// </remarks>
public sealed class KafkaDeadLetterOutput : IDeadLetterOutput, IAsyncDisposable
{
    private const string Component = "kafka_dead_letter";

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly string _topic;

    /// <param name="connection">Cluster and security settings (typically the Kafka sink's own options).</param>
    /// <param name="topic">The dead-letter topic.</param>
    /// <param name="log">Receives librdkafka's log lines.</param>
    public KafkaDeadLetterOutput(KafkaConnectionOptions connection, string topic, IPipelineLog? log = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        var pipelineLog = log ?? NullPipelineLog.Instance;
        var config = new ProducerConfig();
        connection.ApplyConnection(config);
        config.EnableIdempotence = true;
        config.Acks = Acks.All;
        config.MaxInFlight = 5;
        config.LingerMs = 5;
        config.MessageTimeoutMs = 60_000;
        connection.ApplyProperties(config);
        _topic = topic;
        _producer = new ProducerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler((_, message) => KafkaClientLog.Forward(pipelineLog, Component, message))
            .SetErrorHandler((_, error) => KafkaClientLog.ForwardError(pipelineLog, Component, error))
            .Build();
    }

    public string Topic => _topic;

    public async Task WriteAsync(ForwardedEvent forwardedEvent, string sinkName, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(forwardedEvent);
        var (value, contentType) = !forwardedEvent.Ecs.IsEmpty ? (forwardedEvent.Ecs, "application/json")
            : !forwardedEvent.Leef.IsEmpty ? (forwardedEvent.Leef, "text/plain; charset=utf-8")
            : (forwardedEvent.Flat, "application/json");
        var message = new Message<byte[]?, byte[]>
        {
            Key = forwardedEvent.Key is null ? null : Encoding.UTF8.GetBytes(forwardedEvent.Key),
            Value = value.ToArray(),
            Headers = new Headers
            {
                { "reason", Encoding.UTF8.GetBytes(reason ?? "") },
                { "sink", Encoding.UTF8.GetBytes(sinkName ?? "") },
                { "event_id", Encoding.UTF8.GetBytes(forwardedEvent.EventId) },
                { "event_dataset", Encoding.UTF8.GetBytes(forwardedEvent.Dataset) },
                { "smf_system_id", Encoding.UTF8.GetBytes(forwardedEvent.SmfSystemId) },
                { "content_type", Encoding.UTF8.GetBytes(contentType) },
            },
        };

        // ProduceAsync completes with the delivery report and throws ProduceException when it failed.
        await _producer.ProduceAsync(_topic, message, cancellationToken);
    }

    public Task FlushAsync(CancellationToken cancellationToken) =>
        Task.Run(() => _producer.Flush(cancellationToken), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Task.Run(() =>
        {
            _producer.Flush(TimeSpan.FromSeconds(10));
            _producer.Dispose();
        });
    }
}
