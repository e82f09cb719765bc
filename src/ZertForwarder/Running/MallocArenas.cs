using System.Runtime.InteropServices;

namespace ZertForwarder.Running;

/// <summary>
/// Caps the number of the C library's malloc arenas (glibc <c>mallopt(M_ARENA_MAX)</c>), as <c>MALLOC_ARENA_MAX=2</c>
/// in the environment would, so that native memory does not grow with the number of cores.
/// </summary>
/// <remarks>
/// <para>
/// Why: glibc gives threads that allocate at once arenas of their own, up to eight per core, and librdkafka allocates
/// every message it copies on the producing thread and frees it on a broker thread, so each arena keeps memory of its
/// own. Run to Kafka on 1 M records (2026-12-06, <c>/usr/bin/time</c>; more cores simulated with
/// <c>DOTNET_PROCESSOR_COUNT</c>, which also sizes the thread pool and the batches in flight) peaked at 223-237 MiB as
/// 2 cores, 278-287 MiB as 4 and 297-342 MiB as 8, over the 256 MB target; with <c>MALLOC_ARENA_MAX=2</c> in the
/// environment, 226-231 MiB as 8. The managed heap is capped separately (<see cref="HeapLimit"/>).
/// </para>
/// <para>
/// An environment variable cannot be set for the running process, so the cap is set at the start of <c>Main</c>. By
/// then the runtime's own threads hold about six arenas; glibc fixes its limit when the next arena would be created,
/// so those stay and no more are made. Measured the same way, one alternated pair each, without and with the cap:
/// 342 -> 271 MiB as 8 cores, 278 -> 253 MiB as 4, 237 -> 232 MiB as 2, CPU within the noise. A
/// <c>MALLOC_ARENA_MAX</c> in the environment wins: it is left as it is (the container image sets 2). Elsewhere than
/// glibc on Linux (musl, macOS, Windows) nothing is done.
/// </para>
/// </remarks>
internal static class MallocArenas
{
    /// <summary>The cap asked for; the arenas that exist already are kept (see remarks).</summary>
    public const int Max = 2;

    private const int ArenaMaxParameter = -8; // M_ARENA_MAX, glibc malloc.h

    /// <summary>Sets the cap; false when it was not set (another C library, or the environment sets one).</summary>
    public static bool Limit()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return false;
        try
        {
            // mallopt returns 1 on success, 0 on error (glibc mallopt(3)).
            return Mallopt(ArenaMaxParameter, Max) == 1;
        }
        catch (DllNotFoundException)
        {
            return false; // not glibc (musl has no libc.so.6)
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Mallopt(int parameter, int value);
}
