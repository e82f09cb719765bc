using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZertForwarder.TestKit;

/// <summary>Where a scripted response stops until the client gives up or the fake is disposed.</summary>
public enum ResponseStall
{
    None,

    /// <summary>Nothing is answered, not even the status line.</summary>
    BeforeHeaders,

    /// <summary>Status 200 and the headers are sent, then the first bytes of a body, then nothing.</summary>
    AfterHeaders,
}

/// <summary>
/// A scripted stand-in for an Elasticsearch node on 127.0.0.1 (no real server can run here, test
/// infrastructure §2). It behaves like the bulk API where the forwarder depends on it: documents are stored by
/// <c>_index</c>/<c>_id</c>, <c>create</c> of an existing id answers 409, the body must end with a newline, gzip
/// bodies are accepted; every response carries <c>X-Elastic-Product: Elasticsearch</c>. Faults are scripted per
/// request number and per item, delays per API (<see cref="ApiDelay"/>).
/// </summary>
public sealed class FakeElasticsearch : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, int> _attemptsById = new(StringComparer.Ordinal);
    private int _bulkRequests;
    private int _created;
    private int _conflicts;
    private int _itemFaults;
    private int _requestFaults;
    private int _delayedRequests;
    private int _delayedRequestsProcessed;
    private int _gzipRequests;
    private int _bulkInFlight;
    private int _tooLarge;
    private int _requests;
    private int _stalled;
    private int _heldRequests;

    private FakeElasticsearch(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Stored documents: (index, id) → source JSON.</summary>
    public ConcurrentDictionary<(string Index, string Id), string> Documents { get; } = new();

    public ConcurrentDictionary<string, string> ComponentTemplates { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string> IndexTemplates { get; } = new(StringComparer.Ordinal);

    /// <summary>Template PUT paths in arrival order.</summary>
    public ConcurrentQueue<string> TemplatePuts { get; } = new();

    /// <summary><c>POST /&lt;data stream&gt;/_rollover</c> requests in arrival order: path and query.</summary>
    public ConcurrentQueue<string> Rollovers { get; } = new();

    /// <summary>The <c>Authorization</c> header of every request (null when absent).</summary>
    public ConcurrentQueue<string?> AuthorizationHeaders { get; } = new();

    /// <summary>When set, any request with another <c>Authorization</c> header gets 401.</summary>
    public string? RequiredAuthorization { get; set; }

    /// <summary>Bulk request number (1-based) → HTTP status to answer for the whole request without processing it.</summary>
    public Func<int, int?> RequestFault { get; set; } = _ => null;

    /// <summary>Bulk request number → how long to wait before processing it (the request is still processed).</summary>
    public Func<int, TimeSpan?> RequestDelay { get; set; } = _ => null;

    /// <summary>
    /// API → how long to hold each of its requests before handling it, like a cluster (or a host) slow to answer that
    /// API. The API is the method and the path's first segment: <c>GET /</c> (the probe), <c>GET /_component_template</c>,
    /// <c>PUT /_index_template</c>, <c>POST /_bulk</c>. A request whose client gives up meanwhile is not handled;
    /// <see cref="Timeout.InfiniteTimeSpan"/> holds it until then (or until the fake is disposed).
    /// </summary>
    public Func<string, TimeSpan?> ApiDelay { get; set; } = _ => null;

    /// <summary>Requests held by <see cref="ApiDelay"/>, counted as they arrive (before the delay).</summary>
    public int HeldRequests => Volatile.Read(ref _heldRequests);

    /// <summary>
    /// Largest bulk body (uncompressed bytes) accepted; a larger one gets 413 like <c>http.max_content_length</c>
    /// (null: no limit).
    /// </summary>
    public int? MaxContentLength { get; set; }

    /// <summary>Bulk requests answered 413 because of <see cref="MaxContentLength"/>.</summary>
    public int TooLargeRequests => Volatile.Read(ref _tooLarge);

    /// <summary>How the start-up probe (<c>GET /</c>) is answered: normally, or not at all past a point.</summary>
    public ResponseStall ProbeStall { get; set; }

    /// <summary>
    /// Bulk request number → true to answer it with 200, the headers and the start of a body, then nothing until the
    /// client gives up or the fake is disposed (its items are not processed).
    /// </summary>
    public Func<int, bool> BulkBodyStall { get; set; } = _ => false;

    /// <summary>Responses stalled (by <see cref="ProbeStall"/> or <see cref="BulkBodyStall"/>): counted once what is sent of them is sent.</summary>
    public int StalledResponses => Volatile.Read(ref _stalled);

    /// <summary>Requests of any kind received (pings and probes included).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>
    /// (document id, attempt for that id starting at 1) → item status to answer instead of storing it, with the error
    /// Elasticsearch gives: 400 mapper_parsing_exception, 401/403 security_exception (no index privilege), 404
    /// index_not_found_exception (no data stream and auto-creation off), others es_rejected_execution_exception.
    /// </summary>
    public Func<string, int, int?> ItemFault { get; set; } = (_, _) => null;

    public int BulkRequests => Volatile.Read(ref _bulkRequests);

    /// <summary>Items answered 201 (stored for the first time).</summary>
    public int Created => Volatile.Read(ref _created);

    /// <summary>Items answered 409 (already there).</summary>
    public int Conflicts => Volatile.Read(ref _conflicts);

    public int ItemFaults => Volatile.Read(ref _itemFaults);

    public int RequestFaults => Volatile.Read(ref _requestFaults);

    public int DelayedRequests => Volatile.Read(ref _delayedRequests);

    /// <summary>Delayed requests whose items were processed after the delay (the client may have given up long before).</summary>
    public int DelayedRequestsProcessed => Volatile.Read(ref _delayedRequestsProcessed);

    /// <summary>Bulk requests being processed now (including ones whose client already gave up).</summary>
    public int BulkInFlight => Volatile.Read(ref _bulkInFlight);

    public int GzipRequests => Volatile.Read(ref _gzipRequests);

    /// <param name="serverCertificate">Serve HTTPS with this certificate instead of plain HTTP.</param>
    /// <param name="port">Listen on this port (to come back where a stopped node was); 0 picks a free one.</param>
    public static async Task<FakeElasticsearch> StartAsync(X509Certificate2? serverCertificate = null, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
        {
            if (serverCertificate is not null)
            {
                // Through the handshake callback: Kestrel's own UseHttps(certificate) refuses a certificate without
                // serverAuth, which the clients' refusal of one is tested with.
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions { ServerCertificate = serverCertificate }),
                });
            }
        }));
        var app = builder.Build();
        var fake = new FakeElasticsearch(app);

        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Elastic-Product"] = "Elasticsearch";
            Interlocked.Increment(ref fake._requests);
            var authorization = context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null;
            fake.AuthorizationHeaders.Enqueue(authorization);
            if (fake.RequiredAuthorization is not null && authorization != fake.RequiredAuthorization)
            {
                await WriteJson(context, 401, """{"error":{"type":"security_exception","reason":"unable to authenticate user"},"status":401}""");
                return;
            }

            if (fake.ApiDelay(Api(context.Request)) is { } delay && !await fake.HoldAsync(context, delay))
            {
                return;
            }

            await next(context);
        });
        app.MapMethods("/", ["GET", "HEAD"], (RequestDelegate)(context => context.Request.Method == "HEAD"
            ? WriteJson(context, 200, "")
            : fake.ProbeStall != ResponseStall.None
            ? fake.StallAsync(context, fake.ProbeStall == ResponseStall.AfterHeaders ? """{"name":"fake-node","cluster_name":""" : null)
            : WriteJson(context, 200,
                """{"name":"fake-node","cluster_name":"fake","cluster_uuid":"x6Q2vB3mTfWn0cGz1yAaLw","version":{"number":"9.2.0","build_flavor":"default","build_type":"tar","build_hash":"0000000","build_date":"2026-10-01T00:00:00.000Z","build_snapshot":false,"lucene_version":"10.3.1","minimum_wire_compatibility_version":"8.19.0","minimum_index_compatibility_version":"8.0.0"},"tagline":"You Know, for Search"}""")));
        app.MapPut("/_component_template/{name}", (RequestDelegate)(context => fake.PutTemplate(context, fake.ComponentTemplates)));
        app.MapPut("/_index_template/{name}", (RequestDelegate)(context => fake.PutTemplate(context, fake.IndexTemplates)));
        app.MapGet("/_component_template/{name}", (RequestDelegate)(context => fake.GetTemplate(context, fake.ComponentTemplates, "component_templates", "component_template")));
        app.MapGet("/_index_template/{name}", (RequestDelegate)(context => fake.GetTemplate(context, fake.IndexTemplates, "index_templates", "index_template")));
        app.MapPost("/_bulk", (RequestDelegate)fake.Bulk);
        app.MapPost("/{name}/_rollover", (RequestDelegate)fake.Rollover);

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.Url = new Uri(address);
        return fake;
    }

    /// <summary>Documents stored per id (any index): a replay must never make this larger than 1.</summary>
    public int DocumentsWithId(string id) => Documents.Keys.Count(k => k.Id == id);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync(); // stalled responses end first, or stopping would wait for them
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary><c>PUT /_component_template</c> for <c>PUT /_component_template/zert-settings</c>, <c>GET /</c> for the root.</summary>
    private static string Api(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        var end = path.IndexOf('/', 1);
        return $"{request.Method} {(end < 0 ? path : path[..end])}";
    }

    /// <summary>Waits <paramref name="delay"/>; false when the client gave up or the fake is stopping first (the request is then dropped).</summary>
    private async Task<bool> HoldAsync(HttpContext context, TimeSpan delay)
    {
        Interlocked.Increment(ref _heldRequests);
        using var until = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await Task.Delay(delay, until.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            context.Abort();
            return false;
        }
    }

    /// <summary>Sends the headers and <paramref name="bodyStart"/> (when not null), then waits for the client or the end of the test.</summary>
    private async Task StallAsync(HttpContext context, string? bodyStart)
    {
        if (bodyStart is not null)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync();
            await context.Response.WriteAsync(bodyStart);
            await context.Response.Body.FlushAsync();
        }

        Interlocked.Increment(ref _stalled);
        using var until = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, until.Token);
        }
        catch (OperationCanceledException)
        {
            context.Abort();
        }
    }

    private async Task PutTemplate(HttpContext context, ConcurrentDictionary<string, string> store)
    {
        var body = await ReadBody(context);
        JsonNode.Parse(body); // a template that is not JSON would be a 400 from a real cluster
        store[(string)context.Request.RouteValues["name"]!] = body;
        TemplatePuts.Enqueue(context.Request.Path.Value!);
        await WriteJson(context, 200, """{"acknowledged":true}""");
    }

    /// <summary>
    /// As Elasticsearch answers a lazy rollover (<c>?lazy=true</c>: the data stream is only marked to roll over at its
    /// next write): 200 for a data stream that has documents, 404 <c>index_not_found_exception</c> for one that does not
    /// exist yet. Without <c>lazy</c> the fake does not model rollovers and answers 400.
    /// </summary>
    private Task Rollover(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        Rollovers.Enqueue(context.Request.Path.Value + context.Request.QueryString.Value);
        if (context.Request.Query["lazy"] != "true")
        {
            return WriteJson(context, 400, """{"error":{"type":"illegal_argument_exception","reason":"the fake models lazy rollovers only"},"status":400}""");
        }

        if (!Documents.Keys.Any(k => k.Index == name))
        {
            return WriteJson(context, 404, $$"""{"error":{"type":"index_not_found_exception","reason":"no such index [{{name}}]"},"status":404}""");
        }

        return WriteJson(context, 200,
            $$$"""{"acknowledged":true,"shards_acknowledged":false,"old_index":".ds-{{{name}}}-000001","new_index":".ds-{{{name}}}-000002","rolled_over":false,"dry_run":false,"lazy":true,"conditions":{}}""");
    }

    /// <summary>As Elasticsearch answers: the stored template under its name, or 404 with resource_not_found_exception.</summary>
    private Task GetTemplate(HttpContext context, ConcurrentDictionary<string, string> store, string listName, string itemName)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        if (!store.TryGetValue(name, out var body))
        {
            return WriteJson(context, 404,
                $$"""{"error":{"type":"resource_not_found_exception","reason":"{{itemName}} [{{name}}] not found"},"status":404}""");
        }

        var answer = new JsonObject { [listName] = new JsonArray(new JsonObject { ["name"] = name, [itemName] = JsonNode.Parse(body) }) };
        return WriteJson(context, 200, answer.ToJsonString());
    }

    private async Task Bulk(HttpContext context)
    {
        Interlocked.Increment(ref _bulkInFlight);
        try
        {
            await ProcessBulk(context);
        }
        finally
        {
            Interlocked.Decrement(ref _bulkInFlight);
        }
    }

    private async Task ProcessBulk(HttpContext context)
    {
        var requestNumber = Interlocked.Increment(ref _bulkRequests);
        var body = await ReadBody(context);
        if (BulkBodyStall(requestNumber))
        {
            await StallAsync(context, """{"took":1,"errors":false,"items":[""");
            return;
        }

        if (RequestFault(requestNumber) is { } status)
        {
            Interlocked.Increment(ref _requestFaults);
            var type = status switch
            {
                401 or 403 => "security_exception",
                429 => "es_rejected_execution_exception",
                _ => "unavailable_shards_exception",
            };
            await WriteJson(context, status,
                $$"""{"error":{"type":"{{type}}","reason":"scripted fault for request {{requestNumber}}"},"status":{{status}}}""");
            return;
        }

        if (MaxContentLength is { } limit && Encoding.UTF8.GetByteCount(body) > limit)
        {
            Interlocked.Increment(ref _tooLarge);
            await WriteJson(context, 413,
                """{"error":{"type":"content_too_long_exception","reason":"request body is too large"},"status":413}""");
            return;
        }

        if (RequestDelay(requestNumber) is { } delay)
        {
            // Like a slow cluster: the client may give up, but the work is still done afterwards.
            Interlocked.Increment(ref _delayedRequests);
            await Task.Delay(delay, CancellationToken.None);
        }

        if (body.Length == 0 || body[^1] != '\n')
        {
            await WriteJson(context, 400,
                """{"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400}""");
            return;
        }

        var lines = body.Split('\n');
        var items = new JsonArray();
        var errors = false;
        for (var i = 0; i + 1 < lines.Length && lines[i].Length > 0; i += 2)
        {
            var action = JsonNode.Parse(lines[i])!["create"] ?? throw new InvalidOperationException("only create actions are expected");
            var index = (string)action["_index"]!;
            var id = (string)action["_id"]!;
            var attempt = _attemptsById.AddOrUpdate(id, 1, (_, a) => a + 1);
            var result = new JsonObject { ["_index"] = index, ["_id"] = id };
            if (ItemFault(id, attempt) is { } itemStatus)
            {
                Interlocked.Increment(ref _itemFaults);
                errors = true;
                result["status"] = itemStatus;
                result["error"] = itemStatus switch
                {
                    400 => new JsonObject { ["type"] = "mapper_parsing_exception", ["reason"] = "failed to parse field [source.port] of type [long]" },
                    401 or 403 => new JsonObject
                    {
                        ["type"] = "security_exception",
                        ["reason"] = $"action [indices:data/write/bulk[s]] is unauthorized for API key id [VuaCfGcBCdbkQm-e5aOx] of user [zert_writer] on indices [{index}], this action is granted by the index privileges [create_doc,create,index,write,all]",
                    },
                    404 => new JsonObject { ["type"] = "index_not_found_exception", ["reason"] = $"no such index [{index}]" },
                    _ => new JsonObject { ["type"] = "es_rejected_execution_exception", ["reason"] = "rejected execution of coordinating operation" },
                };
            }
            else if (!Documents.TryAdd((index, id), lines[i + 1]))
            {
                Interlocked.Increment(ref _conflicts);
                errors = true;
                result["status"] = 409;
                result["error"] = new JsonObject
                {
                    ["type"] = "version_conflict_engine_exception",
                    ["reason"] = $"[{id}]: version conflict, document already exists (current version [1])",
                };
            }
            else
            {
                Interlocked.Increment(ref _created);
                result["status"] = 201;
                result["result"] = "created";
                result["_version"] = 1;
            }

            items.Add(new JsonObject { ["create"] = result });
        }

        if (RequestDelay(requestNumber) is not null)
        {
            Interlocked.Increment(ref _delayedRequestsProcessed);
        }

        var response = new JsonObject { ["took"] = 1, ["errors"] = errors, ["items"] = items };
        await WriteJson(context, 200, response.ToJsonString());
    }

    private async Task<string> ReadBody(HttpContext context)
    {
        Stream stream = context.Request.Body;
        if (context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _gzipRequests);
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private static async Task WriteJson(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (json.Length > 0)
        {
            await context.Response.WriteAsync(json);
        }
    }
}
