using ZertForwarder.Benchmarks;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The bench's memory verdict. The target says 256 MB; the kernel reports KiB. A peak between 256,000,000 bytes
/// (244.1 MiB) and 256 MiB meets only the binary reading, and the verdict says so instead of a plain "met".
/// </summary>
public sealed class BenchPeakRssVerdictTests
{
    [Theory]
    [InlineData(181.0, "181.0 MiB (190 MB) = 74 % of 256,000,000 bytes: met")]
    [InlineData(244.1, "244.1 MiB (256 MB) = 100 % of 256,000,000 bytes: met")]
    [InlineData(246.0, "246.0 MiB (258 MB) = 101 % of 256,000,000 bytes: met as 256 MiB, NOT as 256,000,000 bytes")]
    [InlineData(256.0, "256.0 MiB (268 MB) = 105 % of 256,000,000 bytes: met as 256 MiB, NOT as 256,000,000 bytes")]
    [InlineData(256.5, "256.5 MiB (269 MB) = 105 % of 256,000,000 bytes: NOT met")]
    public void Names_the_peak_in_both_units_and_the_reading_it_meets(double peakMebibytes, string expected) =>
        Assert.Equal(expected, Bench.PeakRssVerdict(peakMebibytes));
}
