namespace ZertForwarder.Pipeline;

/// <summary>
/// Capped exponential back-off with full jitter: attempt n waits a uniform random time in
/// [0, min(max, initial * 2^n)). Full jitter spreads retries of many forwarders hitting one cluster.
/// </summary>
/// <remarks>Not thread-safe (it owns a <see cref="Random"/>); each runner has its own.</remarks>
public sealed class ExponentialBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;

    public ExponentialBackoff(TimeSpan initial, TimeSpan max, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        ArgumentNullException.ThrowIfNull(random);
        _initial = initial;
        _max = max;
        _random = random;
    }

    /// <summary>The upper bound of the delay for <paramref name="attempt"/> (0-based), before jitter.</summary>
    public TimeSpan Ceiling(int attempt)
    {
        var ticks = _initial.Ticks * Math.Pow(2, Math.Clamp(attempt, 0, 62));
        return ticks >= _max.Ticks ? _max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The jittered delay before retry number <paramref name="attempt"/> (0-based).</summary>
    public TimeSpan NextDelay(int attempt) => TimeSpan.FromTicks((long)(_random.NextDouble() * Ceiling(attempt).Ticks));
}
