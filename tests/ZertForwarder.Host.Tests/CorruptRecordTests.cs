using System.Text.Json;
using Xunit.Abstractions;
using ZertForwarder.Generator;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Smf.Zert;

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
        var records = SmfDumpGenerator.GenerateRecords(seed: 12, zertCount: 500).Select(r => r.Bytes.ToArray()).ToList();
        var victim = Enumerable.Range(records.Count / 2, records.Count / 2)
            .First(i => ZertRecordParser.Parse(records[i]).Status == ZertParseStatus.Decoded);
        // SMF119SD_TRN (the triplet count at offset 24, layout §1) = 1: a zERT record needs at least two triplets.
        records[victim][24] = 0;
        records[victim][25] = 1;
        var victimOffset = records.Take(victim).Sum(r => (long)r.Length);
        var dump = _work.Combine("dump.smf");
        File.WriteAllBytes(dump, records.SelectMany(r => r).ToArray());
        var expected = Dumps.ZertRecords(dump);
        var deadLetterDirectory = _work.Combine("dead-letters");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:File:Directory={_work.Combine("out")}", $"DeadLetter:Directory={deadLetterDirectory}",
        ], TimeSpan.FromSeconds(30));

        var delivered = File.ReadAllLines(_work.Combine("out", "zert-ecs.ndjson"));
        var deadLetters = Directory.GetFiles(deadLetterDirectory).SelectMany(File.ReadAllLines).ToList();
        output.WriteLine($"record {victim} at byte {victimOffset} corrupted; {expected.Count} decodable records; exit {result.ExitCode}; " +
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
        Assert.Equal(Convert.ToHexString(records[victim]), malformed.GetProperty("record_hex").GetString()); // the raw bytes, to fix and replay
    }
}
