namespace ZertForwarder.TestKit;

/// <summary>File modes as octal text, for the tests of the modes files are created with (beside <see cref="ProcessUmask"/>).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class UnixModes
{
    /// <summary><paramref name="octal"/> ("022", "0640") as a mode.</summary>
    public static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    /// <summary>The mode of <paramref name="path"/> as octal text, so a failure shows "0644" rather than a list of flags.</summary>
    public static string ModeOf(string path) => "0" + Convert.ToString((int)File.GetUnixFileMode(path), 8);
}
