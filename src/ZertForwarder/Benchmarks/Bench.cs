using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using ZertForwarder.Commands;
using ZertForwarder.Configuration;
using ZertForwarder.Generator;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Benchmarks;

/// <summary>
/// <c>bench</c>: measures the verbs users run, as whole processes, against the product targets (README "Performance").
/// Speed is measured here, never in a unit test.
/// </summary>
/// <remarks>
/// Every measured program is a child process started from this program's own executable (or kcat), its standard
/// output going where a user's would; wall time is taken around it and its CPU time and peak RSS come from the kernel
/// (<see cref="ChildProcess"/>). One cold pass (the input evicted from the page cache first) is followed by warm
/// rounds in which the compared programs take turns, so a change in the machine's load hits both sides of a ratio.
/// Figures are min / median / max over the warm rounds; the ratios to the targets are taken per round, then the
/// median. The machine's load average is printed with them: on a shared machine rates wander, CPU per record less so.
/// </remarks>
internal static partial class Bench
{
    private const double DecodeTarget = 500_000;
    private const double FileToDecodeTarget = 0.9;
    private const double KafkaCpuTarget = 1.2;

    /// <summary>
    /// The memory target says "256 MB". Read as decimal megabytes that is 256,000,000 bytes (244.1 MiB); read as binary
    /// it is 256 MiB. The kernel counts resident memory in KiB, so figures are printed in MiB, and the verdict says which
    /// reading a peak meets: between the two it is not simply "met".
    /// </summary>
    private const double PeakRssTargetBytes = 256_000_000;
    private const double PeakRssTargetMebibytes = 256;

    /// <summary>A peak in MiB, in MB, as a share of 256,000,000 bytes, and which reading of the target it meets.</summary>
    internal static string PeakRssVerdict(double peakMebibytes)
    {
        var bytes = peakMebibytes * 1024 * 1024;
        var verdict = bytes <= PeakRssTargetBytes ? "met"
            : peakMebibytes <= PeakRssTargetMebibytes ? "met as 256 MiB, NOT as 256,000,000 bytes"
            : "NOT met";
        return string.Create(CultureInfo.InvariantCulture,
            $"{peakMebibytes:N1} MiB ({bytes / 1e6:N0} MB) = {bytes / PeakRssTargetBytes:P0} of 256,000,000 bytes: {verdict}");
    }

    private static readonly HashSet<string> ValueOptions = ["--records", "--seed", "--input", "--pairs", "--rounds", "--env", "--splunk", "--splunk-token-file"];
    private static readonly HashSet<string> Switches = ["--no-cold", "--ack", "--allow-unoptimized"];

    public const string Usage = """
        Usage: zertforwarder bench [--records N] [--pairs file,kafka,elasticsearch] [--rounds R] [--no-cold] [--env NAME=VALUE,...] [--seed S]
                                   [--input FILE] [--splunk URL [--splunk-token-file F] [--ack]] [--allow-unoptimized]
          Generates a dump of N zERT records (default 1000000), or with --input FILE measures an SMF dump of your own
          (RDW or VBS, read as decode reads it, never written), then runs as separate processes, R rounds in turn
          (default 3) after one cold pass (input evicted from the page cache):
            decode      zertforwarder decode --format ecs FILE > /dev/null                  (always; the reference)
            file        zertforwarder run --once: FILE -> ECS file output                   (pair 'file')
            kcat        kcat -P of the same messages (key TAB ECS) into a mock Kafka cluster (pair 'kafka')
            kafka       zertforwarder run --once: FILE -> Kafka, same producer settings     (pair 'kafka')
            elastic     zertforwarder run --once: FILE -> a fast in-process fake of the
                        Elasticsearch bulk API (acknowledges everything, keeps nothing)   (pair 'elasticsearch')
            splunk      zertforwarder run --once: FILE -> the HTTP Event Collector at URL (--splunk; token from
                        --splunk-token-file or ZERTFORWARDER_Outputs__Splunk__Token; --ack: indexer acknowledgement;
                        its settings are checked before anything is measured)
          Prints wall time, records/s, CPU time per record and peak RSS of each process (min/median/max), the load
          average, and the ratio to each target. --env sets environment variables of the zertforwarder processes
          (e.g. DOTNET_gcServer=0) to compare runtime settings. Needs Linux; the kafka pair needs kcat on PATH.
          Writes its files under TMPDIR and first checks there is room (about 8.2 GB per million records with
          both pairs); without it, stops before writing anything (exit 2). Records an --input dump's reader rejects are
          counted, not measured: the programs may then exit 1, and must still forward every other record.
          Measures only optimized code: a build made with -p:Optimize=false, or DOTNET_JITMinOpts, is refused
          (exit 2); --allow-unoptimized measures it anyway, marked as such (to try the bench itself).
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Any(arg => arg is "--help" or "-h"))
        {
            Console.Out.WriteLine(Usage);
            return CommandLine.Success;
        }
        // Every problem of the command line at once, before anything is written or measured: the first one stopped
        // the bench, and one in the run to Splunk's settings only when that run's turn came, after the others.
        var problems = new List<string>();
        var a = new Arguments(args, ValueOptions, Switches, problems);
        if (a.Positional.Count > 0) problems.Add($"bench takes no file argument ('{a.Positional[0]}'); a dump of your own goes with --input");
        var inputPath = a.Value("--input");
        if (inputPath is not null && (a.Has("--records") || a.Has("--seed")))
        {
            problems.Add("--input measures the dump as it is: --records and --seed are for a generated one");
        }
        var settings = new BenchSettings(
            Records: Count(a, "--records", 1_000_000, problems),
            Rounds: Count(a, "--rounds", 3, problems),
            Seed: (ulong)a.Long("--seed", 7),
            Cold: !a.Has("--no-cold"),
            Pairs: ParsePairs(a.Value("--pairs") ?? "file,kafka", problems),
            Environment: ParseEnvironment(a.Value("--env"), problems),
            SplunkUrl: a.Value("--splunk"),
            SplunkTokenFile: a.Value("--splunk-token-file") is { } tokenFile ? Path.GetFullPath(tokenFile) : null,
            SplunkAck: a.Has("--ack"));
        if (settings.SplunkUrl is null && (settings.SplunkTokenFile is not null || settings.SplunkAck))
        {
            problems.Add("--splunk-token-file and --ack go with --splunk URL");
        }
        problems.AddRange(SplunkProblems(settings));
        if (!OperatingSystem.IsLinux()) problems.Add("bench measures child processes through Linux's wait4 and /proc: run it on Linux");
        var kcat = settings.Pairs.Contains("kafka") ? Tools.Find("kcat") : null;
        if (settings.Pairs.Contains("kafka") && kcat is null)
        {
            problems.Add("bench --pairs kafka needs kcat on PATH (Debian: apt-get install kcat) for the reference producer");
        }
        if (problems.Count > 0) throw new UsageException(problems);

        // Counted after the quick checks (a large dump takes seconds to read) and before the disk check, which needs it.
        if (inputPath is not null)
        {
            var input = CountInput(inputPath);
            settings = settings with { Records = input.ZertRecords, Input = input };
        }
        if (DiskRoom.Shortfall(settings, Path.GetTempPath()) is { } shortfall)
        {
            Console.Error.WriteLine($"zertforwarder: {shortfall}");
            return CommandLine.UsageError;
        }
        var unoptimized = BuildCheck.Problems(settings.Environment);
        if (unoptimized.Count > 0 && !a.Has("--allow-unoptimized"))
        {
            Console.Error.WriteLine($"zertforwarder: bench would measure unoptimized code ({string.Join("; ", unoptimized)}), which runs several " +
                "times slower than what users run, so its figures would say nothing about the targets. Build and run it optimized: " +
                "dotnet run -c Release --project src/ZertForwarder -- bench ... (--allow-unoptimized measures it anyway, marked as such).");
            return CommandLine.UsageError;
        }
        settings = settings with { Unoptimized = unoptimized };

        var work = Directory.CreateTempSubdirectory("zertforwarder-bench-");
        try
        {
            return await new BenchRun(settings, work.FullName, kcat).ExecuteAsync();
        }
        catch (InvalidOperationException e)
        {
            // A measured program failed or did not forward everything: its figures would mean nothing.
            Console.Error.WriteLine($"zertforwarder: bench stopped: {e.Message}");
            return CommandLine.RecordsRejected;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The zERT records of an <c>--input</c> dump, counted before anything is written (the disk check needs the count).
    /// A dump the reader cannot read to its end is refused: the programs would stop at the break, and rates over part
    /// of a file compare with nothing.
    /// </summary>
    private static BenchInput CountInput(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new UsageException($"--input '{path}': no such file");
        // Every round reads the dump again (and the count reads it first): a pipe would be empty after the first read.
        if (Forwarding.InputPaths.IsStream(fullPath)) throw new UsageException($"--input '{path}' is a pipe or device, which can be read only once; bench reads the dump in every round: save it to a file first");
        int zert;
        long rejected;
        try
        {
            (zert, rejected) = CountRecords(fullPath);
        }
        catch (Exception e) when (e is SmfFramingException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--input '{path}' cannot be read to its end: {e.Message}");
        }
        if (zert == 0) throw new UsageException($"--input '{path}' holds no zERT records (SMF type 119, subtypes 11 and 12)");
        return new BenchInput(fullPath, zert, rejected);
    }

    /// <summary>
    /// What the programs will find in a dump: the zERT records they forward, and the frames and records the reader
    /// rejects (broken frames, malformed zERT records); other SMF types and subtypes are neither.
    /// </summary>
    private static (int ZertRecords, long Rejected) CountRecords(string path)
    {
        var (zert, rejected) = (0, 0L);
        using var reader = new SmfRecordReader(File.OpenRead(path));
        while (reader.TryReadNext(out var frame))
        {
            if (frame.IsError)
            {
                rejected++;
                continue;
            }
            switch (ZertRecordParser.Parse(frame.Record.ToArray()).Status)
            {
                case ZertParseStatus.Decoded: zert++; break;
                case ZertParseStatus.Malformed: rejected++; break;
            }
        }
        return (zert, rejected);
    }

    /// <summary>A dump of the user's own (<c>--input</c>): where it is and what its reader finds in it.</summary>
    internal sealed record BenchInput(string Path, int ZertRecords, long Rejected);

    /// <summary>
    /// A count (records, rounds): at least 1 (0 was measured as 1, without a word) and at most <see cref="int.MaxValue"/>
    /// (a larger one stopped the bench with an overflow).
    /// </summary>
    private static int Count(Arguments a, string option, int defaultValue, List<string> problems)
    {
        var value = a.Long(option, defaultValue);
        if (value is >= 1 and <= int.MaxValue) return (int)value;
        problems.Add(value < 1
            ? $"option '{option}' needs at least 1, not {value}"
            : string.Create(CultureInfo.InvariantCulture, $"option '{option}' needs at most {int.MaxValue:N0}, not {value}"));
        return defaultValue;
    }

    private static HashSet<string> ParsePairs(string text, List<string> problems)
    {
        // Any case, as the settings' choices are.
        var pairs = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs.Where(pair => pair.ToLowerInvariant() is not ("file" or "kafka" or "elasticsearch")))
        {
            problems.Add($"unknown bench pair '{pair}': use file, kafka, elasticsearch (decode always runs)");
        }
        return pairs;
    }

    private static Dictionary<string, string?> ParseEnvironment(string? text, List<string> problems)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var item in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0) variables[item[..equals]] = item[(equals + 1)..];
            else problems.Add($"--env takes NAME=VALUE items separated by commas, not '{item}'");
        }
        return variables;
    }

    /// <summary>
    /// What the run to Splunk would refuse at its start (its URL, its token, the token file), checked as that start
    /// checks it, with the environment that run gets: the dump stands in as standard input (it is not written yet), and
    /// its checkpoints as a directory under TMPDIR, where the bench keeps its own.
    /// </summary>
    private static IEnumerable<string> SplunkProblems(BenchSettings settings)
    {
        if (settings.SplunkUrl is null) return [];
        var checkpoints = Path.Combine(Path.GetTempPath(), "zertforwarder-bench-splunk-state");
        var loaded = ConfigurationLoader.Load(null, SplunkRunSettings(settings, "-", checkpoints), ChildProcess.MergedEnvironment(settings.Environment));
        return loaded.Errors.Concat(StartupChecks.Check(loaded.Options)).Select(problem => $"--splunk: {problem}");
    }

    /// <summary>The settings of the run to Splunk. The token comes from the file or from the environment this program passes on; never from the command line.</summary>
    private static List<string> SplunkRunSettings(BenchSettings settings, string input, string checkpoints)
    {
        List<string> arguments = [$"Input:Paths:0={input}", $"Outputs:Splunk:Url={settings.SplunkUrl}", $"Checkpoint:Directory={checkpoints}", "Logging:Progress=false"];
        if (settings.SplunkTokenFile is not null) arguments.Add($"Outputs:Splunk:TokenFile={settings.SplunkTokenFile}");
        if (settings.SplunkAck) arguments.Add("Outputs:Splunk:UseAck=true");
        return arguments;
    }

    /// <param name="Input">A dump of the user's own instead of a generated one; <see cref="Records"/> is then its count of zERT records.</param>
    internal sealed record BenchSettings(int Records, int Rounds, ulong Seed, bool Cold, HashSet<string> Pairs, Dictionary<string, string?> Environment,
        string? SplunkUrl = null, string? SplunkTokenFile = null, bool SplunkAck = false, BenchInput? Input = null,
        IReadOnlyList<string>? Unoptimized = null)
    {
        /// <summary>Printed with the program and again with the verdicts, so no figure of an unoptimized build is read as a real one.</summary>
        public string BuildLine => Unoptimized is { Count: > 0 } problems
            ? $"build: UNOPTIMIZED ({string.Join("; ", problems)}), measured because of --allow-unoptimized: these figures are not comparable with the targets"
            : "build: optimized";
    }

    /// <summary>One measured program: how to start it and how many records it handled.</summary>
    private sealed record MeasuredProgram(string Name, string Description, Func<int, ChildMeasurement> Run);

    private sealed class BenchRun(BenchSettings settings, string work, string? kcat)
    {
        private readonly Dictionary<string, List<ChildMeasurement>> _warm = [];
        private readonly Dictionary<string, ChildMeasurement> _cold = [];
        private readonly string _input = settings.Input?.Path ?? Path.Combine(work, "bench.smf");
        private readonly string _kcatLines = Path.Combine(work, "messages.tsv");
        private readonly (string Path, string[] Prefix) _self = SelfExecutable();
        private long _zertRecords;
        private string? _bootstrap;
        private FastElasticsearchFake? _elasticsearch;

        public async Task<int> ExecuteAsync()
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC: {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}"));
            Console.Out.WriteLine($"program: {_self.Path} {string.Join(' ', _self.Prefix)}".TrimEnd() +
                (settings.Environment.Count > 0 ? $"; environment {string.Join(", ", settings.Environment.Select(e => $"{e.Key}={e.Value}"))}" : ""));
            Console.Out.WriteLine(settings.BuildLine);
            if (settings.Input is { } input)
            {
                _zertRecords = input.ZertRecords;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"input: {_zertRecords:N0} zERT records ({_input}, {new FileInfo(_input).Length / 1048576.0:N0} MiB; {input.Rejected:N0} rejected by the reader)"));
            }
            else
            {
                Generate();
            }
            var programs = new List<MeasuredProgram> { new("decode", "decode --format ecs FILE > /dev/null", Decode) };
            if (settings.Pairs.Contains("file")) programs.Add(new("file", "run --once, FILE -> ECS file output", RunToFile));
            ChildProcess? mock = null;
            try
            {
                if (settings.Pairs.Contains("kafka"))
                {
                    WriteKcatLines();
                    (mock, _bootstrap) = await StartMockClusterAsync();
                    programs.Add(new("kcat", "kcat -P, the same key TAB ECS lines, same producer settings", Kcat));
                    programs.Add(new("kafka", "run --once, FILE -> Kafka (acks=all, idempotent, lz4, linger 20 ms)", RunToKafka));
                }
                if (settings.Pairs.Contains("elasticsearch"))
                {
                    _elasticsearch = await FastElasticsearchFake.StartAsync();
                    programs.Add(new("elastic", "run --once, FILE -> Elasticsearch bulk API (fast fake in the bench process)", RunToElasticsearch));
                }
                if (settings.SplunkUrl is not null)
                {
                    programs.Add(new("splunk", $"run --once, FILE -> HTTP Event Collector{(settings.SplunkAck ? " with acknowledgement" : "")}", RunToSplunk));
                }
                foreach (var program in programs) _warm[program.Name] = [];

                if (settings.Cold)
                {
                    foreach (var program in programs)
                    {
                        EvictFromPageCache(_input);
                        EvictFromPageCache(_kcatLines);
                        _cold[program.Name] = Measure(program, 0, "cold");
                    }
                }
                WarmPageCache(_input);
                WarmPageCache(_kcatLines);
                for (var round = 1; round <= settings.Rounds; round++)
                {
                    foreach (var program in programs) _warm[program.Name].Add(Measure(program, round, $"round {round}"));
                }
            }
            finally
            {
                mock?.Stop(TimeSpan.FromSeconds(10));
                if (_elasticsearch is not null) await _elasticsearch.DisposeAsync();
            }

            Report(programs);
            return CommandLine.Success;
        }

        private ChildMeasurement Measure(MeasuredProgram program, int round, string label)
        {
            var measurement = program.Run(round);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {label,-8} {program.Name,-7} {measurement.Wall.TotalSeconds,7:N2} s {_zertRecords / measurement.Wall.TotalSeconds,10:N0} rec/s " +
                $"{CpuMicros(measurement),6:N2} us CPU/rec ({measurement.System.TotalMicroseconds / _zertRecords:N2} kernel)  " +
                $"peak RSS {measurement.PeakResidentMebibytes,6:N0} MiB  (load {LoadAverage()})"));
            return measurement;
        }

        private double CpuMicros(ChildMeasurement m) => m.Cpu.TotalMicroseconds / _zertRecords;

        private void Generate()
        {
            using (var file = new FileStream(_input, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                SmfDumpGenerator.WriteDump(file, settings.Seed, settings.Records, GeneratorContainer.Vbs);
                file.Flush(flushToDisk: true); // dirty pages cannot be evicted for the cold pass
            }
            _zertRecords = CountRecords(_input).ZertRecords;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"input: {_zertRecords:N0} zERT records (VBS dump of {new FileInfo(_input).Length / 1048576.0:N0} MiB, seed {settings.Seed})"));
        }

        /// <summary>kcat's input: for every record the message the forwarder produces (key TAB ECS JSON), encoded by the same mappings.</summary>
        private void WriteKcatLines()
        {
            var normalizer = MappingLoading.CreateNormalizer(null, false);
            using var reader = new SmfRecordReader(File.OpenRead(_input));
            using var output = new FileStream(_kcatLines, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            var buffer = new ArrayBufferWriter<byte>(1 << 16);
            while (reader.TryReadNext(out var frame))
            {
                if (frame.IsError) continue;
                var result = ZertRecordParser.Parse(frame.Record.ToArray());
                if (result.Status != ZertParseStatus.Decoded) continue;
                buffer.ResetWrittenCount();
                buffer.Write(Encoding.UTF8.GetBytes(normalizer.Describe(result.Record!).Key ?? ""));
                buffer.Write("\t"u8);
                normalizer.WriteEcs(result.Record!, buffer);
                buffer.Write("\n"u8);
                output.Write(buffer.WrittenSpan);
            }
            output.Flush(flushToDisk: true);
        }

        /// <summary>
        /// librdkafka's mock cluster, hosted by an idle kcat consumer in its own process (<c>test.mock.num.brokers</c>):
        /// kcat and the forwarder both reach it over TCP, and neither pays for the brokers' CPU.
        /// </summary>
        private async Task<(ChildProcess Process, string Bootstrap)> StartMockClusterAsync()
        {
            var log = Path.Combine(work, "mock-cluster.log");
            var process = ChildProcess.Start(kcat!, ["-C", "-b", "127.0.0.1:9", "-X", "test.mock.num.brokers=3", "-t", "zertforwarder-bench-idle", "-o", "end", "-q"],
                "/dev/null", log);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                // librdkafka logs "Mock cluster enabled: ... replaced with 127.0.0.1:P1,127.0.0.1:P2,..." at start.
                var match = MockBootstrap().Match(ReadShared(log));
                if (match.Success)
                {
                    Console.Out.WriteLine($"mock Kafka cluster (3 brokers, in a kcat process): {match.Groups[1].Value}");
                    return (process, match.Groups[1].Value);
                }
                await Task.Delay(50);
            }
            process.Stop(TimeSpan.FromSeconds(5));
            throw new InvalidOperationException($"kcat did not start a mock cluster within 30 s: {ReadShared(log)}");
        }

        private ChildMeasurement Decode(int round) =>
            Forwarder(["decode", "--format", "ecs", _input], "/dev/null", $"decode-{round}");

        private ChildMeasurement RunToFile(int round)
        {
            var output = Path.Combine(work, $"file-out-{round}");
            try
            {
                return Forwarder(["run", "--once", $"Input:Paths:0={_input}", $"Outputs:File:Directory={output}", "Outputs:File:Formats:0=ecs",
                    $"Checkpoint:Directory={Path.Combine(work, $"file-state-{round}")}", "Logging:Progress=false"], null, $"file-{round}");
            }
            finally
            {
                // The output of 10 M records is tens of GB: one round's at a time.
                if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            }
        }

        private ChildMeasurement RunToKafka(int round) =>
            Forwarder(["run", "--once", $"Input:Paths:0={_input}", $"Outputs:Kafka:BootstrapServers={_bootstrap}", $"Outputs:Kafka:Topic=bench-forwarder-{round}",
                "Outputs:Kafka:Compression=lz4", "Outputs:Kafka:LingerMs=20", "Outputs:Kafka:BatchSize=1000000",
                $"Checkpoint:Directory={Path.Combine(work, $"kafka-state-{round}")}", "Logging:Progress=false"], null, $"kafka-{round}");

        private ChildMeasurement RunToElasticsearch(int round)
        {
            var before = _elasticsearch!.Documents;
            var measurement = Forwarder(["run", "--once", $"Input:Paths:0={_input}", $"Outputs:Elasticsearch:Url={_elasticsearch.Url}",
                $"Checkpoint:Directory={Path.Combine(work, $"elastic-state-{round}")}", "Logging:Progress=false"], null, $"elastic-{round}");
            var acknowledged = _elasticsearch.Documents - before;
            if (acknowledged < _zertRecords) throw new InvalidOperationException($"the Elasticsearch fake received {acknowledged} documents, expected {_zertRecords}");
            return measurement;
        }

        private ChildMeasurement RunToSplunk(int round) =>
            Forwarder(["run", "--once", .. SplunkRunSettings(settings, _input, Path.Combine(work, $"splunk-state-{round}"))], null, $"splunk-{round}");

        private ChildMeasurement Kcat(int round)
        {
            // The forwarder's producer settings (KafkaSink.BuildConfig and the bench's run arguments above).
            string[] arguments =
            [
                "-P", "-b", _bootstrap!, "-t", $"bench-kcat-{round}", "-K", "\t", "-l",
                "-X", "acks=all", "-X", "enable.idempotence=true", "-X", "max.in.flight.requests.per.connection=5",
                "-X", "compression.codec=lz4", "-X", "linger.ms=20", "-X", "batch.size=1000000", "-X", "message.timeout.ms=120000",
                _kcatLines,
            ];
            var stderr = Path.Combine(work, $"kcat-{round}.err");
            var measurement = ChildProcess.Run(kcat!, arguments, "/dev/null", stderr);
            if (measurement.ExitCode != 0) throw new InvalidOperationException($"kcat failed (exit {measurement.ExitCode}): {Tail(stderr)}");
            return measurement;
        }

        /// <summary>Runs this program with <paramref name="arguments"/>; a run's summary line must name every record forwarded.</summary>
        private ChildMeasurement Forwarder(string[] arguments, string? stdout, string name)
        {
            var stdoutPath = stdout ?? Path.Combine(work, name + ".out");
            var stderrPath = Path.Combine(work, name + ".err");
            var measurement = ChildProcess.Run(_self.Path, [.. _self.Prefix, .. arguments], stdoutPath, stderrPath, settings.Environment);
            // Exit 1 says records were rejected (or dead-lettered): expected only of an --input dump with rejected records.
            var rejectionsExpected = settings.Input is { Rejected: > 0 } && measurement.ExitCode == CommandLine.RecordsRejected;
            if (measurement.ExitCode != 0 && !rejectionsExpected)
            {
                throw new InvalidOperationException($"zertforwarder {arguments[0]} failed (exit {measurement.ExitCode}): {Tail(stderrPath)}");
            }
            if (stdout is null)
            {
                var summary = ForwardedCount().Match(File.ReadAllText(stdoutPath));
                var forwarded = summary.Success ? long.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
                if (forwarded != _zertRecords)
                {
                    throw new InvalidOperationException($"zertforwarder {arguments[0]} forwarded {forwarded} records, expected {_zertRecords}: {Tail(stdoutPath)}");
                }
            }
            return measurement;
        }

        private void Report(List<MeasuredProgram> programs)
        {
            Console.Out.WriteLine();
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{_zertRecords:N0} records; warm rounds: {settings.Rounds}; min / median / max; load average now {LoadAverage()}"));
            Console.Out.WriteLine($"{"program",-8} {"records/s",-30} {"us CPU/record",-26} {"peak RSS MiB",-18} {"cold: rec/s, us CPU, MiB",-24} command");
            foreach (var program in programs)
            {
                var runs = _warm[program.Name];
                var rates = runs.Select(m => _zertRecords / m.Wall.TotalSeconds).ToList();
                var cpu = runs.Select(CpuMicros).ToList();
                var rss = runs.Select(m => m.PeakResidentMebibytes).ToList();
                var cold = _cold.TryGetValue(program.Name, out var c)
                    ? string.Create(CultureInfo.InvariantCulture, $"{_zertRecords / c.Wall.TotalSeconds:N0}, {CpuMicros(c):N2}, {c.PeakResidentMebibytes:N0}")
                    : "-";
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{program.Name,-8} {Spread(rates, "N0"),-30} {Spread(cpu, "N2"),-26} {Spread(rss, "N0"),-18} {cold,-24} {program.Description}"));
            }

            Console.Out.WriteLine();
            Console.Out.WriteLine("targets (per-round ratios, median [min-max]):");
            if (settings.Unoptimized is { Count: > 0 }) Console.Out.WriteLine($"  {settings.BuildLine}");
            var decode = _warm["decode"];
            var decodeRates = decode.Select(m => _zertRecords / m.Wall.TotalSeconds).ToList();
            Verdict("decode + ECS >= 500,000 records/s", decodeRates.Select(r => r / DecodeTarget).ToList(), 1.0, higherIsBetter: true);
            if (_warm.TryGetValue("file", out var file))
            {
                var ratios = file.Select((m, i) => decode[i].Wall.TotalSeconds / m.Wall.TotalSeconds).ToList();
                Verdict("run to file >= 0.9 x decode (records/s)", ratios, FileToDecodeTarget, higherIsBetter: true);
                // Writing the output file costs kernel time that decode (to /dev/null) never pays, and on a virtual
                // machine that cost swings with how much fresh memory the page cache touches: the program's own share
                // is the user CPU.
                var userRatios = file.Select((m, i) => decode[i].User / m.User).ToList();
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  (for information) decode user CPU / run to file user CPU, per record: {Spread(userRatios, "N2")}; kernel CPU per record of run to file: " +
                    $"{Spread(file.Select(m => m.System.TotalMicroseconds / _zertRecords).ToList(), "N2")} us"));
            }
            if (_warm.TryGetValue("kafka", out var kafka))
            {
                var kcatRuns = _warm["kcat"];
                var ratios = kafka.Select((m, i) => m.Cpu / (decode[i].Cpu + kcatRuns[i].Cpu)).ToList();
                Verdict("run to Kafka CPU/message <= 1.2 x (decode + ECS CPU + kcat CPU)", ratios, KafkaCpuTarget, higherIsBetter: false);
                var rates = kafka.Select((m, i) => kcatRuns[i].Wall.TotalSeconds / m.Wall.TotalSeconds).ToList();
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (for information) run to Kafka rate / kcat rate: {Spread(rates, "P0")}"));
            }
            if (_warm.TryGetValue("elastic", out var elastic))
            {
                var rates = elastic.Select((m, i) => decode[i].Wall.TotalSeconds / m.Wall.TotalSeconds).ToList();
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  (for information, no target) run to Elasticsearch rate / decode rate: {Spread(rates, "N2")}; the fake runs in the bench process and shares its cores"));
            }
            if (_warm.TryGetValue("splunk", out var splunk))
            {
                var rates = splunk.Select((m, i) => decode[i].Wall.TotalSeconds / m.Wall.TotalSeconds).ToList();
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  (for information, no target) run to Splunk HEC rate / decode rate: {Spread(rates, "N2")}"));
            }
            foreach (var name in new[] { "file", "kafka" })
            {
                if (!_warm.TryGetValue(name, out var runs)) continue;
                var peaks = runs.Select(m => m.PeakResidentMebibytes).Concat(_cold.TryGetValue(name, out var c) ? [c.PeakResidentMebibytes] : []).ToList();
                var note = settings.Records < 10_000_000 ? $" (the target is for 10,000,000 records; this run has {_zertRecords:N0})" : "";
                Console.Out.WriteLine($"  peak RSS of run to {name} <= 256 MB: highest {PeakRssVerdict(peaks.Max())}{note}");
            }
        }

        private static void Verdict(string target, List<double> ratios, double goal, bool higherIsBetter)
        {
            var median = Median(ratios);
            var met = higherIsBetter ? median >= goal : median <= goal;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {target}: {median:N2} [{ratios.Min():N2}-{ratios.Max():N2}]{(goal != 1.0 ? $" against {goal:N2}" : " of the target")}: {(met ? "met" : "NOT met")}"));
        }
    }

    private static string Spread(List<double> values, string format) =>
        string.Create(CultureInfo.InvariantCulture, $"{values.Min().ToString(format, CultureInfo.InvariantCulture)} / {Median(values).ToString(format, CultureInfo.InvariantCulture)} / {values.Max().ToString(format, CultureInfo.InvariantCulture)}");

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The 1, 5 and 15 minute load averages, as the kernel reports them.</summary>
    internal static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>This program's executable (the apphost), or <c>dotnet zertforwarder.dll</c> when started that way.</summary>
    private static (string Path, string[] Prefix) SelfExecutable()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this program's executable");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [Path.Combine(AppContext.BaseDirectory, "zertforwarder.dll")])
            : (process, []);
    }

    /// <summary>Drops the file's pages from the page cache (<c>posix_fadvise DONTNEED</c>, no privileges needed for clean pages).</summary>
    private static void EvictFromPageCache(string path)
    {
        if (!File.Exists(path)) return;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        _ = PosixFadvise(file.SafeFileHandle.DangerousGetHandle().ToInt32(), 0, 0, 4 /* POSIX_FADV_DONTNEED */);
    }

    private static void WarmPageCache(string path)
    {
        if (!File.Exists(path)) return;
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
        file.CopyTo(Stream.Null);
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Tail(string path)
    {
        var text = File.Exists(path) ? ReadShared(path) : "";
        return text.Length > 2000 ? text[^2000..] : text;
    }

    [DllImport("libc", EntryPoint = "posix_fadvise")]
    private static extern int PosixFadvise(int fd, long offset, long length, int advice);

    [GeneratedRegex(@"replaced with ([0-9.:,]+)")]
    private static partial Regex MockBootstrap();

    [GeneratedRegex(@"(\d+) zERT records forwarded")]
    private static partial Regex ForwardedCount();
}

/// <summary>Finds an executable on PATH.</summary>
internal static class Tools
{
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
