using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The watched-directory source in-process, on a fake clock: a dump is read only once its size has been stable for the
/// settle time, completed as configured once read, and a dump whose reading failed is not read again in a loop.
/// (<see cref="WatchDirectoryTests"/> runs the same source through the program, against real time.)
/// </summary>
public sealed class DirectoryWatcherTests : IDisposable
{
    private readonly TempDirectory _work = new();
    private readonly ObservedTimeProvider _time = new();
    private readonly ConcurrentQueue<string> _reads = new();
    private readonly CancellationTokenSource _stop = new();

    public void Dispose()
    {
        _stop.Dispose();
        _work.Dispose();
    }

    private WatchSettings Settings(CompletedAction action) => new()
    {
        Directory = _work.Combine("incoming"),
        Pattern = "*.smf",
        CompletedAction = action,
        CompletedDirectory = _work.Combine("done"),
        PollInterval = TimeSpan.FromSeconds(5),
        SettleTime = TimeSpan.FromSeconds(2),
    };

    private DirectoryWatcher? _watcher;

    private Task Start(WatchSettings settings, Func<string, bool> outcome)
    {
        _watcher = new DirectoryWatcher(settings, (file, _) =>
        {
            _reads.Enqueue(Path.GetFileName(file));
            return Task.FromResult(outcome(file));
        }, new InputProgress(), NullLogger.Instance, _time);
        return Task.Run(() => _watcher.RunAsync(once: false, _stop.Token));
    }

    /// <summary>Waits until the watcher has armed its <paramref name="count"/>th wait: it has scanned and is parked on the clock.</summary>
    private Task ParkedAsync(int count, Task running) =>
        Eventually.TrueAsync(() => running.IsCompleted || _time.TimersCreated >= count, $"wait {count} of the watcher", TimeSpan.FromSeconds(30));

    [Fact]
    public async Task A_growing_dump_is_read_once_its_size_has_settled_and_is_then_marked_done()
    {
        var settings = Settings(CompletedAction.Mark);
        Directory.CreateDirectory(settings.Directory);
        var dump = Path.Combine(settings.Directory, "a.smf");
        File.WriteAllBytes(dump, new byte[100]);
        var running = Start(settings, _ => true);

        await ParkedAsync(1, running); // first scan: the size is noted
        Assert.Empty(_reads);

        using (var more = new FileStream(dump, FileMode.Append)) more.Write(new byte[50]); // still arriving
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.Empty(_reads); // the size changed: the settle time starts again

        _time.Advance(settings.SettleTime);
        await ParkedAsync(3, running);
        Assert.Equal(["a.smf"], _reads);
        Assert.True(File.Exists(dump + DirectoryWatcher.DoneSuffix));

        // Marked done: later scans leave it alone.
        _time.Advance(settings.PollInterval);
        await ParkedAsync(4, running);
        Assert.Equal(["a.smf"], _reads);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task Dumps_are_taken_in_name_order_a_failed_one_stays_and_is_not_read_again_and_a_read_one_is_moved()
    {
        var settings = Settings(CompletedAction.Move);
        Directory.CreateDirectory(settings.Directory);
        File.WriteAllBytes(Path.Combine(settings.Directory, "b.smf"), new byte[10]);
        File.WriteAllBytes(Path.Combine(settings.Directory, "a.smf"), new byte[10]);
        File.WriteAllBytes(Path.Combine(settings.Directory, "notes.txt"), new byte[10]); // not a dump by the pattern
        var running = Start(settings, file => Path.GetFileName(file) != "a.smf");

        await ParkedAsync(1, running);
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.Equal(["a.smf", "b.smf"], _reads);
        Assert.True(File.Exists(Path.Combine(settings.Directory, "a.smf")), "a dump whose reading failed stays where it is");
        Assert.True(File.Exists(Path.Combine(settings.CompletedDirectory!, "b.smf")));
        Assert.False(File.Exists(Path.Combine(settings.Directory, "b.smf")));

        for (var wait = 3; wait <= 5; wait++)
        {
            _time.Advance(settings.PollInterval);
            await ParkedAsync(wait, running);
        }
        Assert.Equal(["a.smf", "b.smf"], _reads);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task A_dump_that_goes_away_while_an_earlier_one_is_read_is_skipped_and_the_watch_goes_on()
    {
        var settings = Settings(CompletedAction.Move);
        Directory.CreateDirectory(settings.Directory);
        foreach (var name in new[] { "a.smf", "b.smf", "c.smf" }) File.WriteAllBytes(Path.Combine(settings.Directory, name), new byte[10]);
        // While a.smf is read, b.smf is taken away (an operator, a second forwarder): the scan's list still names it.
        var running = Start(settings, file =>
        {
            if (Path.GetFileName(file) == "a.smf") File.Delete(Path.Combine(settings.Directory, "b.smf"));
            return true;
        });

        await ParkedAsync(1, running);
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.False(running.IsFaulted, running.Exception?.ToString());
        Assert.Equal(["a.smf", "c.smf"], _reads);
        Assert.True(File.Exists(Path.Combine(settings.CompletedDirectory!, "c.smf")));
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task A_failed_dump_replaced_under_its_name_is_read_again_and_files_that_went_away_are_forgotten()
    {
        var settings = Settings(CompletedAction.Move);
        settings.Pattern = "*";
        Directory.CreateDirectory(settings.Directory);
        var dump = Path.Combine(settings.Directory, "a.smf");
        var partial = Path.Combine(settings.Directory, "b.smf.part"); // a transfer's temporary name, renamed when complete
        File.WriteAllBytes(dump, new byte[10]);
        var attempts = 0;
        var running = Start(settings, file => Path.GetFileName(file) != "a.smf" || ++attempts > 1);

        File.WriteAllBytes(partial, new byte[5]);
        await ParkedAsync(1, running); // both noted as landing
        File.Move(partial, Path.Combine(settings.Directory, "b.smf"));
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running); // a.smf read and failed; b.smf.part gone; b.smf noted
        Assert.Equal(["a.smf"], _reads);
        Assert.Equal(2, _watcher!.FilesRemembered); // a.smf (failed) and b.smf (landing); b.smf.part forgotten

        _time.Advance(settings.SettleTime);
        await ParkedAsync(3, running);
        Assert.Equal(["a.smf", "b.smf"], _reads); // the failed one is not read again as it is

        // A new dump under the failed one's name (another size): read again, and this time it goes through.
        File.WriteAllBytes(dump, new byte[20]);
        for (var wait = 4; wait <= 5; wait++)
        {
            _time.Advance(settings.PollInterval);
            await ParkedAsync(wait, running);
        }
        Assert.Equal(["a.smf", "b.smf", "a.smf"], _reads);
        Assert.True(File.Exists(Path.Combine(settings.CompletedDirectory!, "a.smf")));
        Assert.Equal(0, _watcher.FilesRemembered);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task A_dump_renamed_over_the_one_being_read_is_not_completed_unread_but_read_next()
    {
        var settings = Settings(CompletedAction.Move);
        Directory.CreateDirectory(settings.Directory);
        var dump = Path.Combine(settings.Directory, "a.smf");
        File.WriteAllBytes(dump, new byte[10]);
        var replaced = false;
        var running = Start(settings, file =>
        {
            if (!replaced)
            {
                // While the first a.smf is read, a new one is copied in under a temporary name and renamed over it.
                replaced = true;
                var incoming = dump + ".tmp";
                File.WriteAllBytes(incoming, new byte[20]);
                File.Move(incoming, dump, overwrite: true);
            }
            return true;
        });

        await ParkedAsync(1, running);
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.Equal(["a.smf"], _reads);
        Assert.False(File.Exists(Path.Combine(settings.CompletedDirectory!, "a.smf")), "the new dump was moved away unread");
        Assert.Equal(20, new FileInfo(dump).Length);

        for (var wait = 3; wait <= 4; wait++)
        {
            _time.Advance(settings.PollInterval);
            await ParkedAsync(wait, running);
        }
        Assert.Equal(["a.smf", "a.smf"], _reads); // the new dump, read as such, then completed
        Assert.Equal(20, new FileInfo(Path.Combine(settings.CompletedDirectory!, "a.smf")).Length);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Theory]
    [InlineData(CompletedAction.Move)]
    [InlineData(CompletedAction.Mark)]
    [InlineData(CompletedAction.Delete)]
    public async Task A_dump_deleted_while_it_is_read_does_not_stop_the_watch(CompletedAction action)
    {
        var settings = Settings(action);
        Directory.CreateDirectory(settings.Directory);
        var dump = Path.Combine(settings.Directory, "a.smf");
        File.WriteAllBytes(dump, new byte[10]);
        var running = Start(settings, file =>
        {
            if (Path.GetFileName(file) == "a.smf") File.Delete(file); // an operator cleans up, or a second forwarder
            return true;
        });

        await ParkedAsync(1, running);
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.False(running.IsFaulted, running.Exception?.ToString());
        Assert.False(File.Exists(dump + DirectoryWatcher.DoneSuffix), "a marker for a file that is not there");

        File.WriteAllBytes(Path.Combine(settings.Directory, "b.smf"), new byte[10]); // the watch goes on
        _time.Advance(settings.PollInterval);
        await ParkedAsync(3, running); // b.smf noted
        _time.Advance(settings.SettleTime);
        await ParkedAsync(4, running);
        Assert.Equal(["a.smf", "b.smf"], _reads);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task A_dump_landing_again_under_a_marked_name_is_read_and_an_empty_marker_still_marks()
    {
        var settings = Settings(CompletedAction.Mark);
        Directory.CreateDirectory(settings.Directory);
        var dump = Path.Combine(settings.Directory, "a.smf");
        File.WriteAllBytes(dump, new byte[10]);
        File.WriteAllBytes(Path.Combine(settings.Directory, "old.smf"), new byte[10]);
        File.WriteAllText(Path.Combine(settings.Directory, "old.smf") + DirectoryWatcher.DoneSuffix, ""); // marked by hand
        var running = Start(settings, _ => true);

        await ParkedAsync(1, running);
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.Equal(["a.smf"], _reads);
        Assert.True(File.Exists(dump + DirectoryWatcher.DoneSuffix));

        // The next day's dump of the same name arrives (renamed into place, as transfers do).
        var incoming = Path.Combine(settings.Directory, "a.smf.tmp");
        File.WriteAllBytes(incoming, new byte[30]);
        File.Move(incoming, dump, overwrite: true);
        for (var wait = 3; wait <= 5; wait++)
        {
            _time.Advance(settings.PollInterval);
            await ParkedAsync(wait, running);
        }
        Assert.Equal(["a.smf", "a.smf"], _reads);

        // Marked again: not read a third time.
        _time.Advance(settings.PollInterval);
        await ParkedAsync(6, running);
        Assert.Equal(["a.smf", "a.smf"], _reads);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task A_completed_dump_moved_where_one_of_its_name_already_lies_keeps_both()
    {
        var settings = Settings(CompletedAction.Move);
        Directory.CreateDirectory(settings.Directory);
        Directory.CreateDirectory(settings.CompletedDirectory!);
        File.WriteAllBytes(Path.Combine(settings.CompletedDirectory!, "a.smf"), new byte[7]); // yesterday's
        File.WriteAllBytes(Path.Combine(settings.Directory, "a.smf"), new byte[10]);
        var running = Start(settings, _ => true);

        await ParkedAsync(1, running);
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.Equal(7, new FileInfo(Path.Combine(settings.CompletedDirectory!, "a.smf")).Length);
        Assert.Equal(10, new FileInfo(Path.Combine(settings.CompletedDirectory!, "a.smf.1")).Length);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task A_marked_dump_moved_to_other_storage_stays_marked_and_another_of_the_same_size_is_read()
    {
        // Device and inode change when a volume is mounted again or the directory is copied: only a dump whose content
        // differs is new. (A marker naming the device made every marked dump read again after a remount.)
        var settings = Settings(CompletedAction.Mark);
        Directory.CreateDirectory(settings.Directory);
        var dump = Path.Combine(settings.Directory, "a.smf");
        File.WriteAllBytes(dump, [.. Enumerable.Range(0, 100).Select(i => (byte)i)]);
        var running = Start(settings, _ => true);
        await ParkedAsync(1, running);
        _time.Advance(settings.SettleTime);
        await ParkedAsync(2, running);
        Assert.Equal(["a.smf"], _reads);

        // The same bytes in a new file (another inode), with another modification time, as a copy without -p makes.
        var copy = dump + ".copy";
        File.Copy(dump, copy);
        File.Move(copy, dump, overwrite: true);
        File.SetLastWriteTimeUtc(dump, DateTime.UtcNow.AddHours(1));
        _time.Advance(settings.PollInterval);
        await ParkedAsync(3, running);
        _time.Advance(settings.PollInterval);
        await ParkedAsync(4, running);
        Assert.Equal(["a.smf"], _reads);

        // Another dump of the same size under the name: read.
        File.WriteAllBytes(dump, [.. Enumerable.Range(0, 100).Select(i => (byte)(255 - i))]);
        for (var wait = 5; wait <= 7; wait++)
        {
            _time.Advance(settings.PollInterval);
            await ParkedAsync(wait, running);
        }
        Assert.Equal(["a.smf", "a.smf"], _reads);
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }
}
