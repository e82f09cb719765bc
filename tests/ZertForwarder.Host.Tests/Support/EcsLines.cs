using System.Text.Json;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>Reads what the file output's ECS NDJSON lines say.</summary>
public static class EcsLines
{
    /// <summary>The <c>event.id</c> of every line, in order.</summary>
    public static List<string> EventIds(IEnumerable<string> lines) =>
        lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetProperty("id").GetString()!).ToList();
}
