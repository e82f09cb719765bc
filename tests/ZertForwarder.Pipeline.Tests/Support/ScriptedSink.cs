using System.Collections.Concurrent;

namespace ZertForwarder.Pipeline.Tests.Support;

/// <summary>
/// An in-memory sink whose per-item answers come from a script. It records every batch it was sent and which
/// events it finally holds, so tests can check "exactly once" and "only the failed items were re-sent".
/// </summary>
internal sealed class ScriptedSink(string name = "scripted") : ISink
{
    private readonly ConcurrentQueue<IReadOnlyList<string>> _batches = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentDictionary<string, int> _delivered = new();
    private int _flushes;

    /// <summary>Decides an item: (event, attempt number for that event starting at 1) → outcome and reason. Default: delivered.</summary>
    public Func<ForwardedEvent, int, (ItemOutcome Outcome, string? Reason)> Script { get; set; } = (_, _) => (ItemOutcome.Delivered, null);

    /// <summary>Runs before each send (to throw, or to hold the sink until a test releases it).</summary>
    public Func<int, CancellationToken, Task>? BeforeSend { get; set; }

    public string Name { get; } = name;

    /// <summary>How many sends the runner may start before the oldest finishes (<see cref="ISink.MaxConcurrentBatches"/>).</summary>
    public int MaxConcurrentBatches { get; init; } = 1;

    public IReadOnlyList<IReadOnlyList<string>> Batches => [.. _batches];

    public int Flushes => Volatile.Read(ref _flushes);

    public int SendCalls => _batches.Count;

    public IReadOnlyDictionary<string, int> Delivered => _delivered;

    /// <summary>Value of <see cref="SendCalls"/> when the last flush happened.</summary>
    public int SendCallsAtLastFlush { get; private set; } = -1;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        _batches.Enqueue([.. batch.Select(e => e.EventId)]);
        if (BeforeSend is not null)
        {
            await BeforeSend(_batches.Count, cancellationToken);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var attempt = _attempts.AddOrUpdate(batch[i].EventId, 1, (_, a) => a + 1);
            var (result, reason) = Script(batch[i], attempt);
            switch (result)
            {
                case ItemOutcome.Delivered:
                    _delivered.AddOrUpdate(batch[i].EventId, 1, (_, c) => c + 1);
                    outcome.Delivered(i);
                    break;
                case ItemOutcome.Rejected:
                    outcome.Reject(i, reason ?? "rejected by script");
                    break;
                case ItemOutcome.Retry:
                    outcome.Retry(i, reason ?? "retry by script");
                    break;
                default:
                    break; // left pending on purpose
            }
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        SendCallsAtLastFlush = SendCalls;
        Interlocked.Increment(ref _flushes);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Dead-letter output that keeps records in memory.</summary>
internal sealed class MemoryDeadLetters : IDeadLetterOutput
{
    private readonly ConcurrentQueue<(string EventId, string Sink, string Reason)> _records = new();

    public IReadOnlyList<(string EventId, string Sink, string Reason)> Records => [.. _records];

    public Task WriteAsync(ForwardedEvent forwardedEvent, string sinkName, string reason, CancellationToken cancellationToken)
    {
        _records.Enqueue((forwardedEvent.EventId, sinkName, reason));
        return Task.CompletedTask;
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
