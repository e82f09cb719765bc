using System.Globalization;

namespace ZertForwarder.Benchmarks;

/// <summary>
/// Whether the temporary directory can hold what <c>bench</c> writes, checked before anything is written: a bench that
/// fills the disk fails late and leaves the machine without room for anything else.
/// </summary>
/// <remarks>
/// At its peak the bench holds the generated dump (none with --input: a dump of the user's own is only read), kcat's
/// input (the kafka pair: one key TAB ECS line per record) and one round's file output (the file pair; each round's is
/// deleted after it). Sizes per record as measured on the
/// generator's records (seed 7): the dump 563 bytes (5,625 MB for 10 M records), an ECS document 2,988 bytes on average
/// (1,000 records), a kcat line a few bytes more. A quarter is added for other seeds and the state and log files.
/// </remarks>
internal static class DiskRoom
{
    private const long DumpBytesPerRecord = 563;
    private const long EcsLineBytesPerRecord = 3_000;
    private const long KcatLineBytesPerRecord = 3_030;

    /// <summary>The bytes the bench may hold at once for <paramref name="settings"/>.</summary>
    public static long Needed(Bench.BenchSettings settings)
    {
        // A dump given with --input is the user's: the bench reads it and writes no copy.
        var perRecord = (settings.Input is null ? DumpBytesPerRecord : 0)
            + (settings.Pairs.Contains("kafka") ? KcatLineBytesPerRecord : 0)
            + (settings.Pairs.Contains("file") ? EcsLineBytesPerRecord : 0);
        return settings.Records * perRecord / 4 * 5;
    }

    /// <summary>Why the bench cannot run in <paramref name="directory"/> (missing, or too little free space), or null when it can.</summary>
    public static string? Shortfall(Bench.BenchSettings settings, string directory)
    {
        if (!Directory.Exists(directory)) return Unusable(directory, "it does not exist");
        long available;
        try
        {
            available = new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unusable(directory, e.Message);
        }

        return Shortfall(settings, directory, available);
    }

    private static string Unusable(string directory, string why) =>
        $"bench writes its files under the temporary directory '{directory}' (TMPDIR), which cannot be used: {why}";

    internal static string? Shortfall(Bench.BenchSettings settings, string directory, long availableBytes)
    {
        var needed = Needed(settings);
        if (availableBytes >= needed) return null;
        // Name only what these pairs write, so the figure can be checked against the remarks above.
        List<string> parts = settings.Input is null ? ["the dump"] : [];
        if (settings.Pairs.Contains("kafka")) parts.Add("kcat's input");
        if (settings.Pairs.Contains("file")) parts.Add("one round's file output");
        return string.Create(CultureInfo.InvariantCulture,
            $"bench of {settings.Records:N0} records with the pairs {string.Join(",", settings.Pairs.Order(StringComparer.Ordinal))} needs about {Gigabytes(needed)} GB free in '{directory}' " +
            $"({string.Join(", ", parts)}), and {Gigabytes(availableBytes)} GB are free. Use fewer --records, fewer --pairs, or point TMPDIR at a larger file system.");
    }

    private static string Gigabytes(long bytes) => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture);
}
