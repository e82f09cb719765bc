using Microsoft.Extensions.Logging;

namespace ZertForwarder.Running;

/// <summary>
/// Fixed event ids of the forwarder's log lines, so that operators can alert on them (README "Logs").
/// Ranges: 1xxx lifecycle, 2xxx inputs, 3xxx records, 4xxx sinks, 5xxx endpoints.
/// </summary>
internal static class LogEvents
{
    public static readonly EventId RunStarting = new(1000, nameof(RunStarting));
    public static readonly EventId RunCompleted = new(1001, nameof(RunCompleted));
    public static readonly EventId ShutdownRequested = new(1002, nameof(ShutdownRequested));
    public static readonly EventId DrainTimedOut = new(1003, nameof(DrainTimedOut));
    public static readonly EventId InputOpened = new(2000, nameof(InputOpened));
    public static readonly EventId InputResumed = new(2001, nameof(InputResumed));
    public static readonly EventId InputCompleted = new(2002, nameof(InputCompleted));
    public static readonly EventId InputSkipped = new(2003, nameof(InputSkipped));
    public static readonly EventId InputFramingBroken = new(2004, nameof(InputFramingBroken));
    public static readonly EventId InputFailed = new(2005, nameof(InputFailed));
    public static readonly EventId WatchedFileCompleted = new(2010, nameof(WatchedFileCompleted));
    public static readonly EventId RecordRejected = new(3000, nameof(RecordRejected));
    public static readonly EventId MissingUtcOffset = new(3010, nameof(MissingUtcOffset));
    public static readonly EventId SinkMessage = new(4000, nameof(SinkMessage));
    public static readonly EventId MetricsListening = new(5000, nameof(MetricsListening));
}
