namespace ZertForwarder.Pipeline;

/// <summary>
/// Where events go that a sink rejected or could not deliver within the retry time limit (guide §4.3).
/// Shared by all runners, so implementations must be thread-safe. When <see cref="WriteAsync"/> returns,
/// the record must be handed to durable storage (the runner acknowledges the event right after).
/// </summary>
public interface IDeadLetterOutput
{
    Task WriteAsync(ForwardedEvent forwardedEvent, string sinkName, string reason, CancellationToken cancellationToken);

    Task FlushAsync(CancellationToken cancellationToken);
}
