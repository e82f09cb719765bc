using System.Runtime.InteropServices;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>Named pipes (FIFOs) for the tests of inputs that are not regular files.</summary>
public static class NamedPipes
{
    /// <summary>Creates a FIFO at <paramref name="path"/> (mode 0600), as <c>mkfifo</c> does.</summary>
    public static string Create(string path)
    {
        if (mkfifo(path, Convert.ToUInt32("600", 8)) != 0) throw new InvalidOperationException($"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
        return path;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);
}
