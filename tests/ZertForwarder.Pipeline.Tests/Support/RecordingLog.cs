using System.Collections.Concurrent;

namespace ZertForwarder.Pipeline.Tests.Support;

/// <summary>Keeps the pipeline log lines of a sink.</summary>
internal sealed class RecordingLog : IPipelineLog
{
    private readonly ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public void Log(PipelineLogLevel level, string component, string message, Exception? exception = null) => _messages.Enqueue(message);
}
