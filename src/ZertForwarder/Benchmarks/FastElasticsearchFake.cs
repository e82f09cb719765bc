using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ZertForwarder.Benchmarks;

/// <summary>
/// The smallest Elasticsearch that <c>run</c> can publish to at full speed, for <c>bench --pairs elasticsearch</c>:
/// it answers the start-up probe and template installs, and acknowledges every bulk action as created (201). It keeps
/// nothing, so the bench measures the forwarder, not a store. Listens on 127.0.0.1 only, for the bench's lifetime.
/// </summary>
/// <remarks>
/// Responses carry <c>X-Elastic-Product: Elasticsearch</c> and a version 8 probe answer, which the official client
/// checks. Bulk bodies may be gzip-compressed (<c>Outputs:Elasticsearch:Gzip</c>); each action line is answered with
/// its own <c>_index</c> and <c>_id</c>.
/// </remarks>
internal sealed class FastElasticsearchFake : IAsyncDisposable
{
    private const string ProbeAnswer =
        """{"name":"bench","cluster_name":"bench","version":{"number":"8.17.0","build_flavor":"default","lucene_version":"9.12.0"},"tagline":"You Know, for Search"}""";

    private readonly WebApplication _app;
    private long _documents;

    private FastElasticsearchFake(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Bulk actions acknowledged so far.</summary>
    public long Documents => Interlocked.Read(ref _documents);

    public static async Task<FastElasticsearchFake> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        FastElasticsearchFake? fake = null;
        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Elastic-Product"] = "Elasticsearch";
            context.Response.ContentType = "application/json";
            await next(context);
        });
        // One terminal handler, no routing: template names contain dots, which endpoint fallbacks treat as files.
        app.Run(async context =>
        {
            var request = context.Request;
            if (request.Path.Value is { } path && path.EndsWith("/_bulk", StringComparison.Ordinal))
            {
                await fake!.BulkAsync(context);
                return;
            }
            await request.Body.CopyToAsync(Stream.Null);
            // The start-up probe gets the cluster's identity; templates, data streams and the rest are acknowledged.
            await context.Response.WriteAsync(request.Path == "/" && HttpMethods.IsGet(request.Method) ? ProbeAnswer : """{"acknowledged":true}""");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake = new FastElasticsearchFake(app, address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return fake;
    }

    private async Task BulkAsync(HttpContext context)
    {
        var body = context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(context.Request.Body, CompressionMode.Decompress)
            : context.Request.Body;
        var answer = new StringBuilder("""{"took":1,"errors":false,"items":[""");
        var count = 0;
        using (var reader = new StreamReader(body, Encoding.UTF8))
        {
            var nextIsAction = true;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0) continue;
                if (nextIsAction)
                {
                    AppendItem(answer, line, count++);
                }
                // create and index actions are followed by their document; delete has none (not sent by the forwarder).
                nextIsAction = !nextIsAction;
            }
        }
        answer.Append("]}");
        Interlocked.Add(ref _documents, count);
        await context.Response.WriteAsync(answer.ToString());
    }

    private static void AppendItem(StringBuilder answer, string actionLine, int index)
    {
        using var action = JsonDocument.Parse(actionLine);
        var property = action.RootElement.EnumerateObject().First();
        var target = property.Value.TryGetProperty("_index", out var i) ? i.GetString() : "bench";
        var id = property.Value.TryGetProperty("_id", out var d) ? d.GetString() : $"bench-{index}";
        if (index > 0) answer.Append(',');
        answer.Append("{\"").Append(property.Name).Append("\":{\"_index\":").Append(JsonSerializer.Serialize(target))
            .Append(",\"_id\":").Append(JsonSerializer.Serialize(id))
            .Append(",\"_version\":1,\"result\":\"created\",\"_seq_no\":0,\"_primary_term\":1,\"status\":201}}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
