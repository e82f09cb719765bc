using System.Diagnostics.Metrics;

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

    [Fact]
    public void With_a_meter_name_every_family_is_an_instrument_a_MeterListener_reads_with_the_same_values()
    {
        // A name of this test's own, so instruments of other tests' registries are not seen.
        var meterName = $"ZertForwarder.Tests.{Guid.NewGuid():N}";
        using var metrics = new PipelineMetrics(meterName);
        var observed = new List<(string Instrument, string? Unit, double Value, string Tags)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meterName) l.EnableMeasurementEvents(instrument);
            },
        };
        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            observed.Add((i.Name, i.Unit, v, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();

        metrics.Counter("zertforwarder_events_published_total", "Events the destination confirmed.", "sink").WithLabels("kafka").Increment(5);
        metrics.Gauge("zertforwarder_buffer_bytes", "Bytes held.", "sink").WithLabels("file").Set(4096);
        metrics.Histogram("zertforwarder_batch_duration_seconds", "Batch send time.", [0.1, 1], "sink").WithLabels("kafka").Observe(0.25);
        listener.RecordObservableInstruments();

        Assert.Contains(("zertforwarder_events_published", null, 5.0, "sink=kafka"), observed);
        Assert.Contains(("zertforwarder_buffer_bytes", "By", 4096.0, "sink=file"), observed);
        Assert.Contains(("zertforwarder_batch_duration_seconds", "s", 0.25, "sink=kafka"), observed);
        Assert.Equal(PipelineMetrics.MeterName, "ZertForwarder");
    }

    [Fact]
    public void A_registry_without_a_meter_name_publishes_no_instrument()
    {
        using var metrics = new PipelineMetrics();
        metrics.Counter("zertforwarder_events_published_total", "Events.", "sink").WithLabels("kafka").Increment();

        Assert.Null(metrics.Meter);
    }

    [Fact]
    public void A_removed_gauge_child_is_no_longer_rendered_and_SetMax_only_moves_up()
    {
        using var metrics = new PipelineMetrics();
        var lag = metrics.Gauge("zertforwarder_kafka_consumer_lag", "Lag.", "topic", "partition");
        lag.WithLabels("smf-raw", "0").Set(3);
        lag.WithLabels("smf-raw", "1").Set(4);
        lag.Remove("smf-raw", "0");
        var newest = metrics.Gauge("zertforwarder_newest_record_timestamp_seconds", "Newest.", "system").WithLabels("SYSA");
        newest.SetMax(200);
        newest.SetMax(100);

        var page = metrics.Render();
        Assert.DoesNotContain("partition=\"0\"", page, StringComparison.Ordinal);
        Assert.Contains("zertforwarder_kafka_consumer_lag{topic=\"smf-raw\",partition=\"1\"} 4\n", page, StringComparison.Ordinal);
        Assert.Equal(200, newest.Value);
    }
}
