using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ZertForwarder.Pipeline;

/// <summary>Where to resume an input file, as decided by <see cref="FileCheckpointStore.GetResumePoint"/>.</summary>
/// <param name="Offset">Byte offset to start reading at (0 for a new or replaced file).</param>
/// <param name="IsCompleted">The same file was already read to its end and every event acknowledged.</param>
/// <param name="WasReplaced">A checkpoint existed for this path but the file there is a different one now.</param>
public readonly record struct FileResumePoint(long Offset, bool IsCompleted, bool WasReplaced)
{
    /// <summary>Per sink name: the offset up to which that sink already has every event (at least <see cref="Offset"/>).</summary>
    public IReadOnlyDictionary<string, long>? SinkOffsets { get; init; }
}

/// <summary>
/// Persists per-input-file committed byte offsets in <c>checkpoints.json</c> inside a checkpoint directory.
/// </summary>
/// <remarks>
/// <para>
/// Each file is remembered with an identity: its full path, its size when first seen, and a SHA-256 of its first
/// 64 bytes (fewer if the file was shorter). A file at the same path whose head differs, or that is now shorter
/// than the committed offset, is a replaced file and starts at 0 instead of at a wrong offset.
/// </para>
/// <para>
/// Writes go to a temporary file that is flushed to disk and then renamed over <c>checkpoints.json</c>, so a crash
/// leaves either the old or the new checkpoint, never a torn one (Vector <c>checkpointer.rs</c>). Commits are
/// written at most once per <c>minWriteInterval</c> (a timer writes the last one), and always on
/// <see cref="Flush"/> / <see cref="Dispose"/> (shutdown).
/// </para>
/// </remarks>
public sealed class FileCheckpointStore : IDisposable
{
    public const string FileName = "checkpoints.json";
    private const int HeadBytes = 64;

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FileCheckpoint> _files = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly IPipelineLog _log;
    private readonly TimeSpan _minWriteInterval;
    private readonly string _path;
    private readonly string _tempPath;
    private ITimer? _pendingWrite;
    private long _lastWriteTimestamp;
    private bool _everWritten;
    private bool _dirty;
    private bool _disposed;
    private bool _failing;
    private readonly Counter _writeErrors;

    /// <param name="directory">Checkpoint directory (created when missing, <see cref="DirectorySync.CreateDirectory"/>).</param>
    /// <param name="minWriteInterval">Commits are written at most this often; 0 writes every commit.</param>
    /// <param name="timeProvider">Clock for the write interval.</param>
    /// <param name="log">Reports write failures with the path (the next commit or <see cref="Flush"/> tries again).</param>
    /// <param name="metrics">Registry for <c>zertforwarder_checkpoint_write_errors_total</c>; a private one when null.</param>
    /// <param name="forgetMissingAfter">
    /// Entries of completed files that are gone and were last seen longer ago than this are dropped when the store is
    /// loaded (zero: never). Without it, a <c>run --once</c> from cron over a glob of dumps that housekeeping deletes
    /// keeps, and rewrites at every checkpoint, one entry per dump it ever read. The wait guards against a volume that
    /// is only missing for a while: a completed file that comes back after it is read again.
    /// </param>
    public FileCheckpointStore(string directory, TimeSpan minWriteInterval, TimeProvider? timeProvider = null, IPipelineLog? log = null,
        PipelineMetrics? metrics = null, TimeSpan forgetMissingAfter = default)
    {
        _writeErrors = (metrics ?? new PipelineMetrics())
            .Counter("zertforwarder_checkpoint_write_errors_total", "Checkpoint writes that failed (disk full, I/O error); retried at the next commit.")
            .WithLabels();
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(minWriteInterval, TimeSpan.Zero);
        DirectorySync.CreateDirectory(directory); // a directory lost to a power loss would take the dead letters under it
        _path = Path.Combine(directory, FileName);
        _tempPath = _path + ".tmp";
        _minWriteInterval = minWriteInterval;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _log = log ?? NullPipelineLog.Instance;
        ArgumentOutOfRangeException.ThrowIfLessThan(forgetMissingAfter, TimeSpan.Zero);
        Load();
        if (forgetMissingAfter > TimeSpan.Zero) ForgetMissing(forgetMissingAfter);
    }

    /// <summary>How often a file's <see cref="FileCheckpoint.LastSeen"/> is brought up to date when it is only looked at.</summary>
    private static readonly TimeSpan LastSeenResolution = TimeSpan.FromHours(1);

    private void ForgetMissing(TimeSpan after)
    {
        var now = _timeProvider.GetUtcNow();
        var forgotten = 0;
        foreach (var (path, checkpoint) in _files.ToList())
        {
            if (!checkpoint.Completed || File.Exists(path)) continue;
            if (checkpoint.LastSeen is not { } seen)
            {
                _files[path] = checkpoint with { LastSeen = now }; // written before this field existed: the wait starts now
                _dirty = true;
            }
            else if (now - seen > after)
            {
                _files.Remove(path);
                _dirty = true;
                forgotten++;
            }
        }

        if (forgotten > 0)
        {
            _log.Log(PipelineLogLevel.Information, "checkpoint",
                $"Forgot the checkpoints of {forgotten} completed input file(s) gone for more than {after} (Checkpoint:ForgetMissingAfter).");
        }
    }

    /// <summary>
    /// Runs before each checkpoint write, e.g. the file output's fsync: a checkpoint may only count lines that are on
    /// disk. When it throws an I/O error the checkpoint is not written (and is tried again later).
    /// </summary>
    public Action? BeforeWrite { get; set; }

    /// <summary>True while the last attempt to write the checkpoint file failed.</summary>
    public bool IsFailing
    {
        get
        {
            lock (_gate)
            {
                return _failing;
            }
        }
    }

    /// <summary>The checkpoint file this store writes.</summary>
    public string CheckpointPath => _path;

    /// <summary>Decides where to start reading <paramref name="inputPath"/>, checking that it is still the same file.</summary>
    public FileResumePoint GetResumePoint(string inputPath)
    {
        var key = KeyOf(inputPath);
        var current = FileIdentity.Read(key);
        lock (_gate)
        {
            if (!_files.TryGetValue(key, out var saved))
            {
                if (RenamedFrom(current) is { } renamed)
                {
                    // The same dump under a new name (a transfer's temporary name renamed when done, a rotation): it
                    // goes on from the old name's checkpoint instead of being read, and sent, again from its start.
                    _files.Remove(renamed.Path);
                    saved = renamed with { Path = key, LastSeen = _timeProvider.GetUtcNow(), Completed = renamed.Completed && current.Size <= renamed.Offset };
                    _files[key] = saved;
                    ScheduleWriteLocked();
                    _log.Log(PipelineLogLevel.Information, "checkpoint",
                        $"'{key}' is '{renamed.Path}' under a new name (same first bytes; the old name is gone): going on after byte {saved.Offset}.");
                    return new FileResumePoint(saved.Offset, saved.Completed, false) { SinkOffsets = saved.Sinks };
                }

                _files[key] = NewCheckpoint(current);
                return new FileResumePoint(0, false, false);
            }

            if (IsSameFile(saved, current))
            {
                // Read to its end before and longer now (records appended, a dump copied again over a shorter copy of
                // itself): read on from where it ended, not skipped.
                var grown = saved.Completed && current.Size > saved.Offset;
                var now = _timeProvider.GetUtcNow();
                if (grown || saved.LastSeen is not { } seen || now - seen > LastSeenResolution)
                {
                    saved = saved with { Completed = saved.Completed && !grown, LastSeen = now };
                    _files[key] = saved;
                    _dirty = true;
                }

                return new FileResumePoint(saved.Offset, saved.Completed, false) { SinkOffsets = saved.Sinks };
            }

            _files[key] = NewCheckpoint(current);
            _dirty = true;
            return new FileResumePoint(0, false, true);
        }
    }

    /// <summary>The resume offset alone (0 when the file is new or was replaced).</summary>
    public long GetResumeOffset(string inputPath) => GetResumePoint(inputPath).Offset;

    /// <summary>Records that everything before <paramref name="offset"/> is acknowledged by every sink.</summary>
    public void Commit(string inputPath, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Update(inputPath, checkpoint => checkpoint with { Offset = Math.Max(checkpoint.Offset, offset) });
    }

    /// <summary>
    /// Records that everything before <paramref name="offset"/> is acknowledged by every sink, and how far each sink
    /// got on its own (<paramref name="sinkOffsets"/>, by sink name): after a crash each sink is sent only what it lacks.
    /// </summary>
    public void Commit(string inputPath, long offset, IReadOnlyDictionary<string, long> sinkOffsets)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentNullException.ThrowIfNull(sinkOffsets);
        Update(inputPath, checkpoint =>
        {
            var sinks = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var (name, sinkOffset) in sinkOffsets)
            {
                var saved = checkpoint.Sinks is not null && checkpoint.Sinks.TryGetValue(name, out var before) ? before : 0;
                sinks[name] = Math.Max(saved, sinkOffset);
            }

            return checkpoint with { Offset = Math.Max(checkpoint.Offset, offset), Sinks = sinks };
        });
    }

    /// <summary>Records that the file was read to its end and every event acknowledged; <paramref name="offset"/> is its length.</summary>
    public void MarkCompleted(string inputPath, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Update(inputPath, checkpoint => checkpoint with { Offset = Math.Max(checkpoint.Offset, offset), Completed = true });
    }

    /// <summary>
    /// Drops the checkpoint of a file that is gone for good: a watched dump once it was moved away, deleted or marked
    /// done (Input:Watch:CompletedAction), which is what keeps it from being read again. Without this the store would
    /// keep, and rewrite at every checkpoint, one entry per dump a long-running watch ever read (a site that dumps SMF
    /// every 15 minutes on 10 systems lands about 350,000 a year).
    /// </summary>
    public void Forget(string inputPath)
    {
        var key = KeyOf(inputPath);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_files.Remove(key)) ScheduleWriteLocked();
        }
    }

    /// <summary>Writes pending changes now (shutdown, end of a file).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_dirty)
            {
                TryWriteLocked();
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_dirty)
            {
                TryWriteLocked();
            }

            _pendingWrite?.Dispose();
            _pendingWrite = null;
            _disposed = true;
        }
    }

    private void Update(string inputPath, Func<FileCheckpoint, FileCheckpoint> change)
    {
        var key = KeyOf(inputPath);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_files.TryGetValue(key, out var checkpoint))
            {
                // No entry: forgotten (a completed watched dump) or taken over by the file's new name. A late commit of
                // a file that is gone has nothing left to record (reading its identity would throw, on a timer thread).
                if (!File.Exists(key)) return;
                checkpoint = NewCheckpoint(FileIdentity.Read(key));
            }

            _files[key] = change(checkpoint) with { LastSeen = _timeProvider.GetUtcNow() };
            ScheduleWriteLocked();
        }
    }

    /// <summary>Marks the state changed and writes it now, or once <c>minWriteInterval</c> has passed since the last write.</summary>
    private void ScheduleWriteLocked()
    {
        _dirty = true;
        var sinceLastWrite = _timeProvider.GetElapsedTime(_lastWriteTimestamp);
        if (!_everWritten || sinceLastWrite >= _minWriteInterval)
        {
            TryWriteLocked();
        }
        else
        {
            _pendingWrite ??= _timeProvider.CreateTimer(_ => WriteFromTimer(), null, _minWriteInterval - sinceLastWrite, Timeout.InfiniteTimeSpan);
        }
    }

    private void WriteFromTimer()
    {
        lock (_gate)
        {
            if (_disposed || !_dirty)
            {
                return;
            }

            TryWriteLocked();
        }
    }

    /// <summary>
    /// Writes the checkpoint; a failure (disk full under Checkpoint:Directory, I/O error) is logged with the path once
    /// per streak of failures, counted, and leaves the state dirty so the next commit, timer or <see cref="Flush"/>
    /// tries again. Never throws: a checkpoint that cannot be written only means more is re-sent after a restart.
    /// </summary>
    private void TryWriteLocked()
    {
        try
        {
            BeforeWrite?.Invoke();
            WriteLocked();
            if (_failing)
            {
                _failing = false;
                _log.Log(PipelineLogLevel.Information, "checkpoint", $"Checkpoint file '{_path}' written again.");
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _writeErrors.Increment();
            _pendingWrite?.Dispose();
            _pendingWrite = null;
            _lastWriteTimestamp = _timeProvider.GetTimestamp(); // the next attempt waits one interval too
            _everWritten = true;
            try
            {
                File.Delete(_tempPath); // a partial temporary file only takes space from the full disk
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing more to free.
            }

            if (!_failing)
            {
                _failing = true;
                _log.Log(PipelineLogLevel.Error, "checkpoint",
                    $"Cannot write checkpoint file '{_path}': {exception.Message}. Delivery goes on; the checkpoint is retried and, until it is written, a restart re-sends more.");
            }
        }
    }

    private void WriteLocked()
    {
        var document = new CheckpointDocument
        {
            Version = 1,
            Files = [.. _files.Values.OrderBy(f => f.Path, StringComparer.Ordinal)],
        };
        // A new file at every write (renamed over the last one), so the checkpoint is 0600 from its first write on: it is
        // the forwarder's own state, naming the dumps read and how far (NewFiles).
        using (var stream = NewFiles.Open(_tempPath, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, document, SerializerOptions);
            stream.Flush(flushToDisk: true);
        }

        File.Move(_tempPath, _path, overwrite: true);
        _dirty = false;
        _everWritten = true;
        _lastWriteTimestamp = _timeProvider.GetTimestamp();
        _pendingWrite?.Dispose();
        _pendingWrite = null;
    }

    private void Load()
    {
        // A leftover .tmp is a write that never reached its rename: the checkpoint file itself is the truth.
        if (!File.Exists(_path))
        {
            return;
        }

        var document = JsonSerializer.Deserialize<CheckpointDocument>(File.ReadAllBytes(_path), SerializerOptions)
            ?? throw new InvalidDataException($"Checkpoint file '{_path}' is empty.");

        // Whole JSON is not yet a checkpoint (restored half, edited by hand): what resuming reads of each entry must be
        // there, or a null surfaced later as a crash with a stack trace instead of the corrupt file's message.
        if (document.Files is null)
        {
            throw new InvalidDataException($"Checkpoint file '{_path}' has no \"files\" list.");
        }

        for (var i = 0; i < document.Files.Count; i++)
        {
            var file = document.Files[i];
            if (file is null || string.IsNullOrEmpty(file.Path) || file.HeadSha256 is null || file.Offset < 0 || file.HeadLength is < 0 or > HeadBytes)
            {
                throw new InvalidDataException(
                    $"Checkpoint file '{_path}': entry {i + 1} of \"files\" lacks a path, a head_sha256, an offset of 0 or more or a head_length of 0 to {HeadBytes}.");
            }

            _files[file.Path] = file;
        }
    }

    /// <summary>
    /// The file's full path with symbolic links followed to the file itself: the same dump named through a link (an
    /// input list with both, or a "latest" link) is one file with one checkpoint, not read twice. (A hard link cannot
    /// be told from its file by name; two hard links are two inputs.)
    /// </summary>
    private static string KeyOf(string inputPath)
    {
        var full = Path.GetFullPath(inputPath);
        try
        {
            return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full; // a link that cannot be followed: the read that follows reports the file
        }
    }

    private FileCheckpoint NewCheckpoint(FileIdentity identity) =>
        new(identity.Path, identity.Size, identity.HeadSha256, identity.HeadLength, 0, false) { LastSeen = _timeProvider.GetUtcNow() };

    /// <summary>
    /// The entry of a file that is gone and whose first 64 bytes (a whole SMF header and more: system, date and time to
    /// the hundredth) are those of <paramref name="current"/>, which is at least as long as that entry read.
    /// </summary>
    private FileCheckpoint? RenamedFrom(FileIdentity current)
    {
        if (current.HeadLength < HeadBytes) return null;
        foreach (var saved in _files.Values)
        {
            if (saved.HeadLength == HeadBytes && saved.Offset > 0 && string.Equals(saved.HeadSha256, current.HeadSha256, StringComparison.Ordinal)
                && current.Size >= saved.Offset && !File.Exists(saved.Path))
            {
                return saved;
            }
        }
        return null;
    }

    private static bool IsSameFile(FileCheckpoint saved, FileIdentity current)
    {
        if (current.Size < saved.Offset || current.Size < saved.HeadLength)
        {
            return false; // shorter than what we already read: truncated or replaced
        }

        var head = current.HeadLength == saved.HeadLength ? current.HeadSha256 : FileIdentity.HashHead(current.Path, saved.HeadLength);
        return string.Equals(head, saved.HeadSha256, StringComparison.Ordinal);
    }

    /// <summary>One file's entry in <c>checkpoints.json</c>.</summary>
    public sealed record FileCheckpoint(
        string Path, long SizeAtFirstSight, string HeadSha256, int HeadLength, long Offset, bool Completed)
    {
        /// <summary>Per sink name, the offset up to which that sink has every event (absent in older checkpoint files).</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public IReadOnlyDictionary<string, long>? Sinks { get; init; }

        /// <summary>When the file was last read or looked at (UTC; absent in older checkpoint files).</summary>
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public DateTimeOffset? LastSeen { get; init; }
    }

    private sealed class CheckpointDocument
    {
        public int Version { get; set; }

        public List<FileCheckpoint> Files { get; set; } = [];
    }

    /// <summary>
    /// The SHA-256 (lower-case hex) of a file's first 64 bytes, or of all of it when shorter: the identity of a file's
    /// content that checkpoints keep, for others that must recognise a file whatever its name, device or inode
    /// (the watched directory's <c>.done</c> markers).
    /// </summary>
    public static string HeadSha256(string fullPath) => FileIdentity.HashHead(fullPath, HeadBytes);

    private readonly record struct FileIdentity(string Path, long Size, string HeadSha256, int HeadLength)
    {
        public static FileIdentity Read(string fullPath)
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var head = new byte[HeadBytes];
            var read = stream.ReadAtLeast(head, HeadBytes, throwOnEndOfStream: false);
            return new FileIdentity(fullPath, stream.Length, Convert.ToHexStringLower(SHA256.HashData(head.AsSpan(0, read))), read);
        }

        public static string HashHead(string fullPath, int length)
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var head = new byte[length];
            var read = stream.ReadAtLeast(head, length, throwOnEndOfStream: false);
            return Convert.ToHexStringLower(SHA256.HashData(head.AsSpan(0, read)));
        }
    }
}
