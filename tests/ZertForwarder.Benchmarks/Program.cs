using BenchmarkDotNet.Running;

// Micro-benchmarks of the record path's parts; `bench` measures the shipped verbs as whole processes (README
// "Performance"). Run: dotnet run -c Release --project tests/ZertForwarder.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(ZertForwarder.Benchmarks.RecordPathBenchmarks).Assembly).Run(args);
