using System.Buffers;

namespace ZertForwarder.Mapping;

/// <summary>
/// Shortens a LEEF line to a maximum length by cutting only DN values (issue 10: a receiver such as QRadar cuts a
/// long payload at its own limit, which would lose whatever keys come last). The longest DNs are cut first, all to
/// the same length, each ending in <see cref="Marker"/>; the header, the predefined and the assessment keys are never
/// touched. When even the DNs at <see cref="MinimumKept"/> bytes cannot bring the line under the limit, the line is
/// written that way, longer than the limit, rather than lose a non-DN key.
/// </summary>
internal static class LeefLineLimit
{
    /// <summary>Ends a shortened value; "..." cannot end a real DN (RFC 4514 escapes nothing that way), so it is unambiguous.</summary>
    public static ReadOnlySpan<byte> Marker => "...[cut]"u8;

    /// <summary>Bytes of a DN kept at least: enough for the first RDN of most names (CN=...).</summary>
    public const int MinimumKept = 32;

    public static void WriteShortened(ReadOnlySpan<byte> line, ReadOnlySpan<(int Offset, int Length)> dns, int max, IBufferWriter<byte> output)
    {
        var excess = line.Length - max;
        // The largest cap c such that cutting every DN longer than c + marker to c bytes + marker removes the excess.
        var longest = 0;
        foreach (var (_, length) in dns) longest = Math.Max(longest, length);
        var low = MinimumKept;
        var high = longest;
        var cap = MinimumKept;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            if (Saved(dns, mid) >= excess)
            {
                cap = mid;
                low = mid + 1;
            }
            else high = mid - 1;
        }
        var position = 0;
        foreach (var (offset, length) in dns)
        {
            output.Write(line[position..offset]);
            var value = line.Slice(offset, length);
            if (length > cap + Marker.Length)
            {
                var keep = cap;
                // Never split a UTF-8 sequence: back off over continuation bytes.
                while (keep > 0 && (value[keep] & 0xC0) == 0x80) keep--;
                output.Write(value[..keep]);
                output.Write(Marker);
            }
            else output.Write(value);
            position = offset + length;
        }
        output.Write(line[position..]);
    }

    private static long Saved(ReadOnlySpan<(int Offset, int Length)> dns, int cap)
    {
        long saved = 0;
        foreach (var (_, length) in dns)
            if (length > cap + Marker.Length) saved += length - cap - Marker.Length;
        return saved;
    }
}
