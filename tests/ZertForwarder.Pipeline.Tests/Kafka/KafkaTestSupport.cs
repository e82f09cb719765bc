using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;

namespace ZertForwarder.Pipeline.Tests.Kafka;

/// <summary>Synthetic forwarded events whose identity and order the tests can check independently of the sink.</summary>
internal static class SampleEvents
{
    public const int KeyCount = 4;

    public static string EventIdOf(int sequence) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"record-{sequence}")).AsSpan(0, 16));

    public static string KeyOf(int sequence) => $"10.1.0.{(sequence % KeyCount) + 1}:443";

    public static ForwardedEvent Create(int sequence, int ecsPadding = 0)
    {
        var id = EventIdOf(sequence);
        var dataset = sequence % 5 == 0 ? "zos.zert_summary" : "zos.zert_connection";
        var padding = new string('x', ecsPadding);
        return new ForwardedEvent
        {
            EventId = id,
            Dataset = dataset,
            Key = KeyOf(sequence),
            SmfSystemId = "SYS" + (sequence % 2),
            Ecs = Encoding.UTF8.GetBytes($"{{\"event\":{{\"id\":\"{id}\",\"dataset\":\"{dataset}\",\"sequence\":{sequence}}},\"message\":\"{padding}\"}}"),
            Leef = Encoding.UTF8.GetBytes(
                $"LEEF:2.0|IBM|zERT|1.0|ZERT_CONN_TERM|x09|devTime={1_730_365_500_500L + sequence}\tsrc=10.0.0.9\tdst={KeyOf(sequence)[..^4]}" +
                $"\tdstPort=443\tsev={(sequence % 10) + 1}\texternalId={id}\tidentHostName=SYS{sequence % 2}\tSEQ={sequence}"),
        };
    }

    public static List<ForwardedEvent> Range(int start, int count) => Enumerable.Range(start, count).Select(i => Create(i)).ToList();

    /// <summary>The sequence number written into the ECS document by <see cref="Create"/>.</summary>
    public static int SequenceOf(string ecs)
    {
        var marker = "\"sequence\":";
        var start = ecs.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var end = ecs.IndexOf('}', start);
        return int.Parse(ecs[start..end], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A message read back by a client that is independent of the sink.</summary>
internal sealed record ReadBackRecord(int Partition, long Offset, string? Key, string Value, IReadOnlyDictionary<string, string> Headers)
{
    public int Sequence => SampleEvents.SequenceOf(Value);
}

internal static class KafkaReadBack
{
    /// <summary>
    /// Reads every partition of <paramref name="topic"/> from the beginning with a plain consumer (Assign, no group,
    /// so no rebalance delay) until <paramref name="expected"/> messages arrived and nothing more came for a moment,
    /// so duplicates beyond the expected count are seen too.
    /// </summary>
    public static List<ReadBackRecord> ReadAll(string bootstrap, string topic, int expected, TimeSpan? timeout = null)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap })
            .SetLogHandler((_, _) => { })
            .Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        using var consumer = new ConsumerBuilder<string?, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "read-back-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        })
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));

        var records = new List<ReadBackRecord>();
        var deadline = Stopwatch.StartNew();
        var quiet = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        while (deadline.Elapsed < limit && !(records.Count >= expected && quiet.Elapsed > TimeSpan.FromMilliseconds(500)))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null)
            {
                continue;
            }

            quiet.Restart();
            var headers = result.Message.Headers.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()));
            records.Add(new ReadBackRecord(result.Partition.Value, result.Offset.Value, result.Message.Key, result.Message.Value, headers));
        }

        consumer.Close();
        return records;
    }
}

internal static class ExternalTool
{
    /// <summary>
    /// The path of <paramref name="name"/>; when it is missing the test fails under <c>ZERT_REQUIRE_TOOLS=1</c> (CI)
    /// and is skipped with the reason otherwise.
    /// </summary>
    public static string Require(string name)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin"]);
        var path = directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        if (path is null)
        {
            if (Environment.GetEnvironmentVariable("ZERT_REQUIRE_TOOLS") == "1")
            {
                Assert.Fail($"{name} is required (ZERT_REQUIRE_TOOLS=1) but not installed; run .ci/install-tools.sh");
            }

            throw new SkipException($"{name} is not installed (run .ci/install-tools.sh)");
        }

        return path;
    }

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on at the moment.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>Shows the components' log lines in the test output.</summary>
internal sealed class TestOutputLog(Xunit.Abstractions.ITestOutputHelper output) : IPipelineLog
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

    /// <summary>Every message logged so far.</summary>
    public IReadOnlyCollection<string> Messages => _messages;

    public void Log(PipelineLogLevel level, string component, string message, Exception? exception = null)
    {
        _messages.Enqueue(message);
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {level} {component}: {message}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished; librdkafka threads may still log while shutting down.
        }
    }
}
