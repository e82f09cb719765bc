using System.Collections;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ZertForwarder.Benchmarks;

/// <summary>What the kernel reports for one finished child process.</summary>
/// <param name="Wall">From spawn to the child's exit being collected.</param>
/// <param name="User">User CPU time of the child (<c>ru_utime</c>, threads included).</param>
/// <param name="System">Kernel CPU time of the child (<c>ru_stime</c>).</param>
/// <param name="PeakResidentKilobytes">Peak resident set size of the child, the kernel's high-water mark (see <see cref="ChildProcess"/>).</param>
internal readonly record struct ChildMeasurement(TimeSpan Wall, TimeSpan User, TimeSpan System, long PeakResidentKilobytes, int ExitCode)
{
    public TimeSpan Cpu => User + System;

    public double PeakResidentMebibytes => PeakResidentKilobytes / 1024.0;
}

/// <summary>
/// Starts programs with <c>posix_spawn</c> and collects them with <c>wait4</c>, which returns the child's own resource
/// usage (CPU time and peak RSS) from the kernel: the bench measures whole processes as users run them, with nothing
/// added to the child. Linux (x86-64, arm64) only, like the product's image.
/// </summary>
/// <remarks>
/// <see cref="Process"/> cannot be used for this: the runtime reaps its children with <c>waitpid</c>, which discards
/// the resource usage, and <see cref="Process.TotalProcessorTime"/> reads <c>/proc</c>, gone once the child has exited.
/// The runtime only reaps the children it started itself, so these are left to us.
/// <para>
/// Peak RSS: glibc's <c>posix_spawn</c> runs the child on this process's memory until <c>exec</c>, and the kernel then
/// folds this process's high-water mark into the child's <c>ru_maxrss</c>. So <c>ru_maxrss</c> is the child's own
/// peak only when it is above this process's peak at spawn time; otherwise the child's <c>VmHWM</c>
/// (<c>/proc/PID/status</c>, its own high-water mark since <c>exec</c>), polled every 10 ms until it exits, is used.
/// </para>
/// </remarks>
internal sealed class ChildProcess
{
    private const int OpenReadOnly = 0;
    private const int OpenWriteCreateTruncate = 0x1 | 0x40 | 0x200; // O_WRONLY | O_CREAT | O_TRUNC (Linux)
    private const int Eintr = 4;
    private const int Sigterm = 15;
    private const int Sigkill = 9;

    private readonly Stopwatch _watch;
    private readonly long _spawnerPeakKilobytes;
    private readonly Thread _peakPoller;
    private long _polledPeakKilobytes;
    private volatile bool _exited;

    private ChildProcess(int pid, Stopwatch watch, long spawnerPeakKilobytes)
    {
        Id = pid;
        _watch = watch;
        _spawnerPeakKilobytes = spawnerPeakKilobytes;
        _peakPoller = new Thread(PollPeak) { IsBackground = true, Name = $"peak RSS of {pid}" };
        _peakPoller.Start();
    }

    public int Id { get; }

    /// <summary>Starts <paramref name="path"/>; stdin is /dev/null, stdout and stderr go to the given files.</summary>
    /// <param name="environment">Variables to set (a null value removes one) on top of this process's environment.</param>
    public static ChildProcess Start(string path, IReadOnlyList<string> arguments, string stdoutPath, string stderrPath,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var allocations = new List<IntPtr>();
        var fileActions = Marshal.AllocHGlobal(512); // posix_spawn_file_actions_t is 80 bytes in glibc
        try
        {
            Check(Native.FileActionsInit(fileActions), "posix_spawn_file_actions_init");
            Check(Native.FileActionsAddOpen(fileActions, 0, "/dev/null", OpenReadOnly, 0), "redirect stdin");
            Check(Native.FileActionsAddOpen(fileActions, 1, stdoutPath, OpenWriteCreateTruncate, 0x1A4), "redirect stdout");
            Check(Native.FileActionsAddOpen(fileActions, 2, stderrPath, OpenWriteCreateTruncate, 0x1A4), "redirect stderr");
            var argv = NullTerminated([path, .. arguments], allocations);
            var envp = NullTerminated(MergedEnvironment(environment).Select(pair => $"{pair.Key}={pair.Value}"), allocations);
            var spawnerPeak = HighWaterMarkKilobytes("self") ?? long.MaxValue;
            var watch = Stopwatch.StartNew();
            Check(Native.PosixSpawn(out var pid, path, fileActions, IntPtr.Zero, argv, envp), $"start {path}");
            return new ChildProcess(pid, watch, spawnerPeak);
        }
        finally
        {
            _ = Native.FileActionsDestroy(fileActions);
            Marshal.FreeHGlobal(fileActions);
            foreach (var pointer in allocations) Marshal.FreeCoTaskMem(pointer);
        }
    }

    /// <summary>Runs a program to its end and returns what the kernel measured.</summary>
    public static ChildMeasurement Run(string path, IReadOnlyList<string> arguments, string stdoutPath, string stderrPath,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        Start(path, arguments, stdoutPath, stderrPath, environment).WaitForExit();

    /// <summary>Blocks until the child exits and collects it.</summary>
    public ChildMeasurement WaitForExit()
    {
        Rusage usage;
        int status;
        while (Native.Wait4(Id, out status, 0, out usage) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Eintr) throw new InvalidOperationException($"wait4({Id}) failed with errno {errno}");
        }
        var wall = _watch.Elapsed;
        _exited = true;
        _peakPoller.Join();
        // Exited normally: the code is in bits 8-15; killed by a signal: report 128 + signal like a shell.
        var exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F);
        var peak = usage.MaxResidentKilobytes > _spawnerPeakKilobytes ? usage.MaxResidentKilobytes : Interlocked.Read(ref _polledPeakKilobytes);
        return new ChildMeasurement(wall, Time(usage.UserSeconds, usage.UserMicroseconds), Time(usage.SystemSeconds, usage.SystemMicroseconds),
            peak, exitCode);
    }

    private void PollPeak()
    {
        var status = $"{Id}";
        while (!_exited)
        {
            if (HighWaterMarkKilobytes(status) is { } kilobytes && kilobytes > Interlocked.Read(ref _polledPeakKilobytes))
            {
                Interlocked.Exchange(ref _polledPeakKilobytes, kilobytes);
            }
            Thread.Sleep(10);
        }
    }

    /// <summary><c>VmHWM</c> of <c>/proc/{process}/status</c> in KB; null once the process has exited.</summary>
    private static long? HighWaterMarkKilobytes(string process)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{process}/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // The process has gone.
        }
        return null;
    }

    /// <summary>Asks the child to stop (SIGTERM), then kills it if it has not exited within <paramref name="grace"/>.</summary>
    public ChildMeasurement Stop(TimeSpan grace)
    {
        _ = Native.Kill(Id, Sigterm);
        var wait = Task.Run(WaitForExit);
        if (!wait.Wait(grace)) _ = Native.Kill(Id, Sigkill);
        return wait.GetAwaiter().GetResult();
    }

    private static TimeSpan Time(long seconds, long microseconds) => TimeSpan.FromSeconds(seconds) + TimeSpan.FromMicroseconds(microseconds);

    /// <summary>The environment a child started with <paramref name="overrides"/> gets: this process's, with them applied.</summary>
    internal static Dictionary<string, string> MergedEnvironment(IReadOnlyDictionary<string, string?>? overrides)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables()) merged[(string)entry.Key] = (string?)entry.Value ?? "";
        foreach (var (name, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null) merged.Remove(name);
            else merged[name] = value;
        }
        return merged;
    }

    private static IntPtr[] NullTerminated(IEnumerable<string> values, List<IntPtr> allocations)
    {
        var pointers = new List<IntPtr>();
        foreach (var value in values)
        {
            var pointer = Marshal.StringToCoTaskMemUTF8(value);
            allocations.Add(pointer);
            pointers.Add(pointer);
        }
        pointers.Add(IntPtr.Zero);
        return [.. pointers];
    }

    private static void Check(int error, string what)
    {
        if (error != 0) throw new InvalidOperationException($"{what} failed with errno {error}");
    }

    /// <summary><c>struct rusage</c> on 64-bit Linux: two timevals, then 14 longs starting with <c>ru_maxrss</c> (KB).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxResidentKilobytes;
        public long SharedMemory;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
        public static extern int FileActionsInit(IntPtr fileActions);

        [DllImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
        public static extern int FileActionsDestroy(IntPtr fileActions);

        [DllImport("libc", EntryPoint = "posix_spawn_file_actions_addopen", BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int FileActionsAddOpen(IntPtr fileActions, int fd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

        [DllImport("libc", EntryPoint = "posix_spawn", BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int PosixSpawn(out int pid, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr fileActions, IntPtr attributes,
            IntPtr[] argv, IntPtr[] envp);

        [DllImport("libc", EntryPoint = "wait4", SetLastError = true)]
        public static extern int Wait4(int pid, out int status, int options, out Rusage usage);

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
