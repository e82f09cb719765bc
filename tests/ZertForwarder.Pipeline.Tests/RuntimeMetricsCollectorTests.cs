using System.Diagnostics;

namespace ZertForwarder.Pipeline.Tests;

/// <summary>The runtime and process metrics added to a scrape (README "Metrics").</summary>
public sealed class RuntimeMetricsCollectorTests
{
    private static string Scrape()
    {
        using var metrics = new PipelineMetrics();
        using var runtime = new RuntimeMetricsCollector();
        metrics.AddCollector(runtime.WriteTo);
        metrics.Counter("zertforwarder_records_read_total", "SMF records read.").WithLabels().Increment(3);
        // Allocate and collect, so the runtime's allocation and collection counters have moved.
        GC.KeepAlive(new byte[1 << 20]);
        GC.Collect(0);
        return metrics.Render();
    }

    private static double Sample(string page, string series)
    {
        var line = page.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no sample {series} in\n{page}");
        return double.Parse(line![(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_scrape_has_the_process_metrics_and_the_runtime_meter_under_their_Prometheus_names()
    {
        var page = Scrape();

        Assert.True(Sample(page, "process_cpu_seconds_total") > 0);
        Assert.True(Sample(page, "process_resident_memory_bytes") > 1 << 20);
        Assert.True(Sample(page, "process_open_fds") > 0);
        var started = DateTimeOffset.FromUnixTimeMilliseconds((long)(Sample(page, "process_start_time_seconds") * 1000));
        Assert.InRange(started, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);
        // System.Runtime's dotnet.gc.heap.total_allocated (unit By, a counter) and dotnet.gc.collections per generation.
        Assert.Contains("# TYPE dotnet_gc_heap_total_allocated_bytes_total counter\n", page, StringComparison.Ordinal);
        Assert.True(Sample(page, "dotnet_gc_heap_total_allocated_bytes_total") > 1 << 20);
        // Each generation's series counts the collections whose highest generation it was; the collector may raise
        // GC.Collect(0) to gen1 when other tests allocate in parallel, so the collection shows in one of the three.
        Assert.True(new[] { "gen0", "gen1", "gen2" }.Sum(g => Sample(page, $"dotnet_gc_collections_total{{gc_heap_generation=\"{g}\"}}")) >= 1);
        Assert.Equal(3, Sample(page, "zertforwarder_records_read_total"));
    }

    [Fact]
    public void A_gauge_the_runtime_names_count_is_named_by_its_plural_not_the_histogram_suffix()
    {
        var page = Scrape();

        // System.Runtime's up-down counters dotnet.assembly.count ({assembly}), dotnet.timer.count ({timer}) and
        // dotnet.process.cpu.count ({cpu}) are gauges; _count is the suffix Prometheus reserves for histograms and summaries.
        Assert.Contains("# TYPE dotnet_assemblies gauge\n", page, StringComparison.Ordinal);
        Assert.True(Sample(page, "dotnet_assemblies") > 10);
        Assert.Contains("# TYPE dotnet_timers gauge\n", page, StringComparison.Ordinal);
        Assert.Equal(Environment.ProcessorCount, Sample(page, "dotnet_process_cpus"));
        var types = page.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        Assert.DoesNotContain(types, t => t[3] is not ("histogram" or "summary") && t[2].EndsWith("_count", StringComparison.Ordinal));
        Assert.DoesNotContain(types, t => t[3] != "counter" && t[2].EndsWith("_total", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Promtool_accepts_the_whole_scrape()
    {
        var promtool = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
        Skip.If(promtool is null, "promtool is not installed (bash .ci/install-tools.sh installs Debian's prometheus)");
        var page = Scrape();

        using var process = Process.Start(new ProcessStartInfo(promtool!, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await process.StandardInput.WriteAsync(page);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // promtool exits 3 for lint findings (naming advice: a _count or _total suffix on the wrong type) and 1 for a
        // page it cannot parse: the page must pass both, with nothing to say.
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stdout}{await stderr}\n{page}");
        Assert.Equal("", (await stdout) + (await stderr));
    }
}
