using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Reporting;
using ZertForwarder.Running;
using ZertForwarder.Sinks.Files;

namespace ZertForwarder.Commands;

/// <summary>
/// <c>run [--config FILE] [--once] [Section:Key=value ...]</c>. With no configuration at all it runs the embedded
/// default: the bundled sample SMF file to ECS, LEEF and flat files under <c>./out</c>, then a per-server summary.
/// </summary>
internal static class RunCommand
{
    /// <summary>The sample dump shipped with the program (written by <c>generate</c>, see README).</summary>
    public static string SamplePath => Path.Combine(AppContext.BaseDirectory, "samples", "zert-sample.smf");

    private static readonly HashSet<string> RunSwitches = ["--once", "--check-config"];

    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args)
    {
        var loaded = SettingsArguments.Load(args, RunSwitches, out var given);
        var once = given.Contains("--once");
        var checkOnly = given.Contains("--check-config");
        var options = loaded.Options;
        if (checkOnly) return CheckConfiguration(loaded);
        // Values and what they point at (files, certificates, the port, the checkpoint file) in one list, before any
        // record is read (StartupChecks).
        var problems = loaded.Errors.ToList();
        if (!loaded.IsEmbeddedDefault) problems.AddRange(StartupChecks.Check(options));
        if (problems.Count > 0) return ReportProblems(problems);
        if (loaded.IsEmbeddedDefault)
        {
            options.Input.Paths = [SamplePath];
            options.Outputs.File = new FileSinkOptions { Directory = "out", Formats = ["ecs", "leef", "flat"] };
            // A demo is repeatable: each run writes the three files afresh, with throw-away checkpoints. Only files a
            // demo wrote (its marker beside them) are replaced: out/ is also the file output's usual directory, and a
            // real run's output there, already counted delivered by its checkpoint, must not be lost to a demo.
            string[] outputs = ["zert-ecs.ndjson", "zert-leef.log", "zert-flat.ndjson"];
            var marker = Path.Combine("out", DemoMarker);
            if (outputs.Any(name => File.Exists(Path.Combine("out", name))) && !File.Exists(marker))
                return ReportProblems([$"'{Path.GetFullPath("out")}' holds output files the demo did not write; the demo writes its files there: move them, or run the demo in another directory"]);
            Directory.CreateDirectory("out");
            foreach (var name in outputs) File.Delete(Path.Combine("out", name));
            NewFiles.WriteAllText(marker, "Written by the zertforwarder demo (the program run with no settings); its files here are replaced at each demo run.\n");
            options.Checkpoint.Directory = Directory.CreateTempSubdirectory("zertforwarder-demo-").FullName;
            // The sample's systems keep local SMF time at these offsets (see the generator's topology).
            options.Zos.UtcOffsets["SYSA"] = "-05:00";
            options.Zos.UtcOffsets["SYSB"] = "-05:00";
            options.Zos.UtcOffsets["PRD1"] = "+01:00";
            options.Zos.UtcOffsets["DEV1"] = "+00:00"; // set, so the demo does not warn about it
            once = true;
            if (StartupChecks.Check(options) is { Count: > 0 } demoProblems) return ReportProblems(demoProblems);
        }

        // On a terminal the progress bar shows how the run goes; informational log lines would break it up.
        var showProgress = options.Logging.Progress && !Console.IsErrorRedirected && options.Input.Paths.Length > 0;
        using var loggers = CreateLoggers(options.Logging, quietForProgress: showProgress);
        var logger = loggers.CreateLogger("zertforwarder");

        ZertNormalizer normalizer;
        try
        {
            normalizer = MappingLoading.CreateNormalizer(options, sid => Log.MissingUtcOffset(logger, MappingLoading.MissingOffsetWarning(sid)));
        }
        catch (MappingException e)
        {
            Console.Error.WriteLine($"zertforwarder: the mapping files have {e.Problems.Count} problem(s):");
            foreach (var problem in e.Problems) Console.Error.WriteLine($"  - {problem}");
            return CommandLine.UsageError;
        }

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });

        // Published on the "ZertForwarder" meter as well (dotnet-counters, OpenTelemetry); served at /metrics when configured.
        using var metrics = new PipelineMetrics(PipelineMetrics.MeterName);
        metrics.Gauge("zertforwarder_build_info", "Always 1; the labels name the forwarder's version and the .NET runtime.", "version", "runtime")
            .WithLabels(CommandLine.Version, RuntimeInformation.FrameworkDescription).Set(1);
        using var runtimeMetrics = options.Metrics.Port > 0 ? new RuntimeMetricsCollector() : null;
        if (runtimeMetrics is not null) metrics.AddCollector(runtimeMetrics.WriteTo);
        var time = TimeProvider.System;
        ForwarderHost host;
        try
        {
            host = new ForwarderHost(options, normalizer, metrics, loggers, time, serverSummary: once && !loaded.IsEmbeddedDefault);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or CryptographicException or JsonException or InvalidDataException)
        {
            // StartupChecks should have named it; this keeps a missed case (or a file changed since) a listed error, not a crash.
            return ReportProblems([e.Message]);
        }
        await using var ownedHost = host;
        MetricsServer? metricsServer = null;
        try
        {
            if (options.Metrics.Port > 0)
                metricsServer = await MetricsServer.StartAsync(options.Metrics.Address, options.Metrics.Port, metrics, () => host.IsReady, logger, () => host.ReadinessDetail);
        }
        catch (IOException e)
        {
            // The port was free during StartupChecks and taken since.
            return ReportProblems([$"Metrics:Port: cannot listen on {options.Metrics.Address}:{options.Metrics.Port} ({e.Message})"]);
        }
        await using var ownedMetricsServer = metricsServer;
        var outputCount = new object?[] { options.Outputs.Kafka, options.Outputs.Elasticsearch, options.Outputs.Syslog, options.Outputs.File, options.Outputs.Splunk }.Count(o => o is not null);
        var heapLimit = HeapLimit.Apply(options, outputCount);
        Log.RunStarting(logger, DescribeInputs(options), DescribeOutputs(options),
            once ? " (once)" : "", heapLimit is { } l ? $"{l >> 20} MB" : "none");
        foreach (var connection in CleartextCredentials.Find(options)) Log.CleartextCredentials(logger, connection);

        bool drained;
        {
            await using var progress = showProgress ? new ProgressReporter(host.Progress, host.Statistics, time) : null;
            try
            {
                drained = await host.RunAsync(once, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped while the outputs were still starting (an Elasticsearch probe, a template upload): nothing
                // was read, so nothing is lost; a `run --once` did not do its work (exit 1), a service just stops.
                Log.StoppedWhileStarting(logger);
                return once ? CommandLine.RecordsRejected : CommandLine.Success;
            }
            catch (SinkFatalException e)
            {
                Log.SinkCannotWork(logger, e.Message);
                return CommandLine.UsageError;
            }
            catch (RunStoppedException e)
            {
                Log.RunStopped(logger, e.InnerException!, e.Message);
                return CommandLine.RecordsRejected;
            }
        }

        var stats = host.Statistics;
        if (loaded.IsEmbeddedDefault) TryDeleteDirectory(options.Checkpoint.Directory);
        Log.RunCompleted(logger, stats.Describe(), host.DeadLettered);
        if (once || loaded.IsEmbeddedDefault)
        {
            // With Outputs:File:Stdout the events are stdout's data, read by another program: the summary and the
            // server table go to stderr, so that no line of them lands in the NDJSON or LEEF stream.
            var summary = options.Outputs.File is { Stdout: true } ? Console.Error : Console.Out;
            // "Forwarded" counts the records handed to the outputs; a drain that timed out left some undelivered.
            summary.WriteLine(stats.Describe() + $"; {host.DeadLettered} dead-lettered." +
                (drained ? "" : " Not all of them were delivered before the drain's deadline: those are read again on restart."));
            if (loaded.IsEmbeddedDefault)
            {
                // The demo's summary is the report engine over the ECS file just written: connections (subtype 12
                // where it covers the time, else 11), per system and stack, with the full views next to it in out/.
                Console.Out.WriteLine($"Output: {Path.GetFullPath("out")} (zert-ecs.ndjson, zert-leef.log, zert-flat.ndjson)");
                var report = ReportGenerator.Generate([Path.Combine("out", "zert-ecs.ndjson")], "out", new ReportFilter(), normalizer,
                    options.Mappings.Directory ?? MappingLoading.DefaultDirectory, Console.Error.WriteLine);
                report.WriteSummary(Console.Out, maxRows: 15);
            }
            else if (stats.Summary is { Count: > 0 } servers)
            {
                servers.WriteTo(summary);
            }
        }
        // A broken frame chain, or an input found by a glob or the watch that cannot be read, leaves records unread: like
        // a rejected record, the operator must look (exit 1).
        // A `run --once` stopped by a signal before its inputs were read to the end is not a complete run either (a job
        // runner should run it again; it goes on from the checkpoint). A watched dump that broke while it was still
        // arriving and was completed later no longer counts.
        return !drained || host.DeadLettered > 0 || stats.Rejected.Value > 0 || stats.InputsLeftBroken > 0 || stats.InputsLeftUnreadable > 0
            || stats.StoppedBeforeEnd
            ? CommandLine.RecordsRejected
            : CommandLine.Success;
    }

    /// <summary>Marks out/ as the demo's, so that a later demo may replace the files there.</summary>
    internal const string DemoMarker = ".zertforwarder-demo";

    /// <summary>
    /// <c>run --check-config</c>: the settings, the input files they name and the mapping files, checked as a start
    /// would check them, without touching the rest of the environment (no secret or certificate file is opened, no
    /// watched directory, broker or port tried), so a deployment's configuration can be checked where it is built (the
    /// Helm chart's CI does this for its examples).
    /// </summary>
    private static int CheckConfiguration(LoadedConfiguration loaded)
    {
        // The named input files as a start checks them: a directory or an unreadable file passed, and the start then
        // stopped on it. A glob may match nothing yet, and a watched directory may exist only where the forwarder runs.
        var problems = loaded.Errors.ToList();
        if (!loaded.IsEmbeddedDefault) problems.AddRange(StartupChecks.CheckInputFiles(loaded.Options.Input));
        // Both lists at once: a profile that does not exist (a mapping problem) was named only once the settings
        // were right, one more round of fixing per kind of mistake.
        List<string> mappingProblems = [];
        try
        {
            MappingLoading.CreateNormalizer(loaded.Options, _ => { });
        }
        catch (MappingException e)
        {
            mappingProblems.AddRange(e.Problems);
        }
        if (problems.Count > 0) ReportProblems(problems);
        if (mappingProblems.Count > 0)
        {
            Console.Error.WriteLine($"zertforwarder: the mapping files have {mappingProblems.Count} problem(s):");
            foreach (var problem in mappingProblems) Console.Error.WriteLine($"  - {problem}");
        }
        if (problems.Count > 0 || mappingProblems.Count > 0) return CommandLine.UsageError;
        Console.Out.WriteLine(loaded.IsEmbeddedDefault
            ? "zertforwarder: no configuration given; the embedded default runs the bundled sample."
            : "zertforwarder: the configuration and the mapping files are valid (secret and certificate files, directories, brokers and ports are checked at start).");
        return CommandLine.Success;
    }

    private static int ReportProblems(IReadOnlyList<string> problems)
    {
        Console.Error.WriteLine($"zertforwarder: the configuration has {problems.Count} problem(s):");
        foreach (var problem in problems) Console.Error.WriteLine($"  - {problem}");
        return CommandLine.UsageError;
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Only the demo's throw-away checkpoints: leaving them in the temp directory is harmless.
        }
    }

    private static ILoggerFactory CreateLoggers(LoggingSettings settings, bool quietForProgress)
    {
        var level = settings.Level;
        if (quietForProgress && level < LogLevel.Warning) level = LogLevel.Warning;
        var json = settings.Format == LogFormat.Json || (settings.Format == LogFormat.Auto && Console.IsErrorRedirected);
        return LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(level);
            // Logs go to stderr: stdout carries data (decode output, the stdout sink, the summary table).
            if (json)
            {
                b.AddJsonConsole(o =>
                {
                    o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                    o.UseUtcTimestamp = true;
                    o.IncludeScopes = false;
                });
            }
            else
            {
                b.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss ";
                });
            }
            b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
    }

    private static string DescribeInputs(ForwarderOptions o)
    {
        var parts = new List<string>();
        if (o.Input.Paths.Length > 0) parts.Add(string.Join(", ", o.Input.Paths));
        if (o.Input.Watch is { } w) parts.Add($"watched directory {w.Directory}");
        if (o.Input.Kafka is { } k) parts.Add($"Kafka topic {k.Topic}");
        return string.Join(" + ", parts);
    }

    private static string DescribeOutputs(ForwarderOptions o)
    {
        var parts = new List<string>();
        if (o.Outputs.Kafka is { } k) parts.Add($"Kafka {k.Topic} ({k.Format})");
        if (o.Outputs.Elasticsearch is { } e)
            parts.Add(!string.IsNullOrEmpty(e.CloudId) ? $"Elasticsearch Cloud '{e.CloudId.Split(':')[0]}'"
                : $"Elasticsearch {string.Join(", ", (e.Urls.Length > 0 ? e.Urls : [e.Url]).Select(UrlRedaction.Redact))}");
        if (o.Outputs.Syslog is { } s) parts.Add($"syslog {s.Host}:{s.EffectivePort} ({ChoiceNames.Of(s.Protocol)})");
        if (o.Outputs.File is { } f) parts.Add(f.Stdout ? "stdout" : $"files in {f.Directory}");
        if (o.Outputs.Splunk is { } sp) parts.Add($"Splunk HEC {sp.CollectorName()}{(sp.UseAck ? " with acknowledgement" : "")}");
        return string.Join(", ", parts);
    }
}
