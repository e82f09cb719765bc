using Microsoft.Extensions.Time.Testing;
using ZertForwarder.Forwarding;

namespace ZertForwarder.Pipeline.Tests;

/// <summary>Rejected-record warnings: a flood of bad records is logged a hundred lines a minute, and the rest are counted.</summary>
public sealed class LogRateLimitTests
{
    [Fact]
    public void A_window_logs_its_first_hundred_and_the_next_window_starts_by_saying_how_many_were_not_logged()
    {
        var time = new FakeTimeProvider();
        var limit = new LogRateLimit(time);

        var logged = Enumerable.Range(0, 1000).Count(_ => limit.TryLog(out var before) && before == 0);
        Assert.Equal(LogRateLimit.PerWindow, logged);

        time.Advance(LogRateLimit.Window - TimeSpan.FromSeconds(1));
        Assert.False(limit.TryLog(out _)); // still the same window: 901 not logged so far

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limit.TryLog(out var notLogged));
        Assert.Equal(901, notLogged);
        Assert.True(limit.TryLog(out notLogged));
        Assert.Equal(0, notLogged);
    }
}
