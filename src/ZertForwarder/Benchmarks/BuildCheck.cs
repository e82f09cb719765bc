using System.Diagnostics;
using System.Reflection;
using ZertForwarder.Forwarding;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Benchmarks;

/// <summary>
/// Whether the program <c>bench</c> would measure runs optimized code. Code built without optimizations (a Debug build
/// normally; this program is compiled optimized in every configuration, see <c>src/Directory.Build.props</c>, unless
/// built with <c>-p:Optimize=false</c>) runs with the JIT's optimizations off: <c>decode --format ecs</c> of 100,000
/// records took 7.0 s of CPU against 1.9 s optimized (2026-12-06, two alternated pairs), so its figures say nothing
/// about the targets. <c>DOTNET_JITMinOpts=1</c> does the same to any build.
/// </summary>
internal static class BuildCheck
{
    /// <summary>
    /// What makes the measured programs' code unoptimized, or an empty list when nothing does.
    /// <paramref name="childEnvironment"/>: the variables <c>bench --env</c> adds to the measured processes.
    /// </summary>
    public static IReadOnlyList<string> Problems(IReadOnlyDictionary<string, string?> childEnvironment)
    {
        var problems = new List<string>();
        var debug = ProductAssemblies().Where(IsUnoptimized).Select(a => a.GetName().Name!).ToList();
        if (debug.Count > 0) problems.Add($"{string.Join(", ", debug)} {(debug.Count == 1 ? "is" : "are")} built without optimizations");
        foreach (var name in new[] { "DOTNET_JITMinOpts", "COMPlus_JITMinOpts" })
        {
            var value = childEnvironment.TryGetValue(name, out var set) ? set : Environment.GetEnvironmentVariable(name);
            if (value is not null && value.Trim() is not ("" or "0")) problems.Add($"{name}={value} turns the JIT's optimizations off");
        }
        return problems;
    }

    /// <summary>True when <paramref name="assembly"/> was compiled for debugging with the JIT optimizer disabled.</summary>
    internal static bool IsUnoptimized(Assembly assembly) =>
        assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true;

    /// <summary>The program's own assemblies on the measured paths: the executable, record path, mapping, decoder, pipeline, sinks.</summary>
    private static Assembly[] ProductAssemblies() =>
    [
        typeof(BuildCheck).Assembly, typeof(ForwarderHost).Assembly, typeof(ZertNormalizer).Assembly, typeof(ZertRecord).Assembly,
        typeof(SinkRunner).Assembly, typeof(KafkaSink).Assembly,
    ];
}
