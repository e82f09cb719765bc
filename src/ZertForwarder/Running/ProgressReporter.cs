using ZertForwarder.Forwarding;
using System.Globalization;

namespace ZertForwarder.Running;

/// <summary>
/// A one-line progress bar on stderr for file runs on a terminal: bytes read, records per second, rejected records.
/// Never used when stderr is redirected (then logs are JSON and a bar would only add noise).
/// </summary>
internal sealed class ProgressReporter : IAsyncDisposable
{
    private readonly InputProgress _progress;
    private readonly RunStatistics _stats;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly long _started;
    private int _lastLength;

    public ProgressReporter(InputProgress progress, RunStatistics stats, TimeProvider time)
    {
        _progress = progress;
        _stats = stats;
        _time = time;
        _started = time.GetTimestamp();
        _timer = time.CreateTimer(_ => Draw(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }

    private void Draw()
    {
        var total = _progress.Total;
        var done = Math.Min(_progress.Done, total);
        var fraction = total > 0 ? (double)done / total : 0;
        var seconds = Math.Max(_time.GetElapsedTime(_started).TotalSeconds, 0.001);
        var width = 24;
        var filled = (int)(fraction * width);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('-', width - filled)}] {fraction * 100,5:0.0}% {done / 1048576.0:0.0}/{total / 1048576.0:0.0} MB  " +
            $"{_stats.Decoded.Value:N0} records  {_stats.Decoded.Value / seconds:N0}/s  {_stats.Rejected.Value} rejected");
        var pad = Math.Max(0, _lastLength - line.Length);
        _lastLength = line.Length;
        Console.Error.Write("\r" + line + new string(' ', pad));
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        Draw();
        Console.Error.WriteLine();
    }
}
