namespace ZertForwarder.Smf.Framing;

/// <summary>
/// The frame chain of an input is broken (a length that cannot be right, or the input ends inside a frame), so the
/// reader has lost its place and cannot go on with this input. Carries the byte offset where it happened.
/// </summary>
public sealed class SmfFramingException : IOException
{
    public SmfFramingException(long offset, string reason)
        : base($"SMF frame chain broken at byte offset {offset}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    public SmfFramingException()
        : this(0, "unknown")
    {
    }

    public SmfFramingException(string message)
        : base(message)
    {
        Reason = message;
    }

    public SmfFramingException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    /// <summary>Byte offset in the input where the chain broke.</summary>
    public long Offset { get; }

    /// <summary>What was wrong, without the offset.</summary>
    public string Reason { get; } = "";
}
