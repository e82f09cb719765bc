using Microsoft.Extensions.Time.Testing;

namespace ZertForwarder.TestKit;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also counts timers created, so a test can wait until the component is
/// parked on a timer (a runner's batch age or back-off, a watcher's poll) before moving the clock: no race between
/// advancing and arming.
/// </summary>
public sealed class ObservedTimeProvider : TimeProvider
{
    private int _timersCreated;

    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timersCreated);
        return timer;
    }

    public void Advance(TimeSpan by) => Fake.Advance(by);

    /// <summary>Waits until more than <paramref name="seen"/> timers exist, i.e. the runner armed its next wait.</summary>
    public Task WaitForTimerAsync(int seen) => Eventually.TrueAsync(() => TimersCreated > seen, $"a timer after {seen}");

    /// <summary>
    /// Moves the clock by <paramref name="step"/> each time the runner has armed a new timer, until
    /// <paramref name="done"/>. <paramref name="step"/> must be at least the longest single wait (batch age or
    /// back-off ceiling), so every armed timer fires on the next step and the clock never runs ahead of the runner.
    /// </summary>
    public async Task AdvanceUntilAsync(Func<bool> done, TimeSpan step, string what)
    {
        var seen = 0;
        while (true)
        {
            await Eventually.TrueAsync(() => done() || TimersCreated > seen, what);
            if (done())
            {
                return;
            }

            seen = TimersCreated;
            Advance(step);
        }
    }
}
