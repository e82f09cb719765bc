using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>
/// Sends ECS documents to Splunk's HTTP Event Collector: one envelope per event (see <see cref="HecEnvelopeWriter"/>),
/// batched by concatenation into <c>POST /services/collector/event</c> requests of at most
/// <see cref="SplunkHecSinkOptions.MaxRequestBytes"/>.
/// </summary>
/// <remarks>
/// What HEC's answers mean for the events: <see cref="HecEventRequests"/>; indexer acknowledgement and its request
/// channel: <see cref="HecAcknowledgements"/>; HTTP, TLS and gzip: <see cref="HecConnection"/>.
/// </remarks>
public sealed class SplunkHecSink : ISink
{
    private readonly SplunkHecSinkOptions _options;
    private readonly IPipelineLog _log;
    private readonly HecEnvelopeWriter _envelopes;
    private readonly HecConnection _connection;
    private readonly HecAcknowledgements _acknowledgements;
    private readonly HecEventRequests _requests;

    // Envelope buffers are reused: fresh megabyte-sized buffers per batch would land on the large object heap and cost
    // a full collection every few batches.
    private readonly ConcurrentBag<ArrayBufferWriter<byte>> _bodies = [];

    public SplunkHecSink(SplunkHecSinkOptions options, IPipelineLog? log = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _log = log ?? NullPipelineLog.Instance;
        var time = timeProvider ?? TimeProvider.System;
        _envelopes = new HecEnvelopeWriter(options.Source, options.Index);
        _connection = new HecConnection(options, time);
        _acknowledgements = new HecAcknowledgements(options, _connection, _log, Name, time);
        _requests = new HecEventRequests(options, _connection, _acknowledgements);
    }

    public string Name => "splunk";

    /// <summary>
    /// The <c>X-Splunk-Request-Channel</c> the sink sends events on now (required by HEC when acknowledgement is on). It
    /// changes only when HEC's acknowledgement state of the channel was reset (<see cref="HecAcknowledgements.TakeAckId"/>).
    /// </summary>
    public string Channel => _acknowledgements.CurrentChannel.Id;

    /// <summary>With acknowledgement on, several batches wait for their ackIds at once; HEC does not promise order within a channel anyway.</summary>
    public int MaxConcurrentBatches => _options.UseAck ? _options.MaxBatchesAwaitingAck : 1;

    /// <summary>Probes <c>/services/collector/health</c>: fails when HEC cannot be reached or refuses the token.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (status, body) = await _connection.GetHealthAsync(cancellationToken);
        var answer = HecAnswer.Parse(body);
        switch ((int)status)
        {
            case 200:
                _log.Log(PipelineLogLevel.Information, Name,
                    $"HTTP Event Collector at {_connection.Endpoint} is healthy ({answer.Text ?? "no text"}); acknowledgement {(_options.UseAck ? "on, channel " + Channel : "off")}.");
                return;
            case 401 or 403:
                throw _connection.Refused(status, answer, "the health check");
            case 503:
                // Busy or queues full: sending is retried with back-off, so this is not a reason to refuse to start.
                _log.Log(PipelineLogLevel.Warning, Name, $"HTTP Event Collector at {_connection.Endpoint} reports itself unhealthy: {answer}; events will be retried until it recovers.");
                return;
            default:
                throw new InvalidOperationException($"HTTP Event Collector at {_connection.Endpoint} answered the health check with HTTP {(int)status}: {answer}.");
        }
    }

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcome);

        // All envelopes go into one buffer; ends[k] is where the envelope of sendable item k ends, so any run of
        // consecutive items is one slice of the buffer (a request, or the rest of one after an invalid event).
        var body = _bodies.TryTake(out var reused) ? reused : new ArrayBufferWriter<byte>(256 * 1024);
        body.ResetWrittenCount();
        try
        {
            await SendEnvelopesAsync(batch, outcome, body, cancellationToken);
        }
        finally
        {
            _bodies.Add(body);
        }
    }

    private async Task SendEnvelopesAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, ArrayBufferWriter<byte> body, CancellationToken cancellationToken)
    {
        var items = new List<int>(batch.Count);
        var ends = new List<int>(batch.Count);
        await using (var writer = new Utf8JsonWriter(body, new JsonWriterOptions { SkipValidation = true }))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var problem = _envelopes.TryWrite(batch[i], body, writer);
                if (problem is not null)
                {
                    outcome.Reject(i, problem);
                    continue;
                }

                items.Add(i);
                ends.Add(body.WrittenCount);
            }
        }

        var awaitingAck = new List<PendingAck>();
        try
        {
            var first = 0;
            while (first < items.Count)
            {
                // The longest run from `first` that fits MaxRequestBytes (at least one envelope, even an oversized one).
                var start = first == 0 ? 0 : ends[first - 1];
                var last = first;
                while (last + 1 < items.Count && ends[last + 1] - start <= _options.MaxRequestBytes)
                {
                    last++;
                }

                await _requests.SendAsync(body.WrittenMemory, items, ends, first, last + 1, outcome, awaitingAck, cancellationToken);
                first = last + 1;
            }

            if (awaitingAck.Count > 0)
            {
                await _acknowledgements.AwaitAsync(awaitingAck, outcome, cancellationToken);
            }
        }
        finally
        {
            // Cancelled or stopped for good, also by a later request of the batch: the channel no longer counts these
            // ackIds as waiting (their events stay unacknowledged). One left waiting would stay in the channel for good
            // and, once HEC numbers the channel from 0 again (ack_idle_cleanup), be taken for a collector restart.
            _acknowledgements.Release(awaitingAck);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask; // every batch is settled inside SendAsync

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}
