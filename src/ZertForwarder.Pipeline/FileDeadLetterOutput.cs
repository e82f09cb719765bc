using System.Text;
using System.Text.Json;

namespace ZertForwarder.Pipeline;

/// <summary>
/// Writes dead letters as NDJSON, one object per line:
/// <c>{"time":…,"sink":…,"reason":…,"event_id":…,"dataset":…,"event":{ECS}}</c>. When the ECS bytes are not
/// valid JSON they are kept as <c>event_base64</c> instead, so nothing is lost or mangled.
/// </summary>
/// <remarks>
/// <para>
/// <c>time</c> is when the event was dead-lettered (from the injected <see cref="TimeProvider"/>); it describes the
/// dead-lettering, not the event, so it does not break the determinism of event outputs. Each write is flushed to
/// the operating system before it returns; <see cref="FlushAsync"/> also flushes to disk.
/// </para>
/// <para>
/// A forwarder that runs for months must not grow one file without end (during an outage every event can end up
/// here): past <c>rotateBytes</c> the file is renamed to <c>name.N</c> (<see cref="RotatedFiles"/>) and a new one
/// begun; rotated files are kept. A file moved away or truncated by an outside rotation (logrotate's <c>create</c> or
/// <c>copytruncate</c>) is noticed at the next dead letter, which then starts the new file or the emptied one at its
/// end, not at the old length (which would leave a run of zero bytes).
/// </para>
/// </remarks>
public sealed class FileDeadLetterOutput : IDeadLetterOutput, IAsyncDisposable
{
    /// <summary>The default size at which the file is rotated: the file output's.</summary>
    public const long DefaultRotateBytes = 256L * 1024 * 1024;

    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private Microsoft.Win32.SafeHandles.SafeFileHandle _handle;
    private long _length; // end of the last complete dead letter
    private bool _unsynced; // written since the last fsync (under _gate)
    private bool _nameUnsynced = true; // the file was opened (maybe created) since the last fsync of its directory (under _gate)
    private readonly long _rotateBytes;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Appends to <paramref name="path"/>, creating it and its directory when missing (<see cref="DirectorySync.CreateDirectory"/>).</summary>
    /// <param name="rotateBytes">Size past which the file is rotated (0: never).</param>
    public FileDeadLetterOutput(string path, TimeProvider? timeProvider = null, long rotateBytes = DefaultRotateBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(rotateBytes);
        DirectorySync.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);

        Path = path;
        _rotateBytes = rotateBytes;
        _handle = Open(path, out _length);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle Open(string path, out long length)
    {
        // 0600 whatever the file output's Permissions: dead letters hold whole records and are for the operator to look
        // into and replay, not for a shipper (NewFiles).
        var handle = NewFiles.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete);
        length = RandomAccess.GetLength(handle);
        return handle;
    }

    public string Path { get; }

    public async Task WriteAsync(ForwardedEvent forwardedEvent, string sinkName, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(forwardedEvent);
        var line = Format(forwardedEvent, sinkName, reason, _timeProvider.GetUtcNow());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // One positioned write of the whole line, at the end of the last complete one: a write that fails (disk full)
            // leaves no partial line behind for the next one to be glued to, and no buffer to fail again on close.
            var whole = new byte[line.Length + 1];
            line.CopyTo(whole, 0);
            whole[^1] = NewLine[0];
            FollowOutsideRotationLocked();
            if (_rotateBytes > 0 && _length > 0 && _length + whole.Length > _rotateBytes)
            {
                RotateLocked();
            }

            try
            {
                await RandomAccess.WriteAsync(_handle, whole, _length, cancellationToken);
                _length += whole.Length;
                _unsynced = true;
            }
            catch (IOException)
            {
                TryCutBack();
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Makes every dead letter written so far durable (fsync), when any was written since the last time, and the file's
    /// name when it is new since then. Called before a checkpoint write: a checkpoint that counts a dead-lettered record
    /// must not outlive the dead letter after a power loss. Throws <see cref="IOException"/> when the disk refuses (the checkpoint then waits).
    /// </summary>
    public void SyncToDisk()
    {
        _gate.Wait();
        try
        {
            if (_unsynced)
            {
                RandomAccess.FlushToDisk(_handle);
                _unsynced = false;
            }

            // A file created or renamed since the last sync is durable only with its name (DirectorySync).
            if (_nameUnsynced)
            {
                DirectorySync.FlushDirectoryOf(Path);
                _nameUnsynced = false;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            RandomAccess.FlushToDisk(_handle);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            try
            {
                RandomAccess.FlushToDisk(_handle);
            }
            catch (IOException)
            {
                // Closing never throws; what was written is in the file (fsync failures surface through FlushAsync).
            }

            _handle.Dispose();
            _unsynced = false; // closed: what was written is flushed above, and later syncs have nothing to do
        }
        finally
        {
            // Not disposed: a checkpoint written at shutdown after this still calls SyncToDisk (the semaphore holds
            // no wait handle, so nothing is left unreleased).
            _gate.Release();
        }
    }

    /// <summary>
    /// The path names another file than the one written (moved away, then maybe created anew) or the file is shorter
    /// than written (truncated in place): write on at the path's file, at its end.
    /// </summary>
    private void FollowOutsideRotationLocked()
    {
        var written = RandomAccess.GetLength(_handle);
        if (RotatedFiles.HoldsFileOfLength(Path, written))
        {
            if (written < _length) _length = written; // truncated in place (copytruncate)
            return;
        }

        RandomAccess.FlushToDisk(_handle); // what was written to the file now elsewhere
        SwitchTo(Open(Path, out var length), length);
    }

    private void RotateLocked()
    {
        RandomAccess.FlushToDisk(_handle);
        RotatedFiles.Rotate(Path);
        SwitchTo(Open(Path, out var length), length);
    }

    /// <summary>
    /// Closes the file written so far and writes on in <paramref name="next"/>. Only once the next file is open: when
    /// it cannot be made (no space, no inode left) the handle stays usable, and the next dead letter finds the name
    /// empty and tries again. (Closed first, the handle stayed disposed: every later dead letter failed, space or
    /// not, until the run stopped, and closing the output threw.)
    /// </summary>
    private void SwitchTo(Microsoft.Win32.SafeHandles.SafeFileHandle next, long length)
    {
        _handle.Dispose();
        _handle = next;
        _length = length;
        _unsynced = false;
        _nameUnsynced = true;
    }

    private void TryCutBack()
    {
        try
        {
            RandomAccess.SetLength(_handle, _length);
        }
        catch (IOException)
        {
            // The next successful write starts at _length anyway and overwrites the partial bytes.
        }
    }

    /// <summary>One dead-letter record as UTF-8 JSON without the newline.</summary>
    public static byte[] Format(ForwardedEvent forwardedEvent, string sinkName, string reason, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(forwardedEvent);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("sink", sinkName);
            writer.WriteString("reason", reason);
            writer.WriteString("event_id", forwardedEvent.EventId);
            writer.WriteString("dataset", forwardedEvent.Dataset);
            if (!forwardedEvent.Ecs.IsEmpty)
            {
                if (IsJson(forwardedEvent.Ecs.Span))
                {
                    writer.WritePropertyName("event");
                    writer.WriteRawValue(forwardedEvent.Ecs.Span, skipInputValidation: true);
                }
                else
                {
                    writer.WriteBase64String("event_base64", forwardedEvent.Ecs.Span);
                }
            }

            if (!forwardedEvent.Leef.IsEmpty)
            {
                writer.WriteString("leef", Encoding.UTF8.GetString(forwardedEvent.Leef.Span));
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read())
            {
                return false;
            }

            reader.Skip();
            return !reader.Read(); // exactly one value, nothing after it
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
