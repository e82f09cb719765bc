using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Micro-benchmarks of the record path's parts; `bench` measures the shipped verbs as whole processes (README
// "Performance"). Run: dotnet run -c Release --project tests/ZertForwarder.Benchmarks -- --filter '*'
// BenchmarkDotNet builds a copy of this project per run: on a busy 2-core machine that takes longer than its
// default two minutes, hence the longer timeout (`--inProcess` skips that build).
var config = ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10));
BenchmarkSwitcher.FromAssembly(typeof(ZertForwarder.Benchmarks.RecordPathBenchmarks).Assembly).Run(args, config);
