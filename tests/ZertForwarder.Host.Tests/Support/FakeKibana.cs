using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>
/// A scripted stand-in for Kibana's import APIs on 127.0.0.1 (no Kibana can run here, test infrastructure §7).
/// Like Kibana it refuses a write without <c>kbn-xsrf</c> (400), checks credentials (401), reads the multipart
/// <c>file</c> part line by line, stores saved objects by type and id (overwrite replaces), and rejects an object
/// whose references point at nothing in the import or the store (<c>missing_references</c>), or whose type it does
/// not know (<c>unsupported_type</c>). Spaces are the <c>/s/&lt;id&gt;</c> prefix.
/// </summary>
public sealed class FakeKibana : IAsyncDisposable
{
    private static readonly HashSet<string> KnownTypes = ["index-pattern", "search", "lens", "dashboard", "visualization", "tag"];
    private readonly WebApplication _app;

    private FakeKibana(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Stored saved objects: (space, type, id) → the object.</summary>
    public ConcurrentDictionary<(string Space, string Type, string Id), JsonObject> Objects { get; } = new();

    /// <summary>Imported detection rules: (space, rule_id) → the rule.</summary>
    public ConcurrentDictionary<(string Space, string RuleId), JsonObject> Rules { get; } = new();

    /// <summary>Request paths with their query, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>When set, any request with another <c>Authorization</c> header gets 401.</summary>
    public string? RequiredAuthorization { get; set; }

    /// <summary>When set, every import answers 403 (a user without the privilege).</summary>
    public bool Forbidden { get; set; }

    /// <summary>Saved-object types this Kibana does not know (an older Kibana without Lens, say).</summary>
    public HashSet<string> UnsupportedTypes { get; } = [];

    /// <summary>False: no detection engine (Elastic Security not available), the rules API answers 404.</summary>
    public bool HasDetectionEngine { get; set; } = true;

    /// <param name="serverCertificate">Serve HTTPS with this certificate instead of plain HTTP.</param>
    public static async Task<FakeKibana> StartAsync(X509Certificate2? serverCertificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
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
        var fake = new FakeKibana(app);
        app.Use(async (context, next) =>
        {
            fake.Requests.Enqueue(context.Request.Path + context.Request.QueryString);
            if (!context.Request.Headers.ContainsKey("kbn-xsrf"))
            {
                await Write(context, 400, """{"statusCode":400,"error":"Bad Request","message":"Request must contain a kbn-xsrf header."}""");
                return;
            }

            if (fake.RequiredAuthorization is not null && context.Request.Headers.Authorization.ToString() != fake.RequiredAuthorization)
            {
                await Write(context, 401, """{"statusCode":401,"error":"Unauthorized","message":"[security_exception]: unable to authenticate user"}""");
                return;
            }

            if (fake.Forbidden)
            {
                await Write(context, 403, """{"statusCode":403,"error":"Forbidden","message":"Unable to bulk_create index-pattern,search,lens,dashboard"}""");
                return;
            }

            await next(context);
        });
        app.MapPost("/api/saved_objects/_import", (RequestDelegate)(c => fake.ImportObjects(c, "default")));
        app.MapPost("/s/{space}/api/saved_objects/_import", (RequestDelegate)(c => fake.ImportObjects(c, (string)c.Request.RouteValues["space"]!)));
        app.MapPost("/api/detection_engine/rules/_import", (RequestDelegate)(c => fake.ImportRules(c, "default")));
        app.MapPost("/s/{space}/api/detection_engine/rules/_import", (RequestDelegate)(c => fake.ImportRules(c, (string)c.Request.RouteValues["space"]!)));
        await app.StartAsync();
        fake.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ImportObjects(HttpContext context, string space)
    {
        var lines = await ReadFilePart(context);
        if (lines is null) return;
        var overwrite = context.Request.Query["overwrite"] == "true";
        var incoming = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var inImport = incoming.Select(o => ((string)o["type"]!, (string)o["id"]!)).ToHashSet();
        var errors = new JsonArray();
        var success = 0;
        foreach (var o in incoming)
        {
            var type = (string)o["type"]!;
            var id = (string)o["id"]!;
            var meta = new JsonObject { ["title"] = (string?)o["attributes"]?["title"] };
            if (!KnownTypes.Contains(type) || UnsupportedTypes.Contains(type))
            {
                errors.Add(new JsonObject { ["id"] = id, ["type"] = type, ["meta"] = meta, ["error"] = new JsonObject { ["type"] = "unsupported_type" } });
                continue;
            }

            var missing = new JsonArray();
            foreach (var reference in o["references"]!.AsArray())
            {
                var key = ((string)reference!["type"]!, (string)reference["id"]!);
                if (!inImport.Contains(key) && !Objects.ContainsKey((space, key.Item1, key.Item2)) || UnsupportedTypes.Contains(key.Item1))
                {
                    missing.Add(new JsonObject { ["type"] = key.Item1, ["id"] = key.Item2 });
                }
            }

            if (missing.Count > 0)
            {
                errors.Add(new JsonObject { ["id"] = id, ["type"] = type, ["meta"] = meta, ["error"] = new JsonObject { ["type"] = "missing_references", ["references"] = missing } });
                continue;
            }

            if (!overwrite && Objects.ContainsKey((space, type, id)))
            {
                errors.Add(new JsonObject { ["id"] = id, ["type"] = type, ["meta"] = meta, ["error"] = new JsonObject { ["type"] = "conflict" } });
                continue;
            }

            Objects[(space, type, id)] = o;
            success++;
        }

        var answer = new JsonObject { ["success"] = errors.Count == 0, ["successCount"] = success };
        if (errors.Count > 0) answer["errors"] = errors;
        await Write(context, 200, answer.ToJsonString());
    }

    private async Task ImportRules(HttpContext context, string space)
    {
        if (!HasDetectionEngine)
        {
            await Write(context, 404, """{"statusCode":404,"error":"Not Found","message":"Not Found"}""");
            return;
        }

        var lines = await ReadFilePart(context);
        if (lines is null) return;
        var errors = new JsonArray();
        var success = 0;
        foreach (var rule in lines.Select(l => JsonNode.Parse(l)!.AsObject()))
        {
            var id = (string?)rule["rule_id"];
            if (id is null || rule["query"] is null || rule["type"] is null)
            {
                errors.Add(new JsonObject { ["rule_id"] = id ?? "(unknown)", ["error"] = new JsonObject { ["status_code"] = 400, ["message"] = "rule_id, type and query are required" } });
                continue;
            }

            Rules[(space, id)] = rule;
            success++;
        }

        await Write(context, 200, new JsonObject { ["success"] = errors.Count == 0, ["success_count"] = success, ["errors"] = errors }.ToJsonString());
    }

    /// <summary>The NDJSON lines of the multipart <c>file</c> part, or null after answering 400 as Kibana does.</summary>
    private static async Task<List<string>?> ReadFilePart(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await Write(context, 415, """{"statusCode":415,"error":"Unsupported Media Type","message":"Unsupported Media Type"}""");
            return null;
        }

        var form = await context.Request.ReadFormAsync();
        var file = form.Files["file"];
        if (file is null || !file.FileName.EndsWith(".ndjson", StringComparison.Ordinal))
        {
            await Write(context, 400, """{"statusCode":400,"error":"Bad Request","message":"Invalid file extension .json"}""");
            return null;
        }

        using var reader = new StreamReader(file.OpenReadStream());
        var text = await reader.ReadToEndAsync();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static async Task Write(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }
}
