using System.Text.Json;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>Reads the committed byte offsets the forwarder keeps in <c>checkpoints.json</c> (Checkpoint:Directory).</summary>
public static class Checkpoints
{
    /// <summary>The committed offset of <paramref name="inputPath"/>, 0 when there is no checkpoint (yet).</summary>
    public static long Offset(string checkpointDirectory, string inputPath)
    {
        var file = Path.Combine(checkpointDirectory, "checkpoints.json");
        if (!File.Exists(file)) return 0;
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (IOException)
        {
            return 0;
        }
        using var document = JsonDocument.Parse(text);
        var full = Path.GetFullPath(inputPath);
        foreach (var entry in document.RootElement.GetProperty("files").EnumerateArray())
        {
            if (entry.GetProperty("path").GetString() == full) return entry.GetProperty("offset").GetInt64();
        }
        return 0;
    }
}
