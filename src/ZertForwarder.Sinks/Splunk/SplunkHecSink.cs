using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>
/// Sends ECS documents to Splunk's HTTP Event Collector: one envelope per event (see <see cref="HecEnvelopeWriter"/>),
/// batched by concatenation into <c>POST /services/collector/event</c> requests of at most
/// <see cref="SplunkHecSinkOptions.MaxRequestBytes"/>.
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
public sealed class SplunkHecSink : ISink
{
    private const string EventPath = "services/collector/event";
    private const string AckPath = "services/collector/ack";
    private const string HealthPath = "services/collector/health";
    private const string ChannelHeader = "X-Splunk-Request-Channel";

    private readonly SplunkHecSinkOptions _options;
    private readonly IPipelineLog _log;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly X509Certificate2Collection? _trustedRoots;
    private readonly HecEnvelopeWriter _envelopes;
    private readonly string _endpoint;
    private readonly string _host;

    /// <summary>
    /// Why the last TLS handshake was refused (set by the certificate check), for the error or retry reason of that
    /// handshake only: taken by the first TLS failure that reports it (<see cref="ConnectionError"/>).
    /// </summary>
    private string? _certificateProblem;

    // Envelope and compression buffers are reused: fresh megabyte-sized buffers per batch would land on the large
    // object heap and cost a full collection every few batches.
    private readonly ConcurrentBag<ArrayBufferWriter<byte>> _bodies = [];
    private readonly ConcurrentBag<MemoryStream> _compressionBuffers = [];

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
        _time = timeProvider ?? TimeProvider.System;
        _envelopes = new HecEnvelopeWriter(options.Source, options.Index);
        // A channel per sink instance (a new one when HEC's acknowledgement state was reset): HEC keeps acknowledgement
        // state per channel (it is never part of an event).
        _channel = new AckChannel(Guid.NewGuid().ToString("D"));

        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.GZip,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.RequestTimeout,
        };
        if (!string.IsNullOrEmpty(options.CaFile))
        {
            var (roots, problem) = SplunkHecSinkOptions.TryLoadCaFile(options.CaFile);
            _trustedRoots = roots ?? throw new ArgumentException(problem, nameof(options));
        }

        // With or without CaFile: the same verification as the system's, plus the reason of a refusal for the error.
        handler.SslOptions.RemoteCertificateValidationCallback = ValidateServerCertificate;
        var baseUri = new Uri(options.Url.EndsWith('/') ? options.Url : options.Url + "/");
        _host = baseUri.Host;
        // Logs name the collector by scheme, host and port only: a path could hold something private.
        _endpoint = baseUri.GetLeftPart(UriPartial.Authority);
        var token = options.Token?.Trim();
        if (!string.IsNullOrEmpty(options.TokenFile))
        {
            var (fromFile, problem) = SplunkHecSinkOptions.TryReadTokenFile(options.TokenFile);
            token = fromFile ?? throw new ArgumentException(problem, nameof(options));
        }

        _http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Splunk", token);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ZertForwarder", "1.0"));
    }

    public string Name => "splunk";

    /// <summary>
    /// The <c>X-Splunk-Request-Channel</c> the sink sends events on now (required by HEC when acknowledgement is on). It
    /// changes only when HEC's acknowledgement state of the channel was reset (<see cref="TakeAckId"/>).
    /// </summary>
    public string Channel => Volatile.Read(ref _channel).Id;

    private readonly Lock _channelGate = new();
    private AckChannel _channel;

    /// <summary>With acknowledgement on, several batches wait for their ackIds at once; HEC does not promise order within a channel anyway.</summary>
    public int MaxConcurrentBatches => _options.UseAck ? _options.MaxBatchesAwaitingAck : 1;

    /// <summary>Probes <c>/services/collector/health</c>: fails when HEC cannot be reached or refuses the token.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, HealthPath);
        var (status, body) = await SendControlAsync(request, cancellationToken);
        var answer = HecAnswer.Parse(body);
        switch ((int)status)
        {
            case 200:
                _log.Log(PipelineLogLevel.Information, Name,
                    $"HTTP Event Collector at {_endpoint} is healthy ({answer.Text ?? "no text"}); acknowledgement {(_options.UseAck ? "on, channel " + Channel : "off")}.");
                return;
            case 401 or 403:
                throw Refused(status, answer, "the health check");
            case 503:
                // Busy or queues full: sending is retried with back-off, so this is not a reason to refuse to start.
                _log.Log(PipelineLogLevel.Warning, Name, $"HTTP Event Collector at {_endpoint} reports itself unhealthy: {answer}; events will be retried until it recovers.");
                return;
            default:
                throw new InvalidOperationException($"HTTP Event Collector at {_endpoint} answered the health check with HTTP {(int)status}: {answer}.");
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

                await SendRequestAsync(body.WrittenMemory, items, ends, first, last + 1, outcome, awaitingAck, cancellationToken);
                first = last + 1;
            }

            if (awaitingAck.Count > 0)
            {
                await AwaitAcknowledgementsAsync(awaitingAck, outcome, cancellationToken);
            }
        }
        finally
        {
            // Cancelled or stopped for good, also by a later request of the batch: the channel no longer counts these
            // ackIds as waiting (their events stay unacknowledged). One left waiting would stay in the channel for good
            // and, once HEC numbers the channel from 0 again (ack_idle_cleanup), be taken for a collector restart.
            foreach (var ack in awaitingAck) ack.Release(_channelGate);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask; // every batch is settled inside SendAsync

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends items [from, to) as one request, and after an invalid event the rest of them again.</summary>
    private async Task SendRequestAsync(ReadOnlyMemory<byte> body, List<int> items, List<int> ends, int from, int to,
        BatchOutcome outcome, List<PendingAck> awaitingAck, CancellationToken cancellationToken)
    {
        while (from < to)
        {
            var start = from == 0 ? 0 : ends[from - 1];
            var slice = body[start..ends[to - 1]];
            HttpStatusCode status;
            byte[] responseBody;
            var channel = Volatile.Read(ref _channel);
            using (var request = new HttpRequestMessage(HttpMethod.Post, EventPath) { Content = EventContent(slice) })
            {
                request.Headers.Add(ChannelHeader, channel.Id);
                try
                {
                    (status, responseBody) = await SendWithTimeoutAsync(request, cancellationToken);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    SetRange(outcome, items, from, to, ItemOutcome.Retry, $"request timed out after {_options.RequestTimeout.TotalSeconds:0.###} s");
                    return;
                }
                catch (HttpRequestException exception)
                {
                    SetRange(outcome, items, from, to, ItemOutcome.Retry, $"connection error: {ConnectionError(exception)}");
                    return;
                }
            }

            var answer = HecAnswer.Parse(responseBody);
            var code = (int)status;
            if (code == 200)
            {
                if (!_options.UseAck)
                {
                    SetRange(outcome, items, from, to, ItemOutcome.Delivered, null);
                }
                else if (answer.AckId is { } ackId)
                {
                    if (TakeAckId(channel, ackId) is { } reset)
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
                        $"HTTP Event Collector at {_endpoint} accepted events without an ackId: indexer acknowledgement is not enabled for this token; enable it or set Outputs:Splunk:UseAck=false.");
                }

                return;
            }

            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw Refused(status, answer, "the events");
            }

            if (code == 400 && answer.Code is 7 or 10 or 11 or 14)
            {
                throw new SinkFatalException(
                    $"HTTP Event Collector at {_endpoint} refused the events: {answer} ({ConfigurationHint(answer.Code!.Value)}).");
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
                    if (_options.UseAck && answer.AckId is { } ackId)
                    {
                        if (TakeAckId(channel, ackId) is { } reset)
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
                    await SendRequestAsync(body, items, ends, from, middle, outcome, awaitingAck, cancellationToken);
                    await SendRequestAsync(body, items, ends, middle, to, outcome, awaitingAck, cancellationToken);
                    return;
                }

                outcome.Reject(items[from], $"HTTP 413: the event alone is larger than the collector accepts (max_content_length, or a proxy's limit): {answer}");
                return;
            }

            SetRange(outcome, items, from, to, ItemOutcome.Rejected, $"HTTP {code}: {answer}");
            return;
        }
    }

    /// <summary>
    /// Polls <c>/services/collector/ack</c> until every ackId is reported indexed or <see cref="SplunkHecSinkOptions.AckTimeout"/>
    /// has passed; the events of an acknowledged request are delivered, the others are retried (sent again), and so are
    /// those whose channel was reset meanwhile (<see cref="TakeAckId"/>): their ackIds may now be other requests'.
    /// </summary>
    private async Task AwaitAcknowledgementsAsync(List<PendingAck> pending, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
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
                var acknowledged = await PollAcknowledgementsAsync(onChannel.Key, [.. onChannel], cancellationToken);
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
            var remaining = _options.AckTimeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                var ids = string.Join(", ", items.Select(a => a.AckId));
                _log.Log(PipelineLogLevel.Warning, Name,
                    $"No indexer acknowledgement within {_options.AckTimeout} for ackId(s) {ids} ({lastProblem}); sending those events again (they may be indexed twice).");
                foreach (var ack in items)
                {
                    ack.SettleRetry(_channelGate, outcome, $"no indexer acknowledgement for ackId {ack.AckId} within {_options.AckTimeout} ({lastProblem})");
                }

                return;
            }

            await Task.Delay(remaining < _options.AckPollInterval ? remaining : _options.AckPollInterval, _time, cancellationToken);
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
    private string? TakeAckId(AckChannel channel, long ackId)
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

        _log.Log(PipelineLogLevel.Warning, Name,
            $"HTTP Event Collector at {_endpoint} gave out ackId {ackId} on channel {channel.Id} again while an earlier request waited for it: the " +
            "collector restarted, or a load balancer sent the request to another collector (indexer acknowledgement needs sticky sessions). The " +
            $"{waiting} request(s) awaiting acknowledgement on that channel are sent again (they may be indexed twice); requests go on channel {newChannel} now.");
        return $"HEC's acknowledgement numbering on channel {channel.Id} was reset (ackId {ackId} given out again); sending again";
    }

    /// <summary>One poll: the ackIds HEC reports indexed, and what went wrong if the poll itself failed.</summary>
    private async Task<(HashSet<long> Ids, string? Problem)> PollAcknowledgementsAsync(AckChannel channel, List<PendingAck> pending, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("{\"acks\":[");
        query.AppendJoin(',', pending.Select(a => a.AckId));
        query.Append("]}");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{AckPath}?channel={channel.Id}")
        {
            Content = new StringContent(query.ToString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(ChannelHeader, channel.Id);
        HttpStatusCode status;
        byte[] body;
        try
        {
            (status, body) = await SendWithTimeoutAsync(request, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ([], "acknowledgement poll timed out");
        }
        catch (HttpRequestException exception)
        {
            return ([], $"acknowledgement poll failed: {ConnectionError(exception)}");
        }

        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw Refused(status, HecAnswer.Parse(body), "the acknowledgement poll");
        }

        if (status != HttpStatusCode.OK)
        {
            var answer = HecAnswer.Parse(body);
            if (answer.Code == 14)
            {
                throw new SinkFatalException(
                    $"HTTP Event Collector at {_endpoint} answered the acknowledgement poll with {answer}: enable indexer acknowledgement for the token or set Outputs:Splunk:UseAck=false.");
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

    private HttpContent EventContent(ReadOnlyMemory<byte> body)
    {
        // The content owns its bytes: the shared buffers go back to the pool while the handler may still hold it.
        HttpContent content;
        if (_options.Gzip)
        {
            var compressed = _compressionBuffers.TryTake(out var reused) ? reused : new MemoryStream(128 * 1024);
            compressed.SetLength(0);
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(body.Span);
            }

            content = new ByteArrayContent(compressed.ToArray());
            _compressionBuffers.Add(compressed);
            content.Headers.ContentEncoding.Add("gzip");
        }
        else
        {
            content = new ByteArrayContent(body.ToArray());
        }

        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<(HttpStatusCode Status, byte[] Body)> SendWithTimeoutAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var response = await _http.SendAsync(request, linked.Token);
        var body = await response.Content.ReadAsByteArrayAsync(linked.Token);
        return (response.StatusCode, body);
    }

    /// <summary>A start-up request: failures become exceptions that name the collector (the host reports them and exits 2).</summary>
    private async Task<(HttpStatusCode Status, byte[] Body)> SendControlAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await SendWithTimeoutAsync(request, cancellationToken);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"HTTP Event Collector at {_endpoint} did not answer the health check within {_options.RequestTimeout}.", exception);
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException($"Cannot reach the HTTP Event Collector at {_endpoint}: {ConnectionError(exception)}", exception);
        }
    }

    private SinkFatalException Refused(HttpStatusCode status, HecAnswer answer, string what) =>
        new($"HTTP Event Collector at {_endpoint} refused {what} with HTTP {(int)status} ({answer}); check Outputs:Splunk:Token/TokenFile and that the token is enabled.");

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

    /// <summary>
    /// Accepts a certificate the system trusts, or one that chains to a certificate in <c>CaFile</c>; the host name must
    /// match either way. A refusal is kept (<see cref="_certificateProblem"/>) in words that say what to change.
    /// </summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var refusal = ServerCertificateTrust.Check(certificate, chain, errors, _trustedRoots);
        if (refusal == CertificateRefusal.None)
        {
            return true;
        }

        Volatile.Write(ref _certificateProblem, ServerCertificateTrust.Describe(refusal, certificate, errors, _endpoint, _host,
            "connect by one of those names (Outputs:Splunk:Url)", "Outputs:Splunk:CaFile", _trustedRoots is null ? null : _options.CaFile));
        return false;
    }

    /// <summary>
    /// What went wrong with a connection: the certificate refusal in full when that was it (the client's own words are
    /// "see inner exception"). A refusal is reported once, by the failure of its handshake: a later TLS failure (the
    /// collector serving plain HTTP, say) is not that certificate again.
    /// </summary>
    private string ConnectionError(HttpRequestException exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException handshake)
            {
                return Interlocked.Exchange(ref _certificateProblem, null) is { } problem
                    ? "TLS certificate refused: " + problem
                    : $"TLS handshake failed: {handshake.Message}";
            }
        }

        return exception.Message;
    }

    /// <summary>
    /// A request channel (<c>X-Splunk-Request-Channel</c>) and what HEC gave out on it; guarded by the sink's channel lock.
    /// </summary>
    private sealed class AckChannel(string id)
    {
        public string Id { get; } = id;

        /// <summary>ackIds given out on the channel and not settled yet.</summary>
        public HashSet<long> Awaited { get; } = [];

        /// <summary>HEC's numbering was reset: nothing of the channel is acknowledged any more, nothing more is sent on it.</summary>
        public bool Retired;
    }

    /// <summary>A request's ackId, its channel and the batch positions of the events it covers.</summary>
    private sealed class PendingAck(AckChannel channel, long ackId, List<int> batchIndexes)
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

    /// <summary>The JSON HEC answers with: <c>{"text":..., "code":..., "invalid-event-number":..., "ackId":...}</c>.</summary>
    private readonly record struct HecAnswer(string? Text, int? Code, int? InvalidEventNumber, long? AckId, string? Raw)
    {
        public static HecAnswer Parse(byte[] body)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    return new HecAnswer(
                        root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null,
                        root.TryGetProperty("code", out var code) && code.TryGetInt32(out var c) ? c : null,
                        root.TryGetProperty("invalid-event-number", out var invalid) && invalid.TryGetInt32(out var n) ? n : null,
                        root.TryGetProperty("ackId", out var ack) && ack.TryGetInt64(out var a) ? a : null,
                        null);
                }
            }
            catch (JsonException)
            {
                // not JSON (a proxy's error page): shown as an excerpt
            }

            var excerpt = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).ReplaceLineEndings(" ").Trim();
            return new HecAnswer(null, null, null, null, excerpt.Length == 0 ? "no response body" : excerpt);
        }

        public override string ToString() =>
            Raw ?? $"\"{Text}\" (code {Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}" +
            (InvalidEventNumber is { } n ? $", invalid-event-number {n})" : ")");
    }
}
