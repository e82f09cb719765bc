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
/// file is fsynced on rotation, on close and when <see cref="SyncToDisk"/> is called before a checkpoint is written; that
/// call also syncs the directory when a name in it changed since the last one (a file created or renamed, a rotated file
/// a failed batch removed; <see cref="DirectorySync"/>).
/// </para>
/// <para>
/// When a write fails (disk full, I/O error), or the batch is cancelled half way, every file is cut back to where the
/// batch started (a file the batch rotated away included), so no file ends in a cut-off line and no line of the batch
/// is left behind to be written twice. A failed write is logged with the path and counted
/// (<c>zertforwarder_file_write_errors_total</c>), and the whole batch is reported for retry; past the runner's retry
/// limit it goes to the dead-letter output. A file found ending in a cut-off line when opened (a crash in the middle of
/// a write) is cut back to its last complete line as well.
/// </para>
/// <para>
/// A file it creates (the first time, and after a rotation) gets <see cref="FileSinkOptions.Permissions"/>, 0600 unless
/// configured, as its mode (<see cref="NewFiles"/>); a file that exists keeps its own.
/// </para>
/// </remarks>
public sealed class FileSink : ISink
{
    private const byte NewLine = (byte)'\n';
    private static readonly byte[] NewLineBytes = [NewLine];

    private readonly FileSinkOptions _options;
    private readonly FileFormat[] _formats; // an array: it is looped over per event, without an enumerator
    private readonly Stream? _standardOutput;

    /// <summary>
    /// Standard output as a stream that reports a closed pipe. The console's own stream drops writes to a pipe whose
    /// reader went away without an error (it ignores EPIPE), and every later event would have been counted delivered.
    /// <c>decode</c> uses it too, to stop when its reader is gone.
    /// </summary>
    internal static Stream OpenStandardOutput() => OperatingSystem.IsWindows()
        ? Console.OpenStandardOutput()
        : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    /// <summary>The <see cref="IOException.HResult"/> of a write to a pipe whose reader is gone (EPIPE on Linux).</summary>
    internal const int BrokenPipe = 32;
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
        _formats = [.. options.EffectiveFormats()];
        _standardOutput = options.Stdout ? standardOutput ?? OpenStandardOutput() : null;
        _log = log ?? NullPipelineLog.Instance;
        _writeErrors = (metrics ?? new PipelineMetrics())
            .Counter("zertforwarder_file_write_errors_total", "Batches the file output could not write (disk full, I/O error); retried.")
            .WithLabels();
    }

    public string Name => "file";

    /// <summary>Syncs the directory of a file (<see cref="DirectorySync.FlushDirectoryOf"/>); tests see each sync through it.</summary>
    internal Action<string> SyncDirectoryOf { get; init; } = DirectorySync.FlushDirectoryOf;

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
            DirectorySync.CreateDirectory(_options.Directory); // made durable before a checkpoint counts a line in it
            foreach (var format in _formats)
            {
                _files[format] = new RotatingFile(Path.Combine(_options.Directory, FileNameOf(format)), _options.RotateBytes, _options.DirectIo, _options.CreateMode(), _log, SyncDirectoryOf);
            }
        }

        return Task.CompletedTask;
    }

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        var written = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (MissingFormat(batch[i]) is { } missing)
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
            try
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
            catch (IOException e)
            {
                // Standard output closed (the reading process went away: a broken pipe) or failing: no retry brings the
                // reader back, so the run stops with these events unacknowledged.
                throw new SinkFatalException($"the file output cannot write to standard output: {e.Message}", e);
            }
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
        var marks = new Dictionary<FileFormat, (SafeFileHandle Handle, long Length)>(_formats.Length);
        RotatingFile? failing = null;
        try
        {
            foreach (var format in _formats)
            {
                failing = _files[format];
                marks[format] = failing.BeginBatch();
            }

            foreach (var format in _formats)
            {
                failing = _files[format];
                await failing.WriteLinesAsync(batch, items, format, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _writeErrors.Increment();
            CutBack(marks);

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
        catch (OperationCanceledException)
        {
            // Stopped half way (the drain's deadline at a stop): the batch is not delivered, so none of its lines may
            // stay, as undelivered lines or, with direct I/O, a block that ends inside a line.
            CutBack(marks);
            throw;
        }

        if (_failing)
        {
            _failing = false;
            _log.Log(PipelineLogLevel.Information, Name, $"Writing to '{Path.GetFullPath(_options.Directory)}' works again.");
        }
    }

    /// <summary>Cuts every file the batch began back to where it stood (<see cref="RotatingFile.CutBackTo"/>).</summary>
    private void CutBack(Dictionary<FileFormat, (SafeFileHandle Handle, long Length)> marks)
    {
        foreach (var (format, mark) in marks)
        {
            _files[format].CutBackTo(mark, _log);
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

    /// <summary>The first configured format the event has no bytes for, or null. (A plain loop: this runs per event.)</summary>
    private FileFormat? MissingFormat(ForwardedEvent forwardedEvent)
    {
        foreach (var format in _formats)
        {
            if (Encoding(forwardedEvent, format).IsEmpty) return format;
        }
        return null;
    }

    private static ReadOnlyMemory<byte> Encoding(ForwardedEvent forwardedEvent, FileFormat format) => format switch
    {
        FileFormat.Ecs => forwardedEvent.Ecs,
        FileFormat.Leef => forwardedEvent.Leef,
        _ => forwardedEvent.Flat,
    };

    /// <summary>An append-only file that is renamed to <c>name.N</c> and restarted when it would pass the size limit.</summary>
    /// <remarks>
    /// Lines are gathered in one reused buffer that holds the file's bytes from <see cref="_chunkStart"/> on, and written
    /// when it is full and at the end of each batch. With direct I/O (<see cref="DirectIo"/>) the buffer starts on a block
    /// boundary: whole blocks go out past the page cache, and the last, partial block of a batch through the ordinary
    /// handle, so the file always ends where the batch ends. That partial block stays at the front of the buffer and is
    /// completed through the ordinary handle as well, so that no direct write covers a page the page cache holds (Linux
    /// would keep the two handles coherent, but by writing the page back and waiting for it first).
    /// </remarks>
    private sealed class RotatingFile(string path, long rotateBytes, bool directIo, UnixFileMode createMode, IPipelineLog log, Action<string> syncDirectoryOf)
    {
        // One write per 1 MB keeps the number of system calls low and memory flat: a batch of 1,000 ECS documents is
        // about 3 MB, and growing a fresh buffer per batch cost more CPU (copies, page faults on new memory) than the
        // write itself (measured: perf on `run` to a file, issue 9).
        private const int ChunkBytes = 1024 * 1024;

        private SafeFileHandle? _handle;
        private SafeFileHandle? _direct; // the same file with direct I/O, while it is in use
        private bool _directIo = directIo; // cleared for good once the file system refuses it
        private long _chunkStart; // the file offset of the buffer's first byte
        private int _inFile; // how many of the buffer's first bytes the file already holds
        private BlockAlignedBuffer _chunk = new(ChunkBytes);
        private readonly List<string> _rotatedInBatch = []; // the names the current batch's rotations gave, in order
        private int _directoryUnsynced; // 1 once the file was opened (maybe created) or renamed, or a rotated one removed, since the last sync

        public string Path { get; } = path;

        /// <summary>
        /// Opens the file when it is not open (at the first batch, or after another program moved it away) and returns
        /// where it stands before the batch: the end of the lines it held, which a failed batch is cut back to. (Opened
        /// lazily by the write instead, the mark of a first batch knew no file and the cut-back emptied it: a restart on
        /// a still full disk threw away every line the runs before had delivered.)
        /// </summary>
        public (SafeFileHandle Handle, long Length) BeginBatch()
        {
            // Between batches the file ends where the last batch ended.
            if (_handle is not null && !RotatedFiles.HoldsFileOfLength(Path, Length))
            {
                // Moved or removed (logrotate, a shipper that takes finished files) or truncated (copytruncate): the
                // lines written so far are the other program's now, and this batch's go to a file under the name.
                log.Log(PipelineLogLevel.Information, "file", $"'{Path}' was moved, removed or truncated by another program: writing on in a file of that name.");
                Close(log);
            }

            if (_handle is null)
            {
                Open();
            }

            _rotatedInBatch.Clear();
            return (_handle!, Length);
        }

        /// <summary>End of the file's content (between batches, of its last complete line): the buffer's bytes the file holds end there.</summary>
        private long Length => _chunkStart + _inFile;

        /// <summary>Appends <paramref name="format"/>'s bytes of the events at <paramref name="items"/>, one line each, after <see cref="BeginBatch"/>.</summary>
        public async Task WriteLinesAsync(IReadOnlyList<ForwardedEvent> batch, List<int> items, FileFormat format, CancellationToken cancellationToken)
        {
            var used = _inFile;
            // Indexed, not an enumerator over a projection: per line, an enumerator's interface calls and a delegate
            // call were about 0.5 % of run's CPU (perf, 1 M records).
            for (var n = 0; n < items.Count; n++)
            {
                var line = Encoding(batch[items[n]], format);
                var lineBytes = line.Length + 1;
                var position = _chunkStart + used;
                if (rotateBytes > 0 && position > 0 && position + lineBytes > rotateBytes)
                {
                    await WriteChunkAsync(used, endOfBatch: true, cancellationToken);
                    Rotate();
                    used = _inFile;
                }

                if (used + lineBytes > _chunk.Length)
                {
                    used = await WriteChunkAsync(used, endOfBatch: false, cancellationToken);
                    if (used + lineBytes > _chunk.Length)
                    {
                        Grow(used, used + lineBytes);
                    }
                }

                line.Span.CopyTo(_chunk.Span[used..]);
                _chunk.Span[used + line.Length] = NewLine;
                used += lineBytes;
            }

            await WriteChunkAsync(used, endOfBatch: true, cancellationToken);
        }

        /// <summary>
        /// Writes the buffer's first <paramref name="used"/> bytes (all of them at the end of a batch; with direct I/O
        /// otherwise only its whole blocks) and returns how many stay at the front of the buffer.
        /// </summary>
        private async Task<int> WriteChunkAsync(int used, bool endOfBatch, CancellationToken cancellationToken)
        {
            var whole = _direct is null ? 0 : used & ~(DirectIo.BlockSize - 1);

            // The buffer's first block is partly in the page cache when the last batch ended inside it. A direct write
            // over a cached page first waits for the kernel to write that page back (kiocb_invalidate_pages): a disk
            // round trip per batch, which in perf was a sixth of the time run's threads spent blocked. So that block is
            // completed through the page cache too, and the direct write starts at the next block.
            var directFrom = Math.Min(whole, _inFile > 0 ? DirectIo.BlockSize : 0);
            if (directFrom > _inFile)
            {
                await RandomAccess.WriteAsync(_handle!, _chunk.Slice(_inFile, directFrom - _inFile), _chunkStart + _inFile, cancellationToken);
            }

            if (whole > directFrom)
            {
                try
                {
                    await RandomAccess.WriteAsync(_direct!, _chunk.Slice(directFrom, whole - directFrom), _chunkStart + directFrom, cancellationToken);
                }
                catch (IOException e) when (DirectIo.IsRefusal(e))
                {
                    StopDirectIo($"a direct write failed: {e.Message}");
                    whole = 0;
                }
            }

            // Through the page cache: everything without direct I/O; with it, the partial last block of a batch.
            var from = Math.Max(whole, _inFile);
            var to = _direct is null || endOfBatch ? used : from;
            if (to > from)
            {
                await RandomAccess.WriteAsync(_handle!, _chunk.Slice(from, to - from), _chunkStart + from, cancellationToken);
            }

            int kept;
            if (_direct is null)
            {
                _chunkStart += used;
                _inFile = kept = 0;
            }
            else
            {
                // The bytes after the last whole block move to the front: the next whole block starts with them.
                kept = used - whole;
                _chunk.Span.Slice(whole, kept).CopyTo(_chunk.Span);
                _chunkStart += whole;
                _inFile = endOfBatch ? kept : whole > 0 ? 0 : _inFile;
            }

            return kept;
        }

        /// <summary>A line longer than the buffer: a larger one, keeping the first <paramref name="used"/> bytes.</summary>
        private void Grow(int used, int needed)
        {
            var larger = new BlockAlignedBuffer((needed + DirectIo.BlockSize - 1) & ~(DirectIo.BlockSize - 1));
            _chunk.Span[..used].CopyTo(larger.Span);
            _chunk = larger;
        }

        /// <summary>Points the buffer at the file's end, <paramref name="length"/>, reading back the partial last block that direct I/O rewrites.</summary>
        private void Reposition(long length)
        {
            _chunkStart = _direct is null ? length : length & ~(long)(DirectIo.BlockSize - 1);
            _inFile = (int)(length - _chunkStart);
            var read = 0;
            while (read < _inFile)
            {
                var n = RandomAccess.Read(_handle!, _chunk.Span[read.._inFile], _chunkStart + read);
                if (n == 0)
                {
                    throw new IOException($"'{Path}' is shorter than expected ({_chunkStart + read} < {length} bytes).");
                }

                read += n;
            }
        }

        private void StopDirectIo(string why)
        {
            _directIo = false;
            _direct?.Dispose();
            _direct = null;
            log.Log(PipelineLogLevel.Information, "file", $"Writing '{Path}' through the page cache: {why}.");
        }

        /// <summary>
        /// Drops whatever a failed batch left after <paramref name="mark"/> (a partly written chunk included), in the
        /// files it rotated away too: the first of them is the file the batch began in, cut back to the mark, and the
        /// others hold only lines of the batch and are removed. Otherwise the lines written before the rotation stayed in
        /// the rotated file and the retried batch wrote them a second time.
        /// </summary>
        public void CutBackTo((SafeFileHandle Handle, long Length) mark, IPipelineLog log)
        {
            var file = Path;
            try
            {
                if (ReferenceEquals(mark.Handle, _handle))
                {
                    RandomAccess.SetLength(_handle, mark.Length);
                    Reposition(mark.Length);
                    return;
                }

                // Rotated, or failed while rotating (then the file the batch began in may still be under the name).
                file = _rotatedInBatch.Count > 0 ? _rotatedInBatch[0] : Path;
                using (var begun = File.OpenHandle(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
                {
                    RandomAccess.SetLength(begun, mark.Length);
                    RandomAccess.FlushToDisk(begun); // it was synced as complete when it was rotated
                }

                for (var i = 1; i < _rotatedInBatch.Count; i++)
                {
                    file = _rotatedInBatch[i];
                    File.Delete(file);
                    // A removed name comes back after a power loss until its directory is synced, and with it lines the
                    // retry writes again: duplicates, never a loss, yet one directory fsync (after a failed batch that
                    // rotated twice, only) keeps them out. Marked after the removal: a checkpoint's sync between the
                    // rotation's open (which marked it too) and this removal would otherwise leave the removal unsynced.
                    Volatile.Write(ref _directoryUnsynced, 1);
                }

                if (_handle is not null)
                {
                    file = Path;
                    RandomAccess.SetLength(_handle, 0);
                    Reposition(0);
                }
                else if (_rotatedInBatch.Count > 0 && File.Exists(Path))
                {
                    // A later rotation of the batch closed the file and could not rename it: the file under the name was
                    // made by an earlier rotation of this batch and holds only its lines, which the retry writes again.
                    file = Path;
                    using var made = File.OpenHandle(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                    RandomAccess.SetLength(made, 0);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Cannot take the lines back now (a shipper took a rotated file away): reopening cuts the file back to
                // its last complete line before the next write; complete lines of the batch are written again with it.
                log.Log(PipelineLogLevel.Error, "file", $"Cannot cut '{file}' back to where the failed batch began: {e.Message}");
                Close(log);
            }
        }

        public void SyncToDisk()
        {
            try
            {
                // fsync is per file, not per handle: it covers the direct writes too.
                if (_handle is { } handle)
                {
                    RandomAccess.FlushToDisk(handle);
                }
            }
            catch (ObjectDisposedException)
            {
                // Rotated meanwhile: a rotated file is synced before it is closed.
            }

            // A file created or renamed since the last sync is durable only with its name (DirectorySync): the
            // checkpoint after this sync counts its lines. An open or rotation racing this sync sets the mark again.
            if (Interlocked.Exchange(ref _directoryUnsynced, 0) == 1)
            {
                try
                {
                    syncDirectoryOf(Path);
                }
                catch (IOException)
                {
                    Volatile.Write(ref _directoryUnsynced, 1); // the checkpoint waits, and the next sync tries again
                    throw;
                }
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

            DisposeHandles();
        }

        /// <summary>Closes both handles on the file (the direct one while direct I/O is in use).</summary>
        private void DisposeHandles()
        {
            _direct?.Dispose();
            _direct = null;
            _handle?.Dispose();
            _handle = null;
        }

        private void Open()
        {
            _handle = NewFiles.OpenHandle(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, createMode);
            Volatile.Write(ref _directoryUnsynced, 1); // a new name (first open, after a rotation or an outside move)
            var length = LastCompleteLineEnd(_handle);
            if (length != RandomAccess.GetLength(_handle))
            {
                // A crash or a full disk in the middle of a write: the cut-off line is sent again after the checkpoint.
                RandomAccess.SetLength(_handle, length);
            }

            if (_directIo)
            {
                _direct = DirectIo.TryOpen(Path, out var whyNot);
                if (_direct is null)
                {
                    StopDirectIo(whyNot!);
                }
            }

            Reposition(length);
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
            DisposeHandles();
            _rotatedInBatch.Add(RotatedFiles.Rotate(Path));
            Open();
        }
    }
}
