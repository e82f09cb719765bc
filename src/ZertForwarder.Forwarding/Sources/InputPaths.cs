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
    public static bool IsStream(string path) => path == "-" || UnixFileStatus.IsSpecial(path);
}
