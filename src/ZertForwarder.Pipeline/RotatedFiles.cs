using System.Globalization;

namespace ZertForwarder.Pipeline;

/// <summary>
/// Size-based rotation of an append-only file (the file output, the dead-letter file): the full file is renamed to
/// <c>name.N</c>, numbered upward. Numbers, not timestamps, keep the names deterministic; rotated files are never
/// deleted by the forwarder (they are data: the SIEM's shipper or the operator's housekeeping removes them).
/// </summary>
public static class RotatedFiles
{
    /// <summary>
    /// Whether the name still holds a file of <paramref name="length"/> bytes, following a link to its target (a
    /// link's own length is that of the path it holds). Between writes an append-only output ends where it last wrote,
    /// so no file or another length means another program moved, removed or truncated it (an outside rotation).
    /// </summary>
    public static bool HoldsFileOfLength(string path, long length)
    {
        FileSystemInfo info = new FileInfo(path);
        if (info.LinkTarget is not null) info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
        return info is FileInfo { Exists: true } file && file.Length == length;
    }

    /// <summary>Renames <paramref name="path"/> to the next free <c>path.N</c> and returns that name.</summary>
    public static string Rotate(string path)
    {
        var target = $"{path}.{NextNumber(path).ToString(CultureInfo.InvariantCulture)}";
        File.Move(path, target);
        return target;
    }

    /// <summary>Highest existing <c>name.N</c> + 1.</summary>
    public static int NextNumber(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var prefix = Path.GetFileName(path) + ".";
        var highest = 0;
        foreach (var candidate in Directory.EnumerateFiles(directory, prefix + "*"))
        {
            var name = Path.GetFileName(candidate);
            if (name.Length <= prefix.Length || !name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue; // the "name.*" pattern also matches the current file itself
            }

            if (int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > highest)
            {
                highest = number;
            }
        }

        return highest + 1;
    }
}
