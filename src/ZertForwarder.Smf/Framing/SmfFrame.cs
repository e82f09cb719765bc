namespace ZertForwarder.Smf.Framing;

/// <summary>One logical SMF record read from a container, or a record-level framing problem that was skipped.</summary>
public readonly struct SmfFrame
{
    public SmfFrame(long offset, long endOffset, ReadOnlyMemory<byte> record, string? error)
    {
        Offset = offset;
        EndOffset = endOffset;
        Record = record;
        Error = error;
    }

    /// <summary>Byte offset in the input of the record's RDW (RDW files) or of its first segment's SDW (VBS).</summary>
    public long Offset { get; }

    /// <summary>Byte offset just past the record's last byte: where reading resumes after this record.</summary>
    public long EndOffset { get; }

    /// <summary>
    /// The complete logical record, RDW included, with the segment-descriptor bytes 2-3 zero. Valid only until the
    /// next read from the same reader: copy it to keep it.
    /// </summary>
    public ReadOnlyMemory<byte> Record { get; }

    /// <summary>Why this frame holds no usable record (e.g. a spanned record missing its last segment); null when fine.</summary>
    public string? Error { get; }

    public bool IsError => Error is not null;
}
