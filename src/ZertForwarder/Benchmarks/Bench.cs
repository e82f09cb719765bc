using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZertForwarder.Commands;
using ZertForwarder.Configuration;
using ZertForwarder.Generator;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Running;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Sinks.Splunk;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Benchmarks;

/// <summary>
/// <c>bench</c>: whole-process measurements against the product targets (README "Performance"). Speed is measured
/// here, never in a unit test. Each figure is also given as a ratio measured in the same run, because the machines
/// are shared and absolute numbers wander.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>bench</c>: decode only, then decode + ECS on every core, over a generated dump read from disk.</item>
/// <item><c>bench --kafka</c>: the same messages produced by kcat and by <c>run</c> (file to Kafka) into librdkafka's
/// mock cluster, with the same producer settings; reports forwarder rate / kcat rate.</item>
/// <item><c>bench --memory</c>: peak resident memory of the whole pipeline (decode, ECS, a counting sink) after 1M
/// and after 10M records: flat in input size means the two peaks are close.</item>
/// <item><c>bench --splunk URL</c>: file to Splunk's HTTP Event Collector at URL (token from
/// <c>--splunk-token-file</c> or the <c>Outputs:Splunk:Token</c> environment variable; <c>--ack</c> turns indexer
/// acknowledgement on), whole pipeline with the default batching: events per second as HEC accepted them.</item>
/// </list>
/// </remarks>
internal static class Bench
{
    private const double DecodeEcsTarget = 500_000;
    private static readonly HashSet<string> ValueOptions = ["--records", "--seed", "--splunk", "--splunk-token-file"];
    private static readonly HashSet<string> Switches = ["--kafka", "--memory", "--ack"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var a = new Arguments(args, ValueOptions, Switches);
        var seed = (ulong)a.Long("--seed", 7);
        var work = Directory.CreateTempSubdirectory("zertforwarder-bench-");
        try
        {
            Console.Out.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, server GC {System.Runtime.GCSettings.IsServerGC}");
            if (a.Has("--memory")) return await MemoryAsync(work.FullName, (int)a.Long("--records", 10_000_000), seed);
            if (a.Has("--kafka")) return await KafkaAsync(work.FullName, (int)a.Long("--records", 200_000), seed);
            if (a.Value("--splunk") is { } hecUrl)
            {
                return await SplunkAsync(work.FullName, (int)a.Long("--records", 100_000), seed, hecUrl, a.Value("--splunk-token-file"), a.Has("--ack"));
            }
            return DecodeAndEcs(work.FullName, (int)a.Long("--records", 1_000_000), seed);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Generate(string directory, int records, ulong seed, string name = "bench.smf")
    {
        var path = Path.Combine(directory, name);
        var watch = Stopwatch.StartNew();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            SmfDumpGenerator.WriteDump(file, seed, records, GeneratorContainer.Vbs);
        }
        Console.Out.WriteLine($"generated {records:N0} zERT records (VBS, {new FileInfo(path).Length / 1048576.0:N0} MB) in {watch.Elapsed.TotalSeconds:N1} s");
        return path;
    }

    private static int DecodeAndEcs(string directory, int records, ulong seed)
    {
        var path = Generate(directory, records, seed);
        var normalizer = MappingLoading.CreateNormalizer(null, false);
        // First pass warms the JIT and the page cache; the second is reported.
        (double Rate, double CpuMicros) decode = default, ecs = default;
        for (var pass = 0; pass < 2; pass++)
        {
            decode = Measure(() => DecodeOnly(path));
            ecs = Measure(() => DecodeAndEcsParallel(path, normalizer));
        }
        Console.Out.WriteLine($"decode only (frame + validate, 1 thread): {decode.Rate,12:N0} records/s, {decode.CpuMicros,6:N2} us CPU/record");
        Console.Out.WriteLine($"decode + ECS ({Environment.ProcessorCount} threads, whole process): {ecs.Rate,12:N0} records/s = {ecs.Rate / DecodeEcsTarget:P0} of the 500,000 records/s target, {ecs.CpuMicros,6:N2} us CPU/record (process)");
        return CommandLine.Success;
    }

    /// <summary>Rate and process CPU time per item: CPU per item is the steadier figure on a shared machine.</summary>
    private static (double Rate, double CpuMicros) Measure(Func<long> run)
    {
        var cpu = ProcessCpu();
        var watch = Stopwatch.StartNew();
        var count = run();
        var elapsed = watch.Elapsed.TotalSeconds;
        return (count / elapsed, (ProcessCpu() - cpu).TotalMicroseconds / Math.Max(1, count));
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static long DecodeOnly(string path)
    {
        using var reader = new SmfRecordReader(File.OpenRead(path));
        long decoded = 0;
        while (reader.TryReadNext(out var frame))
        {
            if (frame.IsError) continue;
            if (ZertRecordParser.Parse(frame.Record).Status == ZertParseStatus.Decoded) decoded++;
        }
        return decoded;
    }

    /// <summary>The run pipeline's decode and map stages (batches of records mapped on every core), output discarded.</summary>
    private static long DecodeAndEcsParallel(string path, ZertNormalizer normalizer)
    {
        using var reader = new SmfRecordReader(File.OpenRead(path));
        long decoded = 0;
        var workers = new List<Task<long>>();
        using var queue = new System.Collections.Concurrent.BlockingCollection<byte[][]>(Environment.ProcessorCount * 2);
        for (var w = 0; w < Environment.ProcessorCount; w++)
        {
            workers.Add(Task.Factory.StartNew(() =>
            {
                var output = new ArrayBufferWriter<byte>(1 << 16);
                long n = 0;
                foreach (var batch in queue.GetConsumingEnumerable())
                {
                    foreach (var bytes in batch)
                    {
                        var result = ZertRecordParser.Parse(bytes);
                        if (result.Status != ZertParseStatus.Decoded) continue;
                        output.ResetWrittenCount();
                        normalizer.WriteEcs(result.Record!, output);
                        n++;
                    }
                }
                return n;
            }, TaskCreationOptions.LongRunning));
        }
        var current = new List<byte[]>(RecordProcessor.BatchSize);
        while (reader.TryReadNext(out var frame))
        {
            if (frame.IsError) continue;
            current.Add(frame.Record.ToArray());
            if (current.Count == RecordProcessor.BatchSize)
            {
                queue.Add([.. current]);
                current.Clear();
            }
        }
        if (current.Count > 0) queue.Add([.. current]);
        queue.CompleteAdding();
        foreach (var worker in workers) decoded += worker.Result;
        return decoded;
    }

    private static async Task<int> KafkaAsync(string directory, int records, ulong seed)
    {
        var path = Generate(directory, records, seed);
        var kcat = Tools.Find("kcat");
        if (kcat is null)
        {
            Console.Error.WriteLine("bench --kafka needs kcat on PATH (apt-get install kcat) for the reference rate.");
            return CommandLine.UsageError;
        }
        using var cluster = new MockKafkaCluster(brokers: 3);
        var normalizer = MappingLoading.CreateNormalizer(null, false);

        // The same messages for kcat: key TAB value per line, encoded by the same normalizer.
        var lines = Path.Combine(directory, "messages.tsv");
        var messages = WriteKcatInput(path, normalizer, lines);
        Console.Out.WriteLine($"{messages:N0} ECS messages, {new FileInfo(lines).Length / 1048576.0:N0} MB; mock cluster {cluster.BootstrapServers}");

        double kcatRate = 0, forwarderRate = 0, clusterCpu = 0, forwarderCpu = 0;
        for (var pass = 0; pass < 2; pass++)
        {
            var kcatTopic = $"bench-kcat-{pass}";
            var forwarderTopic = $"bench-forwarder-{pass}";
            cluster.CreateTopic(kcatTopic, 4);
            cluster.CreateTopic(forwarderTopic, 4);
            // CPU of this process: while kcat runs, that is the in-process mock cluster alone; during the forwarder
            // run it is the forwarder plus the cluster.
            var cpu = ProcessCpu();
            kcatRate = messages / await TimeKcatAsync(kcat, cluster.BootstrapServers, kcatTopic, lines);
            clusterCpu = (ProcessCpu() - cpu).TotalMicroseconds / messages;
            cpu = ProcessCpu();
            forwarderRate = messages / await TimeForwarderAsync(path, directory, cluster.BootstrapServers, forwarderTopic, pass);
            forwarderCpu = (ProcessCpu() - cpu).TotalMicroseconds / messages;
        }
        Console.Out.WriteLine($"kcat -P (acks=all, idempotent, lz4, linger 20 ms): {kcatRate,12:N0} messages/s (mock cluster: {clusterCpu:N2} us CPU/message)");
        Console.Out.WriteLine($"zertforwarder run, file -> Kafka (decode + ECS + produce): {forwarderRate,12:N0} messages/s ({forwarderCpu:N2} us CPU/message with the mock cluster)");
        Console.Out.WriteLine($"ratio forwarder / kcat: {forwarderRate / kcatRate:P0} (target: 80% or more)");
        return CommandLine.Success;
    }

    private static long WriteKcatInput(string smfPath, ZertNormalizer normalizer, string linesPath)
    {
        using var reader = new SmfRecordReader(File.OpenRead(smfPath));
        using var output = new FileStream(linesPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        long count = 0;
        while (reader.TryReadNext(out var frame))
        {
            if (frame.IsError) continue;
            var result = ZertRecordParser.Parse(frame.Record.ToArray());
            if (result.Status != ZertParseStatus.Decoded) continue;
            var envelope = normalizer.Describe(result.Record!);
            buffer.ResetWrittenCount();
            buffer.Write(Encoding.UTF8.GetBytes(envelope.Key));
            buffer.Write("\t"u8);
            normalizer.WriteEcs(result.Record!, buffer);
            buffer.Write("\n"u8);
            output.Write(buffer.WrittenSpan);
            count++;
        }
        return count;
    }

    private static async Task<double> TimeKcatAsync(string kcat, string bootstrap, string topic, string lines)
    {
        var start = new ProcessStartInfo(kcat)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-l",
                     "-X", "acks=all", "-X", "enable.idempotence=true", "-X", "compression.codec=lz4", "-X", "linger.ms=20",
                     "-X", "batch.size=1000000", lines,
                 })
        {
            start.ArgumentList.Add(arg);
        }
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"kcat failed ({process.ExitCode}): {await stderr}");
        return seconds;
    }

    private static async Task<double> TimeForwarderAsync(string smfPath, string directory, string bootstrap, string topic, int pass)
    {
        var options = new ForwarderOptions();
        options.Input.Paths = [smfPath];
        options.Outputs.Kafka = new KafkaSinkOptions { BootstrapServers = bootstrap, Topic = topic, Compression = "lz4", LingerMs = 20 };
        options.Checkpoint.Directory = Path.Combine(directory, $"state-{pass}");
        var normalizer = MappingLoading.CreateNormalizer(options);
        var gc = GcSnapshot.Take();
        var watch = Stopwatch.StartNew();
        await using (var host = new ForwarderHost(options, normalizer, new PipelineMetrics(), NullLoggerFactory.Instance, TimeProvider.System))
        {
            if (!await host.RunAsync(once: true, CancellationToken.None)) throw new InvalidOperationException("the forwarder did not drain");
            if (host.DeadLettered > 0) throw new InvalidOperationException($"{host.DeadLettered} events were dead-lettered");
        }
        var seconds = watch.Elapsed.TotalSeconds;
        Console.Out.WriteLine($"  pass {pass}: forwarder {seconds:N2} s; {GcSnapshot.Take().Since(gc, seconds)}");
        return seconds;
    }

    private static async Task<int> SplunkAsync(string directory, int records, ulong seed, string url, string? tokenFile, bool useAck)
    {
        var smf = Generate(directory, records, seed);
        var options = new ForwarderOptions();
        options.Input.Paths = [smf];
        options.Checkpoint.Directory = Path.Combine(directory, "state");
        // The token is a secret: from a file or the same environment variable as for run, never from the command line.
        options.Outputs.Splunk = new SplunkHecSinkOptions
        {
            Url = url,
            TokenFile = tokenFile,
            Token = tokenFile is null ? Environment.GetEnvironmentVariable(ConfigurationLoader.EnvironmentPrefix + "Outputs__Splunk__Token") : null,
            UseAck = useAck,
        };
        var problems = options.Outputs.Splunk.Validate();
        if (problems.Count > 0)
        {
            foreach (var problem in problems) Console.Error.WriteLine(problem);
            return CommandLine.UsageError;
        }
        var normalizer = MappingLoading.CreateNormalizer(options);
        var gc = GcSnapshot.Take();
        var cpu = ProcessCpu();
        var watch = Stopwatch.StartNew();
        await using (var host = new ForwarderHost(options, normalizer, new PipelineMetrics(), NullLoggerFactory.Instance, TimeProvider.System))
        {
            if (!await host.RunAsync(once: true, CancellationToken.None)) throw new InvalidOperationException("the forwarder did not drain");
            if (host.DeadLettered > 0) throw new InvalidOperationException($"{host.DeadLettered} events were dead-lettered");
        }
        var seconds = watch.Elapsed.TotalSeconds;
        var cpuMicros = (ProcessCpu() - cpu).TotalMicroseconds / records;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"file -> Splunk HEC{(useAck ? " with indexer acknowledgement" : "")}: {records:N0} events in {seconds:N2} s = {records / seconds:N0} events/s, {cpuMicros:N1} µs CPU per event (whole process, collector included when it runs here); {GcSnapshot.Take().Since(gc, seconds)}"));
        return 0;
    }

    private static async Task<int> MemoryAsync(string directory, int records, ulong seed)
    {
        var small = Math.Max(1, records / 10);
        foreach (var count in new[] { small, records })
        {
            var path = Generate(directory, count, seed, $"memory-{count}.smf");
            var options = new ForwarderOptions();
            options.Input.Paths = [path];
            options.Checkpoint.Directory = Path.Combine(directory, $"state-{count}");
            var counting = new CountingSink();
            var normalizer = MappingLoading.CreateNormalizer(options);
            var watch = Stopwatch.StartNew();
            await using (var host = new ForwarderHost(options, normalizer, new PipelineMetrics(), NullLoggerFactory.Instance, TimeProvider.System,
                             extraSinks: [counting], formats: new OutputFormats(Ecs: true, Leef: false, Flat: false)))
            {
                await host.RunAsync(once: true, CancellationToken.None);
            }
            File.Delete(path);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count,12:N0} records through decode + ECS + sink runner in {watch.Elapsed.TotalSeconds,6:N1} s ({counting.Count / watch.Elapsed.TotalSeconds:N0}/s): peak RSS so far {PeakResidentMegabytes():N0} MB"));
        }
        Console.Out.WriteLine("The peak after the large run stays near the peak after the small one when memory is flat in input size (target: under 256 MB).");
        return CommandLine.Success;
    }

    /// <summary>VmHWM of this process: the peak resident set size, in MB (Linux).</summary>
    private static double PeakResidentMegabytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            return kb / 1024.0;
        }
        return double.NaN;
    }

    /// <summary>A sink that keeps nothing: delivers every item and counts it (the memory bench measures the pipeline itself).</summary>
    private sealed class CountingSink : ISink
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public string Name => "counting";

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
        {
            for (var i = 0; i < batch.Count; i++) outcome.Delivered(i);
            Interlocked.Add(ref _count, batch.Count);
            return Task.CompletedTask;
        }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Collection counts and pause time, to tell allocation pressure apart from other costs.</summary>
internal readonly record struct GcSnapshot(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
{
    public static GcSnapshot Take() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public string Since(GcSnapshot before, double seconds) => string.Create(CultureInfo.InvariantCulture,
        $"GC {Gen0 - before.Gen0}/{Gen1 - before.Gen1}/{Gen2 - before.Gen2} (gen0/1/2), paused {(Paused - before.Paused).TotalMilliseconds:N0} ms ({(Paused - before.Paused).TotalSeconds / seconds:P0}), allocated {(Allocated - before.Allocated) / 1048576.0:N0} MB");
}

/// <summary>Finds an executable on PATH.</summary>
internal static class Tools
{
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
