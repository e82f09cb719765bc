namespace ZertForwarder.Pipeline;

/// <summary>
/// One normalized zERT record on its way to the sinks: already encoded, so sinks never see zERT types.
/// </summary>
/// <remarks>
/// Each encoding is present only when some configured sink needs it (the host decides which to produce).
/// <see cref="Position"/> tells the source which input position this event came from; the source may only
/// checkpoint past it once every sink has delivered or dead-lettered the event (see <see cref="AckTracker"/>).
/// </remarks>
public sealed class ForwardedEvent
{
    private string? _eventId;

    /// <summary>
    /// Lower-case hex of the first 16 bytes of SHA-256 over the logical SMF record (output contract §1). Given either as
    /// this text or as <see cref="EventIdUtf8"/>; from the bytes the text is made on first use, since only some sinks
    /// (Elasticsearch's <c>_id</c>, syslog's MSGID, dead letters) read it and the file and Kafka outputs never do.
    /// </summary>
    public string EventId
    {
        get => _eventId ??= EventIdUtf8 is { } utf8 ? System.Text.Encoding.ASCII.GetString(utf8) : "";
        init => _eventId = value;
    }

    /// <summary><c>zos.zert_connection</c> or <c>zos.zert_summary</c>.</summary>
    public required string Dataset { get; init; }

    /// <summary>Kafka message key: the server endpoint (or local endpoint when the role is unknown), output contract §6.</summary>
    public string? Key { get; init; }

    /// <summary>SMF system id (SMF119SID), a Kafka header.</summary>
    public string SmfSystemId { get; init; } = "";

    /// <summary>ECS JSON document, UTF-8, no trailing newline.</summary>
    public ReadOnlyMemory<byte> Ecs { get; init; }

    /// <summary>LEEF 2.0 line, UTF-8, no trailing newline.</summary>
    public ReadOnlyMemory<byte> Leef { get; init; }

    /// <summary>Flat (zSecure-style) JSON object, UTF-8, no trailing newline.</summary>
    public ReadOnlyMemory<byte> Flat { get; init; }

    /// <summary>
    /// UTF-8 bytes of <see cref="Key"/>, built by the producer of the event (on the parallel mapping workers) when a
    /// Kafka output is configured, so the Kafka sink's single produce loop does not encode them. Null when not built:
    /// the sink then encodes the key itself. Read only: the array is shared by every event of the same endpoint.
    /// </summary>
    public byte[]? KeyUtf8 { get; init; }

    /// <summary>
    /// <see cref="EventId"/> as UTF-8 (32 ASCII bytes), as the mapping workers compute it; null when the event was made
    /// from the text. Read only.
    /// </summary>
    public byte[]? EventIdUtf8 { get; init; }

    /// <summary>Where the event came from, for checkpointing after delivery. Null for sources that need no acknowledgement.</summary>
    public IEventAcknowledgement? Position { get; init; }

    /// <summary>
    /// The pooled block holding <see cref="Ecs"/>, <see cref="Leef"/> and <see cref="Flat"/>, or null when they are
    /// ordinary arrays. The router counts the sinks it hands the event to; each sink runner releases the event once it
    /// settled it, and the last release gives the bytes back to the block (so a sink must not keep them after
    /// reporting the event's outcome; see <see cref="PayloadBlock"/>).
    /// </summary>
    public PayloadBlock? Payload { get; init; }

    private int _holders;

    /// <summary>Called by the router before handing the event to <paramref name="sinks"/> runners (zero releases it at once).</summary>
    internal void HoldFor(int sinks)
    {
        if (Payload is null)
        {
            return;
        }

        if (sinks == 0)
        {
            Payload.ReleaseEvent();
            return;
        }

        Volatile.Write(ref _holders, sinks);
    }

    /// <summary>Called by a sink runner when it is done with the event (after completing its position).</summary>
    internal void Release()
    {
        if (Payload is not null && Interlocked.Decrement(ref _holders) == 0)
        {
            Payload.ReleaseEvent();
        }
    }

    /// <summary>Approximate in-memory size, used for the byte limits of batches and buffers.</summary>
    public int SizeInBytes => Ecs.Length + Leef.Length + Flat.Length + (EventIdUtf8?.Length ?? EventId.Length) + 64;
}
