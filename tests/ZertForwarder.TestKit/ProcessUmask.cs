using System.Runtime.InteropServices;

namespace ZertForwarder.TestKit;

/// <summary>
/// Sets the process's umask (Linux) until disposed, so a test of the modes files are created with knows which bits the
/// umask takes away. The umask belongs to the whole process: only for tests that run alone (a collection with
/// parallelization disabled), and files other tests create meanwhile would get it too.
/// </summary>
public sealed class ProcessUmask : IDisposable
{
    private readonly uint _previous;

    private ProcessUmask(uint mask) => _previous = Umask(mask);

    /// <summary>Sets the umask to <paramref name="mask"/> until the result is disposed.</summary>
    public static ProcessUmask Set(UnixFileMode mask) => new((uint)mask);

    public void Dispose() => _ = Umask(_previous);

    [DllImport("libc", EntryPoint = "umask")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint Umask(uint mask);
}
