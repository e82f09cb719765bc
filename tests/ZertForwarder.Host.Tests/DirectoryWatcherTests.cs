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

    private Task Start(WatchSettings settings, Func<string, bool> outcome)
    {
        var watcher = new DirectoryWatcher(settings, (file, _) =>
        {
            _reads.Enqueue(Path.GetFileName(file));
            return Task.FromResult(outcome(file));
        }, new InputProgress(), NullLogger.Instance, _time);
        return Task.Run(() => watcher.RunAsync(once: false, _stop.Token));
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
}
