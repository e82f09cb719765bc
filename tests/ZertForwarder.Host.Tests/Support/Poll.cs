namespace ZertForwarder.Host.Tests.Support;

/// <summary>Waiting for something a child process does (files appear, counters move) without fixed sleeps.</summary>
public static class Poll
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            await Task.Delay(50);
        }
    }
}
