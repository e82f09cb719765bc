using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZertForwarder.TestKit;

/// <summary>One event as the fake indexed it: its envelope and the request that carried it.</summary>
public sealed record HecIndexedEvent(JsonObject Envelope, string? Authorization, string? Channel, int Request)
{
    /// <summary><c>event.id</c> of the embedded ECS document.</summary>
    public string? EventId => Envelope["event"]?["event"]?["id"]?.GetValue<string>();
}

/// <summary>
/// A scripted stand-in for Splunk's HTTP Event Collector on 127.0.0.1 (Splunk cannot run here, test infrastructure §2).
/// It answers like HEC where the forwarder depends on it: <c>/services/collector/event</c> takes concatenated JSON
/// envelopes (gzip or not), checks the token (<c>Authorization: Splunk &lt;token&gt;</c>: 401 code 2/3, 403 code 4),
/// checks each envelope in order and stops at the first invalid one with 400, its text, code and
/// <c>invalid-event-number</c> (the events before it stay indexed); with acknowledgement on, it needs a
/// <c>X-Splunk-Request-Channel</c> (400 code 10), answers an <c>ackId</c> per request and reports it on
/// <c>/services/collector/ack</c> after a scripted number of polls; <c>/services/collector/health</c> answers code 17.
/// Faults are scripted per request number, per event and per ackId.
/// </summary>
public sealed class FakeSplunkHec : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, long> _nextAckId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Channel, long AckId), PendingRequest> _acks = new();
    private int _eventRequests;
    private int _gzipRequests;
    private int _ackPolls;
    private int _healthChecks;
    private int _faults;

    private FakeSplunkHec(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>The token HEC knows; any other is refused.</summary>
    public string Token { get; set; } = "11111111-2222-3333-4444-555555555555";

    /// <summary>Whether the token has indexer acknowledgement enabled.</summary>
    public bool AckEnabled { get; set; }

    /// <summary>How many polls an ackId stays <c>false</c> before it is reported indexed.</summary>
    public int PollsBeforeAck { get; set; } = 1;

    /// <summary>ackIds (per channel, from 0) whose events are lost before indexing: never indexed, never acknowledged.</summary>
    public Func<long, bool> LoseAck { get; set; } = _ => false;

    /// <summary>Event request number (1-based) → HTTP status to answer for the whole request without indexing anything.</summary>
    public Func<int, int?> RequestFault { get; set; } = _ => null;

    /// <summary>
    /// An <c>invalid-event-number</c> to put in the answer to a scripted 503 (HEC can give one with "Server is busy",
    /// code 9); the request is still not indexed at all, so a sender that trusted it would lose the events before it.
    /// </summary>
    public int? BusyInvalidEventNumber { get; set; }

    /// <summary>
    /// The body of the answer to a scripted <see cref="RequestFault"/> as a proxy or API gateway in front of HEC writes it
    /// (its own JSON, e.g. a <c>code</c> that is a word, not HEC's number); null: HEC's own answer.
    /// </summary>
    public string? ProxyFaultBody { get; set; }

    /// <summary>The ECS <c>event.id</c>s this fake finds invalid (answered as HEC's code 6, "Invalid data format").</summary>
    public ConcurrentDictionary<string, bool> InvalidEventIds { get; } = new(StringComparer.Ordinal);

    /// <summary>The indexes the token may write to (null: any); an envelope naming another gets HEC's 400 code 7.</summary>
    public HashSet<string>? AllowedIndexes { get; set; }

    /// <summary>
    /// HEC's <c>max_content_length</c> (limits.conf, 800 MB by default; a proxy in front may allow far less): a larger
    /// request body, as received, is answered 413 and nothing of it is indexed. Null: no limit.
    /// </summary>
    public int? MaxContentLength { get; set; }

    /// <summary>HTTP status of the health endpoint.</summary>
    public int HealthStatus { get; set; } = 200;

    /// <summary>Everything indexed, in order.</summary>
    public ConcurrentQueue<HecIndexedEvent> Indexed { get; } = new();

    /// <summary>Every event envelope received (indexed or not), by ECS event id: a re-send shows up here.</summary>
    public ConcurrentDictionary<string, int> Received { get; } = new(StringComparer.Ordinal);

    /// <summary>Uncompressed body sizes of the event requests, in order.</summary>
    public ConcurrentQueue<int> RequestSizes { get; } = new();

    /// <summary>The channel header of every event request (null when absent).</summary>
    public ConcurrentQueue<string?> Channels { get; } = new();

    public int EventRequests => Volatile.Read(ref _eventRequests);

    public int GzipRequests => Volatile.Read(ref _gzipRequests);

    public int AckPolls => Volatile.Read(ref _ackPolls);

    public int HealthChecks => Volatile.Read(ref _healthChecks);

    /// <summary>Requests answered with a scripted fault.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <param name="serverCertificate">Serve HTTPS with this certificate instead of plain HTTP.</param>
    public static async Task<FakeSplunkHec> StartAsync(X509Certificate2? serverCertificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (serverCertificate is not null)
            {
                listen.UseHttps(serverCertificate);
            }
        }));
        var app = builder.Build();
        var fake = new FakeSplunkHec(app);
        app.MapGet("/services/collector/health", (RequestDelegate)fake.Health);
        app.MapPost("/services/collector/event", (RequestDelegate)fake.Event);
        app.MapPost("/services/collector/ack", (RequestDelegate)fake.Ack);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Url = new Uri(address);
        return fake;
    }

    /// <summary>
    /// What a restart does to indexer acknowledgement (HEC keeps it in memory): every channel starts again, its ackIds
    /// from 0, and the ackIds given out before are forgotten (script the loss of those not yet indexed with
    /// <see cref="LoseAck"/>). A load balancer that sends a request to another collector does the same to a channel.
    /// </summary>
    public void ForgetAcknowledgements()
    {
        _nextAckId.Clear();
        _acks.Clear();
    }

    /// <summary>How many times an event id was indexed (a delivery guarantee holds when this is 1 for every event).</summary>
    public int IndexedCount(string eventId) => Indexed.Count(e => e.EventId == eventId);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task Health(HttpContext context)
    {
        Interlocked.Increment(ref _healthChecks);
        await Answer(context, HealthStatus, HealthStatus == 200 ? "HEC is healthy" : "HEC is unhealthy, queues are full", HealthStatus == 200 ? 17 : 18);
    }

    /// <summary>HEC's token check: 401 without or with a malformed header, 403 for a token it does not know.</summary>
    private bool Authorized(HttpContext context, out Task refusal)
    {
        var header = context.Request.Headers.Authorization.ToString();
        refusal = Task.CompletedTask;
        if (header.Length == 0)
        {
            refusal = Answer(context, 401, "Token is required", 2);
            return false;
        }

        if (!header.StartsWith("Splunk ", StringComparison.Ordinal))
        {
            refusal = Answer(context, 401, "Invalid authorization", 3);
            return false;
        }

        if (header["Splunk ".Length..] != Token)
        {
            refusal = Answer(context, 403, "Invalid token", 4);
            return false;
        }

        return true;
    }

    private async Task Event(HttpContext context)
    {
        var requestNumber = Interlocked.Increment(ref _eventRequests);
        if (!Authorized(context, out var refusal))
        {
            await refusal;
            return;
        }

        var channel = context.Request.Headers["X-Splunk-Request-Channel"].Count > 0 ? context.Request.Headers["X-Splunk-Request-Channel"].ToString() : null;
        Channels.Enqueue(channel);
        var body = await ReadBody(context);
        RequestSizes.Enqueue(body.Length);
        if (MaxContentLength is { } maxLength && context.Request.ContentLength > maxLength)
        {
            Interlocked.Increment(ref _faults);
            await Answer(context, 413, "Content-Length of the request exceeds max_content_length", 27);
            return;
        }

        if (RequestFault(requestNumber) is { } status)
        {
            Interlocked.Increment(ref _faults);
            if (ProxyFaultBody is { } proxyBody)
            {
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(proxyBody, Encoding.UTF8);
                return;
            }

            var (text, code) = status switch
            {
                401 => ("Token is required", 2),
                403 => ("Token disabled", 1),
                503 => ("Server is busy", 9),
                _ => ("Internal server error", 8),
            };
            if (status == 503 && BusyInvalidEventNumber is { } busyAt)
            {
                await WriteJson(context, status, new JsonObject { ["text"] = text, ["code"] = code, ["invalid-event-number"] = busyAt });
                return;
            }

            await Answer(context, status, text, code);
            return;
        }

        if (AckEnabled && channel is null)
        {
            await Answer(context, 400, "Data channel is missing", 10);
            return;
        }

        if (AckEnabled && !Guid.TryParse(channel, out _))
        {
            await Answer(context, 400, "Invalid data channel", 11);
            return;
        }

        // HEC reads the envelopes one after another and stops at the first it cannot take.
        var accepted = new List<JsonObject>();
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowMultipleValues = true });
        int? invalidAt = null;
        (string Text, int Code) error = default;
        while (true)
        {
            JsonNode? node;
            try
            {
                if (!reader.Read())
                {
                    break;
                }

                node = JsonNode.Parse(ref reader);
            }
            catch (JsonException)
            {
                invalidAt = accepted.Count;
                error = ("Invalid data format", 6);
                break;
            }

            if (node is not JsonObject envelope)
            {
                invalidAt = accepted.Count;
                error = ("Invalid data format", 6);
                break;
            }

            var id = envelope["event"]?["event"]?["id"]?.GetValue<string>();
            if (id is not null)
            {
                Received.AddOrUpdate(id, 1, (_, n) => n + 1);
            }

            var problem = Check(envelope, id);
            if (problem is not null)
            {
                invalidAt = accepted.Count;
                error = problem.Value;
                break;
            }

            accepted.Add(envelope);
        }

        if (accepted.Count == 0 && invalidAt is null)
        {
            await Answer(context, 400, "No data", 5);
            return;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        var ackId = AckEnabled && invalidAt is null ? _nextAckId.AddOrUpdate(channel!, 0, (_, n) => n + 1) : (long?)null;
        if (ackId is { } id2 && LoseAck(id2))
        {
            _acks[(channel!, id2)] = new PendingRequest(lost: true); // accepted, then lost before indexing
        }
        else
        {
            foreach (var envelope in accepted)
            {
                Indexed.Enqueue(new HecIndexedEvent(envelope, authorization, channel, requestNumber));
            }

            if (ackId is { } id3)
            {
                _acks[(channel!, id3)] = new PendingRequest(lost: false);
            }
        }

        if (invalidAt is { } n2)
        {
            await WriteJson(context, 400, new JsonObject { ["text"] = error.Text, ["code"] = error.Code, ["invalid-event-number"] = n2 });
            return;
        }

        var success = new JsonObject { ["text"] = "Success", ["code"] = 0 };
        if (ackId is { } id4)
        {
            success["ackId"] = id4;
        }

        await WriteJson(context, 200, success);
    }

    /// <summary>HEC's per-event checks (the ones an envelope from this product could meet), then the scripted ones.</summary>
    private (string Text, int Code)? Check(JsonObject envelope, string? id)
    {
        if (!envelope.TryGetPropertyValue("event", out var payload) || payload is null)
        {
            return ("Event field is required", 12);
        }

        if (payload is JsonValue value && value.TryGetValue<string>(out var text) && string.IsNullOrWhiteSpace(text))
        {
            return ("Event field cannot be blank", 13);
        }

        if (envelope["time"] is { } time && time.GetValueKind() != JsonValueKind.Number)
        {
            return ("Invalid data format", 6);
        }

        if (envelope["fields"] is JsonObject fields && fields.Any(f => f.Value is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            return ("Error in handling indexed fields", 15);
        }

        if (AllowedIndexes is not null && envelope["index"]?.GetValue<string>() is { } index && !AllowedIndexes.Contains(index))
        {
            return ("Incorrect index", 7);
        }

        return id is not null && InvalidEventIds.ContainsKey(id) ? ("Invalid data format", 6) : null;
    }

    private async Task Ack(HttpContext context)
    {
        Interlocked.Increment(ref _ackPolls);
        if (!Authorized(context, out var refusal))
        {
            await refusal;
            return;
        }

        if (!AckEnabled)
        {
            await Answer(context, 400, "ACK is disabled", 14);
            return;
        }

        var channel = context.Request.Query["channel"].ToString();
        if (channel.Length == 0)
        {
            channel = context.Request.Headers["X-Splunk-Request-Channel"].ToString();
        }

        if (channel.Length == 0)
        {
            await Answer(context, 400, "Data channel is missing", 10);
            return;
        }

        var query = JsonNode.Parse(await ReadBody(context))!["acks"]!.AsArray();
        var statuses = new JsonObject();
        foreach (var item in query)
        {
            var id = item!.GetValue<long>();
            var indexed = false;
            if (_acks.TryGetValue((channel, id), out var pending) && !pending.Lost)
            {
                indexed = Interlocked.Increment(ref pending.Polls) > PollsBeforeAck;
                if (indexed)
                {
                    _acks.TryRemove((channel, id), out _); // HEC forgets an ackId once it has reported it
                }
            }

            statuses[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = indexed;
        }

        await WriteJson(context, 200, new JsonObject { ["acks"] = statuses });
    }

    private async Task<byte[]> ReadBody(HttpContext context)
    {
        Stream stream = context.Request.Body;
        if (context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _gzipRequests);
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static Task Answer(HttpContext context, int status, string text, int code) =>
        WriteJson(context, status, new JsonObject { ["text"] = text, ["code"] = code });

    private static async Task WriteJson(HttpContext context, int status, JsonObject json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json.ToJsonString(), Encoding.UTF8);
    }

    /// <summary>An ackId not yet reported: how often it was polled, and whether its events were lost.</summary>
    private sealed class PendingRequest(bool lost)
    {
        public int Polls;

        public bool Lost { get; } = lost;
    }
}
