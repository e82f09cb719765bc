namespace ZertForwarder.Pipeline;

/// <summary>
/// Fans one event out to every sink runner. Each write is awaited in turn, so the slowest full buffer holds
/// the source back (back-pressure) instead of letting any buffer grow or drop.
/// </summary>
public sealed class EventRouter
{
    private readonly SinkRunner[] _runners;

    public EventRouter(IEnumerable<SinkRunner> runners)
    {
        ArgumentNullException.ThrowIfNull(runners);
        _runners = [.. runners];
        if (_runners.Length == 0)
        {
            throw new ArgumentException("At least one sink runner is needed.", nameof(runners));
        }

        for (var i = 0; i < _runners.Length; i++)
        {
            _runners[i].RouteIndex = i;
        }
    }

    /// <summary>How many completions each event's acknowledgement must expect (see <see cref="AckTracker.Track"/>).</summary>
    public int SinkCount => _runners.Length;

    public IReadOnlyList<SinkRunner> Runners => _runners;

    /// <summary>Every runner sends the batch it is filling now (<see cref="SinkRunner.SendPartialBatch"/>): the end of an input.</summary>
    public void SendPartialBatches()
    {
        foreach (var runner in _runners) runner.SendPartialBatch();
    }

    /// <summary>Fans one event out (<see cref="WriteBatchAsync"/> with one event).</summary>
    public ValueTask WriteAsync(ForwardedEvent forwardedEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(forwardedEvent);
        return WriteBatchAsync([forwardedEvent], cancellationToken);
    }

    /// <summary>
    /// Fans a run of events out: each runner gets the events in order (those it is expected to take: a sink that
    /// delivered an event before a restart is not sent it again), the runners one after another, so a full buffer still
    /// holds the source back.
    /// </summary>
    public async ValueTask WriteBatchAsync(IReadOnlyList<ForwardedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var forwardedEvent in events)
        {
            if (forwardedEvent.Payload is not null)
            {
                var holders = 0;
                foreach (var runner in _runners)
                {
                    if (IsFor(forwardedEvent, runner.RouteIndex))
                    {
                        holders++;
                    }
                }

                forwardedEvent.HoldFor(holders);
            }
        }

        foreach (var runner in _runners)
        {
            var index = runner.RouteIndex;
            await runner.WriteBatchAsync(events, e => IsFor(e, index), cancellationToken);
        }
    }

    /// <summary>
    /// Whether the sink at <paramref name="routeIndex"/> takes the event: a sink that delivered it before a restart
    /// (per-sink checkpoint) is not sent it again.
    /// </summary>
    private static bool IsFor(ForwardedEvent forwardedEvent, int routeIndex) =>
        forwardedEvent.Position is not ISinkAcknowledgement perSink || perSink.IsExpectedBy(routeIndex);

    /// <summary>Completes every runner (drain, then flush). True when all finished before cancellation.</summary>
    public async Task<bool> CompleteAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(_runners.Select(r => r.CompleteAsync(cancellationToken)));
        return results.All(finished => finished);
    }
}
