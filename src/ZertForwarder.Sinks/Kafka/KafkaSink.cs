using System.Runtime.InteropServices;
using Confluent.Kafka;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Kafka;

/// <summary>
/// Publishes events to Kafka (output contract §6): key = <see cref="ForwardedEvent.Key"/>, value = ECS JSON or
/// LEEF line, headers <c>event_id</c>, <c>event_dataset</c>, <c>smf_system_id</c>, <c>content_type</c>.
/// </summary>
/// <remarks>
/// The producer is idempotent (<c>enable.idempotence=true</c>, <c>acks=all</c>, at most 5 requests in flight),
/// and librdkafka's own retries stay on: they keep per-partition order and, on a real broker, never duplicate.
/// A batch is produced in one go and the call waits for every delivery report; only what librdkafka gave up on
/// (message timeout, fatal producer error) comes back as Retry for the runner, and what can never succeed
/// (too large, invalid topic, not authorized) comes back as Rejected with librdkafka's reason.
/// </remarks>
public sealed class KafkaSink : ISink
{
    private const string Component = "kafka";

    /// <summary>How long to wait before producing again when librdkafka's local queue is full (back-pressure).</summary>
    private static readonly TimeSpan QueueFullWait = TimeSpan.FromMilliseconds(50);

    // content_type header values (output contract §6).
    private static readonly byte[] JsonContentTypeBytes = "application/json"u8.ToArray();
    private static readonly byte[] LeefContentTypeBytes = "text/plain; charset=utf-8"u8.ToArray();

    private readonly KafkaSinkOptions _options;
    private readonly IPipelineLog _log;
    /// <summary>Explains in words why librdkafka refused a broker certificate (it only says "certificate verify failed").</summary>
    private readonly KafkaTlsDiagnosis _tlsDiagnosis;
    private readonly TimeProvider _time;
    private readonly bool _valueIsLeef;
    private readonly object _producerLock = new();

    // Batches may be sent concurrently (the next is produced while the previous waits for its acks), but their
    // Produce calls must not interleave: librdkafka keeps per-partition order in the order Produce is called.
    private readonly SemaphoreSlim _produceGate = new(1, 1);
    private IProducer<byte[]?, byte[]>? _producer;
    private volatile bool _producerFailed;

    // Only touched inside _produceGate (one producing batch at a time).
    private readonly KafkaMessageBuilder _messages = new();

    // Delivery-report collectors are reused once a batch has all its reports, with their per-item handlers.
    private readonly System.Collections.Concurrent.ConcurrentBag<DeliveryResults> _idleResults = [];

    // Collectors of batches produced and still waiting for reports: a producer rebuilt after a fatal error settles
    // what its predecessor never reported (Producer()).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DeliveryResults, byte> _awaiting = new();

    /// <summary>How long a failed producer may take to hand over the reports of the messages it still held.</summary>
    private static readonly TimeSpan FailedProducerFlushLimit = TimeSpan.FromSeconds(10);

    public KafkaSink(KafkaSinkOptions options, IPipelineLog? log = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Topic))
        {
            throw new ArgumentException("Kafka Topic is required.", nameof(options));
        }

        _valueIsLeef = options.Format switch
        {
            KafkaValueFormat.Ecs => false,
            KafkaValueFormat.Leef => true,
            _ => throw new ArgumentException($"Kafka Format {options.Format} is not defined.", nameof(options)),
        };
        if (_valueIsLeef && !string.IsNullOrWhiteSpace(options.LeefTopic))
        {
            throw new ArgumentException("Kafka LeefTopic is the second (LEEF) topic next to an 'ecs' Topic; with Format 'leef' leave it empty.", nameof(options));
        }

        _options = options;
        _log = log ?? NullPipelineLog.Instance;
        _tlsDiagnosis = new KafkaTlsDiagnosis(options, _log, Component);
        _time = timeProvider ?? TimeProvider.System;
    }

    public string Name => "kafka";

    /// <summary>The librdkafka configuration the sink uses (for diagnostics and tests; contains the SASL password if set).</summary>
    internal ProducerConfig BuildConfig()
    {
        var config = SettingsConfig(_options, readPasswordFile: true);
        _options.ApplyProperties(config);
        return config;
    }

    /// <summary>
    /// What librdkafka would refuse in <paramref name="options"/> when the producer is built at start (after the run
    /// started, one problem per attempt), found without a broker (<see cref="KafkaClientCheck"/>).
    /// </summary>
    internal static IReadOnlyList<KafkaClientCheck.Problem> ConfigurationProblems(KafkaSinkOptions options, string section) =>
        KafkaClientCheck.Check(section, "producer",
            SettingsConfig(options, readPasswordFile: false), SettingsConfig(new KafkaSinkOptions { BootstrapServers = options.BootstrapServers }, readPasswordFile: false),
            options.Properties, KafkaClientCheck.BuildProducer);

    /// <summary>The configuration of the typed settings, before <see cref="KafkaConnectionOptions.Properties"/> (applied last, so they can override it).</summary>
    private static ProducerConfig SettingsConfig(KafkaSinkOptions options, bool readPasswordFile)
    {
        var config = new ProducerConfig();
        options.ApplyConnection(config, readPasswordFile);
        config.EnableIdempotence = true;
        config.Acks = Acks.All;
        // The idempotent producer keeps order with up to 5 in-flight requests per connection.
        config.MaxInFlight = 5;
        config.Set("compression.type", options.Compression);
        config.LingerMs = options.LingerMs;
        config.BatchSize = options.BatchSize;
        config.MessageTimeoutMs = options.MessageTimeoutMs;
        // A delivery report is only read for its error and persistence status: marshalling the key, value, headers
        // and timestamp back into managed objects for every message cost more than producing it.
        config.DeliveryReportFields = "status";
        return config;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Building validates the whole configuration (unknown property, bad value): a start-up failure, not a retry.
        _ = Producer();
        return Task.CompletedTask;
    }

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcome);
        var copiesPerItem = string.IsNullOrWhiteSpace(_options.LeefTopic) ? 1 : 2;
        if (!_idleResults.TryTake(out var results)) results = new DeliveryResults(this);
        results.Reset(batch.Count, copiesPerItem * batch.Count);

        await _produceGate.WaitAsync(cancellationToken);
        try
        {
            // Taken inside the gate, so a producer rebuilt after a fatal error is never disposed under a batch that
            // is still producing into it.
            var producer = Producer();
            _awaiting[results] = 0;
            await ProduceBatchAsync(producer, batch, copiesPerItem, results, cancellationToken);
        }
        finally
        {
            _produceGate.Release();
        }

        try
        {
            await results.AllReported.WaitAsync(cancellationToken);
        }
        finally
        {
            _awaiting.TryRemove(results, out _);
        }
        results.CopyTo(outcome);
        // Every report is in: nothing refers to this collector any more. (A cancelled wait leaves it to the collector.)
        _idleResults.Add(results);
        if (_authorizationFailure is { } refused)
        {
            throw new SinkFatalException(
                $"the Kafka brokers refuse to let this producer write to topic '{_options.Topic}'{(string.IsNullOrWhiteSpace(_options.LeefTopic) ? "" : $" or '{_options.LeefTopic}'")} ({refused}); " +
                "grant the principal WRITE (and IDEMPOTENT_WRITE on the cluster for the idempotent producer) or fix Outputs:Kafka credentials");
        }
    }

    /// <summary>Several batches in flight keep the brokers busy while earlier ones wait for their acknowledgements.</summary>
    /// <remarks>
    /// Each batch waits for every delivery report, which takes at least <c>linger.ms</c> plus a broker round trip: with
    /// a few batches of a few hundred events in flight that wait, not the CPU, set the rate. Sixteen keep the producer
    /// fed; the runner's buffer (<c>Pipeline:BufferCapacity</c>) still bounds the events held.
    /// </remarks>
    public int MaxConcurrentBatches => 16;

    private async Task ProduceBatchAsync(IProducer<byte[]?, byte[]> producer, IReadOnlyList<ForwardedEvent> batch, int copiesPerItem,
        DeliveryResults results, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            if (_valueIsLeef)
            {
                await ProduceAsync(producer, _options.Topic, item, item.Leef, LeefContentTypeBytes, "LEEF", i, results, cancellationToken);
            }
            else
            {
                await ProduceAsync(producer, _options.Topic, item, item.Ecs, JsonContentTypeBytes, "ECS", i, results, cancellationToken);
                if (copiesPerItem == 2)
                {
                    await ProduceAsync(producer, _options.LeefTopic!, item, item.Leef, LeefContentTypeBytes, "LEEF", i, results, cancellationToken);
                }
            }
        }
    }

    /// <summary>
    /// Produces one message; completes at once unless librdkafka's buffer is full. Not an <c>async</c> method: the
    /// message goes out synchronously, and only the rare wait for room has a state machine (one per message was about
    /// 1 % of run to Kafka's CPU samples).
    /// </summary>
    private ValueTask ProduceAsync(
        IProducer<byte[]?, byte[]> producer, string topic, ForwardedEvent item, ReadOnlyMemory<byte> value,
        byte[] contentType, string formatName, int index, DeliveryResults results, CancellationToken cancellationToken) =>
        TryProduce(producer, topic, item, value, contentType, formatName, index, results)
            ? ValueTask.CompletedTask
            : WaitForRoomAndProduceAsync(producer, topic, item, value, contentType, formatName, index, results, cancellationToken);

    private async ValueTask WaitForRoomAndProduceAsync(
        IProducer<byte[]?, byte[]> producer, string topic, ForwardedEvent item, ReadOnlyMemory<byte> value,
        byte[] contentType, string formatName, int index, DeliveryResults results, CancellationToken cancellationToken)
    {
        do
        {
            // librdkafka's buffer (queue.buffering.max.*) is full: the cluster is slower than we are. Waiting lets
            // delivery reports drain it instead of failing the item (back-pressure to the runner).
            await Task.Delay(QueueFullWait, _time, cancellationToken);
        }
        while (!TryProduce(producer, topic, item, value, contentType, formatName, index, results));
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var producer = _producer;
        if (producer is null)
        {
            return;
        }

        await Task.Run(() => producer.Flush(cancellationToken), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        IProducer<byte[]?, byte[]>? producer;
        lock (_producerLock)
        {
            producer = _producer;
            _producer = null;
        }

        if (producer is not null)
        {
            // Every SendAsync already waited for its reports; this only bounds the shutdown if one was cancelled.
            await Task.Run(() =>
            {
                producer.Flush(TimeSpan.FromSeconds(10));
                producer.Dispose();
            });
        }
    }

    /// <summary>Hands one message to librdkafka, or settles the item when that fails for good.</summary>
    /// <returns>False only when librdkafka's buffer is full: wait and call again.</returns>
    private bool TryProduce(
        IProducer<byte[]?, byte[]> producer, string topic, ForwardedEvent item, ReadOnlyMemory<byte> value,
        byte[] contentType, string formatName, int index, DeliveryResults results)
    {
        if (value.IsEmpty)
        {
            // The host encodes only what configured sinks need; an event without this encoding is a wiring bug.
            results.Report(index, ItemOutcome.Rejected, $"event has no {formatName} encoding for topic {topic}");
            return true;
        }

        var message = _messages.Build(item, _messages.ValueArray(value, pooled: item.Payload is not null), contentType);
        try
        {
            producer.Produce(topic, message, results.Handler(index));
        }
        catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
        {
            return false;
        }
        catch (ProduceException<byte[]?, byte[]> e)
        {
            results.Report(index, Classify(e.Error, PersistenceStatus.NotPersisted));
        }
        catch (KafkaException e)
        {
            results.Report(index, Classify(e.Error, PersistenceStatus.NotPersisted));
        }

        return true;
    }

    /// <summary>The first authorization refusal a delivery report carried (set from librdkafka's report thread).</summary>
    private volatile string? _authorizationFailure;

    private (ItemOutcome Outcome, string? Reason) Classify(Error error, PersistenceStatus status)
    {
        if (!error.IsError)
        {
            return status == PersistenceStatus.Persisted
                ? (ItemOutcome.Delivered, null)
                : (ItemOutcome.Retry, $"delivery status {status}");
        }

        if (error.IsFatal || error.Code == ErrorCode.Local_Fatal)
        {
            // A fatal idempotence error (e.g. out-of-order sequence) leaves the producer unusable: build a new one.
            _producerFailed = true;
            return (ItemOutcome.Retry, $"fatal producer error {error.Code}: {error.Reason}");
        }

        if (error.Code is ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed)
        {
            // Not this event's fault, and no event will get through: the run stops (exit 2) with the events kept for
            // a restart, as an Elasticsearch or HEC output refused its credentials does, instead of dead-lettering the
            // whole stream while /readyz says ready.
            _authorizationFailure ??= $"{error.Code}: {error.Reason}";
            return (ItemOutcome.Retry, $"{error.Code}: {error.Reason}");
        }

        return IsPermanent(error.Code)
            ? (ItemOutcome.Rejected, $"{error.Code}: {error.Reason}")
            : (ItemOutcome.Retry, $"{error.Code}: {error.Reason}");
    }

    /// <summary>Errors where sending the same message again cannot succeed; everything else is retried.</summary>
    private static bool IsPermanent(ErrorCode code) => code is
        ErrorCode.MsgSizeTooLarge or
        ErrorCode.InvalidMsgSize or
        ErrorCode.RecordListTooLarge or
        ErrorCode.TopicException or
        ErrorCode.InvalidRecord or
        ErrorCode.InvalidTimestamp or
        ErrorCode.InvalidRequiredAcks or
        ErrorCode.UnsupportedForMessageFormat or
        ErrorCode.UnsupportedCompressionType or
        ErrorCode.PolicyViolation or
        ErrorCode.Local_BadMsg or
        ErrorCode.Local_InvalidArg or
        ErrorCode.Local_KeySerialization or
        ErrorCode.Local_ValueSerialization;

    private IProducer<byte[]?, byte[]> Producer()
    {
        lock (_producerLock)
        {
            if (_producer is not null && _producerFailed)
            {
                _log.Log(PipelineLogLevel.Warning, Component, "recreating the Kafka producer after a fatal error");
                // After a fatal error librdkafka fails every message it holds; Flush serves those reports. Dispose
                // stops the thread that serves reports, so one not served by then would never come: the batch
                // waiting for it gets a retry for that item instead of waiting for ever.
                _producer.Flush(FailedProducerFlushLimit);
                _producer.Dispose();
                _producer = null;
                foreach (var waiting in _awaiting.Keys) waiting.SettleUnreported("no delivery report from a producer that failed (fatal error)");
            }

            if (_producer is null)
            {
                _producerFailed = false;
                _producer = new ProducerBuilder<byte[]?, byte[]>(BuildConfig())
                    .SetLogHandler((_, message) => KafkaClientLog.Forward(_log, Component, message))
                    .SetErrorHandler((_, error) =>
                    {
                        KafkaClientLog.ForwardError(_log, Component, error);
                        _tlsDiagnosis.OnError(error);
                        if (error.IsFatal)
                        {
                            _producerFailed = true;
                        }
                    })
                    .Build();
            }

            return _producer;
        }
    }

    /// <summary>Collects delivery reports (which arrive on librdkafka's poll thread) per batch item.</summary>
    /// <remarks>
    /// One collector serves one batch at a time and is then reused for a later batch (see <see cref="SendAsync"/>),
    /// together with its per-item delivery handlers, so producing a message allocates no handler.
    /// </remarks>
    private sealed class DeliveryResults(KafkaSink sink)
    {
        private readonly List<Action<DeliveryReport<byte[]?, byte[]>>> _handlers = [];
        private readonly object _lock = new();
        private ItemOutcome[] _outcomes = [];
        private string?[] _reasons = [];
        private byte[] _reported = []; // reports in per item, of _copies
        private int _copies;
        private int _items;
        private TaskCompletionSource _allReported = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _outstanding;

        /// <summary>Prepares for a batch of <paramref name="items"/> items sent as <paramref name="messages"/> messages.</summary>
        public void Reset(int items, int messages)
        {
            if (_outcomes.Length < items)
            {
                _outcomes = new ItemOutcome[items];
                _reasons = new string?[items];
                _reported = new byte[items];
            }
            else
            {
                Array.Clear(_outcomes, 0, items);
                Array.Clear(_reasons, 0, items);
                Array.Clear(_reported, 0, items);
            }

            _items = items;
            _copies = items == 0 ? 0 : messages / items;
            _allReported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _outstanding = messages;
            if (messages == 0)
            {
                _allReported.SetResult();
            }
        }

        public Task AllReported => _allReported.Task;

        /// <summary>The delivery handler of item <paramref name="index"/>, made once per index and kept.</summary>
        public Action<DeliveryReport<byte[]?, byte[]>> Handler(int index)
        {
            while (_handlers.Count <= index)
            {
                var item = _handlers.Count;
                _handlers.Add(report => Report(item, sink.Classify(report.Error, report.Status)));
            }

            return _handlers[index];
        }

        public void Report(int index, (ItemOutcome Outcome, string? Reason) result) => Report(index, result.Outcome, result.Reason);

        /// <summary>
        /// Ends the wait of a batch whose producer is gone: every item still lacking a report of one of its copies is
        /// retried (an item with one copy delivered and one unreported too: the retry may repeat the delivered copy).
        /// </summary>
        public void SettleUnreported(string reason)
        {
            lock (_lock)
            {
                if (_outstanding == 0) return;
                for (var i = 0; i < _items; i++)
                {
                    if (_reported[i] < _copies && _outcomes[i] != ItemOutcome.Rejected)
                    {
                        _outcomes[i] = ItemOutcome.Retry;
                        _reasons[i] = reason;
                    }
                }
                _outstanding = 0;
            }
            _allReported.TrySetResult();
        }

        public void Report(int index, ItemOutcome outcome, string? reason)
        {
            bool last;
            lock (_lock)
            {
                if (_outstanding == 0) return; // settled already (SettleUnreported)
                // An item with two copies (ECS + LEEF topic) takes the worse outcome: Rejected > Retry > Delivered.
                if (outcome > _outcomes[index])
                {
                    _outcomes[index] = outcome;
                    _reasons[index] = reason;
                }
                _reported[index]++;
                last = --_outstanding == 0;
            }

            if (last)
            {
                _allReported.TrySetResult();
            }
        }

        public void CopyTo(BatchOutcome outcome)
        {
            lock (_lock)
            {
                for (var i = 0; i < _items; i++)
                {
                    switch (_outcomes[i])
                    {
                        case ItemOutcome.Delivered: outcome.Delivered(i); break;
                        case ItemOutcome.Retry: outcome.Retry(i, _reasons[i] ?? "retry"); break;
                        case ItemOutcome.Rejected: outcome.Reject(i, _reasons[i] ?? "rejected"); break;
                        default: outcome.Retry(i, "no delivery report"); break;
                    }
                }
            }
        }
    }
}
