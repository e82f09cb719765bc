using System.Net;
using System.Text;
using System.Text.Json;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>
/// The indexer-acknowledgement concern of the Splunk output: the request channel (<c>X-Splunk-Request-Channel</c>) the
/// sink sends on, the ackIds HEC gave out on it, polls of <c>/services/collector/ack</c>, and a new channel when HEC
/// gives out an ackId that a request still waits for.
/// </summary>
internal sealed class HecAcknowledgements(SplunkHecSinkOptions options, HecConnection connection, IPipelineLog log, string component, TimeProvider time)
{
    private const string AckPath = "services/collector/ack";

    private readonly Lock _channelGate = new();

    // A channel per sink instance (a new one when HEC's acknowledgement state was reset): HEC keeps acknowledgement
    // state per channel (it is never part of an event).
    private AckChannel _channel = new(Guid.NewGuid().ToString("D"));

    public AckChannel CurrentChannel => Volatile.Read(ref _channel);

    /// <summary>
    /// Polls <c>/services/collector/ack</c> until every ackId is reported indexed or <see cref="SplunkHecSinkOptions.AckTimeout"/>
    /// has passed; the events of an acknowledged request are delivered, the others are retried (sent again), and so are
    /// those whose channel was reset meanwhile (<see cref="TakeAckId"/>): their ackIds may now be other requests'.
    /// </summary>
    public async Task AwaitAsync(List<PendingAck> pending, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var items = pending; // narrowed as acknowledgements arrive
        var lastProblem = "no acknowledgement yet";
        while (true)
        {
            var stillPending = new List<PendingAck>();
            foreach (var ack in items)
            {
                if (!ack.SettleIfReset(_channelGate, outcome))
                {
                    stillPending.Add(ack);
                }
            }

            if (stillPending.Count == 0)
            {
                return;
            }

            items = stillPending;
            stillPending = [];
            foreach (var onChannel in items.GroupBy(a => a.Channel).ToList())
            {
                var acknowledged = await PollAsync(onChannel.Key, [.. onChannel], cancellationToken);
                if (acknowledged.Problem is not null)
                {
                    lastProblem = acknowledged.Problem;
                }

                foreach (var ack in onChannel)
                {
                    // A channel reset while the poll was out: its answer may be about another request with the same ackId.
                    if (!(acknowledged.Ids.Contains(ack.AckId) && ack.SettleDelivered(_channelGate, outcome)) && !ack.SettleIfReset(_channelGate, outcome))
                    {
                        stillPending.Add(ack);
                    }
                }
            }

            if (stillPending.Count == 0)
            {
                return;
            }

            items = stillPending;
            var remaining = options.AckTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                var ids = string.Join(", ", items.Select(a => a.AckId));
                log.Log(PipelineLogLevel.Warning, component,
                    $"No indexer acknowledgement within {options.AckTimeout} for ackId(s) {ids} ({lastProblem}); sending those events again (they may be indexed twice).");
                foreach (var ack in items)
                {
                    ack.SettleRetry(_channelGate, outcome, $"no indexer acknowledgement for ackId {ack.AckId} within {options.AckTimeout} ({lastProblem})");
                }

                return;
            }

            await Task.Delay(remaining < options.AckPollInterval ? remaining : options.AckPollInterval, time, cancellationToken);
        }
    }

    /// <summary>
    /// Takes in an ackId HEC gave a request on <paramref name="channel"/>; returns why the request's events must be sent
    /// again, or null when the ackId can be polled. HEC numbers a channel's ackIds from 0 and keeps them in memory only:
    /// a collector that restarted, or another collector behind a load balancer, gives out numbers that earlier requests
    /// still wait for, and a poll then answers "indexed" for whichever request holds the number there (a batch the
    /// restart had lost counted as delivered). An ackId given out while a request of the channel waits for the same
    /// one is that case: every request waiting on the channel is sent again, and later ones go on a new channel. (A
    /// number given out again when nothing waits for it, e.g. after HEC dropped a channel that was idle, is harmless.)
    /// </summary>
    public string? TakeAckId(AckChannel channel, long ackId)
    {
        string? newChannel = null;
        int waiting;
        lock (_channelGate)
        {
            if (channel.Retired)
            {
                return $"HEC's acknowledgement numbering on channel {channel.Id} was reset; sending again";
            }

            waiting = channel.Awaited.Count;
            if (!channel.Awaited.Add(ackId))
            {
                channel.Retired = true;
                _channel = new AckChannel(Guid.NewGuid().ToString("D"));
                newChannel = _channel.Id;
            }
        }

        if (newChannel is null)
        {
            return null;
        }

        log.Log(PipelineLogLevel.Warning, component,
            $"HTTP Event Collector at {connection.Endpoint} gave out ackId {ackId} on channel {channel.Id} again while an earlier request waited for it: the " +
            "collector restarted, or a load balancer sent the request to another collector (indexer acknowledgement needs sticky sessions). The " +
            $"{waiting} request(s) awaiting acknowledgement on that channel are sent again (they may be indexed twice); requests go on channel {newChannel} now.");
        return $"HEC's acknowledgement numbering on channel {channel.Id} was reset (ackId {ackId} given out again); sending again";
    }

    public void Release(List<PendingAck> acks)
    {
        foreach (var ack in acks) ack.Release(_channelGate);
    }

    /// <summary>One poll: the ackIds HEC reports indexed, and what went wrong if the poll itself failed.</summary>
    private async Task<(HashSet<long> Ids, string? Problem)> PollAsync(AckChannel channel, List<PendingAck> pending, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("{\"acks\":[");
        query.AppendJoin(',', pending.Select(a => a.AckId));
        query.Append("]}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{AckPath}?channel={channel.Id}")
        {
            Content = new StringContent(query.ToString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(HecConnection.ChannelHeader, channel.Id);
        HttpStatusCode status;
        byte[] body;
        try
        {
            (status, body) = await connection.SendAsync(request, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ([], "acknowledgement poll timed out");
        }
        catch (HttpRequestException exception)
        {
            return ([], $"acknowledgement poll failed: {connection.ConnectionError(exception)}");
        }

        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw connection.Refused(status, HecAnswer.Parse(body), "the acknowledgement poll");
        }

        if (status != HttpStatusCode.OK)
        {
            var answer = HecAnswer.Parse(body);
            if (answer.Code == 14)
            {
                throw new SinkFatalException(
                    $"HTTP Event Collector at {connection.Endpoint} answered the acknowledgement poll with {answer}: enable indexer acknowledgement for the token or set Outputs:Splunk:UseAck=false.");
            }

            return ([], $"acknowledgement poll answered HTTP {(int)status}: {answer}");
        }

        var indexed = new HashSet<long>();
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("acks", out var acks) &&
                acks.ValueKind == JsonValueKind.Object)
            {
                foreach (var ack in acks.EnumerateObject())
                {
                    if (ack.Value.ValueKind == JsonValueKind.True && long.TryParse(ack.Name, out var id))
                    {
                        indexed.Add(id);
                    }
                }
            }
        }
        catch (JsonException exception)
        {
            return ([], $"unreadable acknowledgement answer: {exception.Message}");
        }

        return (indexed, null);
    }
}

/// <summary>
/// A request channel (<c>X-Splunk-Request-Channel</c>) and what HEC gave out on it; guarded by the channel lock of <see cref="HecAcknowledgements"/>.
/// </summary>
internal sealed class AckChannel(string id)
{
    public string Id { get; } = id;

    /// <summary>ackIds given out on the channel and not settled yet.</summary>
    public HashSet<long> Awaited { get; } = [];

    /// <summary>HEC's numbering was reset: nothing of the channel is acknowledged any more, nothing more is sent on it.</summary>
    public bool Retired;
}

/// <summary>A request's ackId, its channel and the batch positions of the events it covers.</summary>
internal sealed class PendingAck(AckChannel channel, long ackId, List<int> batchIndexes)
{
    private bool _settled;

    public AckChannel Channel { get; } = channel;

    public long AckId { get; } = ackId;

    /// <summary>Delivered, unless the channel was reset meanwhile (then false, and nothing is settled).</summary>
    public bool SettleDelivered(Lock gate, BatchOutcome outcome)
    {
        lock (gate)
        {
            if (Channel.Retired || !ReleaseHeld()) return false;
        }

        foreach (var index in batchIndexes) outcome.Delivered(index);
        return true;
    }

    /// <summary>Retried when the channel was reset: true when so.</summary>
    public bool SettleIfReset(Lock gate, BatchOutcome outcome)
    {
        lock (gate)
        {
            if (!Channel.Retired || !ReleaseHeld()) return false;
        }

        Retry(outcome, $"HEC's acknowledgement numbering on channel {Channel.Id} was reset before ackId {AckId} was reported; sending again");
        return true;
    }

    /// <summary>Retried (no acknowledgement in time).</summary>
    public void SettleRetry(Lock gate, BatchOutcome outcome, string reason)
    {
        Release(gate);
        Retry(outcome, reason);
    }

    /// <summary>The channel stops counting this ackId as awaited (once).</summary>
    public void Release(Lock gate)
    {
        lock (gate) ReleaseHeld();
    }

    private bool ReleaseHeld()
    {
        if (_settled) return false;
        _settled = true;
        Channel.Awaited.Remove(AckId);
        return true;
    }

    private void Retry(BatchOutcome outcome, string reason)
    {
        foreach (var index in batchIndexes) outcome.Retry(index, reason);
    }
}
