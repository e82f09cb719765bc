using System.Net;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>
/// Sends runs of a batch's envelopes as <c>POST /services/collector/event</c> requests (<see cref="HecConnection"/>) and
/// turns HEC's answers into the outcomes of their events.
/// </summary>
/// <remarks>
/// <para>Responses (HEC status codes as Splunk documents them): 200 → delivered, or with
/// <see cref="SplunkHecSinkOptions.UseAck"/> delivered once <c>/services/collector/ack</c> reports the request's
/// <c>ackId</c> indexed; no acknowledgement within <see cref="SplunkHecSinkOptions.AckTimeout"/> → the request's events
/// are sent again (at least once: they may then be indexed twice); so are the requests still awaiting acknowledgement
/// when HEC gives out one of their ackIds again (a restarted collector, or another one behind a load balancer), and
/// later requests go on a new channel. 429, 503 (server busy, queues full) and other 5xx, a proxy's 408, 425 and 404,
/// time-outs and connection errors → retried with the runner's back-off. 401/403 (token missing, invalid or disabled)
/// and 400 codes that no event can fix (7 incorrect index, 10/11 data channel, 14 acknowledgement disabled) →
/// <see cref="SinkFatalException"/>.</para>
/// <para>400 with <c>invalid-event-number</c> n: HEC stopped at the n-th event of the request (Splunk's REST API
/// reference: "the zero-based index of first invalid event in an event sequence"). That event is dead-lettered with
/// HEC's text and the events after it are sent again at once. Splunk's documentation says nothing explicit about the
/// events before it; HEC reads a request's events in order and passes on those it accepted before stopping (Splunk's
/// own collector team describes the number as where processing stopped), so they count as delivered and are not sent
/// again (that would index them twice). With acknowledgement on, an <c>ackId</c> in that answer is polled for them;
/// HEC's error answers carry none, so they then count as delivered unacknowledged (README "Splunk"). Other 4xx → every
/// event of the request is dead-lettered with HEC's text. An <c>invalid-event-number</c> in a 503 ("Server is busy")
/// is not used: there is no invalid event then, and no document says the events before it were taken, so the whole
/// request is retried.</para>
/// </remarks>
internal sealed class HecEventRequests(SplunkHecSinkOptions options, HecConnection connection, HecAcknowledgements acknowledgements)
{
    /// <summary>Sends items [from, to) as one request, and after an invalid event the rest of them again.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> body, List<int> items, List<int> ends, int from, int to,
        BatchOutcome outcome, List<PendingAck> awaitingAck, CancellationToken cancellationToken)
    {
        while (from < to)
        {
            var start = from == 0 ? 0 : ends[from - 1];
            var slice = body[start..ends[to - 1]];
            HttpStatusCode status;
            byte[] responseBody;
            var channel = acknowledgements.CurrentChannel;
            try
            {
                (status, responseBody) = await connection.PostEventsAsync(slice, channel.Id, cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                SetRange(outcome, items, from, to, ItemOutcome.Retry, $"request timed out after {options.RequestTimeout.TotalSeconds:0.###} s");
                return;
            }
            catch (HttpRequestException exception)
            {
                SetRange(outcome, items, from, to, ItemOutcome.Retry, $"connection error: {connection.ConnectionError(exception)}");
                return;
            }

            var answer = HecAnswer.Parse(responseBody);
            var code = (int)status;
            if (code == 200)
            {
                if (!options.UseAck)
                {
                    SetRange(outcome, items, from, to, ItemOutcome.Delivered, null);
                }
                else if (answer.AckId is { } ackId)
                {
                    if (acknowledgements.TakeAckId(channel, ackId) is { } reset)
                    {
                        SetRange(outcome, items, from, to, ItemOutcome.Retry, reset);
                    }
                    else
                    {
                        awaitingAck.Add(new PendingAck(channel, ackId, items.GetRange(from, to - from)));
                    }
                }
                else
                {
                    throw new SinkFatalException(
                        $"HTTP Event Collector at {connection.Endpoint} accepted events without an ackId: indexer acknowledgement is not enabled for this token; enable it or set Outputs:Splunk:UseAck=false.");
                }

                return;
            }

            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw connection.Refused(status, answer, "the events");
            }

            if (code == 400 && answer.Code is 7 or 10 or 11 or 14)
            {
                throw new SinkFatalException(
                    $"HTTP Event Collector at {connection.Endpoint} refused the events: {answer} ({ConfigurationHint(answer.Code!.Value)}).");
            }

            // 408 (a proxy's request time-out), 425 (too early) and 404 (a route gone while a proxy restarts) refuse the
            // request for the moment, not its events: sent again, as the Elasticsearch output does, not dead-lettered.
            if (code is 429 or 408 or 425 or 404 || code >= 500)
            {
                SetRange(outcome, items, from, to, ItemOutcome.Retry, $"HTTP {code}: {answer}");
                return;
            }

            if (code == 400 && answer.InvalidEventNumber is { } invalid && invalid >= 0 && invalid < to - from)
            {
                // HEC accepted the events before the invalid one (see the remarks); it is dead-lettered, the rest re-sent.
                if (invalid > 0)
                {
                    if (options.UseAck && answer.AckId is { } ackId)
                    {
                        if (acknowledgements.TakeAckId(channel, ackId) is { } reset)
                        {
                            SetRange(outcome, items, from, from + invalid, ItemOutcome.Retry, reset);
                        }
                        else
                        {
                            awaitingAck.Add(new PendingAck(channel, ackId, items.GetRange(from, invalid)));
                        }
                    }
                    else
                    {
                        SetRange(outcome, items, from, from + invalid, ItemOutcome.Delivered, null);
                    }
                }

                outcome.Reject(items[from + invalid], $"HEC refused the event: {answer}");
                from += invalid + 1;
                continue;
            }

            if (status == HttpStatusCode.RequestEntityTooLarge)
            {
                if (to - from > 1)
                {
                    // Below Outputs:Splunk:MaxRequestBytes the collector's max_content_length, or a proxy's body limit,
                    // refused the request as a whole: the halves go on their own, down to single events if need be.
                    var middle = from + ((to - from) / 2);
                    await SendAsync(body, items, ends, from, middle, outcome, awaitingAck, cancellationToken);
                    await SendAsync(body, items, ends, middle, to, outcome, awaitingAck, cancellationToken);
                    return;
                }

                outcome.Reject(items[from], $"HTTP 413: the event alone is larger than the collector accepts (max_content_length, or a proxy's limit): {answer}");
                return;
            }

            SetRange(outcome, items, from, to, ItemOutcome.Rejected, $"HTTP {code}: {answer}");
            return;
        }
    }

    private static string ConfigurationHint(int hecCode) => hecCode switch
    {
        7 => "the token may not write to Outputs:Splunk:Index; add the index to the token's allowed indexes or change Index",
        10 or 11 => "the request channel was refused",
        14 => "indexer acknowledgement is disabled for this token; enable it or set Outputs:Splunk:UseAck=false",
        _ => "configuration problem",
    };

    private static void SetRange(BatchOutcome outcome, List<int> items, int from, int to, ItemOutcome result, string? reason)
    {
        for (var k = from; k < to; k++)
        {
            switch (result)
            {
                case ItemOutcome.Delivered: outcome.Delivered(items[k]); break;
                case ItemOutcome.Retry: outcome.Retry(items[k], reason!); break;
                default: outcome.Reject(items[k], reason!); break;
            }
        }
    }
}
