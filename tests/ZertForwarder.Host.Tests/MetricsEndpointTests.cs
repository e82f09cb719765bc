using System.Net;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// "Operate: progress and metrics": with Metrics:Port set, /healthz, /readyz and /metrics are served on 127.0.0.1 at
/// that port only; without it the process listens on nothing at all (nothing listens except what the user configured).
/// </summary>
public sealed class MetricsEndpointTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task With_Metrics_Port_the_probes_and_the_pipeline_metrics_are_served_on_that_port_only()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 3, zertCount: 400);
        var expected = Dumps.ZertRecords(dump);
        var port = Endpoints.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        // Settings meant for other ASP.NET Core programs, in the environment and in the working directory, open nothing.
        var elsewhere = Endpoints.FreePort();
        File.WriteAllText(_work.Combine("appsettings.json"), $$"""{ "Kestrel": { "Endpoints": { "File": { "Url": "http://127.0.0.1:{{Endpoints.FreePort()}}" } } } }""");

        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:File:Directory={_work.Combine("out")}", $"Metrics:Port={port}",
        ], new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Extra__Url"] = $"http://127.0.0.1:{elsewhere}",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{elsewhere}",
        });

        await WaitForStatusAsync(http, "/readyz", running);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        // HEAD too (some load balancers and probes ask so; it was 405), with no body.
        foreach (var path in new[] { "/metrics", "/healthz", "/readyz" })
        {
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }

        // Not --once: the process keeps running after the file is done, so the final counts can be read.
        var published = "zertforwarder_events_published_total{sink=\"file\"}";
        string page = "";
        await Eventually.TrueAsync(() =>
        {
            page = http.GetStringAsync("/metrics").GetAwaiter().GetResult();
            return Endpoints.Sample(page, published) == expected.Count;
        }, $"{published} = {expected.Count}", TimeSpan.FromSeconds(20), () => page);
        output.WriteLine(page);

        Assert.Equal(expected.Count, Endpoints.Sample(page, "zertforwarder_records_total{outcome=\"decoded\"}"));
        Assert.True(Endpoints.Sample(page, "zertforwarder_records_read_total") >= expected.Count);
        Assert.Contains("# TYPE zertforwarder_batch_duration_seconds histogram", page, StringComparison.Ordinal);
        Assert.True(Endpoints.Sample(page, "zertforwarder_batch_duration_seconds_count{sink=\"file\"}") > 0);
        Assert.Contains("zertforwarder_batch_duration_seconds_bucket{sink=\"file\",le=\"+Inf\"}", page, StringComparison.Ordinal);
        Assert.Contains("# TYPE zertforwarder_buffer_items gauge", page, StringComparison.Ordinal);
        Assert.Equal(0, Endpoints.Sample(page, "zertforwarder_buffer_items{sink=\"file\"}"));

        // Freshness: per SMF system, the newest record time forwarded, which is the newest @timestamp in the output.
        var newest = File.ReadLines(_work.Combine("out", "zert-ecs.ndjson")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .GroupBy(e => e.GetProperty("labels").GetProperty("smf_system_id").GetString()!)
            .ToDictionary(g => g.Key, g => g.Max(e => e.GetProperty("@timestamp").GetDateTimeOffset()));
        Assert.NotEmpty(newest);
        foreach (var (system, time) in newest)
        {
            var seconds = Endpoints.Sample(page, $"zertforwarder_newest_record_timestamp_seconds{{system=\"{system}\"}}");
            Assert.Equal(time.ToUnixTimeMilliseconds() / 1000.0, seconds ?? double.NaN, precision: 3);
        }

        // Build, process and .NET runtime metrics (no sidecar needed).
        Assert.Matches(@"zertforwarder_build_info\{version=""[^""]+"",runtime="".NET [^""]+""\} 1\n", page);
        Assert.True(Endpoints.Sample(page, "process_cpu_seconds_total") > 0);
        Assert.True(Endpoints.Sample(page, "process_resident_memory_bytes") > 0);
        Assert.True(Endpoints.Sample(page, "dotnet_gc_heap_total_allocated_bytes_total") > 0);

        var listening = Endpoints.ListeningPorts(running.Id);
        output.WriteLine($"listening: {string.Join(", ", listening)} (configured {port})");
        Assert.Equal([port], listening);

        running.Signal(ForwarderProcess.Sigterm);
        Assert.Equal(0, await running.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Readyz_answers_503_while_a_sink_is_still_starting_and_healthz_answers_200()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 3, zertCount: 20);
        var port = Endpoints.FreePort();
        // An "Elasticsearch" that accepts connections and never answers: the start-up probe (GET /) hangs until its time-out.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var silentPort = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Metrics:Port={port}",
            $"Outputs:Elasticsearch:Url=http://127.0.0.1:{silentPort}", "Outputs:Elasticsearch:RequestTimeout=00:00:04",
        ]);

        await WaitForStatusAsync(http, "/healthz", running);
        var ready = await http.GetAsync("/readyz");
        output.WriteLine($"while the sink starts: /healthz 200, /readyz {(int)ready.StatusCode}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

        // The probe times out: the sink cannot work, which is an operator problem (exit 2), not a crash.
        Assert.Equal(2, await running.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("cannot start", running.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_Metrics_Port_the_process_listens_on_nothing()
    {
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 3, zertCount: 100);
        var expected = Dumps.ZertRecords(dump);
        var outFile = _work.Combine("out", "zert-ecs.ndjson");

        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ]);
        await Eventually.TrueAsync(() => File.Exists(outFile) && CountLines(outFile) == expected.Count, "the file output",
            TimeSpan.FromSeconds(20), () => running.Stderr);

        var listening = Endpoints.ListeningPorts(running.Id);
        output.WriteLine($"listening: [{string.Join(", ", listening)}]");
        Assert.False(running.HasExited);
        Assert.Empty(listening);

        running.Signal(ForwarderProcess.Sigterm);
        Assert.Equal(0, await running.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    private static async Task WaitForStatusAsync(HttpClient http, string path, ForwarderProcess running)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            Assert.False(running.HasExited, running.Stderr);
            try
            {
                if ((await http.GetAsync(path)).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException)
            {
                // Not listening yet.
            }
            Assert.True(DateTime.UtcNow < deadline, $"{path} never answered 200\n{running.Stderr}");
            await Task.Delay(50);
        }
    }

    private static int CountLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is not null) count++;
        return count;
    }
}
