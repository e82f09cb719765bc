using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Files;

/// <summary>
/// Writes events as lines: ECS NDJSON (<c>zert-ecs.ndjson</c>), LEEF (<c>zert-leef.log</c>) and flat NDJSON
/// (<c>zert-flat.ndjson</c>) in a directory, or all configured formats to standard output.
/// </summary>
/// <remarks>
/// <para>
/// An item is reported delivered only once its lines are in the file: each batch is written with positioned writes
/// (no buffer of ours holds bytes after <see cref="SendAsync"/> returns) at the end of the last complete line, and a
/// file is fsynced on rotation, on close and when <see cref="SyncToDisk"/> is called before a checkpoint is written.
/// </para>
/// <para>
/// When a write fails (disk full, I/O error) every file is cut back to where the batch started, so no file ends in a
/// cut-off line and no line of the batch is left half written; the error is logged with the path and counted
/// (<c>zertforwarder_file_write_errors_total</c>), and the whole batch is reported for retry. Past the runner's retry
/// limit the batch goes to the dead-letter output. A file found ending in a cut-off line when opened (a crash in the
/// middle of a write) is cut back to its last complete line as well.
/// </para>
/// </remarks>
public sealed class FileSink : ISink
{
    private const byte NewLine = (byte)'\n';
    private static readonly byte[] NewLineBytes = [NewLine];

    private readonly FileSinkOptions _options;
    private readonly IReadOnlyList<FileFormat> _formats;
    private readonly Stream? _standardOutput;
    private readonly IPipelineLog _log;
    private readonly Counter _writeErrors;
    private readonly Dictionary<FileFormat, RotatingFile> _files = [];
    private readonly Lock _syncGate = new();
    private bool _failing;

    /// <param name="options">Directory, formats, rotation, stdout.</param>
    /// <param name="standardOutput">The stream used when <see cref="FileSinkOptions.Stdout"/> is set; the process's stdout when null.</param>
    /// <param name="log">Write errors (with the path).</param>
    /// <param name="metrics">Registry for <c>zertforwarder_file_write_errors_total</c>; a private one when null.</param>
    public FileSink(FileSinkOptions options, Stream? standardOutput = null, IPipelineLog? log = null, PipelineMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _formats = options.EffectiveFormats();
        _standardOutput = options.Stdout ? standardOutput ?? Console.OpenStandardOutput() : null;
        _log = log ?? NullPipelineLog.Instance;
        _writeErrors = (metrics ?? new PipelineMetrics())
            .Counter("zertforwarder_file_write_errors_total", "Batches the file output could not write (disk full, I/O error); retried.")
            .WithLabels();
    }

    public string Name => "file";

    /// <summary>File name used for <paramref name="format"/>.</summary>
    public static string FileNameOf(FileFormat format) => format switch
    {
        FileFormat.Ecs => "zert-ecs.ndjson",
        FileFormat.Leef => "zert-leef.log",
        FileFormat.Flat => "zert-flat.ndjson",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_standardOutput is null)
        {
            System.IO.Directory.CreateDirectory(_options.Directory);
            foreach (var format in _formats)
            {
                _files[format] = new RotatingFile(Path.Combine(_options.Directory, FileNameOf(format)), _options.RotateBytes);
            }
        }

        return Task.CompletedTask;
    }

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        var written = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var missing = _formats.FirstOrDefault(f => Encoding(batch[i], f).IsEmpty, (FileFormat)(-1));
            if (missing != (FileFormat)(-1))
            {
                outcome.Reject(i, $"event has no {missing.ToString().ToLowerInvariant()} encoding");
                continue;
            }

            written.Add(i);
        }

        if (written.Count == 0)
        {
            return;
        }

        if (_standardOutput is not null)
        {
            foreach (var i in written)
            {
                foreach (var format in _formats)
                {
                    await _standardOutput.WriteAsync(Encoding(batch[i], format), cancellationToken);
                    await _standardOutput.WriteAsync(NewLineBytes, cancellationToken);
                }
            }

            await _standardOutput.FlushAsync(cancellationToken);
        }
        else
        {
            await WriteToFilesAsync(batch, written, cancellationToken);
        }

        // Only now, with every line in the files, are the items delivered.
        foreach (var i in written)
        {
            outcome.Delivered(i);
        }
    }

    private async Task WriteToFilesAsync(IReadOnlyList<ForwardedEvent> batch, List<int> items, CancellationToken cancellationToken)
    {
        var marks = _files.ToDictionary(f => f.Key, f => f.Value.Mark());
        RotatingFile? failing = null;
        try
        {
            foreach (var format in _formats)
            {
                failing = _files[format];
                await failing.WriteLinesAsync(items.Select(i => Encoding(batch[i], format)), cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _writeErrors.Increment();
            foreach (var (format, file) in _files)
            {
                file.CutBackTo(marks[format], _log);
            }

            // Logged once per streak of failures (the runner logs each retry as a warning); the metric counts them all.
            if (!_failing)
            {
                _failing = true;
                var diskFull = e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
                _log.Log(PipelineLogLevel.Error, Name,
                    $"Cannot write '{Path.GetFullPath(failing!.Path)}'{(diskFull ? " (disk full)" : "")}: {e.Message}. The batch is cut back to the last complete line and retried; nothing is counted delivered until it is written.");
            }

            throw new IOException($"cannot write '{failing!.Path}': {e.Message}", e);
        }

        if (_failing)
        {
            _failing = false;
            _log.Log(PipelineLogLevel.Information, Name, $"Writing to '{Path.GetFullPath(_options.Directory)}' works again.");
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_standardOutput is not null)
        {
            await _standardOutput.FlushAsync(cancellationToken);
        }

        SyncToDisk();
    }

    /// <summary>
    /// Makes every line written so far durable (fsync). Called before a checkpoint that counts them is written, so a
    /// power loss cannot leave a checkpoint past lines the disk never got.
    /// </summary>
    public void SyncToDisk()
    {
        lock (_syncGate)
        {
            foreach (var file in _files.Values)
            {
                file.SyncToDisk();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_syncGate)
        {
            foreach (var file in _files.Values)
            {
                file.Close(_log);
            }

            _files.Clear();
        }

        if (_standardOutput is not null)
        {
            try
            {
                _standardOutput.Flush();
            }
            catch (IOException e)
            {
                _log.Log(PipelineLogLevel.Error, Name, $"Flushing standard output failed: {e.Message}");
            }
        }

        return ValueTask.CompletedTask;
    }

    private static ReadOnlyMemory<byte> Encoding(ForwardedEvent forwardedEvent, FileFormat format) => format switch
    {
        FileFormat.Ecs => forwardedEvent.Ecs,
        FileFormat.Leef => forwardedEvent.Leef,
        _ => forwardedEvent.Flat,
    };

    /// <summary>An append-only file that is renamed to <c>name.N</c> and restarted when it would pass the size limit.</summary>
    private sealed class RotatingFile(string path, long rotateBytes)
    {
        private SafeFileHandle? _handle;
        private long _length; // end of the last complete line: where the next write goes

        // Reused for every batch; one write per 1 MB keeps the number of system calls low and memory flat.
        private byte[] _chunk = new byte[1024 * 1024];

        public string Path { get; } = path;

        /// <summary>Where the file stands before a batch (the batch may rotate it; a rotated file is complete and synced).</summary>
        public (SafeFileHandle? Handle, long Length) Mark() => (_handle, _length);

        public async Task WriteLinesAsync(IEnumerable<ReadOnlyMemory<byte>> lines, CancellationToken cancellationToken)
        {
            if (_handle is null)
            {
                Open();
            }

            // Lines are gathered in one reused buffer and written when it is full: a batch of 1,000 ECS documents is
            // about 3 MB, and growing a fresh buffer per batch cost more CPU (copies, page faults on new memory) than
            // the write itself (measured: perf on `run` to a file, issue 9).
            var used = 0;
            foreach (var line in lines)
            {
                var lineBytes = line.Length + 1;
                if (rotateBytes > 0 && _length + used > 0 && _length + used + lineBytes > rotateBytes)
                {
                    await WriteChunkAsync(used, cancellationToken);
                    used = 0;
                    Rotate();
                }

                if (used + lineBytes > _chunk.Length)
                {
                    await WriteChunkAsync(used, cancellationToken);
                    used = 0;
                    if (lineBytes > _chunk.Length)
                    {
                        _chunk = new byte[lineBytes];
                    }
                }

                line.Span.CopyTo(_chunk.AsSpan(used));
                _chunk[used + line.Length] = NewLine;
                used += lineBytes;
            }

            await WriteChunkAsync(used, cancellationToken);
        }

        private async Task WriteChunkAsync(int count, CancellationToken cancellationToken)
        {
            if (count == 0)
            {
                return;
            }

            await RandomAccess.WriteAsync(_handle!, _chunk.AsMemory(0, count), _length, cancellationToken);
            _length += count;
        }

        /// <summary>Drops whatever a failed batch left after <paramref name="mark"/> (a partly written chunk included).</summary>
        public void CutBackTo((SafeFileHandle? Handle, long Length) mark, IPipelineLog log)
        {
            if (_handle is null)
            {
                return;
            }

            // A batch that rotated the file before failing: the new file holds only lines of this batch.
            var length = ReferenceEquals(mark.Handle, _handle) ? mark.Length : 0;
            try
            {
                RandomAccess.SetLength(_handle, length);
                _length = length;
            }
            catch (IOException e)
            {
                // Cannot shorten it now: reopen (which cuts back to the last complete line) before the next write.
                log.Log(PipelineLogLevel.Error, "file", $"Cannot cut '{Path}' back to {length} bytes: {e.Message}");
                Close(log);
            }
        }

        public void SyncToDisk()
        {
            try
            {
                if (_handle is { } handle)
                {
                    RandomAccess.FlushToDisk(handle);
                }
            }
            catch (ObjectDisposedException)
            {
                // Rotated meanwhile: a rotated file is synced before it is closed.
            }
        }

        /// <summary>Syncs and closes; never throws (a sync failure is logged: the lines stay re-sendable by the checkpoint).</summary>
        public void Close(IPipelineLog log)
        {
            if (_handle is null)
            {
                return;
            }

            try
            {
                RandomAccess.FlushToDisk(_handle);
            }
            catch (IOException e)
            {
                log.Log(PipelineLogLevel.Error, "file", $"Cannot sync '{Path}' to disk on close: {e.Message}");
            }

            _handle.Dispose();
            _handle = null;
        }

        private void Open()
        {
            _handle = File.OpenHandle(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
            _length = LastCompleteLineEnd(_handle);
            if (_length != RandomAccess.GetLength(_handle))
            {
                // A crash or a full disk in the middle of a write: the cut-off line is sent again after the checkpoint.
                RandomAccess.SetLength(_handle, _length);
            }
        }

        private static long LastCompleteLineEnd(SafeFileHandle handle)
        {
            var end = RandomAccess.GetLength(handle);
            var buffer = new byte[4096];
            var position = end;
            while (position > 0)
            {
                var size = (int)Math.Min(buffer.Length, position);
                position -= size;
                var read = RandomAccess.Read(handle, buffer.AsSpan(0, size), position);
                var newline = buffer.AsSpan(0, read).LastIndexOf(NewLine);
                if (newline >= 0)
                {
                    return position + newline + 1;
                }
            }

            return 0;
        }

        private void Rotate()
        {
            RandomAccess.FlushToDisk(_handle!);
            _handle!.Dispose();
            _handle = null;
            System.IO.File.Move(Path, $"{Path}.{NextRotationNumber().ToString(CultureInfo.InvariantCulture)}");
            Open();
        }

        /// <summary>Highest existing <c>name.N</c> + 1: numbering without timestamps keeps names deterministic.</summary>
        private int NextRotationNumber()
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
            var prefix = System.IO.Path.GetFileName(Path) + ".";
            var highest = 0;
            foreach (var candidate in System.IO.Directory.EnumerateFiles(directory, prefix + "*"))
            {
                var name = System.IO.Path.GetFileName(candidate);
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
}
