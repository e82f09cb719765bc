using Microsoft.Extensions.Logging;

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
    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    /// <summary>Runs until <paramref name="stop"/>; with <paramref name="once"/>, until the files present are all processed.</summary>
    public async Task RunAsync(bool once, CancellationToken stop)
    {
        Directory.CreateDirectory(settings.Directory);
        while (!stop.IsCancellationRequested)
        {
            var waiting = false;
            foreach (var file in Candidates())
            {
                stop.ThrowIfCancellationRequested();
                var size = new FileInfo(file).Length;
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
                if (await readFile(file, stop)) Complete(file);
                else _failed.Add(file); // reported by the host; not retried in a loop
            }
            if (once && !waiting) return;
            await Task.Delay(waiting ? TimeSpan.FromMilliseconds(Math.Min(settings.SettleTime.TotalMilliseconds, settings.PollInterval.TotalMilliseconds)) : settings.PollInterval, time, stop);
        }
    }

    private List<string> Candidates() =>
        Directory.GetFiles(settings.Directory, settings.Pattern)
            .Where(f => !f.EndsWith(DoneSuffix, StringComparison.Ordinal) && !File.Exists(f + DoneSuffix) && !_failed.Contains(f))
            .Order(StringComparer.Ordinal)
            .ToList();

    private void Complete(string file)
    {
        switch (settings.CompletedAction)
        {
            case CompletedAction.Delete:
                File.Delete(file);
                break;
            case CompletedAction.Mark:
                File.WriteAllText(file + DoneSuffix, "");
                break;
            default:
                Directory.CreateDirectory(settings.CompletedDirectory!);
                File.Move(file, Path.Combine(settings.CompletedDirectory!, Path.GetFileName(file)), overwrite: true);
                break;
        }
        Log.WatchedFileCompleted(logger, file, ChoiceNames.Of(settings.CompletedAction));
        forget?.Invoke(file);
    }
}
