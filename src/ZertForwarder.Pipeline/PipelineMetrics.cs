using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ZertForwarder.Pipeline;

/// <summary>
/// A small thread-safe metrics registry rendered in the Prometheus text exposition format, version 0.0.4, and, when
/// created with a meter name, published as <see cref="System.Diagnostics.Metrics"/> instruments of that
/// <see cref="Meter"/>, so <c>dotnet-counters</c>, <c>dotnet-monitor</c> and OpenTelemetry exporters see the same numbers.
/// </summary>
/// <remarks>
/// <para>
/// Registration is by name: asking twice for the same name, type and label names returns the same family,
/// so the host and every runner can share one registry. Output is sorted by metric name and label values,
/// so a scrape is deterministic.
/// </para>
/// <para>
/// Why the registry keeps its own values instead of only recording into instruments: a Prometheus scrape needs the
/// current totals, and a <see cref="MeterListener"/> only sees measurements made after it started. Counters and
/// gauges are therefore published as observable instruments that read the registry's values; histograms record each
/// observation into a <see cref="Histogram{T}"/> as well. Instrument names are the Prometheus names without the
/// <c>_total</c> suffix (exporters to Prometheus add it back for counters); labels become tags of the same names.
/// </para>
/// </remarks>
public sealed partial class PipelineMetrics : IDisposable
{
    /// <summary>The Content-Type of <see cref="Render"/>'s output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The name of the <see cref="Meter"/> the forwarder publishes (<c>dotnet-counters monitor --counters ZertForwarder</c>).</summary>
    public const string MeterName = "ZertForwarder";

    private readonly Meter? _meter;
    private readonly List<Action<TextWriter>> _collectors = [];

    /// <param name="meterName">
    /// Publish every family as an instrument of a <see cref="Meter"/> with this name (the forwarder passes
    /// <see cref="MeterName"/>); null keeps the registry private (a component constructed without the host's registry).
    /// </param>
    public PipelineMetrics(string? meterName = null)
    {
        if (meterName is not null) _meter = new Meter(meterName, typeof(PipelineMetrics).Assembly.GetName().Version?.ToString());
    }

    /// <summary>The meter the families are published on, or null.</summary>
    public Meter? Meter => _meter;

    public void Dispose() => _meter?.Dispose();

    /// <summary>
    /// Adds a writer of further families, called at every <see cref="WriteTo"/> after the registry's own (runtime and
    /// process metrics that are read when scraped). It must write complete families in the text format.
    /// </summary>
    public void AddCollector(Action<TextWriter> collector)
    {
        lock (_collectors) _collectors.Add(collector);
    }

    /// <summary>Default histogram buckets for durations in seconds (5 ms .. 60 s).</summary>
    public static readonly IReadOnlyList<double> DefaultDurationBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly ConcurrentDictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);

    public CounterFamily Counter(string name, string help, params string[] labelNames) =>
        Register(name, () => new CounterFamily(name, help, labelNames), labelNames);

    public GaugeFamily Gauge(string name, string help, params string[] labelNames) =>
        Register(name, () => new GaugeFamily(name, help, labelNames), labelNames);

    public HistogramFamily Histogram(string name, string help, IReadOnlyList<double> buckets, params string[] labelNames) =>
        Register(name, () => new HistogramFamily(name, help, buckets, labelNames), labelNames);

    /// <summary>The whole registry in Prometheus text format 0.0.4.</summary>
    public string Render()
    {
        var builder = new StringBuilder();
        using (var writer = new StringWriter(builder, CultureInfo.InvariantCulture))
        {
            WriteTo(writer);
        }

        return builder.ToString();
    }

    public void WriteTo(TextWriter writer)
    {
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            writer.Write("# HELP ");
            writer.Write(family.Name);
            writer.Write(' ');
            writer.Write(EscapeHelp(family.Help));
            writer.Write('\n');
            writer.Write("# TYPE ");
            writer.Write(family.Name);
            writer.Write(' ');
            writer.Write(family.TypeName);
            writer.Write('\n');
            family.WriteSamples(writer);
        }

        Action<TextWriter>[] collectors;
        lock (_collectors) collectors = [.. _collectors];
        foreach (var collect in collectors) collect(writer);
    }

    private TFamily Register<TFamily>(string name, Func<TFamily> create, string[] labelNames)
        where TFamily : MetricFamily
    {
        if (!MetricNamePattern().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid Prometheus metric name.", nameof(name));
        }

        foreach (var label in labelNames)
        {
            if (!LabelNamePattern().IsMatch(label) || label.StartsWith("__", StringComparison.Ordinal) || label == "le")
            {
                throw new ArgumentException($"'{label}' is not a valid label name for metric '{name}'.", nameof(labelNames));
            }
        }

        MetricFamily family;
        lock (_families)
        {
            // Under a lock, so a family is created and published once even when two runners register it at once.
            if (!_families.TryGetValue(name, out family!))
            {
                family = create();
                _families[name] = family;
                if (_meter is not null) family.Publish(_meter);
            }
        }
        if (family is not TFamily typed || !family.LabelNames.SequenceEqual(labelNames, StringComparer.Ordinal))
        {
            throw new InvalidOperationException(
                $"Metric '{name}' is already registered as a {family.TypeName} with labels [{string.Join(",", family.LabelNames)}].");
        }

        return typed;
    }

    internal static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelNamePattern();
}

/// <summary>A metric name with its help text, type and label names; children are per label-value combination.</summary>
public abstract class MetricFamily
{
    private protected MetricFamily(string name, string help, string[] labelNames)
    {
        Name = name;
        Help = help;
        LabelNames = [.. labelNames];
    }

    public string Name { get; }

    public string Help { get; }

    public IReadOnlyList<string> LabelNames { get; }

    internal abstract string TypeName { get; }

    internal abstract void WriteSamples(TextWriter writer);

    /// <summary>Creates this family's instrument on <paramref name="meter"/>.</summary>
    internal abstract void Publish(Meter meter);

    /// <summary>The instrument name: the Prometheus name without the counter suffix <c>_total</c>.</summary>
    private protected string InstrumentName => Name.EndsWith("_total", StringComparison.Ordinal) ? Name[..^"_total".Length] : Name;

    /// <summary>The unit the Prometheus name ends with, in UCUM as OpenTelemetry expects (<c>s</c>, <c>By</c>), or null.</summary>
    private protected string? Unit =>
        Name.EndsWith("_seconds", StringComparison.Ordinal) ? "s" : Name.EndsWith("_bytes", StringComparison.Ordinal) ? "By" : null;

    private protected KeyValuePair<string, object?>[] Tags(string[] labelValues)
    {
        var tags = new KeyValuePair<string, object?>[labelValues.Length];
        for (var i = 0; i < tags.Length; i++) tags[i] = new(LabelNames[i], labelValues[i]);
        return tags;
    }

    private protected string Key(string[] labelValues)
    {
        if (labelValues.Length != LabelNames.Count)
        {
            throw new ArgumentException(
                $"Metric '{Name}' takes {LabelNames.Count} label value(s), got {labelValues.Length}.", nameof(labelValues));
        }

        return string.Join('\u0001', labelValues);
    }

    /// <summary>Renders <c>{a="x",b="y"}</c> (plus an optional extra label such as <c>le</c>), or nothing without labels.</summary>
    private protected string LabelText(string[] labelValues, string? extraName = null, string? extraValue = null)
    {
        if (LabelNames.Count == 0 && extraName is null)
        {
            return "";
        }

        var builder = new StringBuilder("{");
        for (var i = 0; i < LabelNames.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append(LabelNames[i]).Append("=\"").Append(PipelineMetrics.EscapeLabelValue(labelValues[i])).Append('"');
        }

        if (extraName is not null)
        {
            if (LabelNames.Count > 0)
            {
                builder.Append(',');
            }

            builder.Append(extraName).Append("=\"").Append(extraValue).Append('"');
        }

        return builder.Append('}').ToString();
    }
}

/// <summary>A monotonically increasing count.</summary>
public sealed class CounterFamily : MetricFamily
{
    private readonly ConcurrentDictionary<string, Counter> _children = new(StringComparer.Ordinal);

    internal CounterFamily(string name, string help, string[] labelNames)
        : base(name, help, labelNames)
    {
    }

    internal override string TypeName => "counter";

    public Counter WithLabels(params string[] labelValues) => _children.GetOrAdd(Key(labelValues), _ => new Counter([.. labelValues]));

    internal override void Publish(Meter meter) =>
        meter.CreateObservableCounter(InstrumentName, () => _children.Values.Select(c => new Measurement<long>(c.Value, Tags(c.LabelValues))), Unit, Help);

    internal override void WriteSamples(TextWriter writer)
    {
        foreach (var (_, child) in _children.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            writer.Write($"{Name}{LabelText(child.LabelValues)} {child.Value.ToString(CultureInfo.InvariantCulture)}\n");
        }
    }
}

public sealed class Counter
{
    private long _value;

    internal Counter(string[] labelValues) => LabelValues = labelValues;

    internal string[] LabelValues { get; }

    public long Value => Interlocked.Read(ref _value);

    public void Increment(long by = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(by);
        Interlocked.Add(ref _value, by);
    }
}

/// <summary>A value that goes up and down (buffer sizes).</summary>
public sealed class GaugeFamily : MetricFamily
{
    private readonly ConcurrentDictionary<string, Gauge> _children = new(StringComparer.Ordinal);

    internal GaugeFamily(string name, string help, string[] labelNames)
        : base(name, help, labelNames)
    {
    }

    internal override string TypeName => "gauge";

    public Gauge WithLabels(params string[] labelValues) => _children.GetOrAdd(Key(labelValues), _ => new Gauge([.. labelValues]));

    /// <summary>Drops one child, so it is no longer reported (a Kafka partition this member no longer owns).</summary>
    public void Remove(params string[] labelValues) => _children.TryRemove(Key(labelValues), out _);

    internal override void Publish(Meter meter) =>
        meter.CreateObservableGauge(InstrumentName, () => _children.Values.Select(c => new Measurement<double>(c.Value, Tags(c.LabelValues))), Unit, Help);

    internal override void WriteSamples(TextWriter writer)
    {
        foreach (var (_, child) in _children.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            writer.Write($"{Name}{LabelText(child.LabelValues)} {PipelineMetrics.FormatValue(child.Value)}\n");
        }
    }
}

public sealed class Gauge
{
    private long _bits;

    internal Gauge(string[] labelValues) => LabelValues = labelValues;

    internal string[] LabelValues { get; }

    public double Value => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _bits));

    public void Set(double value) => Interlocked.Exchange(ref _bits, BitConverter.DoubleToInt64Bits(value));

    /// <summary>Raises the value to <paramref name="value"/> if it is higher (the newest record time seen).</summary>
    public void SetMax(double value)
    {
        long seen;
        do
        {
            seen = Interlocked.Read(ref _bits);
            if (BitConverter.Int64BitsToDouble(seen) >= value) return;
        }
        while (Interlocked.CompareExchange(ref _bits, BitConverter.DoubleToInt64Bits(value), seen) != seen);
    }

    public void Add(double delta)
    {
        long seen, updated;
        do
        {
            seen = Interlocked.Read(ref _bits);
            updated = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + delta);
        }
        while (Interlocked.CompareExchange(ref _bits, updated, seen) != seen);
    }
}

/// <summary>Observations counted in cumulative buckets (batch latency).</summary>
public sealed class HistogramFamily : MetricFamily
{
    private readonly double[] _bounds;
    private readonly ConcurrentDictionary<string, Histogram> _children = new(StringComparer.Ordinal);

    internal HistogramFamily(string name, string help, IReadOnlyList<double> buckets, string[] labelNames)
        : base(name, help, labelNames)
    {
        _bounds = [.. buckets.Where(b => !double.IsPositiveInfinity(b)).Order()];
        if (_bounds.Length == 0 || _bounds.Distinct().Count() != _bounds.Length)
        {
            throw new ArgumentException($"Histogram '{name}' needs distinct finite bucket bounds.", nameof(buckets));
        }
    }

    internal override string TypeName => "histogram";

    private Histogram<double>? _instrument;

    public Histogram WithLabels(params string[] labelValues) =>
        _children.GetOrAdd(Key(labelValues), _ => new Histogram(_bounds, [.. labelValues], this));

    internal override void Publish(Meter meter) =>
        _instrument = meter.CreateHistogram<double>(InstrumentName, Unit, Help,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = _bounds });

    internal void Record(double value, KeyValuePair<string, object?>[] tags) => _instrument?.Record(value, tags);

    internal KeyValuePair<string, object?>[] TagsOf(string[] labelValues) => Tags(labelValues);

    internal override void WriteSamples(TextWriter writer)
    {
        foreach (var (_, child) in _children.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var (counts, count, sum) = child.Snapshot();
            long cumulative = 0;
            for (var i = 0; i < _bounds.Length; i++)
            {
                cumulative += counts[i];
                writer.Write($"{Name}_bucket{LabelText(child.LabelValues, "le", PipelineMetrics.FormatValue(_bounds[i]))} {cumulative.ToString(CultureInfo.InvariantCulture)}\n");
            }

            writer.Write($"{Name}_bucket{LabelText(child.LabelValues, "le", "+Inf")} {count.ToString(CultureInfo.InvariantCulture)}\n");
            writer.Write($"{Name}_sum{LabelText(child.LabelValues)} {PipelineMetrics.FormatValue(sum)}\n");
            writer.Write($"{Name}_count{LabelText(child.LabelValues)} {count.ToString(CultureInfo.InvariantCulture)}\n");
        }
    }
}

public sealed class Histogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private readonly Lock _gate = new();
    private long _count;
    private double _sum;

    private readonly HistogramFamily _family;
    private readonly KeyValuePair<string, object?>[] _tags;

    internal Histogram(double[] bounds, string[] labelValues, HistogramFamily family)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length];
        LabelValues = labelValues;
        _family = family;
        _tags = family.TagsOf(labelValues);
    }

    internal string[] LabelValues { get; }

    public void Observe(double value)
    {
        var index = Array.BinarySearch(_bounds, value);
        if (index < 0)
        {
            index = ~index; // first bound greater than the value; == Length means only +Inf
        }

        lock (_gate)
        {
            if (index < _counts.Length)
            {
                _counts[index]++;
            }

            _count++;
            _sum += value;
        }

        _family.Record(value, _tags);
    }

    internal (long[] Counts, long Count, double Sum) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _counts], _count, _sum);
        }
    }
}
