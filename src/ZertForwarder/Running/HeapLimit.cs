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
/// The limit follows the configuration rather than being a constant, so larger buffers get a larger heap: 128 MB for
/// the program, the mapping tables and the batches being mapped, plus twice the buffer bytes of each output (the
/// events waiting in its buffer and those in flight in its client). A limit the runtime already has (a container
/// memory limit, <c>DOTNET_GCHeapHardLimit</c>) is kept when it is lower. <c>Memory:HeapLimitMB</c> sets it outright
/// (0: none).
/// </para>
/// <para>
/// A limit below what the run holds ends it with the runtime's own "Out of memory." failure, so the default keeps about
/// twice the measured need: one output runs in 128 MB (1 M records to a file, measured), the default for it is 256 MB.
/// That measurement needed the pooled buffers below the large-object size (PayloadBlock): with 256 KB segments the
/// large-object regions (32 MB each) fragmented and 128 MB was not enough. At 10 M records the 256 MB default kept the
/// resident size flat (run to a file 216-329 MB sampled every 2 s, run to Kafka 263-326 MB, no growth over the run).
/// </para>
/// </remarks>
internal static class HeapLimit
{
    private const long BaseBytes = 128L * 1024 * 1024;

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
