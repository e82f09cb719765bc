namespace ZertForwarder.Pipeline;

/// <summary>Buffering, batching and retry settings of one <see cref="SinkRunner"/> (config section <c>Pipeline</c>).</summary>
public sealed class SinkRunnerOptions
{
    /// <summary>Most events the runner holds (queued, batching or being retried) before writers wait.</summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>Most bytes (<see cref="ForwardedEvent.SizeInBytes"/>) the runner holds before writers wait.</summary>
    /// <remarks>
    /// 16 MB by measurement (docs/performance.md, "Memory and the garbage collector"): about 5,000 ECS documents, three Elasticsearch
    /// bulk requests of the default 5 MB, or 50 ms of Kafka traffic at 100,000 messages/s. With 64 MB the run to a file
    /// and to Kafka went no faster, and its managed heap limit (twice the buffers plus a base) had to be 64 MB higher.
    /// </remarks>
    public long BufferBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>A batch is sent when it has this many events.</summary>
    public int MaxBatchItems { get; set; } = 500;

    /// <summary>A batch is sent before adding an event would take it past this many bytes.</summary>
    public long MaxBatchBytes { get; set; } = 5L * 1024 * 1024;

    /// <summary>A batch is sent this long after its first event arrived, however small it is.</summary>
    public TimeSpan MaxBatchAge { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Ceiling of the first back-off delay; it doubles per retry up to <see cref="MaxBackoff"/> (full jitter below it).</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a batch's items are retried before they are dead-lettered with "retry limit exceeded".</summary>
    public TimeSpan RetryTimeLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Problems with these settings; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (BufferCapacity < 1)
        {
            problems.Add("BufferCapacity must be at least 1.");
        }

        if (BufferBytes < 1)
        {
            problems.Add("BufferBytes must be at least 1.");
        }

        if (MaxBatchItems < 1)
        {
            problems.Add("MaxBatchItems must be at least 1.");
        }

        if (MaxBatchItems > BufferCapacity)
        {
            problems.Add("MaxBatchItems must not exceed BufferCapacity.");
        }

        if (MaxBatchBytes < 1)
        {
            problems.Add("MaxBatchBytes must be at least 1.");
        }

        if (MaxBatchAge < TimeSpan.Zero)
        {
            problems.Add("MaxBatchAge must not be negative.");
        }

        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            problems.Add("InitialBackoff must be >= 0 and MaxBackoff >= InitialBackoff.");
        }

        if (RetryTimeLimit < TimeSpan.Zero)
        {
            problems.Add("RetryTimeLimit must not be negative.");
        }

        return problems;
    }
}
