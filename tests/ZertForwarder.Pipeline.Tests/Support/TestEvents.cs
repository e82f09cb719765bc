using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ZertForwarder.Pipeline.Tests.Support;

/// <summary>Throw-away <see cref="ForwardedEvent"/>s with stable ids and all three encodings.</summary>
internal static class TestEvents
{
    public static string IdOf(int number) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(number.ToString(CultureInfo.InvariantCulture))).AsSpan(0, 16));

    public static ForwardedEvent Create(int number, IEventAcknowledgement? position = null, string dataset = "zos.zert_connection")
    {
        var id = IdOf(number);
        return new ForwardedEvent
        {
            EventId = id,
            Dataset = dataset,
            Key = "10.1.1.1:443",
            SmfSystemId = "SYSA",
            Ecs = Encoding.UTF8.GetBytes($$$"""{"event":{"id":"{{{id}}}","dataset":"{{{dataset}}}"},"labels":{"n":"{{{number:D6}}}"}}"""),
            Leef = Encoding.UTF8.GetBytes($"LEEF:2.0|IBM|zERT|1.0|{dataset}|^|n={number:D6}"),
            Flat = Encoding.UTF8.GetBytes($$"""{"EVENT_ID":"{{id}}","N":"{{number:D6}}"}"""),
            Position = position,
        };
    }

    public static List<ForwardedEvent> Many(int count, Func<int, IEventAcknowledgement?>? position = null) =>
        [.. Enumerable.Range(0, count).Select(n => Create(n, position?.Invoke(n)))];
}

/// <summary>Counts how often each event is acknowledged (the runner must do it exactly once per sink).</summary>
internal sealed class AckCounter
{
    private readonly ConcurrentDictionary<int, int> _counts = new();

    public IEventAcknowledgement For(int number) => new Handle(this, number);

    public int CountOf(int number) => _counts.GetValueOrDefault(number);

    public IReadOnlyDictionary<int, int> Counts => _counts;

    private sealed class Handle(AckCounter owner, int number) : IEventAcknowledgement
    {
        public void Complete() => owner._counts.AddOrUpdate(number, 1, (_, c) => c + 1);
    }
}
