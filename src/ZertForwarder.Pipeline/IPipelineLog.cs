namespace ZertForwarder.Pipeline;

/// <summary>Severity of a pipeline log message.</summary>
public enum PipelineLogLevel
{
    Debug,
    Information,
    Warning,
    Error,
}

/// <summary>
/// The pipeline's only logging dependency, so this project stays free of packages; the host adapts it to
/// <c>ILogger</c>. Messages never contain secrets or event payloads.
/// </summary>
public interface IPipelineLog
{
    void Log(PipelineLogLevel level, string component, string message, Exception? exception = null);
}

/// <summary>Discards everything; the default when no log is given.</summary>
public sealed class NullPipelineLog : IPipelineLog
{
    public static readonly NullPipelineLog Instance = new();

    private NullPipelineLog()
    {
    }

    public void Log(PipelineLogLevel level, string component, string message, Exception? exception = null)
    {
    }
}
