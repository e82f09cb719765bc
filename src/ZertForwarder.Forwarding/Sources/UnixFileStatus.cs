namespace ZertForwarder.Forwarding;

/// <summary>
/// What .NET does not say about a path: its file type (regular, pipe, device) and its identity (device and inode), from
/// <c>statx(2)</c>, following links. <c>statx</c> has one layout on every Linux architecture (<c>stx_mode</c> at byte
/// 28, <c>stx_ino</c> at 32, <c>stx_dev_major</c>/<c>minor</c> at 136/140), unlike <c>stat</c>. Where it is not
/// available (not Linux, glibc before 2.28) every existing path counts as a regular file with no identity.
/// </summary>
internal static class UnixFileStatus
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int ModeOffset = 28;
    private const int InodeOffset = 32;
    private const int DeviceMajorOffset = 136;
    private const int DeviceMinorOffset = 140;
    private const int TypeMask = 0xF000;
    private const int Regular = 0x8000;
    private const int Directory = 0x4000;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>True for an existing path that is neither a regular file nor a directory (a pipe, device or socket).</summary>
    public static bool IsSpecial(string path)
    {
        if (!TryStat(path, StatxType, out var buffer)) return false; // missing or unreadable: said elsewhere
        // Native byte order: Linux on IBM Z is big-endian.
        var type = BitConverter.ToUInt16(buffer, ModeOffset) & TypeMask;
        return type != Regular && type != Directory;
    }

    /// <summary>
    /// The file a path names now, as <c>device:inode</c>; null when the path is gone or the system cannot say. Two
    /// equal identities are the same file, whatever was renamed in between; a dump copied over a name is a new one.
    /// </summary>
    public static string? Identity(string path)
    {
        if (!TryStat(path, StatxIno, out var buffer)) return null;
        var inode = BitConverter.ToUInt64(buffer, InodeOffset);
        var major = BitConverter.ToUInt32(buffer, DeviceMajorOffset);
        var minor = BitConverter.ToUInt32(buffer, DeviceMinorOffset);
        return FormattableString.Invariant($"{major}.{minor}:{inode}");
    }

    private static bool TryStat(string path, uint mask, out byte[] buffer)
    {
        buffer = new byte[256]; // struct statx
        if (s_unavailable) return false;
        try
        {
            return Statx(AtFdCwd, path, 0, mask, buffer) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            s_unavailable = true;
            return false;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "statx", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int directoryFd, [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [System.Runtime.InteropServices.Out] byte[] buffer);
}
