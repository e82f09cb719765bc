using System.Runtime.InteropServices;

namespace ZertForwarder.Pipeline;

/// <summary>
/// fsync of a directory, which makes the names in it durable: a file or directory created, renamed or deleted there (an
/// output opened for the first time, a rotation, a directory made at start, a file a failed batch's cut-back removed).
/// Linux fsync(2): syncing a file "does not necessarily ensure that the entry in the directory containing the file has
/// also reached disk. For that an explicit fsync() on a file descriptor for the directory is also needed." Without it a
/// power loss can take back a new file whose lines a checkpoint already counts.
/// </summary>
public static class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY: a directory opens for reading, and fsync needs no more
    private const int InvalidArgument = 22; // EINVAL: the file system cannot sync a directory

    /// <summary>
    /// Creates <paramref name="directory"/> and every missing level above it, and syncs the parent of each level it
    /// makes: a new directory is a name in its parent like a new file, and a power loss that took the name back would
    /// take the directory with every file a checkpoint counted in it. A directory that exists costs no sync. Called when
    /// an output, the dead letters or the checkpoint first use their directory, so the sync comes before any checkpoint
    /// counts a line there. Throws <see cref="IOException"/> when the directory cannot be made or a parent synced.
    /// </summary>
    public static void CreateDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (Directory.Exists(full)) return;
        var parent = Path.GetDirectoryName(full);
        if (parent is not null) CreateDirectory(parent);
        Directory.CreateDirectory(full);
        if (parent is not null) Flush(parent);
    }

    /// <summary>Syncs the directory that holds <paramref name="file"/> (<see cref="Flush"/>).</summary>
    public static void FlushDirectoryOf(string file) => Flush(Path.GetDirectoryName(Path.GetFullPath(file))!);

    /// <summary>Syncs <paramref name="directory"/>. Throws <see cref="IOException"/> when the file system refuses.</summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux()) return; // the product runs on Linux; elsewhere the file's own sync is all there is
        var fd = Open(directory, ReadOnly);
        if (fd < 0) throw Failed("open", directory);
        try
        {
            // A file system that has no directory sync (EINVAL) keeps its names as it can; nothing more to ask of it.
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() != InvalidArgument) throw Failed("fsync", directory);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Failed(string call, string directory) =>
        new($"Cannot sync directory '{directory}' to disk ({call}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
