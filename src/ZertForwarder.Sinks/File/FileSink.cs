using System.Globalization;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Files;

/// <summary>
/// Writes events as lines: ECS NDJSON (<c>zert-ecs.ndjson</c>), LEEF (<c>zert-leef.log</c>) and flat NDJSON
/// (<c>zert-flat.ndjson</c>) in a directory, or all configured formats to standard output.
/// </summary>
/// <remarks>
/// Each batch is written and flushed to the operating system before its items are reported delivered;
/// <see cref="FlushAsync"/> also flushes to disk. An event that lacks a configured encoding is rejected (dead-lettered).
/// If a write fails half-way the runner retries the batch, so lines can repeat after an I/O error (at-least-once).
/// </remarks>
public sealed class FileSink : ISink
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly FileSinkOptions _options;
    private readonly IReadOnlyList<FileFormat> _formats;
    private readonly Stream? _standardOutput;
    private readonly Dictionary<FileFormat, RotatingFile> _files = [];

    /// <param name="options">Directory, formats, rotation, stdout.</param>
    /// <param name="standardOutput">The stream used when <see cref="FileSinkOptions.Stdout"/> is set; the process's stdout when null.</param>
    public FileSink(FileSinkOptions options, Stream? standardOutput = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _formats = options.EffectiveFormats();
        _standardOutput = options.Stdout ? standardOutput ?? Console.OpenStandardOutput() : null;
    }

    public string Name => "file";

    /// <summary>File name used for <paramref name="format"/>.</summary>
    public static string FileNameOf(FileFormat format) => format switch
    {
        FileFormat.Ecs => "zert-ecs.ndjson",
        FileFormat.Leef => "zert-leef.log",
        FileFormat.Flat => "zert-flat.ndjson",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_standardOutput is null)
        {
            System.IO.Directory.CreateDirectory(_options.Directory);
            foreach (var format in _formats)
            {
                _files[format] = new RotatingFile(Path.Combine(_options.Directory, FileNameOf(format)), _options.RotateBytes);
            }
        }

        return Task.CompletedTask;
    }

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var missing = _formats.FirstOrDefault(f => Encoding(batch[i], f).IsEmpty, (FileFormat)(-1));
            if (missing != (FileFormat)(-1))
            {
                outcome.Reject(i, $"event has no {missing.ToString().ToLowerInvariant()} encoding");
                continue;
            }

            foreach (var format in _formats)
            {
                var line = Encoding(batch[i], format);
                if (_standardOutput is not null)
                {
                    await _standardOutput.WriteAsync(line, cancellationToken);
                    await _standardOutput.WriteAsync(NewLine, cancellationToken);
                }
                else
                {
                    await _files[format].WriteLineAsync(line, cancellationToken);
                }
            }

            outcome.Delivered(i);
        }

        // The runner acknowledges right after this returns: the lines must have left our buffers.
        if (_standardOutput is not null)
        {
            await _standardOutput.FlushAsync(cancellationToken);
        }

        foreach (var file in _files.Values)
        {
            await file.FlushAsync(toDisk: false, cancellationToken);
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_standardOutput is not null)
        {
            await _standardOutput.FlushAsync(cancellationToken);
        }

        foreach (var file in _files.Values)
        {
            await file.FlushAsync(toDisk: true, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var file in _files.Values)
        {
            await file.DisposeAsync();
        }

        _files.Clear();
        if (_standardOutput is not null)
        {
            await _standardOutput.FlushAsync();
        }
    }

    private static ReadOnlyMemory<byte> Encoding(ForwardedEvent forwardedEvent, FileFormat format) => format switch
    {
        FileFormat.Ecs => forwardedEvent.Ecs,
        FileFormat.Leef => forwardedEvent.Leef,
        _ => forwardedEvent.Flat,
    };

    /// <summary>An append-only file that is renamed to <c>name.N</c> and restarted when it would pass the size limit.</summary>
    private sealed class RotatingFile(string path, long rotateBytes) : IAsyncDisposable
    {
        private FileStream? _stream;

        public async Task WriteLineAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
        {
            var stream = _stream ??= Open();
            if (rotateBytes > 0 && stream.Length > 0 && stream.Length + line.Length + 1 > rotateBytes)
            {
                await RotateAsync();
                stream = _stream = Open();
            }

            await stream.WriteAsync(line, cancellationToken);
            await stream.WriteAsync(NewLine, cancellationToken);
        }

        public async Task FlushAsync(bool toDisk, CancellationToken cancellationToken)
        {
            if (_stream is null)
            {
                return;
            }

            await _stream.FlushAsync(cancellationToken);
            if (toDisk)
            {
                _stream.Flush(flushToDisk: true);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync();
                _stream = null;
            }
        }

        private FileStream Open() => new(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024, useAsync: true);

        private async Task RotateAsync()
        {
            await _stream!.DisposeAsync();
            _stream = null;
            System.IO.File.Move(path, $"{path}.{NextRotationNumber().ToString(CultureInfo.InvariantCulture)}");
        }

        /// <summary>Highest existing <c>name.N</c> + 1: numbering without timestamps keeps names deterministic.</summary>
        private int NextRotationNumber()
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            var prefix = Path.GetFileName(path) + ".";
            var highest = 0;
            foreach (var candidate in System.IO.Directory.EnumerateFiles(directory, prefix + "*"))
            {
                var name = Path.GetFileName(candidate);
                if (name.Length <= prefix.Length || !name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue; // the "name.*" pattern also matches the current file itself
                }

                if (int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > highest)
                {
                    highest = number;
                }
            }

            return highest + 1;
        }
    }
}
