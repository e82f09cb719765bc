using System.Text;
using System.Text.Json;

namespace ZertForwarder.Pipeline;

/// <summary>
/// Writes dead letters as NDJSON, one object per line:
/// <c>{"time":…,"sink":…,"reason":…,"event_id":…,"dataset":…,"event":{ECS}}</c>. When the ECS bytes are not
/// valid JSON they are kept as <c>event_base64</c> instead, so nothing is lost or mangled.
/// </summary>
/// <remarks>
/// <c>time</c> is when the event was dead-lettered (from the injected <see cref="TimeProvider"/>); it describes the
/// dead-lettering, not the event, so it does not break the determinism of event outputs. Each write is flushed to
/// the operating system before it returns; <see cref="FlushAsync"/> also flushes to disk.
/// </remarks>
public sealed class FileDeadLetterOutput : IDeadLetterOutput, IAsyncDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly FileStream _stream;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Appends to <paramref name="path"/>, creating it and its directory when missing.</summary>
    public FileDeadLetterOutput(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        Path = path;
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024, useAsync: true);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    public string Path { get; }

    public async Task WriteAsync(ForwardedEvent forwardedEvent, string sinkName, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(forwardedEvent);
        var line = Format(forwardedEvent, sinkName, reason, _timeProvider.GetUtcNow());
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(line, cancellationToken);
            await _stream.WriteAsync(NewLine, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await _stream.FlushAsync(cancellationToken);
            _stream.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await _stream.FlushAsync();
            await _stream.DisposeAsync();
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }

    /// <summary>One dead-letter record as UTF-8 JSON without the newline.</summary>
    public static byte[] Format(ForwardedEvent forwardedEvent, string sinkName, string reason, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(forwardedEvent);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("sink", sinkName);
            writer.WriteString("reason", reason);
            writer.WriteString("event_id", forwardedEvent.EventId);
            writer.WriteString("dataset", forwardedEvent.Dataset);
            if (!forwardedEvent.Ecs.IsEmpty)
            {
                if (IsJson(forwardedEvent.Ecs.Span))
                {
                    writer.WritePropertyName("event");
                    writer.WriteRawValue(forwardedEvent.Ecs.Span, skipInputValidation: true);
                }
                else
                {
                    writer.WriteBase64String("event_base64", forwardedEvent.Ecs.Span);
                }
            }

            if (!forwardedEvent.Leef.IsEmpty)
            {
                writer.WriteString("leef", Encoding.UTF8.GetString(forwardedEvent.Leef.Span));
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static bool IsJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read())
            {
                return false;
            }

            reader.Skip();
            return !reader.Read(); // exactly one value, nothing after it
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
