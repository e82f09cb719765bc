using System.Diagnostics;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>
/// A small tmpfs mounted on a directory: a real file system that fills up (ENOSPC), for the disk-full tests. Needs
/// root (as in CI); elsewhere the test skips saying why, except under <c>ZERT_REQUIRE_TOOLS=1</c>, where it fails.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <param name="inodes">How many files (the root directory included) it holds at most; no limit of ours when null.</param>
    public static Tmpfs Mount(string path, string size, int? inodes = null)
    {
        Directory.CreateDirectory(path);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", inodes is { } n ? $"size={size},nr_inodes={n}" : $"size={size}", "tmpfs", path);
        if (code != 0)
        {
            Xunit.Assert.False(Environment.GetEnvironmentVariable("ZERT_REQUIRE_TOOLS") == "1", $"mounting a tmpfs is required (ZERT_REQUIRE_TOOLS=1): {error}");
            throw new SkipException($"cannot mount a tmpfs here (needs root): {error.Trim()}");
        }
        return new Tmpfs(path);
    }

    /// <summary>Gives the file system more room (the operator freed space).</summary>
    public void Resize(string size)
    {
        var (code, error) = Run("mount", "-o", $"remount,size={size}", Path);
        if (code != 0) throw new InvalidOperationException($"remount failed: {error}");
    }

    /// <summary>Fills the file system up completely with one file.</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler");
        using var stream = File.Create(filler);
        var block = new byte[64 * 1024];
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
            // Full.
        }
        try
        {
            stream.Flush();
        }
        catch (IOException)
        {
            // Full.
        }
        return filler;
    }

    public void Dispose() => Run("umount", "-l", Path);

    private static (int Code, string Error) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(info)!;
            var error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
