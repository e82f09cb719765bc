using System.Text.Json;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Smf.Zert;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// A malformed zERT record in the middle of a dump is reported (file and byte offset) and dead-lettered with its
/// reason and raw bytes; the records around it are delivered; the run exits 1 so that automation notices.
/// </summary>
public sealed class CorruptRecordTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task A_corrupt_record_is_reported_with_file_and_offset_dead_lettered_and_the_rest_delivered_with_exit_1()
    {
        var (dump, victimBytes, victimOffset) = WriteDumpWithCorruptRecord();
        var expected = Dumps.ZertRecords(dump);
        var deadLetterDirectory = _work.Combine("dead-letters");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:File:Directory={_work.Combine("out")}", $"DeadLetter:Directory={deadLetterDirectory}",
        ], TimeSpan.FromSeconds(30));

        var delivered = File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson"));
        var deadLetters = Directory.GetFiles(deadLetterDirectory).SelectMany(File.ReadAllLines).ToList();
        output.WriteLine($"record at byte {victimOffset} corrupted; {expected.Count} decodable records; exit {result.ExitCode}; " +
                         $"{delivered.Length} delivered; {deadLetters.Count} dead letter(s)");
        foreach (var line in deadLetters) output.WriteLine(line.Length > 400 ? line[..400] + "..." : line);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(499, expected.Count);
        Assert.Equal(expected.Count, delivered.Length);
        Assert.Contains($"{dump}:{victimOffset}: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("SMF119SD_TRN is 1", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 rejected", result.Stdout, StringComparison.Ordinal);

        var deadLetter = Assert.Single(deadLetters);
        using var document = JsonDocument.Parse(deadLetter);
        var root = document.RootElement;
        Assert.Contains("SMF119SD_TRN is 1", root.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("decoder", root.GetProperty("sink").GetString());
        var malformed = root.GetProperty("event");
        Assert.Equal(dump, malformed.GetProperty("origin").GetString());
        Assert.Equal(victimOffset, malformed.GetProperty("offset").GetInt64());
        Assert.Equal(Convert.ToHexString(victimBytes), malformed.GetProperty("record_hex").GetString()); // the raw bytes, to fix and replay
    }

    [Fact]
    public async Task With_DeadLetter_KafkaTopic_the_corrupt_record_goes_to_that_topic_with_its_reason()
    {
        const string topic = "zert-events";
        const string deadLetterTopic = "zert-dead-letters";
        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic(topic, partitions: 2);
        kafka.CreateTopic(deadLetterTopic, partitions: 1);
        var (dump, victimBytes, victimOffset) = WriteDumpWithCorruptRecord();
        var expected = Dumps.ZertRecords(dump);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Kafka:BootstrapServers={kafka.BootstrapServers}", $"Outputs:Kafka:Topic={topic}", $"DeadLetter:KafkaTopic={deadLetterTopic}",
        ], TimeSpan.FromSeconds(30));

        var events = KafkaReadBack.ReadAll(kafka.BootstrapServers, topic, TimeSpan.FromSeconds(20));
        var deadLetters = KafkaReadBack.ReadAll(kafka.BootstrapServers, deadLetterTopic, TimeSpan.FromSeconds(20));
        output.WriteLine($"{events.Count} events in {topic}; {deadLetters.Count} in {deadLetterTopic}");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(expected.Count, events.Count);
        Assert.True(expected.Select(r => r.EventId).ToHashSet().SetEquals(events.Select(m => m.EventId!)));
        var deadLetter = Assert.Single(deadLetters);
        output.WriteLine(string.Join(", ", deadLetter.Headers.Select(h => $"{h.Key}={h.Value}")));
        Assert.Contains("SMF119SD_TRN is 1", deadLetter.Headers["reason"], StringComparison.Ordinal);
        using var document = JsonDocument.Parse(deadLetter.Value);
        Assert.Equal(victimOffset, document.RootElement.GetProperty("offset").GetInt64());
        Assert.Equal(Convert.ToHexString(victimBytes), document.RootElement.GetProperty("record_hex").GetString());
    }

    /// <summary>
    /// The Kafka dead-letter topic cannot be reached when the run is stopped: the dead letter still owed does not hold
    /// the exit for as long as librdkafka would keep it (Outputs:Kafka:MessageTimeoutMs, 60 s for dead letters); it is
    /// given up at the drain's deadline, logged (1006), and its record stays unacknowledged.
    /// </summary>
    [Fact]
    public async Task A_dead_letter_topic_that_cannot_be_reached_does_not_hold_the_exit_past_the_drain()
    {
        using var kafka = new MockKafkaCluster();
        kafka.CreateTopic("zert-events", partitions: 1);
        kafka.CreateTopic("zert-dead-letters", partitions: 1);
        for (var broker = 1; broker <= 3; broker++) kafka.BrokerDown(broker);
        var (dump, _, victimOffset) = WriteDumpWithCorruptRecord();

        await using var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", "Shutdown:DrainTimeout=00:00:02",
            $"Outputs:Kafka:BootstrapServers={kafka.BootstrapServers}", "Outputs:Kafka:Topic=zert-events", "DeadLetter:KafkaTopic=zert-dead-letters",
        ]);
        await Eventually.TrueAsync(() => running.Stderr.Contains("SMF119SD_TRN is 1", StringComparison.Ordinal), "the corrupt record rejected",
            TimeSpan.FromSeconds(30), () => running.Stderr);

        var stopped = System.Diagnostics.Stopwatch.StartNew();
        running.Signal(ForwarderProcess.Sigterm);
        var exitCode = await running.WaitForExitAsync(TimeSpan.FromSeconds(50));
        output.WriteLine($"exit {exitCode} {stopped.Elapsed.TotalSeconds:F1} s after SIGTERM");
        Assert.Contains("\"EventId\":1006", running.Stderr, StringComparison.Ordinal);
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(40), $"took {stopped.Elapsed} to exit");
        // The dead letter was not confirmed: the checkpoint stays before the corrupt record (only skipped records count).
        Assert.InRange(Checkpoints.Offset(_work.Combine("state"), dump), 0, victimOffset);
    }

    /// <summary>
    /// A dump copied from a data set with zero padding after its last record (the reader skips it as padding): the
    /// file's commit must reach its end. It waited for ever for the padding, which no record covers.
    /// </summary>
    [Theory]
    [InlineData(Generator.Containers.SmfContainer.Rdw)]
    [InlineData(Generator.Containers.SmfContainer.Vbs)]
    public async Task A_dump_with_zero_padding_after_its_last_record_completes_and_a_second_run_skips_it(Generator.Containers.SmfContainer container)
    {
        var dump = _work.Combine("padded.smf");
        Dumps.Write(dump, seed: 19, zertCount: 200, container);
        var expected = Dumps.ZertRecords(dump).Count;
        using (var file = new FileStream(dump, FileMode.Append)) file.Write(new byte[4096]);
        string[] args = ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}"];

        var first = await ForwarderProcess.RunAsync(_work.Path, args, TimeSpan.FromSeconds(30));
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(expected, File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")).Length);
        Assert.Equal(new FileInfo(dump).Length, Checkpoints.Offset(_work.Combine("state"), dump));

        var second = await ForwarderProcess.RunAsync(_work.Path, args, TimeSpan.FromSeconds(30));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("0 SMF records read", second.Stdout, StringComparison.Ordinal);
        Assert.Equal(expected, File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")).Length);
    }

    /// <summary>
    /// A dump read to its end and later appended to (a collection job adding the next interval's records): the next
    /// run reads on from where the last ended. It was skipped as "already delivered completely".
    /// </summary>
    [Fact]
    public async Task A_completed_dump_that_grows_is_read_on_from_where_it_ended()
    {
        var records = SmfDumpGenerator.GenerateRecords(seed: 22, zertCount: 400).Select(r => r.Bytes.ToArray()).ToList();
        var dump = _work.Combine("growing.smf");
        File.WriteAllBytes(dump, records.Take(200).SelectMany(r => r).ToArray());
        string[] args = ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}"];
        var first = await ForwarderProcess.RunAsync(_work.Path, args, TimeSpan.FromSeconds(30));
        Assert.True(first.ExitCode == 0, first.ToString());
        var firstIds = EcsLines.EventIds(File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")));

        using (var file = new FileStream(dump, FileMode.Append)) file.Write(records.Skip(200).SelectMany(r => r).ToArray());
        var second = await ForwarderProcess.RunAsync(_work.Path, args, TimeSpan.FromSeconds(30));
        Assert.True(second.ExitCode == 0, second.ToString());

        var ids = EcsLines.EventIds(File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson")));
        Assert.Equal(Dumps.ZertRecords(dump).Select(r => r.EventId), ids); // every record once, in input order
        Assert.True(ids.Count > firstIds.Count);
        Assert.Equal(new FileInfo(dump).Length, Checkpoints.Offset(_work.Combine("state"), dump));
        // The summary accounts for every record read: the 200 of the first run are passed over, not forwarded again.
        Assert.Contains($"{records.Count} SMF records read: {ids.Count - firstIds.Count} zERT records forwarded", second.Stdout, StringComparison.Ordinal);
        Assert.Contains(", 200 delivered before a restart passed over", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_frame_chain_is_reported_with_file_and_offset_the_records_before_it_are_delivered_and_the_run_exits_1()
    {
        var records = SmfDumpGenerator.GenerateRecords(seed: 14, zertCount: 400).Select(r => r.Bytes.ToArray()).ToList();
        var breakAt = records.Count / 2;
        records[breakAt][0] = 0; // RDW length 3: shorter than the RDW itself, the chain of lengths cannot go on (layout §C)
        records[breakAt][1] = 3;
        var breakOffset = records.Take(breakAt).Sum(r => (long)r.Length);
        var dump = _work.Combine("broken.smf");
        File.WriteAllBytes(dump, records.SelectMany(r => r).ToArray());
        var before = Dumps.ZertRecords(dump, stopAtBrokenChain: true); // what precedes the break

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:File:Directory={_work.Combine("out")}",
        ], TimeSpan.FromSeconds(30));

        var delivered = File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson"));
        output.WriteLine($"chain broken at byte {breakOffset} (record {breakAt} of {records.Count}); {before.Count} zERT records before it; " +
                         $"{delivered.Length} delivered; exit {result.ExitCode}\n{result.Stdout.Split('\n')[0]}");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(before.Count, delivered.Length);
        Assert.True(before.Count < 400);
        Assert.Contains($"{dump}:{breakOffset}: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 input(s) stopped by a broken frame chain", result.Stdout, StringComparison.Ordinal);
        // The log line an operator alerts on: its own event id, with the file and offset as structured fields.
        var logged = result.Stderr.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("EventId").GetInt32() == 2004);
        Assert.Equal("Error", logged.GetProperty("LogLevel").GetString());
        Assert.Equal(dump, logged.GetProperty("State").GetProperty("Input").GetString());
        Assert.Equal(breakOffset.ToString(System.Globalization.CultureInfo.InvariantCulture), logged.GetProperty("State").GetProperty("Offset").ToString());
    }

    /// <summary>A 500-record RDW dump whose first zERT record past the middle has SMF119SD_TRN = 1 (it needs at least 2, layout §1).</summary>
    /// <summary>
    /// A dump where most records are corrupt: every one is rejected, counted and dead-lettered, but the log carries a
    /// hundred warnings, not one per record (one line each buried every other log line).
    /// </summary>
    [Fact]
    public async Task A_dump_of_corrupt_records_is_dead_lettered_in_full_and_logged_a_hundred_lines_at_most()
    {
        var records = SmfDumpGenerator.GenerateRecords(seed: 13, zertCount: 400).Select(r => r.Bytes.ToArray()).ToList();
        var corrupt = 0;
        foreach (var record in records.Where(r => ZertRecordParser.Parse(r).Status == ZertParseStatus.Decoded))
        {
            record[24] = 0; // SMF119SD_TRN, the triplet count at offset 24
            record[25] = 1;
            corrupt++;
        }
        var dump = _work.Combine("corrupt.smf");
        File.WriteAllBytes(dump, records.SelectMany(r => r).ToArray());
        var deadLetterDirectory = _work.Combine("dead-letters");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:File:Directory={_work.Combine("out")}", $"DeadLetter:Directory={deadLetterDirectory}",
        ], TimeSpan.FromSeconds(60));

        var warnings = result.Stderr.Split('\n').Count(l => l.Contains("\"EventId\":3000", StringComparison.Ordinal));
        var deadLetters = Directory.GetFiles(deadLetterDirectory).SelectMany(File.ReadAllLines).Count();
        output.WriteLine($"{corrupt} corrupt records; {warnings} warnings; {deadLetters} dead letters; exit {result.ExitCode}");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.True(corrupt > 150, $"only {corrupt} corrupt records");
        Assert.Equal(100, warnings);
        Assert.Equal(corrupt, deadLetters);
        Assert.Contains($"{corrupt} rejected", result.Stdout, StringComparison.Ordinal);
    }

    private (string Path, byte[] Victim, long Offset) WriteDumpWithCorruptRecord()
    {
        var records = SmfDumpGenerator.GenerateRecords(seed: 12, zertCount: 500).Select(r => r.Bytes.ToArray()).ToList();
        var victim = Enumerable.Range(records.Count / 2, records.Count / 2)
            .First(i => ZertRecordParser.Parse(records[i]).Status == ZertParseStatus.Decoded);
        records[victim][24] = 0; // SMF119SD_TRN, the triplet count at offset 24
        records[victim][25] = 1;
        var offset = records.Take(victim).Sum(r => (long)r.Length);
        var dump = _work.Combine("dump.smf");
        File.WriteAllBytes(dump, records.SelectMany(r => r).ToArray());
        return (dump, records[victim], offset);
    }
}
