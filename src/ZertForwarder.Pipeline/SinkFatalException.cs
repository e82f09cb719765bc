namespace ZertForwarder.Pipeline;

/// <summary>
/// Thrown by a sink when retrying cannot help any item and the operator must act (e.g. Elasticsearch 401/403).
/// The runner stops instead of retrying: nothing is acknowledged, so the source checkpoint stays before the
/// undelivered events and they are sent again after the fix (guide §4.3: fail fast on configuration errors).
/// </summary>
public sealed class SinkFatalException : Exception
{
    public SinkFatalException()
    {
    }

    public SinkFatalException(string message)
        : base(message)
    {
    }

    public SinkFatalException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
