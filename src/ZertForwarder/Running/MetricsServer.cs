using ZertForwarder.Forwarding;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Running;

/// <summary>
/// Serves <c>/metrics</c> (Prometheus text format), <c>/healthz</c> (the process is alive) and <c>/readyz</c> (sinks
/// started, so the pod may receive traffic and be counted as up) on the configured address and port only.
/// </summary>
internal sealed class MetricsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsServer(WebApplication app) => _app = app;

    /// <summary>The port actually bound (useful when 0... is never passed here; kept for tests binding a chosen port).</summary>
    public int Port { get; private set; }

    /// <param name="readinessDetail">Why the forwarder is not ready (body of a 503 from <c>/readyz</c>).</param>
    public static async Task<MetricsServer> StartAsync(string address, int port, PipelineMetrics metrics, Func<bool> isReady, ILogger logger,
        Func<string>? readinessDetail = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Only what is configured here listens: without this the host also read a Kestrel section from the environment
        // (Kestrel__Endpoints__...) or an appsettings.json in the working directory and opened those ports too.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Parse(address), port);
        });
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        // HEAD as well as GET: some load balancers and probes ask with HEAD, and got 405 (Kestrel sends no body for it).
        string[] getOrHead = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/metrics", getOrHead, (HttpContext ctx) =>
        {
            ctx.Response.ContentType = PipelineMetrics.ContentType;
            return ctx.Response.WriteAsync(metrics.Render());
        });
        app.MapMethods("/healthz", getOrHead, () => Results.Text("ok\n"));
        app.MapMethods("/readyz", getOrHead, () => isReady() ? Results.Text("ready\n") : Results.Text((readinessDetail?.Invoke() ?? "starting") + "\n", statusCode: 503));
        await app.StartAsync();
        var server = new MetricsServer(app) { Port = port };
        Log.MetricsListening(logger, address, port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
