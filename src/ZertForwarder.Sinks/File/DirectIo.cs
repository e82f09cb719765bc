using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ZertForwarder.Sinks.Files;

/// <summary>
/// Writes that bypass the page cache (Linux <c>O_DIRECT</c>), for the file output's whole blocks.
/// </summary>
/// <remarks>
/// <para>
/// Why: copying the output into the page cache was the largest single cost of <c>run</c> to a file, 20-25 % of its
/// CPU samples (<c>copy_folio_from_iter_atomic</c> under <c>pwrite</c>), and on the virtual machines measured it grew
/// ten-fold once a run had written about 1 GB. <c>dd</c> of 2.9 GB to the same ext4 disk: 10.2 s of system time
/// through the page cache, 0.42 s with <c>oflag=direct</c>. The output is fsynced before every checkpoint anyway, so
/// the bytes have to reach the disk; the page cache only added a copy.
/// </para>
/// <para>
/// Direct I/O needs the memory, the file offset and the length to be multiples of the device's block size; 4,096
/// covers every device in use. <c>.NET</c> has no open flag for it, so the flag is set on an opened handle with
/// <c>fcntl(F_SETFL)</c>, which Linux allows for <c>O_DIRECT</c>. A file system that refuses it (at <c>fcntl</c> or at
/// the first write, <c>EINVAL</c>) gets ordinary writes.
/// </para>
/// </remarks>
internal static class DirectIo
{
    /// <summary>Alignment of memory, offsets and lengths of direct writes.</summary>
    public const int BlockSize = 4096;

    private const int GetStatusFlags = 3; // F_GETFL
    private const int SetStatusFlags = 4; // F_SETFL
    private const int InvalidArgument = 22; // EINVAL

    /// <summary>
    /// <c>O_DIRECT</c> of this architecture (Linux <c>asm-generic/fcntl.h</c> 040000; arm and arm64 0200000; powerpc
    /// 0400000), or null where it is not known.
    /// </summary>
    private static int? DirectFlag => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 or Architecture.S390x or Architecture.RiscV64 or Architecture.LoongArch64 => 0x4000,
        Architecture.Arm64 or Architecture.Arm or Architecture.Armv6 => 0x10000,
        Architecture.Ppc64le => 0x20000,
        _ => null,
    };

    /// <summary>
    /// A second, write-only handle on <paramref name="path"/> whose writes bypass the page cache; null (with the reason)
    /// where the platform or the file system does not allow it.
    /// </summary>
    public static SafeFileHandle? TryOpen(string path, out string? whyNot)
    {
        if (!OperatingSystem.IsLinux() || DirectFlag is not { } flag)
        {
            whyNot = "direct I/O is used on Linux only";
            return null;
        }

        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        var fd = (int)handle.DangerousGetHandle();
        try
        {
            var flags = Fcntl(fd, GetStatusFlags, 0);
            if (flags < 0 || Fcntl(fd, SetStatusFlags, flags | flag) < 0)
            {
                whyNot = $"the file system refused it (errno {Marshal.GetLastPInvokeError()})";
                handle.Dispose();
                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library that cannot be loaded by this name: ordinary writes serve.
            whyNot = $"fcntl is not available ({e.Message})";
            handle.Dispose();
            return null;
        }

        whyNot = null;
        return handle;
    }

    /// <summary>A write failed because the file system does not take direct writes as made (<c>EINVAL</c>).</summary>
    public static bool IsRefusal(IOException exception) => exception.HResult == InvalidArgument;

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fcntl(int fd, int command, int argument);
}

/// <summary>
/// A pinned byte buffer whose usable part starts on a <see cref="DirectIo.BlockSize"/> boundary, as direct writes
/// need. Pinned on the pinned-object heap, so the address never moves and no handle has to be freed.
/// </summary>
internal sealed class BlockAlignedBuffer
{
    private readonly byte[] _array;
    private readonly int _start;

    public BlockAlignedBuffer(int length)
    {
        _array = GC.AllocateUninitializedArray<byte>(length + DirectIo.BlockSize, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _start = (int)((DirectIo.BlockSize - (address % DirectIo.BlockSize)) % DirectIo.BlockSize);
        Length = length;
    }

    public int Length { get; }

    public Span<byte> Span => _array.AsSpan(_start, Length);

    public ReadOnlyMemory<byte> Slice(int start, int length) => _array.AsMemory(_start + start, length);
}
