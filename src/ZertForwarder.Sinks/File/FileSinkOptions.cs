using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Files;

/// <summary>Options of <see cref="FileSink"/> (config section <c>Outputs:File</c>).</summary>
public sealed class FileSinkOptions
{
    /// <summary>Directory for <c>zert-ecs.ndjson</c>, <c>zert-leef.log</c>, <c>zert-flat.ndjson</c>; created when missing.</summary>
    public string Directory { get; set; } = "out";

    /// <summary>
    /// Encodings to write: <c>ecs</c>, <c>leef</c>, <c>flat</c>. Empty means <c>ecs</c> only (an empty default, because
    /// configuration binding appends to a non-empty default list instead of replacing it).
    /// </summary>
    public string[] Formats { get; set; } = [];

    /// <summary>
    /// Size after which a file is rotated: it is renamed to <c>name.N</c> (N = highest existing number + 1, so older
    /// files keep their names) and a new file is started. 0 disables rotation.
    /// </summary>
    public long RotateBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Write whole 4 KB blocks with direct I/O (Linux <c>O_DIRECT</c>), past the page cache, where the file system
    /// accepts it; the last partial block of each batch, and everything when this is false or refused, goes through
    /// the page cache. The file's bytes are the same either way; direct I/O saves the copy into the page cache, which
    /// was the largest single cost of <c>run</c> to a file (docs/performance.md).
    /// </summary>
    public bool DirectIo { get; set; } = true;

    /// <summary>Write every line to standard output instead of files (containers, piping into another tool).</summary>
    public bool Stdout { get; set; }

    /// <summary>
    /// Mode of an output file the forwarder creates (a new file, and the new file after a rotation), as octal text:
    /// <c>0600</c> (the owner only) unless set, e.g. <c>0640</c> for a shipper that reads the files as a member of the
    /// group. The umask can only remove bits; a file that exists keeps its mode. Read and write for the owner are
    /// required (the forwarder reopens its files after a restart); the group and others may read at most: a file they
    /// could write would let other local users slip forged events into the SIEM feed (under a umask of 000, as in some
    /// containers, nothing else would take that bit away), and execute or special bits are refused too.
    /// </summary>
    public string Permissions { get; set; } = "0600";

    /// <summary>The bits a group or others may have in <see cref="Permissions"/>: read only.</summary>
    private const UnixFileMode GroupAndOthersRead = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary><see cref="Permissions"/> as a mode; throws <see cref="ArgumentException"/> when <see cref="Validate"/> lists it.</summary>
    internal UnixFileMode CreateMode() => TryParsePermissions(Permissions, out var mode) ? mode : throw new ArgumentException(PermissionsProblem);

    private string PermissionsProblem =>
        $"Outputs:File:Permissions '{Permissions}' must be an octal mode such as 0600 or 0640: read and write for the owner, at most read for the group and others (no write for them: other local users could forge events in the files; no execute or special bits).";

    /// <summary>
    /// Three octal digits with an optional leading 0 (<c>640</c>, <c>0640</c>: JSON has no numbers with a leading zero,
    /// so a mode given as a number arrives without it), owner read and write, group and others read at most.
    /// </summary>
    private static bool TryParsePermissions(string? text, out UnixFileMode mode)
    {
        mode = default;
        var digits = text?.Trim() ?? "";
        if (digits.Length == 4 && digits[0] == '0') digits = digits[1..];
        if (digits.Length != 3 || digits.Any(c => c is < '0' or > '7')) return false;
        var bits = (UnixFileMode)Convert.ToInt32(digits, 8);
        if ((bits & NewFiles.OwnerReadWrite) != NewFiles.OwnerReadWrite || (bits & ~(NewFiles.OwnerReadWrite | GroupAndOthersRead)) != 0) return false;
        mode = bits;
        return true;
    }

    /// <summary>The formats to write, normalized (lower case, no duplicates, <c>ecs</c> when none configured).</summary>
    public IReadOnlyList<FileFormat> EffectiveFormats()
    {
        if (Formats.Length == 0)
        {
            return [FileFormat.Ecs];
        }

        var formats = new List<FileFormat>();
        foreach (var name in Formats)
        {
            var format = name.Trim().ToUpperInvariant() switch
            {
                "ECS" => FileFormat.Ecs,
                "LEEF" => FileFormat.Leef,
                "FLAT" => FileFormat.Flat,
                _ => throw new ArgumentException($"Unknown file output format '{name}'; expected ecs, leef or flat."),
            };
            if (!formats.Contains(format))
            {
                formats.Add(format);
            }
        }

        return formats;
    }

    /// <summary>Problems with these settings; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Stdout && string.IsNullOrWhiteSpace(Directory))
        {
            problems.Add("Outputs:File:Directory is required unless Stdout is true.");
        }

        if (RotateBytes < 0)
        {
            problems.Add("Outputs:File:RotateBytes must not be negative (0 disables rotation).");
        }

        try
        {
            EffectiveFormats();
        }
        catch (ArgumentException exception)
        {
            problems.Add($"Outputs:File:Formats: {exception.Message}");
        }

        if (!TryParsePermissions(Permissions, out _))
        {
            problems.Add(PermissionsProblem);
        }

        return problems;
    }
}

/// <summary>One encoding of a <see cref="ZertForwarder.Pipeline.ForwardedEvent"/>.</summary>
public enum FileFormat
{
    Ecs,
    Leef,
    Flat,
}
