namespace ZertForwarder.Commands;

/// <summary><c>bench</c>: throughput and memory measurements (see README "Performance").</summary>
internal static class BenchCommand
{
    public static Task<int> ExecuteAsync(IReadOnlyList<string> args) => Benchmarks.Bench.RunAsync(args);
}
