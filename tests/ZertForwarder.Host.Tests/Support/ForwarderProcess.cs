using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>
/// The real <c>zertforwarder</c> executable as a child process (<c>dotnet zertforwarder.dll ...</c>, the build copies
/// it next to the test assembly), with a clean environment (no inherited <c>ZERTFORWARDER_</c> variables) and
/// captured standard output and error.
/// </summary>
public sealed class ForwarderProcess : IAsyncDisposable
{
    public const int Sigterm = 15;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ForwarderProcess(Process process) => _process = process;

    /// <summary>The forwarder's entry assembly next to the test assembly.</summary>
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "zertforwarder.dll");

    /// <summary>The folder the forwarder runs from (bundled sample and mappings live there).</summary>
    public static string ProgramDirectory => AppContext.BaseDirectory;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_stdout) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <param name="launcher">
    /// A command the forwarder runs under (e.g. <c>setpriv ...</c> to take capabilities away); its words come before
    /// <c>dotnet zertforwarder.dll</c>. None: the forwarder is started directly.
    /// </param>
    public static ForwarderProcess Start(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? launcher = null)
    {
        var info = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (var word in launcher.Skip(1)) info.ArgumentList.Add(word);
            info.ArgumentList.Add(DotnetHost());
        }
        info.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ZERTFORWARDER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;

        var process = new Process { StartInfo = info };
        var forwarder = new ForwarderProcess(process);
        process.OutputDataReceived += (_, e) => Append(forwarder._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(forwarder._stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return forwarder;
    }

    /// <summary>Runs to the end; a run that outlives <paramref name="timeout"/> is killed and fails the test.</summary>
    public static async Task<ForwarderResult> RunAsync(string workingDirectory, IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? launcher = null)
    {
        await using var process = Start(workingDirectory, args, environment, launcher);
        var exitCode = await process.WaitForExitAsync(timeout);
        return new ForwarderResult(exitCode, process.Stdout, process.Stderr);
    }

    /// <summary>Waits for the exit code; kills the process and throws (with its output) after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"zertforwarder did not exit within {timeout}.\nstdout:\n{Tail(Stdout)}\nstderr:\n{Tail(Stderr)}");
        }
        _process.WaitForExit(); // drains the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (SIGTERM: what Kubernetes sends on pod deletion).</summary>
    public void Signal(int signal)
    {
        if (NativeMethods.kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGKILL: no chance to drain, flush or write a checkpoint.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The last lines of an output, for failure messages.</summary>
    public static string Tail(string text, int lines = 40)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    private static void Append(StringBuilder builder, string? line)
    {
        if (line is null) return;
        lock (builder) builder.Append(line).Append('\n');
    }

    /// <summary>The dotnet host running these tests (so the child uses the same runtime), else dotnet from PATH.</summary>
    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // a single blittable call; LibraryImport would need unsafe code in the test project
        internal static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
    }
}

/// <summary>What a finished run printed and returned.</summary>
public sealed record ForwarderResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{ForwarderProcess.Tail(Stdout)}\nstderr:\n{ForwarderProcess.Tail(Stderr)}";
}
