using Microsoft.Extensions.Logging;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Forwarding;

/// <summary>Routes the domain-free pipeline's log lines into Microsoft.Extensions.Logging.</summary>
internal sealed class PipelineLogAdapter(ILogger logger) : IPipelineLog
{
    public void Log(PipelineLogLevel level, string component, string message, Exception? exception = null)
    {
        var logLevel = level switch
        {
            PipelineLogLevel.Debug => LogLevel.Debug,
            PipelineLogLevel.Information => LogLevel.Information,
            PipelineLogLevel.Warning => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        Forwarding.Log.SinkMessage(logger, logLevel, exception, component, message);
    }
}
