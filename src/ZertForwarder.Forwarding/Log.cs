using Microsoft.Extensions.Logging;

namespace ZertForwarder.Forwarding;

/// <summary>
/// Every line the host logs, as source-generated <see cref="LoggerMessageAttribute"/> methods: the level is checked
/// before any argument is formatted, the template is parsed once at build time, and each message has its own event
/// id, so an operator can alert on one message (README "Observability"). Ranges: 1xxx run lifecycle, 2xxx inputs,
/// 3xxx records, 4xxx sinks, 5xxx endpoints. Messages never carry secrets or event payloads.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Starting: {Inputs} -> {Outputs}{Once}; managed heap limit {HeapLimit}.")]
    public static partial void RunStarting(ILogger logger, string inputs, string outputs, string once, string heapLimit);

    [LoggerMessage(1001, LogLevel.Information, "{Summary}; {DeadLetters} dead-lettered.")]
    public static partial void RunCompleted(ILogger logger, string summary, long deadLetters);

    [LoggerMessage(1002, LogLevel.Information, "Shutdown requested: draining in-flight batches.")]
    public static partial void ShutdownRequested(ILogger logger);

    [LoggerMessage(1003, LogLevel.Error, "Draining the sinks timed out; undelivered events will be read again on restart.")]
    public static partial void DrainTimedOut(ILogger logger);

    [LoggerMessage(1004, LogLevel.Critical, "A sink cannot work: {Reason}")]
    public static partial void SinkCannotWork(ILogger logger, string reason);

    [LoggerMessage(1005, LogLevel.Critical, "The run stopped: {Reason}; what was read before is delivered, and the rest is read again on restart.")]
    public static partial void RunStopped(ILogger logger, Exception exception, string reason);

    [LoggerMessage(1008, LogLevel.Information, "Stopped while the outputs were starting; nothing was read.")]
    public static partial void StoppedWhileStarting(ILogger logger);

    [LoggerMessage(1007, LogLevel.Error, "The Kafka input's final offset commit and group leave did not finish within {Seconds} s; the records after its last confirmed commit are read again on restart.")]
    public static partial void KafkaCloseTimedOut(ILogger logger, double seconds);

    [LoggerMessage(1009, LogLevel.Warning, "The inputs had not stopped {Seconds} s after the stop signal or the failure that stopped the run (Shutdown:DrainTimeout; a Kafka input waits for the group coordinator to confirm a revocation's offset commit); they read nothing more, and the sinks are not drained further.")]
    public static partial void InputsStillStopping(ILogger logger, double seconds);

    [LoggerMessage(1006, LogLevel.Error, "The dead-letter output did not confirm everything before the drain's deadline; those events stay unacknowledged and are read again on restart.")]
    public static partial void DeadLetterFlushTimedOut(ILogger logger);

    /// <summary>A password, API key or token that crosses the network without TLS (<c>CleartextCredentials</c>).</summary>
    [LoggerMessage(1010, LogLevel.Warning, "Credentials without TLS, readable on the network: {Connection}.")]
    public static partial void CleartextCredentials(ILogger logger, string connection);

    [LoggerMessage(2000, LogLevel.Information, "Reading {Input}.")]
    public static partial void InputOpened(ILogger logger, string input);

    [LoggerMessage(2001, LogLevel.Information, "Resuming {Input} after byte {Offset} (delivered before the last stop).")]
    public static partial void InputResumed(ILogger logger, string input, long offset);

    [LoggerMessage(2002, LogLevel.Information, "Finished {Input}: every record delivered or dead-lettered.")]
    public static partial void InputCompleted(ILogger logger, string input);

    [LoggerMessage(2003, LogLevel.Information, "Skipping {Input}: already delivered completely.")]
    public static partial void InputSkipped(ILogger logger, string input);

    /// <summary>A record length that does not chain to the next record (RDW or segment descriptor): the rest is not read.</summary>
    [LoggerMessage(2004, LogLevel.Error, "{Input}:{Offset}: {Reason}; the rest of this file is not read.")]
    public static partial void InputFramingBroken(ILogger logger, string input, long offset, string reason);

    [LoggerMessage(2005, LogLevel.Error, "{Input} cannot be read.")]
    public static partial void InputFailed(ILogger logger, Exception exception, string input);

    [LoggerMessage(2006, LogLevel.Error, "{Input} cannot be read: {Reason}")]
    public static partial void InputNotPermitted(ILogger logger, string input, string reason);

    [LoggerMessage(2007, LogLevel.Error, "Input '{Input}' matches no file.")]
    public static partial void InputMatchesNoFile(ILogger logger, string input);

    /// <summary>The container cannot be read at all (neither RDW nor VBS framing fits its first bytes).</summary>
    [LoggerMessage(2008, LogLevel.Error, "{Input}: {Reason}")]
    public static partial void InputContainerBroken(ILogger logger, string input, string reason);

    [LoggerMessage(2010, LogLevel.Information, "{Input} delivered; completed action: {Action}.")]
    public static partial void WatchedFileCompleted(ILogger logger, string input, string action);

    [LoggerMessage(2011, LogLevel.Warning, "{Input} went away before it could be completed ({Action}); its records were delivered.")]
    public static partial void WatchedFileGone(ILogger logger, string input, string action);

    [LoggerMessage(2012, LogLevel.Warning, "{Input} was replaced by another file while it was read: the file read is delivered, and the new one is read as a new dump instead of being completed ({Action}) unread.")]
    public static partial void WatchedFileReplaced(ILogger logger, string input, string action);

    [LoggerMessage(2013, LogLevel.Error, "{Input} was delivered but cannot be completed ({Action}): {Reason}. It stays where it is and is not read again while it stays as it is.")]
    public static partial void WatchedFileNotCompleted(ILogger logger, string input, string action, string reason);

    [LoggerMessage(3000, LogLevel.Warning, "{Origin}:{Offset}: {Reason}")]
    public static partial void RecordRejected(ILogger logger, string origin, long offset, string reason);

    [LoggerMessage(3001, LogLevel.Warning, "{Count} more rejected records were not logged (at most {PerWindow} lines per {WindowSeconds} s); they are counted as rejected, and dead-lettered unless DeadLetter:MalformedRecords is off.")]
    public static partial void RejectionsNotLogged(ILogger logger, long count, int perWindow, double windowSeconds);

    [LoggerMessage(3010, LogLevel.Warning, "{Warning}")]
    public static partial void MissingUtcOffset(ILogger logger, string warning);

    /// <summary>A line of the pipeline or a sink (<see cref="PipelineLogAdapter"/>), at the level it chose.</summary>
    [LoggerMessage(EventId = 4000, Message = "{Component}: {Message}")]
    public static partial void SinkMessage(ILogger logger, LogLevel level, Exception? exception, string component, string message);

    [LoggerMessage(5000, LogLevel.Information, "Serving /metrics, /healthz and /readyz on {Address}:{Port}.")]
    public static partial void MetricsListening(ILogger logger, string address, int port);
}
