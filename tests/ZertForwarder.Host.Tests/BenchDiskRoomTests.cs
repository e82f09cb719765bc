using ZertForwarder.Benchmarks;

namespace ZertForwarder.Host.Tests;

/// <summary>The bench's check that its dump, kcat's input and one round's file output fit before it writes them.</summary>
public sealed class BenchDiskRoomTests
{
    private static Bench.BenchSettings Settings(int records, params string[] pairs) =>
        new(records, Rounds: 1, Seed: 7, Cold: false, Pairs: [.. pairs], Environment: []);

    [Fact]
    public void Each_pair_adds_what_it_writes_per_record()
    {
        var decodeOnly = DiskRoom.Needed(Settings(1_000_000));
        var file = DiskRoom.Needed(Settings(1_000_000, "file"));
        var kafka = DiskRoom.Needed(Settings(1_000_000, "kafka"));
        var both = DiskRoom.Needed(Settings(1_000_000, "file", "kafka"));

        // The 1 M-record dump alone is 564 MB; its ECS documents about 3 GB, kcat's lines a little more.
        Assert.InRange(decodeOnly, 564_000_000, 800_000_000);
        Assert.InRange(file - decodeOnly, 3_000_000_000, 4_000_000_000);
        Assert.True(kafka > file, $"{kafka} <= {file}");
        Assert.Equal(both - decodeOnly, file - decodeOnly + (kafka - decodeOnly));
        Assert.Equal(10 * both, DiskRoom.Needed(Settings(10_000_000, "file", "kafka")));
    }

    [Fact]
    public void Runs_with_exactly_enough_room_and_refuses_one_byte_less()
    {
        var settings = Settings(10_000_000, "file", "kafka");
        var needed = DiskRoom.Needed(settings);

        Assert.Null(DiskRoom.Shortfall(settings, "/scratch", needed));
        var refusal = DiskRoom.Shortfall(settings, "/scratch", needed - 1);
        Assert.NotNull(refusal);
        Assert.Contains("10,000,000 records with the pairs file,kafka", refusal, StringComparison.Ordinal);
        Assert.Contains("'/scratch'", refusal, StringComparison.Ordinal);
        Assert.Contains("(the dump, kcat's input, one round's file output)", refusal, StringComparison.Ordinal);

        var fileOnly = Settings(10_000_000, "file");
        Assert.Contains("(the dump, one round's file output)", DiskRoom.Shortfall(fileOnly, "/scratch", 0), StringComparison.Ordinal);
    }

    [Fact]
    public void A_dump_given_with_input_is_not_copied_so_it_needs_no_room()
    {
        var generated = Settings(1_000_000, "file");
        var own = generated with { Input = new Bench.BenchInput("/data/own.smf", 1_000_000, 0) };

        Assert.Equal(DiskRoom.Needed(Settings(1_000_000)), DiskRoom.Needed(generated) - DiskRoom.Needed(own));
        Assert.Equal(0, DiskRoom.Needed(own with { Pairs = [] }));
        var refusal = DiskRoom.Shortfall(own, "/scratch", 0);
        Assert.Contains("(one round's file output)", refusal, StringComparison.Ordinal);
    }
}
