namespace ZertForwarder.Forwarding;

/// <summary>
/// At most <see cref="PerWindow"/> log lines of one kind per <see cref="Window"/>. A corrupt dump, or a producer that
/// writes garbage to the Kafka topic, rejects records by the million; one warning each buried every other log line and
/// loaded the log pipeline (journald, the pod's log collector) as much as the events did. The records themselves are
/// still counted (<c>records_total{outcome="rejected"}</c>, the end-of-run summary) and dead-lettered one by one;
/// only the log lines are limited. When a window opens again its first line says how many were not logged.
/// </summary>
internal sealed class LogRateLimit(TimeProvider time)
{
    public const int PerWindow = 100;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private long _windowStart = long.MinValue;
    private int _logged;
    private long _suppressed;

    /// <summary>
    /// True when this occurrence is to be logged; <paramref name="suppressedBefore"/> is then the number not logged
    /// since the last line that was (to be said first).
    /// </summary>
    public bool TryLog(out long suppressedBefore)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (_windowStart == long.MinValue || time.GetElapsedTime(_windowStart, now) >= Window)
            {
                _windowStart = now;
                _logged = 0;
            }
            if (_logged < PerWindow)
            {
                _logged++;
                suppressedBefore = _suppressed;
                _suppressed = 0;
                return true;
            }
            _suppressed++;
            suppressedBefore = 0;
            return false;
        }
    }
}
