using Microsoft.Win32.SafeHandles;

namespace ZertForwarder.Pipeline;

/// <summary>
/// Opens a file the forwarder may create, giving a new one its mode at creation. zERT records carry addresses, user
/// ids, job names and certificate names: made with the process's umask alone (0666 less the umask), a file is readable
/// by every local user under the common umask 022. The mode goes to open(2) with <c>O_CREAT</c>, so the umask can
/// still only remove bits and there is no moment when the file is readable by others (a chmod after creating it would
/// leave one). A file that exists keeps its mode: appending after a restart, or to a file another program created,
/// does not change it.
/// </summary>
public static class NewFiles
{
    /// <summary>0600, read and write for the owner: the mode of every file the forwarder creates unless a setting says otherwise.</summary>
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// An unbuffered <see cref="FileStream"/> with <paramref name="createMode"/> for a file it creates (ignored on
    /// Windows, which has no such mode). <paramref name="mode"/> must be one that may create the file (not Open or
    /// Truncate).
    /// </summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, UnixFileMode createMode = OwnerReadWrite)
    {
        // File.OpenHandle takes no create mode; FileStreamOptions.UnixCreateMode does. Without a buffer the stream holds
        // nothing that writes through its handle (RandomAccess) could miss.
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = createMode;
        return new FileStream(path, options);
    }

    /// <summary>
    /// <see cref="File.OpenHandle"/> with <paramref name="createMode"/>, as <see cref="Open"/>: the same kind of handle
    /// (FileShare as advisory locks included). The stream's finalizer leaves an exposed handle open: the caller owns it.
    /// </summary>
    public static SafeFileHandle OpenHandle(string path, FileMode mode, FileAccess access, FileShare share, UnixFileMode createMode = OwnerReadWrite) =>
        Open(path, mode, access, share, createMode).SafeFileHandle;

    /// <summary><see cref="File.WriteAllText(string, string?)"/> (UTF-8, no byte order mark) to a file created 0600 when missing.</summary>
    public static void WriteAllText(string path, string text)
    {
        using var stream = Open(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }
}
