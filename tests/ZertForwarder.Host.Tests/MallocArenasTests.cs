using ZertForwarder.Running;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The program caps glibc's malloc arenas itself, as <c>MALLOC_ARENA_MAX=2</c> would, so that native memory does not grow
/// with the number of cores (run to Kafka as 8 cores peaked at 342 MiB without the cap, 271 MiB with it).
/// </summary>
public sealed class MallocArenasTests
{
    [SkippableFact]
    public void On_glibc_the_program_sets_the_cap()
    {
        var glibc = OperatingSystem.IsLinux()
            && new[] { "/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/usr/lib64/libc.so.6" }.Any(File.Exists);
        Skip.IfNot(glibc, "not glibc: the cap applies to glibc only");
        Skip.If(Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null, "MALLOC_ARENA_MAX is set for this test run, so the program leaves it as it is");

        // glibc's mallopt returns 1 when it took the value.
        Assert.True(MallocArenas.Limit());
    }
}
