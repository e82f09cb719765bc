using Microsoft.Extensions.Logging;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Forwarding;

/// <summary>
/// Picks up SMF dumps as they land in a directory. A file is read once its size has been stable for the settle time
/// (it may still be arriving by FTP); once every record of it is delivered it is moved, marked with a <c>.done</c>
/// file beside it, or deleted. Files are taken in name order. Polling (not inotify) works the same on every volume
/// type, including network file systems where change events are unreliable.
/// </summary>
/// <param name="readFile">
/// Reads one dump through the record path and returns whether every record of it was delivered or dead-lettered
/// (<see cref="ForwarderHost.ReadFileAsync"/>); false leaves the file where it is, not retried in a loop.
/// </param>
/// <param name="progress">Where the sizes of the files taken are added, for the progress bar.</param>
/// <param name="forget">
/// Called with a file's path once it is completed (moved, deleted or marked): from then on the completion itself keeps
/// the file from being read again, so the host drops its checkpoint (<c>FileCheckpointStore.Forget</c>).
/// </param>
internal sealed class DirectoryWatcher(WatchSettings settings, Func<string, CancellationToken, Task<bool>> readFile, InputProgress progress,
    ILogger logger, TimeProvider time, Action<string>? forget = null)
{
    public const string DoneSuffix = ".done";

    private readonly Dictionary<string, (long Size, DateTimeOffset Since)> _landing = new(StringComparer.Ordinal);

    /// <summary>
    /// Files whose reading failed, with their size and modification time then: skipped while they stay as they were,
    /// read again once replaced (a new dump under the same name), forgotten once gone.
    /// </summary>
    private readonly Dictionary<string, (long Size, DateTime Modified)> _failed = new(StringComparer.Ordinal);

    /// <summary>Files the watcher holds state for: landing (not settled yet) or failed.</summary>
    internal int FilesRemembered => _landing.Count + _failed.Count;

    /// <summary>Runs until <paramref name="stop"/>; with <paramref name="once"/>, until the files present are all processed.</summary>
    public async Task RunAsync(bool once, CancellationToken stop)
    {
        Directory.CreateDirectory(settings.Directory);
        while (!stop.IsCancellationRequested)
        {
            var waiting = false;
            var candidates = Candidates();
            // Files that went away before they settled (a transfer's temporary name renamed) or after they failed
            // are forgotten, so a watch that runs for months keeps nothing per file it once saw.
            ForgetAllBut(candidates);
            foreach (var file in candidates)
            {
                stop.ThrowIfCancellationRequested();
                var info = new FileInfo(file);
                if (!info.Exists) continue; // renamed or deleted while earlier files were read; the next scan decides
                var size = info.Length;
                if (_failed.TryGetValue(file, out var failed))
                {
                    if (failed == (size, info.LastWriteTimeUtc)) continue; // reported by the host; not retried in a loop
                    _failed.Remove(file); // replaced since: a new dump under the same name
                }
                var now = time.GetUtcNow();
                if (!_landing.TryGetValue(file, out var seen) || seen.Size != size)
                {
                    _landing[file] = (size, now);
                    waiting = true;
                    continue;
                }
                if (now - seen.Since < settings.SettleTime)
                {
                    waiting = true;
                    continue;
                }
                _landing.Remove(file);
                progress.AddTotal(size);
                // The file as it was taken: a dump renamed over this name while it is read is another file, which the
                // completion must not move, mark or delete unread.
                var identity = UnixFileStatus.Identity(file);
                if (await readFile(file, stop)) Complete(file, identity);
                else _failed[file] = (size, info.LastWriteTimeUtc);
            }
            if (once && !waiting) return;
            await Task.Delay(waiting ? TimeSpan.FromMilliseconds(Math.Min(settings.SettleTime.TotalMilliseconds, settings.PollInterval.TotalMilliseconds)) : settings.PollInterval, time, stop);
        }
    }

    private List<string> Candidates() =>
        Directory.GetFiles(settings.Directory, settings.Pattern)
            .Where(f => !f.EndsWith(DoneSuffix, StringComparison.Ordinal) && !IsMarkedDone(f))
            // A named pipe or device in the directory is no dump that lands and settles: reading it would wait on its
            // writer for ever, holding up every file after it (README "Inputs").
            .Where(f => !InputPaths.IsStream(f))
            .Order(StringComparer.Ordinal)
            .ToList();

    private void ForgetAllBut(List<string> present)
    {
        if (_landing.Count == 0 && _failed.Count == 0) return;
        var current = present.ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _landing.Keys.Where(f => !current.Contains(f)).ToList()) _landing.Remove(gone);
        foreach (var gone in _failed.Keys.Where(f => !current.Contains(f)).ToList()) _failed.Remove(gone);
    }

    /// <summary>
    /// Moves, marks or deletes a delivered dump, if the name still holds the file that was read (<paramref name="identity"/>).
    /// A dump that went away meanwhile, or one that cannot be completed, is logged and the watch goes on: a run never
    /// stops over its bookkeeping.
    /// </summary>
    private void Complete(string file, string? identity)
    {
        var action = ChoiceNames.Of(settings.CompletedAction);
        var info = new FileInfo(file);
        if (!info.Exists)
        {
            Log.WatchedFileGone(logger, file, action);
            forget?.Invoke(file);
            return;
        }
        if (identity is not null && UnixFileStatus.Identity(file) is { } now && now != identity)
        {
            // Its checkpoint names the file read (by its first bytes): the new one is read from its start.
            Log.WatchedFileReplaced(logger, file, action);
            return;
        }
        try
        {
            switch (settings.CompletedAction)
            {
                case CompletedAction.Delete:
                    File.Delete(file);
                    break;
                case CompletedAction.Mark:
                    NewFiles.WriteAllText(file + DoneSuffix, MarkerOf(info));
                    break;
                default:
                    Directory.CreateDirectory(settings.CompletedDirectory!);
                    File.Move(file, FreeName(settings.CompletedDirectory!, Path.GetFileName(file)), overwrite: false);
                    break;
            }
        }
        catch (Exception e) when (e is FileNotFoundException && !File.Exists(file))
        {
            Log.WatchedFileGone(logger, file, action);
            forget?.Invoke(file);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.WatchedFileNotCompleted(logger, file, action, e.Message);
            _failed[file] = (info.Length, info.LastWriteTimeUtc);
            return;
        }
        Log.WatchedFileCompleted(logger, file, action);
        forget?.Invoke(file);
    }

    /// <summary>
    /// The name a completed dump is moved to: its own, or with <c>.1</c>, <c>.2</c>, ... added when a dump of that name
    /// was completed before (dumps are often named by system and date, and a re-sent one must not overwrite the first).
    /// </summary>
    private static string FreeName(string directory, string name)
    {
        var target = Path.Combine(directory, name);
        for (var n = 1; File.Exists(target); n++) target = Path.Combine(directory, FormattableString.Invariant($"{name}.{n}"));
        return target;
    }

    /// <summary>
    /// What a <c>.done</c> marker says of the file it marks: its size, modification time and the SHA-256 of its first
    /// 64 bytes (an SMF header and more). No device or inode: those change when a volume is mounted again or moved, and
    /// every marked dump would have been read again.
    /// </summary>
    private static string MarkerOf(FileInfo file) =>
        FormattableString.Invariant($"{file.Length} {file.LastWriteTimeUtc.Ticks} {FileCheckpointStore.HeadSha256(file.FullName)}\n");

    /// <summary>
    /// Whether the file's <c>.done</c> marker marks this file: an empty marker (made by hand, or by an earlier version)
    /// marks whatever file has the name; otherwise the size must be the one marked, and the modification time or, when
    /// that moved (a copy to other storage), the first bytes too. A dump landing later under the name differs and is read.
    /// </summary>
    private static bool IsMarkedDone(string file)
    {
        string marker;
        try
        {
            marker = File.ReadAllText(file + DoneSuffix);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // a marker that cannot be read still marks: reading the dump again would repeat it
        }
        var fields = marker.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length < 3) return true;
        var info = new FileInfo(file);
        if (!info.Exists) return true; // gone meanwhile: nothing to read
        if (fields[0] != info.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)) return false;
        if (fields[1] == info.LastWriteTimeUtc.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture)) return true;
        try
        {
            return string.Equals(fields[2], FileCheckpointStore.HeadSha256(Path.GetFullPath(file)), StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the reading reports it
        }
    }
}
