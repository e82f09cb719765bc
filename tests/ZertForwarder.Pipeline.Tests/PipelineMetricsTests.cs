namespace ZertForwarder.Pipeline.Tests;

public sealed class PipelineMetricsTests
{
    [Fact]
    public void The_registry_renders_Prometheus_text_format_0_0_4()
    {
        var metrics = new PipelineMetrics();
        metrics.Counter("zertforwarder_records_read_total", "SMF records read.").WithLabels().Increment(7);
        var published = metrics.Counter("zertforwarder_events_published_total", "Events the destination confirmed.", "sink");
        published.WithLabels("kafka").Increment(3);
        published.WithLabels("elasticsearch").Increment();
        metrics.Gauge("zertforwarder_buffer_items", "Events held.", "sink").WithLabels("kafka").Set(12);
        var latency = metrics.Histogram("zertforwarder_batch_duration_seconds", "Batch send time.", [0.1, 1], "sink").WithLabels("kafka");
        latency.Observe(0.05);
        latency.Observe(0.1);
        latency.Observe(3);

        const string expected =
            "# HELP zertforwarder_batch_duration_seconds Batch send time.\n" +
            "# TYPE zertforwarder_batch_duration_seconds histogram\n" +
            "zertforwarder_batch_duration_seconds_bucket{sink=\"kafka\",le=\"0.1\"} 2\n" +
            "zertforwarder_batch_duration_seconds_bucket{sink=\"kafka\",le=\"1\"} 2\n" +
            "zertforwarder_batch_duration_seconds_bucket{sink=\"kafka\",le=\"+Inf\"} 3\n" +
            "zertforwarder_batch_duration_seconds_sum{sink=\"kafka\"} 3.15\n" +
            "zertforwarder_batch_duration_seconds_count{sink=\"kafka\"} 3\n" +
            "# HELP zertforwarder_buffer_items Events held.\n" +
            "# TYPE zertforwarder_buffer_items gauge\n" +
            "zertforwarder_buffer_items{sink=\"kafka\"} 12\n" +
            "# HELP zertforwarder_events_published_total Events the destination confirmed.\n" +
            "# TYPE zertforwarder_events_published_total counter\n" +
            "zertforwarder_events_published_total{sink=\"elasticsearch\"} 1\n" +
            "zertforwarder_events_published_total{sink=\"kafka\"} 3\n" +
            "# HELP zertforwarder_records_read_total SMF records read.\n" +
            "# TYPE zertforwarder_records_read_total counter\n" +
            "zertforwarder_records_read_total 7\n";
        Assert.Equal(expected, metrics.Render());
    }

    [Fact]
    public void Registering_a_name_again_returns_the_same_metric_and_a_conflicting_registration_fails()
    {
        var metrics = new PipelineMetrics();
        metrics.Counter("zertforwarder_records_rejected_total", "Rejected.", "reason").WithLabels("framing").Increment();

        metrics.Counter("zertforwarder_records_rejected_total", "Rejected.", "reason").WithLabels("framing").Increment();

        Assert.Equal(2, metrics.Counter("zertforwarder_records_rejected_total", "Rejected.", "reason").WithLabels("framing").Value);
        Assert.Throws<InvalidOperationException>(() => metrics.Gauge("zertforwarder_records_rejected_total", "Rejected.", "reason"));
        Assert.Throws<InvalidOperationException>(() => metrics.Counter("zertforwarder_records_rejected_total", "Rejected.", "sink"));
        Assert.Throws<ArgumentException>(() => metrics.Counter("zertforwarder-bad-name", "x"));
    }

    [Fact]
    public void Label_values_are_escaped()
    {
        var metrics = new PipelineMetrics();
        metrics.Counter("zertforwarder_files_total", "Files.", "path").WithLabels("C:\\smf \"x\"\nnext").Increment();

        Assert.Contains("zertforwarder_files_total{path=\"C:\\\\smf \\\"x\\\"\\nnext\"} 1\n", metrics.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_are_exact_under_concurrent_increments()
    {
        var metrics = new PipelineMetrics();
        var counter = metrics.Counter("zertforwarder_events_total", "Events.", "sink");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.WithLabels("kafka").Increment();
            }
        })));

        Assert.Equal(80_000, counter.WithLabels("kafka").Value);
    }
}
