namespace ZertForwarder.Host.Tests.Support;

/// <summary>
/// Runs the forwarder bound by file modes. Root reads any file through the capabilities CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH (capabilities(7)), and tests and CI run as root: there the forwarder runs under <c>setpriv</c>
/// without those two capabilities (bounding and inheritable sets), so that, like any other user, a file with mode 000
/// cannot be read.
/// </summary>
public static class WithoutFileCapabilities
{
    /// <summary>The launcher for <see cref="ForwarderProcess"/>; null when not root (file modes bind already).</summary>
    public static string[]? Launcher() => geteuid() == 0
        ? ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-dac_override,-dac_read_search", "--"]
        : null;

    [System.Runtime.InteropServices.DllImport("libc")]
#pragma warning disable SYSLIB1054 // a single blittable call; LibraryImport would need unsafe code in the test project
    private static extern uint geteuid();
#pragma warning restore SYSLIB1054
}
