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
