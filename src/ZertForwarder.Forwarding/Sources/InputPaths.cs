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
}
