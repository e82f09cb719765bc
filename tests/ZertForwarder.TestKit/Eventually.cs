namespace ZertForwarder.TestKit;

/// <summary>
/// Waits for something another thread or a child process does (a counter moves, a file appears, a line is logged),
/// instead of sleeping a fixed time: the one polling helper of every test project.
/// </summary>
public static class Eventually
{
    /// <summary>Longest pause between two checks: a file or a child's output is not read more than 20 times a second.</summary>
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Returns once <paramref name="condition"/> holds. The pause between checks starts at 1 ms and doubles up to 50 ms,
    /// so an in-process condition is seen at once and a slow one costs little. The limit only guards against a hung
    /// test: past it the test fails naming <paramref name="what"/>, with <paramref name="diagnostics"/> (a child's
    /// stderr, say) when given.
    /// </summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? limit = null, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(20));
        var interval = TimeSpan.FromMilliseconds(1);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting for: {what}{(diagnostics is null ? "" : "\n" + diagnostics())}");
            }

            await Task.Delay(interval);
            if (interval < MaxInterval) interval *= 2;
        }
    }
}
