namespace ZertForwarder.Forwarding;

/// <summary>Expands Input:Paths entries: plain paths, <c>-</c> (stdin) and globs with <c>*</c> / <c>?</c> in the file name.</summary>
internal static class InputPaths
{
    public static List<string> Expand(IEnumerable<string> patterns, out List<string> missing)
    {
        var files = new List<string>();
        missing = [];
        foreach (var pattern in patterns)
        {
            if (pattern == "-")
            {
                files.Add(pattern);
                continue;
            }
            var name = Path.GetFileName(pattern);
            if (name.AsSpan().IndexOfAny('*', '?') < 0)
            {
                if (File.Exists(pattern)) files.Add(pattern); else missing.Add(pattern);
                continue;
            }
            var directory = Path.GetDirectoryName(pattern);
            directory = string.IsNullOrEmpty(directory) ? "." : directory;
            var matches = Directory.Exists(directory)
                ? Directory.GetFiles(directory, name).Order(StringComparer.Ordinal).ToList()
                : [];
            if (matches.Count == 0) missing.Add(pattern);
            files.AddRange(matches);
        }
        return files;
    }

    /// <summary>
    /// True for an input read as a stream, from its start, without a checkpoint: <c>-</c> (stdin) and anything that is
    /// not a regular file — a named pipe (<c>mkfifo</c>, or bash's <c>&lt;(zcat dump.gz)</c>, which names
    /// <c>/dev/fd/63</c>), a character device or a socket. Such an input has no size and no head to identify it by,
    /// and opening it is not free: opening a pipe waits for its writer, and closing it again ends the writer (so the
    /// start-up checks and the checkpoint store must not open it to look).
    /// </summary>
    public static bool IsStream(string path) => path == "-" || UnixFileType.IsSpecial(path);

    /// <summary>
    /// The file type from <c>statx(2)</c>, following links. .NET reports only regular file, directory and link;
    /// <c>statx</c> has one layout on every Linux architecture (<c>stx_mode</c> at byte 28), unlike <c>stat</c>.
    /// Where it is not available (not Linux, glibc before 2.28) every existing path counts as a regular file.
    /// </summary>
    private static class UnixFileType
    {
        private const int AtFdCwd = -100;
        private const uint StatxType = 0x1;
        private const int ModeOffset = 28;
        private const int TypeMask = 0xF000;
        private const int Regular = 0x8000;
        private const int Directory = 0x4000;
        private static bool s_unavailable = !OperatingSystem.IsLinux();

        public static bool IsSpecial(string path)
        {
            if (s_unavailable) return false;
            var buffer = new byte[256]; // struct statx
            try
            {
                if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return false; // missing or unreadable: said elsewhere
            }
            catch (EntryPointNotFoundException)
            {
                s_unavailable = true;
                return false;
            }
            // Native byte order: Linux on IBM Z is big-endian.
            var type = BitConverter.ToUInt16(buffer, ModeOffset) & TypeMask;
            return type != Regular && type != Directory;
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "statx", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        private static extern int Statx(int directoryFd, [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [System.Runtime.InteropServices.Out] byte[] buffer);
    }
}
