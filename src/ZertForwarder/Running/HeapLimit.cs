using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;

namespace ZertForwarder.Running;

/// <summary>
/// Caps the managed heap of <c>run</c> so that its resident memory stays flat whatever the input size (issue 9).
/// </summary>
/// <remarks>
/// <para>
/// Why: the runtime sizes the young generation from the CPU's cache, not from what the program needs. On a host with a
/// large shared L3 cache (260 MB on the measuring machine) the workstation collector let the young generation reach
/// about 80 MB between collections, so <c>run</c> peaked at 250-450 MB though it holds far less: everything it keeps
/// is bounded by the sink buffers (<c>Pipeline:BufferCapacity</c> / <c>BufferBytes</c>). With a heap limit the collector
/// sizes the young generation from the limit instead. Measured on 1 M records (<c>/usr/bin/time</c>, peak RSS): run to
/// a file 241-276 MB without a limit, 179 MB with 256 MB; the CPU per record did not rise.
/// </para>
/// <para>
/// The limit follows the configuration rather than being a constant, so larger buffers get a larger heap: 64 MB for
/// the program, the mapping tables, the batches being mapped and the idle pooled segments (PayloadBlock), plus twice
/// the buffer bytes of each output (the events waiting in its buffer and those in flight in its client): 96 MB for one
/// output with the default 16 MB buffer. A limit the runtime already has (a container memory limit,
/// <c>DOTNET_GCHeapHardLimit</c>) is kept when it is lower. <c>Memory:HeapLimitMB</c> sets it outright (0: none).
/// </para>
/// <para>
/// The collector sizes its young generation from the limit, so the resident size follows the limit, not the input.
/// Measured 2026-12-06, 1 M records, <c>/usr/bin/time</c>: with 64 MB buffers and a 256 MB limit, run to a file peaked
/// at 247-251 MB and to Kafka at 318-340 MB; with 16 MB buffers, 8 MB of idle segments and the 128 MB default of then, 201-202
/// MB and 241-262 MB, at the same CPU per record. A limit below what the run holds ends it with log event 1005 (or the
/// runtime's own "Out of memory."): the same run needs 72-88 MB (to ext4; the sink runner's queue is bounded, see
/// SinkRunner), so the default leaves about half again the need.
/// </para>
/// <para>
/// The base was 96 MB (128 MB for one output) until 2026-12-06 12:20 UTC: run to Kafka then peaked at 238-263 MiB at
/// 1 M records and 253 MiB at 10 M, against the 256 MB target, because librdkafka's copies and the C library's arenas
/// come on top of the managed heap. With 80 MB (112 MB for one output), 1 M records, alternated pairs: run to Kafka
/// 220-240 MiB against 242-263 with 128 MB (CPU 22.0-23.0 against 22.6-23.5 s, three pairs); run to a file 179-181
/// against 195-196 MiB (13.1-13.3 against 12.2-13.6 s, three pairs).
/// </para>
/// <para>
/// The base has been 64 MB (96 MB for one output) since 2026-12-06 23:50 UTC. At 112 MB run to Kafka still reached
/// 251 MiB in one of six runs of 1 M records, over the 256,000,000-byte target (244.1 MiB): the collector keeps its
/// regions committed up to the limit (114 MB resident at a peak of 240 MiB), while the live heap stays near 35 MB even
/// with a sink's buffer full (16 MB of events held, broker unreachable). Alternated pairs, 1 M records, 96 against
/// 112 MB: run to Kafka 215-229 against 227-251 MiB and the same CPU (12 pairs, per-pair medians +0.6 % and -2.3 %); run
/// to a file 163-164 against 179-180 MiB, CPU +0.1 % (6 pairs). What a run needs: run to Kafka on 1 M records ran with a
/// 64 MB limit (2 of 2) and ran out of memory at 56 MB (1 of 2); run to a file ran at 48 MB. So 96 MB is half again
/// the largest need measured, as 112 MB was of the 72 MB measured earlier in the day, before the code allocated less.
/// As 8 cores (<c>DOTNET_PROCESSOR_COUNT=8</c>, more threads and batches in flight), 0 of 20 runs at 96 MB ran out of memory.
/// </para>
/// </remarks>
internal static class HeapLimit
{
    private const long BaseBytes = 64L * 1024 * 1024;

    /// <summary>The limit for <paramref name="options"/> in bytes, or null when the forwarder should set none.</summary>
    public static long? For(ForwarderOptions options, int outputCount)
    {
        if (options.Memory.HeapLimitMB is { } configured) return configured <= 0 ? null : configured * 1024L * 1024;
        return BaseBytes + 2 * Math.Max(1, outputCount) * options.Pipeline.BufferBytes;
    }

    /// <summary>Applies <see cref="For"/>; returns the limit now in force (null: none set by the forwarder).</summary>
    public static long? Apply(ForwarderOptions options, int outputCount)
    {
        if (For(options, outputCount) is not { } limit) return null;
        // TotalAvailableMemoryBytes is the heap limit when one is set (container or configuration), else the machine's memory.
        var current = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (current > 0 && current <= limit) return current;
        AppContext.SetData("GCHeapHardLimit", (ulong)limit);
        try
        {
            GC.RefreshMemoryLimit();
        }
        catch (InvalidOperationException)
        {
            // The runtime refuses a limit below what it has already committed; the run goes on without one.
            return null;
        }
        return limit;
    }
}
