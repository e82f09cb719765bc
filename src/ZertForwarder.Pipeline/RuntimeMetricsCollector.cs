using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace ZertForwarder.Pipeline;

/// <summary>
/// Adds the process's own health to a <see cref="PipelineMetrics"/> scrape: the .NET runtime's built-in
/// <c>System.Runtime</c> meter (collections, heap sizes, allocation, JIT, thread pool, lock contention, exceptions) and
/// the process metrics every Prometheus client library exports (<c>process_cpu_seconds_total</c>,
/// <c>process_resident_memory_bytes</c>, <c>process_start_time_seconds</c>, <c>process_open_fds</c>), so the
/// forwarder's dashboards and alerts need no sidecar.
/// </summary>
/// <remarks>
/// The runtime publishes OpenTelemetry-named instruments (<c>dotnet.gc.collections</c>, unit <c>{collection}</c>). They
/// are rendered with the names OpenTelemetry's Prometheus exporters give them: dots become underscores, the unit
/// <c>By</c> adds <c>_bytes</c> and <c>s</c> adds <c>_seconds</c>, and counters end in <c>_total</c>
/// (<c>dotnet_gc_collections_total{gc_heap_generation="gen0"}</c>). One rule differs: a gauge the runtime names
/// <c>&lt;thing&gt;.count</c> (an up-down counter such as <c>dotnet.assembly.count</c>) is named by the plural of its
/// thing (<c>dotnet_assemblies</c>), as Prometheus names such gauges (<c>go_goroutines</c>, <c>process_open_fds</c>):
/// <c>_count</c> is the suffix Prometheus reserves for histograms and summaries (promtool refuses it on anything else),
/// and <c>_total</c> the one it reserves for counters. Observable instruments are read at each scrape; the few
/// instruments the runtime records as they happen (exceptions) are summed from the listener's start.
/// </remarks>
public sealed class RuntimeMetricsCollector : IDisposable
{
    /// <summary>The runtime's built-in meter (.NET 9 and later).</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>Prometheus reserves it for the observation count of a histogram or summary.</summary>
    private const string CountSuffix = "_count";

    private readonly object _gate = new();
    private readonly MeterListener _listener;
    private readonly Dictionary<Instrument, Dictionary<string, double>> _values = [];
    private readonly double _startTimeSeconds;

    public RuntimeMetricsCollector()
    {
        using (var self = Process.GetCurrentProcess())
        {
            _startTimeSeconds = (self.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
        }
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RuntimeMeterName && !IsHistogram(instrument)) listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.Start();
    }

    /// <summary>Writes the runtime and process families, read now.</summary>
    public void WriteTo(TextWriter writer)
    {
        WriteProcessMetrics(writer);
        List<(string Name, string Type, string Help, List<KeyValuePair<string, double>> Samples)> families;
        lock (_gate)
        {
            foreach (var (instrument, samples) in _values)
            {
                if (IsObservable(instrument)) samples.Clear(); // re-read below; a tag set that disappeared is not reported
            }
            _listener.RecordObservableInstruments();
            families = [.. _values.Where(v => v.Value.Count > 0).Select(v => (PrometheusName(v.Key), IsCounter(v.Key) ? "counter" : "gauge",
                v.Key.Description ?? v.Key.Name, v.Value.OrderBy(s => s.Key, StringComparer.Ordinal).ToList()))];
        }
        foreach (var (name, type, help, samples) in families.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            writer.Write($"# HELP {name} {PipelineMetrics.EscapeHelp(help)}\n");
            writer.Write($"# TYPE {name} {type}\n");
            foreach (var (labels, value) in samples) writer.Write($"{name}{labels} {PipelineMetrics.FormatValue(value)}\n");
        }
    }

    public void Dispose() => _listener.Dispose();

    private void WriteProcessMetrics(TextWriter writer)
    {
        using var self = Process.GetCurrentProcess();
        Write(writer, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", Environment.CpuUsage.TotalTime.TotalSeconds);
        Write(writer, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", self.WorkingSet64);
        Write(writer, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", self.VirtualMemorySize64);
        Write(writer, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", _startTimeSeconds);
        if (Directory.Exists("/proc/self/fd"))
        {
            // One entry per open descriptor (Linux); the enumeration itself holds one, which is not counted.
            var open = Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() - 1;
            Write(writer, "process_open_fds", "gauge", "Number of open file descriptors.", open);
        }
    }

    private static void Write(TextWriter writer, string name, string type, string help, double value) =>
        writer.Write($"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {PipelineMetrics.FormatValue(value)}\n");

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = LabelText(tags);
        lock (_gate)
        {
            if (!_values.TryGetValue(instrument, out var samples)) _values[instrument] = samples = new Dictionary<string, double>(StringComparer.Ordinal);
            // Observable instruments report their current value; recorded counters report increments.
            samples[labels] = IsObservable(instrument) ? value : samples.GetValueOrDefault(labels) + value;
        }
    }

    private static string LabelText(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var parts = sorted.Select(t =>
            $"{t.Key.Replace('.', '_')}=\"{PipelineMetrics.EscapeLabelValue(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\"");
        return "{" + string.Join(',', parts) + "}";
    }

    /// <summary>The name an OpenTelemetry Prometheus exporter gives the instrument, but for a gauge of things (see remarks).</summary>
    internal static string PrometheusName(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        var suffix = instrument.Unit switch
        {
            "By" => "_bytes",
            "s" => "_seconds",
            _ => "",
        };
        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal)) name += suffix;
        if (IsCounter(instrument)) name += "_total";
        else if (name.EndsWith(CountSuffix, StringComparison.Ordinal)) name = Plural(name[..^CountSuffix.Length]);
        return name;
    }

    /// <summary>The English plural of a name's last word: <c>dotnet_assembly</c> → <c>dotnet_assemblies</c>, <c>dotnet_timer</c> → <c>dotnet_timers</c>.</summary>
    private static string Plural(string name) =>
        name.Length > 1 && name[^1] == 'y' && name[^2] is not ('a' or 'e' or 'i' or 'o' or 'u') ? name[..^1] + "ies"
        : name.EndsWith('s') || name.EndsWith('x') || name.EndsWith("ch", StringComparison.Ordinal) || name.EndsWith("sh", StringComparison.Ordinal) ? name + "es"
        : name + "s";

    private static bool IsObservable(Instrument instrument) => instrument.IsObservable;

    private static bool IsCounter(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType) return false;
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>);
    }

    private static bool IsHistogram(Instrument instrument) =>
        instrument.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(Histogram<>);
}
