using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Elasticsearch;
using ZertForwarder.Sinks.Files;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Sinks.Splunk;
using ZertForwarder.Sinks.Syslog;
using ZertForwarder.Smf.Framing;

namespace ZertForwarder.Forwarding;

/// <summary>
/// One run of the forwarder: sinks and their runners, dead letters, checkpoints and sources, wired from
/// <see cref="ForwarderOptions"/>. Sources feed the <see cref="RecordProcessor"/>; <see cref="EventRouter"/> fans out
/// to one <see cref="SinkRunner"/> per sink; inputs checkpoint only what every sink delivered or dead-lettered.
/// </summary>
internal sealed class ForwarderHost : IAsyncDisposable
{
    private readonly ForwarderOptions _options;
    private readonly ILogger _logger;
    private readonly IPipelineLog _pipelineLog;
    private readonly TimeProvider _time;
    private readonly List<SinkRunner> _runners = [];
    private readonly List<IAsyncDisposable> _ownedOutputs = [];
    private readonly IDeadLetterOutput _deadLetters;
    private readonly FileCheckpointStore _checkpoints;
    private readonly EventRouter _router;
    private readonly RecordProcessor _processor;
    private readonly Counter _deadLetterCount;
    private readonly List<PeriodicCheckpoint> _openCheckpoints = [];
    private KafkaRecordSource? _kafkaSource; // open from its first read until after the drain
    private FileSink? _fileSink; // synced before each checkpoint write (SyncBeforeCheckpoint), as are
    private FileDeadLetterOutput? _fileDeadLetters; // the dead letters when they go to a file

    /// <param name="serverSummary">Keep the per-server table <c>run --once</c> prints (<see cref="ServerSummary"/>).</param>
    public ForwarderHost(ForwarderOptions options, ZertNormalizer normalizer, PipelineMetrics metrics, ILoggerFactory loggers, TimeProvider time,
        bool serverSummary = false)
    {
        _options = options;
        _logger = loggers.CreateLogger("zertforwarder");
        _pipelineLog = new PipelineLogAdapter(loggers.CreateLogger("zertforwarder.pipeline"));
        _time = time;
        Statistics = new RunStatistics(metrics, serverSummary);
        _deadLetterCount = metrics.Counter("zertforwarder_run_dead_letters_total", "Dead letters written in this run (sinks and malformed records).").WithLabels();

        _checkpoints = new FileCheckpointStore(options.Checkpoint.Directory, options.Checkpoint.Interval, time, _pipelineLog, metrics,
            options.Checkpoint.ForgetMissingAfter);
        _deadLetters = CreateDeadLetters();
        foreach (var sink in CreateSinks(metrics))
        {
            _runners.Add(new SinkRunner(sink, options.Pipeline, _deadLetters, metrics, time, log: _pipelineLog));
        }
        _checkpoints.BeforeWrite = SyncBeforeCheckpoint;
        _router = new EventRouter(_runners);
        _processor = new RecordProcessor(normalizer, OutputFormats.For(options.Outputs), _router,
            options.DeadLetter.MalformedRecords ? _deadLetters : null, Statistics, _logger, time);
    }

    /// <summary>Longest wait for delivery at the end of a <c>--once</c> run that no signal interrupted.</summary>
    private static readonly TimeSpan OnceDrainLimit = TimeSpan.FromHours(1);

    public RunStatistics Statistics { get; }

    /// <summary>
    /// Readiness (<c>/readyz</c>): every sink started, none stopped for good and none down right now (its last send
    /// failed as a whole). Liveness (<c>/healthz</c>) is separate: a forwarder waiting for a sink to come back is alive.
    /// </summary>
    public bool IsReady => _started && _fatal is null && !_runners.Any(r => r.IsDown);

    /// <summary>Why the run is not ready, for the <c>/readyz</c> body.</summary>
    public string ReadinessDetail =>
        !_started ? "starting"
        : _fatal is SinkFatalException ? "a sink stopped for good"
        : _fatal is not null ? "an input failed"
        : _runners.FirstOrDefault(r => r.IsDown) is { } down ? $"sink '{down.SinkName}' is down"
        : "ready";

    private volatile bool _started;
    /// <summary>What stopped the run: a sink that cannot work (<see cref="SinkFatalException"/>) or a failed input.</summary>
    private volatile Exception? _fatal;
    private bool _once; // set by RunAsync: a run that ends by itself once its inputs are read

    /// <summary>Inputs read so far and their total size, for the progress bar.</summary>
    public InputProgress Progress { get; } = new();

    /// <summary>Items dead-lettered by any sink (a non-zero exit for <c>--once</c>).</summary>
    public long DeadLettered => _deadLetterCount.Value;

    /// <summary>
    /// Starts the sinks, runs every configured source, then drains: with <paramref name="once"/> the file inputs are
    /// read to their end and the run finishes when everything is delivered or dead-lettered; otherwise it runs until
    /// <paramref name="stop"/> fires. Returns false when draining timed out.
    /// </summary>
    public async Task<bool> RunAsync(bool once, CancellationToken stop)
    {
        foreach (var runner in _runners)
        {
            try
            {
                await runner.StartAsync(stop);
            }
            catch (Exception e) when (e is not (SinkFatalException or OperationCanceledException))
            {
                // A sink that cannot start (cluster unreachable, client settings refused) needs the operator: report it
                // like the other fatal sink errors (exit 2) instead of crashing with an unhandled exception.
                throw new SinkFatalException($"sink '{runner.SinkName}' cannot start: {e.Message}", e);
            }
        }
        _started = true;
        _once = once;

        // A sink that stops for good (SinkFatalException: refused credentials, forbidden index) ends the run: reading
        // stops at once, the other sinks drain, the checkpoints keep what every sink delivered, RunAsync throws it.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(stop);
        foreach (var runner in _runners)
        {
            _ = runner.Completion.ContinueWith(t =>
            {
                if (t.Exception?.InnerException is SinkFatalException fatal) StopForFatal(fatal, reading);
            }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        var read = reading.Token;
        // Shutdown:DrainTimeout counts from the stop's cause, the inputs' own stop included: a Kafka input inside the
        // offset commit of a revocation waits there for the group coordinator (about its session time-out, 45 s by
        // default, when the coordinator is slow), and a drain that began only after that passed the pod's grace period.
        // The cause is the stop signal or a failure that stops the run (a sink stopped for good, a failed input), both of
        // which end the reading; the first one starts the count, a later signal does not extend it.
        var drainTimeout = _options.Shutdown.DrainTimeout;
        using var stopDeadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var stopBoundsDrain = read.Register(() => stopDeadline.CancelAfter(drainTimeout));
        var abandoned = stopDeadline.Token;
        var sources = new List<Task>();
        var input = _options.Input;
        if (input.Paths.Length > 0) sources.Add(RunSourceAsync(() => ReadPathsAsync(input.Paths, read), reading, abandoned));
        if (input.Watch is { } watch) sources.Add(RunSourceAsync(() => new DirectoryWatcher(watch, ReadFileAsync, Progress, _logger, _time, _checkpoints.Forget).RunAsync(once, read), reading, abandoned));
        if (input.Kafka is { } kafka) sources.Add(RunSourceAsync(() => ReadKafkaAsync(kafka, read), reading, abandoned));
        try
        {
            await Task.WhenAll(sources).WaitAsync(stopDeadline.Token);
            // Without --once the run lasts until stopped (README "Commands"), also when its only inputs were files
            // that are done now: the process stays up, serving /metrics, until SIGTERM.
            if (!once) await Task.Delay(Timeout.InfiniteTimeSpan, _time, read);
        }
        catch (OperationCanceledException) when (read.IsCancellationRequested)
        {
            if (_fatal is null) Log.ShutdownRequested(_logger);
            // A --once run ends by itself when its inputs are read; ended by a signal, it left some unread.
            if (once && _fatal is null) Statistics.StoppedBeforeEnd = true;
            // An input still stopping now reads nothing more (each checks the stop before it hands on a record).
            if (stopDeadline.IsCancellationRequested) Log.InputsStillStopping(_logger, drainTimeout.TotalSeconds);
        }

        // Drain: every buffered event goes out (or to the dead letters) before checkpoints are final. A --once run that
        // read its inputs to the end waits as long as delivery takes (an hour at most); a stop signal or a sink that
        // stopped for good, before or during the drain, bounds it by Shutdown:DrainTimeout from that moment so that the
        // process exits within the pod's grace period.
        using var onceLimit = new CancellationTokenSource(once ? OnceDrainLimit : Timeout.InfiniteTimeSpan, _time);
        using var drainLimit = CancellationTokenSource.CreateLinkedTokenSource(stopDeadline.Token, onceLimit.Token);
        bool drained;
        try
        {
            drained = await _router.CompleteAsync(drainLimit.Token);
        }
        catch (SinkFatalException fatal)
        {
            // Thrown once every runner finished: the healthy ones drained, the fatal one keeps its events unacknowledged.
            // Reported once by the caller ("A sink cannot work"), not as a drain that timed out.
            _fatal ??= fatal;
            drained = false;
        }
        if (!drained && _fatal is not SinkFatalException) Log.DrainTimedOut(_logger);
        // What the drain delivered moves the checkpoints of unfinished files too (the final flush is below).
        List<PeriodicCheckpoint> unfinished;
        lock (_openCheckpoints) unfinished = [.. _openCheckpoints];
        foreach (var checkpointer in unfinished) await checkpointer.DisposeAsync();
        try
        {
            // Within the drain's deadline: a Kafka dead-letter topic that cannot be reached would otherwise hold the
            // exit for as long as librdkafka keeps the messages. Nothing is lost past it: a dead letter not confirmed
            // leaves its event unacknowledged (read again after a restart); the file output's dead letters are
            // fsynced by the checkpoint write below either way.
            // When the drain's deadline has passed already, the dead letters get a short grace of their own: a file
            // output's flush takes a lock and an fsync, and one called with a cancelled token failed at once, which
            // reported unconfirmed dead letters (event 1006) when there were none.
            using var deadLetterLimit = drainLimit.IsCancellationRequested ? new CancellationTokenSource(DeadLetterGrace, _time) : null;
            await _deadLetters.FlushAsync(deadLetterLimit?.Token ?? drainLimit.Token);
        }
        catch (OperationCanceledException)
        {
            Log.DeadLetterFlushTimedOut(_logger);
        }
        _checkpoints.Flush();
        if (_kafkaSource is { } kafkaSource) await CloseKafkaSourceAsync(kafkaSource);
        if (_fatal is SinkFatalException stopped) throw new SinkFatalException(stopped.Message, stopped);
        if (_fatal is { } failed) throw new RunStoppedException(failed);
        return drained;
    }

    /// <summary>
    /// Commits what the drain delivered and leaves the consumer group. Bounded: a group coordinator that cannot be
    /// reached would hold the commit (and the exit) for as long as librdkafka retries; past the limit the commit is
    /// given up (event 1007), and the records after the last commit are read again after a restart, never lost.
    /// </summary>
    private async Task CloseKafkaSourceAsync(KafkaRecordSource source)
    {
        _kafkaSource = null;
        try
        {
            await source.DisposeAsync().AsTask().WaitAsync(KafkaCloseLimit, _time);
        }
        catch (TimeoutException)
        {
            Log.KafkaCloseTimedOut(_logger, KafkaCloseLimit.TotalSeconds);
        }
    }

    /// <summary>How often a finished input's checkpoint is tried again while it cannot be written.</summary>
    internal static readonly TimeSpan CheckpointRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long the dead-letter output may take to confirm what it holds once the drain's deadline has passed.</summary>
    internal static readonly TimeSpan DeadLetterGrace = TimeSpan.FromSeconds(5);

    /// <summary>How long the Kafka input's final commit and group leave may take at the end of a run.</summary>
    internal static readonly TimeSpan KafkaCloseLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs one source; a sink that stopped for good ends it (and every other source) like a stop signal. Once
    /// <paramref name="abandoned"/> fires (the stop's deadline, event 1009) the run no longer waits for the source.
    /// </summary>
    private async Task RunSourceAsync(Func<Task> source, CancellationTokenSource reading, CancellationToken abandoned)
    {
        var read = reading.Token; // taken now: an abandoned source may end after RunAsync disposed its source
        try
        {
            await Task.Run(source, CancellationToken.None);
        }
        catch (SinkFatalException fatal)
        {
            StopForFatal(fatal, reading);
            throw new OperationCanceledException(read);
        }
        catch (Exception) when (_fatal is not null || abandoned.IsCancellationRequested)
        {
            // Not why the run stopped: it failed after the run stopped for another reason, or after the run gave up
            // waiting for it at the stop's deadline and went on to close what it uses (a Kafka input abandoned inside a
            // revocation commit may call its consumer once closed). Its exception would replace the run's reason (the
            // drain's time-out, a sink that cannot work) and print its stack trace.
            throw new OperationCanceledException(read);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An input or the decode -> map stage failed in a way no retry mends (out of memory under the configured
            // heap limit, a bug): stop reading everywhere and drain what was read, like a fatal sink. The checkpoints
            // keep only what every sink delivered, so a restart reads the rest again; nothing is lost and nothing hangs.
            StopForFatal(e, reading);
            throw new OperationCanceledException(read);
        }
    }

    private void StopForFatal(Exception fatal, CancellationTokenSource reading)
    {
        _fatal ??= fatal;
        try
        {
            reading.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run is already over.
        }
    }

    /// <summary>
    /// Opens an input. A named pipe's open waits for its writer, in the kernel, where a stop signal cannot reach it:
    /// it is done on another thread so that a stop still ends the run (the abandoned open ends with the process).
    /// </summary>
    private static async Task<Stream> OpenInputAsync(string path, bool isStream, CancellationToken stop)
    {
        if (path == "-") return Console.OpenStandardInput();
        if (!isStream) return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return await Task.Factory.StartNew(() => (Stream)new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(stop);
    }

    private async Task ReadPathsAsync(string[] patterns, CancellationToken stop)
    {
        var files = InputPaths.Expand(patterns, out var missing);
        foreach (var m in missing) Log.InputMatchesNoFile(_logger, m);
        Progress.AddTotal(files.Where(f => !InputPaths.IsStream(f)).Sum(f => new FileInfo(f).Length));
        foreach (var file in files)
        {
            stop.ThrowIfCancellationRequested();
            await ReadFileAsync(file, stop);
        }
    }

    /// <summary>
    /// Reads one file from its checkpoint on. Each record's end offset is tracked; once every sink is done with all
    /// records up to an offset, that offset is the file's checkpoint. Returns when the whole file is delivered.
    /// </summary>
    public async Task<bool> ReadFileAsync(string path, CancellationToken stop)
    {
        // Stdin or a named pipe: read from its start, never checkpointed (InputPaths.IsStream).
        var isStream = InputPaths.IsStream(path);
        // Earlier readings that failed part-way first (this path's, or a file's this one may be renamed from: its
        // checkpoint is taken over), so that this reading starts past every record they delivered.
        if (!isStream && !_retiring.IsEmpty) await Task.WhenAll(_retiring.Values).WaitAsync(stop);
        FileResumePoint resume;
        try
        {
            // Reads the file's head (its identity): a file the watcher found that cannot be read fails here, and fails
            // this file only, like one that fails while it is read.
            resume = isStream ? default : _checkpoints.GetResumePoint(path);
        }
        catch (UnauthorizedAccessException e)
        {
            Statistics.NoteUnreadable(path);
            Log.InputNotPermitted(_logger, path, e.Message);
            return false;
        }
        catch (IOException e)
        {
            Statistics.NoteUnreadable(path);
            Log.InputFailed(_logger, e, path);
            return false;
        }
        if (resume.IsCompleted && !resume.WasReplaced)
        {
            Log.InputSkipped(_logger, path);
            Progress.AddDone(new FileInfo(path).Length);
            return true;
        }
        // Each sink's progress is tracked and checkpointed on its own: after a crash the file is read from the lowest
        // position and each sink is handed only what it lacks (README "Reliability": the repeats are bounded by what a
        // sink delivered within one checkpoint interval, not by how far the slowest sink lags).
        var sinkNames = _router.Runners.Select(r => r.SinkName).ToArray();
        var perSinkResume = sinkNames.Distinct(StringComparer.Ordinal).Count() == sinkNames.Length
            ? sinkNames.Select(n => resume.SinkOffsets is { } saved && saved.TryGetValue(n, out var o) ? Math.Max(o, resume.Offset) : resume.Offset).ToArray()
            : sinkNames.Select(_ => resume.Offset).ToArray();
        var tracker = new PerSinkAckTracker(resume.Offset, perSinkResume);
        // The trackers advance once per delivered record; the store needs the latest offsets only every so often
        // (it writes at most once per Checkpoint:Interval anyway), so a timer carries them over.
        var checkpointer = isStream ? null : new PeriodicCheckpoint(tracker, sinkNames, (offset, sinks) => _checkpoints.Commit(path, offset, sinks),
            _options.Checkpoint.Interval / 2, _time);
        // A file left unfinished (stop signal, broken frame chain) still has events in the sinks: they are delivered
        // during the drain, so its checkpointer must keep carrying commits until RunAsync has drained.
        if (checkpointer is not null) lock (_openCheckpoints) _openCheckpoints.Add(checkpointer);
        var container = _options.Input.Container;
        var routedAll = false; // set for failures after which every record read reaches the sinks
        long done = 0;
        var lastTracked = resume.Offset;
        try
        {
            await using var stream = await OpenInputAsync(path, isStream, stop);
            using var reader = new SmfRecordReader(stream, container, leaveOpen: true);
            if (resume.Offset > 0)
            {
                Log.InputResumed(_logger, path, resume.Offset);
            }
            else
            {
                Log.InputOpened(_logger, path);
            }
            await _processor.ProcessAsync(reader, path,
                (endOffset, expectsEvent) =>
                {
                    lastTracked = endOffset; // called in input order, on the reading flow
                    return tracker.Track(endOffset, expectsEvent);
                },
                position =>
                {
                    Progress.AddDone(position - done);
                    Statistics.BytesRead.Increment(position - done);
                    done = position;
                },
                stop,
                skipBefore: resume.Offset);
            var end = reader.Position;
            // Bytes past the last record (zero padding of a copied data set, which the reader skips) belong to no
            // frame: tracked as done, so the file's commit reaches its end instead of waiting for ever below.
            if (end > lastTracked) tracker.Track(end, expectsEvent: false);
            // The file's last records sit in partial batches: sent now, not at the batch age limit.
            _router.SendPartialBatches();
            await WaitForCommitAsync(tracker, end, stop);
            if (checkpointer is not null)
            {
                await checkpointer.DisposeAsync();
                lock (_openCheckpoints) _openCheckpoints.Remove(checkpointer);
            }
            if (!isStream)
            {
                _checkpoints.MarkCompleted(path, end);
                // Written now, after the file output's lines and dead letters are fsynced (BeforeWrite), not at the next
                // interval: a watched dump is moved or deleted as soon as this returns, and a power loss in between would
                // otherwise take lines whose source was already gone. While it cannot be written (its disk full; the
                // store logs that once) the next input waits too: without a checkpoint no progress is kept anyway.
                _checkpoints.Flush();
                var failingSince = _time.GetTimestamp();
                while (_checkpoints.IsFailing)
                {
                    // A --once run (cron, a batch job) has no one to stop it: waiting for ever, it never exited, and the
                    // next scheduled run started beside it and sent everything again. Past the retry limit it stops.
                    if (_once && _time.GetElapsedTime(failingSince) >= _options.Pipeline.RetryTimeLimit)
                    {
                        throw new CheckpointNotWrittenException(_checkpoints.CheckpointPath, _options.Pipeline.RetryTimeLimit);
                    }

                    await Task.Delay(CheckpointRetryInterval, _time, stop);
                    _checkpoints.Flush();
                }
            }
            Statistics.NoteCompleted(path);
            Log.InputCompleted(_logger, path);
            return true;
        }
        catch (SmfFramingException e)
        {
            routedAll = true;
            Statistics.NoteBroken(path);
            Log.InputFramingBroken(_logger, path, e.Offset, e.Reason);
        }
        catch (InvalidDataException e)
        {
            routedAll = true;
            Statistics.NoteBroken(path);
            Log.InputContainerBroken(_logger, path, e.Message);
        }
        catch (IOException e)
        {
            Statistics.NoteUnreadable(path);
            Log.InputFailed(_logger, e, path);
        }
        catch (UnauthorizedAccessException e)
        {
            // Start-up checks every named file; a file found by a glob or the watcher, or changed since, ends up here.
            Statistics.NoteUnreadable(path);
            Log.InputNotPermitted(_logger, path, e.Message);
        }
        if (checkpointer is not null)
        {
            // The records read before the failure go out now rather than at the batch age limit, and a reading of the
            // same path waits until they are delivered (a watched dump that broke while still arriving is read on
            // once it grows: started before those commits, it read them again from an older checkpoint).
            _router.SendPartialBatches();
            var retired = RetireWhenDelivered(tracker, checkpointer, lastTracked);
            if (routedAll)
            {
                _retiring[path] = retired;
                // Gone once retired, so a dump that stays broken for months leaves nothing here.
                _ = retired.ContinueWith(t => _retiring.TryRemove(new KeyValuePair<string, Task>(path, t)), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        return false;
    }

    /// <summary>
    /// Earlier readings that failed part-way, by path, until the records they read are delivered (<see cref="RetireWhenDelivered"/>).
    /// Only readings whose records all reach the sinks (a broken frame chain or container) are kept: after a read error
    /// the batches abandoned with it are never acknowledged, and a reading that waited for them would wait for ever.
    /// </summary>
    private readonly ConcurrentDictionary<string, Task> _retiring = new(StringComparer.Ordinal);

    /// <summary>
    /// A file that failed part-way (a broken frame chain, not an SMF dump) has the records read before the failure in
    /// the sinks: its checkpointer carries their commits until the last of them is delivered, and then goes. Until
    /// then it stays in the open list, so a drain at shutdown still writes its final position. Before, a watch that
    /// runs for months kept one checkpoint timer per failed dump, firing for ever. (After a read error the records of
    /// batches abandoned with it are never acknowledged: that checkpointer stays until the drain, as before.)
    /// </summary>
    private Task RetireWhenDelivered(PerSinkAckTracker tracker, PeriodicCheckpoint checkpointer, long end)
    {
        var retired = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnCommitted(long position)
        {
            if (position < end || Interlocked.Exchange(ref retired, 1) != 0) return;
            tracker.Committed -= OnCommitted;
            lock (_openCheckpoints) _openCheckpoints.Remove(checkpointer);
            // Writes the last position (the timer's last tick may not have) before a later reading of the file starts.
            _ = checkpointer.DisposeAsync().AsTask().ContinueWith(_ => done.TrySetResult(), TaskScheduler.Default);
        }
        tracker.Committed += OnCommitted;
        OnCommitted(tracker.CommittedPosition);
        return done.Task;
    }

    /// <summary>Files whose checkpointer still carries commits (being read, or failed with records not yet delivered).</summary>
    internal int OpenCheckpointCount
    {
        get
        {
            lock (_openCheckpoints) return _openCheckpoints.Count;
        }
    }

    private static async Task WaitForCommitAsync(PerSinkAckTracker tracker, long end, CancellationToken stop)
    {
        if (tracker.CommittedPosition >= end) return;
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnCommitted(long position)
        {
            if (position >= end) reached.TrySetResult();
        }
        tracker.Committed += OnCommitted;
        try
        {
            if (tracker.CommittedPosition >= end) return;
            await reached.Task.WaitAsync(stop);
        }
        finally
        {
            tracker.Committed -= OnCommitted;
        }
    }

    /// <summary>
    /// Reads the Kafka input until the stop. The consumer is not closed here: its final commit would come before the
    /// drain delivers the events still buffered, so a restart (a rolling update) would read and send them again. It
    /// stays in the group, unpolled, until <see cref="CloseKafkaSourceAsync"/> after the drain.
    /// </summary>
    private async Task ReadKafkaAsync(KafkaRecordSourceOptions options, CancellationToken stop)
    {
        var source = new KafkaRecordSource(options, _router.SinkCount, _pipelineLog, _time, Statistics.Metrics);
        _kafkaSource = source;
        await foreach (var record in source.ReadAsync(stop))
        {
            await _processor.ProcessOneAsync(record.Value.ToArray(), record.Origin, record.Acknowledgement, record.CompleteWithoutEvents, stop);
        }
    }

    /// <summary>
    /// A checkpoint only counts what is on disk: the file output's lines and the dead letters written so far are
    /// fsynced before each checkpoint write (an I/O error keeps the checkpoint from being written).
    /// </summary>
    private void SyncBeforeCheckpoint()
    {
        _fileSink?.SyncToDisk();
        _fileDeadLetters?.SyncToDisk();
    }

    private CountingDeadLetterOutput CreateDeadLetters()
    {
        var dl = _options.DeadLetter;
        if (dl.KafkaTopic is { } topic && _options.Outputs.Kafka is { } kafka)
        {
            return Counted(new KafkaDeadLetterOutput(kafka, topic, _pipelineLog));
        }
        var directory = dl.Directory ?? Path.Combine(_options.Checkpoint.Directory, "dead-letters");
        _fileDeadLetters = new FileDeadLetterOutput(Path.Combine(directory, "dead-letters.ndjson"), _time, dl.RotateBytes);
        return Counted(_fileDeadLetters);
    }

    private CountingDeadLetterOutput Counted(IDeadLetterOutput inner)
    {
        if (inner is IAsyncDisposable d) _ownedOutputs.Add(d);
        return new CountingDeadLetterOutput(inner, () => _deadLetterCount.Increment());
    }

    private IEnumerable<ISink> CreateSinks(PipelineMetrics metrics)
    {
        var outputs = _options.Outputs;
        if (outputs.Kafka is { } kafka) yield return new KafkaSink(kafka, _pipelineLog, _time);
        if (outputs.Elasticsearch is { } es) yield return new ElasticsearchSink(es, _pipelineLog, _time);
        if (outputs.Syslog is { } syslog) yield return new SyslogSink(syslog, _pipelineLog, _time);
        if (outputs.File is { } file)
        {
            var fileSink = new FileSink(file, log: _pipelineLog, metrics: metrics);
            _fileSink = fileSink;
            yield return fileSink;
        }
        if (outputs.Splunk is { } splunk) yield return new SplunkHecSink(splunk, _pipelineLog, _time);
    }

    public async ValueTask DisposeAsync()
    {
        List<PeriodicCheckpoint> unfinished;
        lock (_openCheckpoints) unfinished = [.. _openCheckpoints];
        foreach (var checkpointer in unfinished) await checkpointer.DisposeAsync();
        // The last checkpoint (one the run could not write, tried once more) is written while the outputs are open, so
        // that it goes through the same sync as every other (SyncBeforeCheckpoint): written after the file output had
        // closed, it synced neither the output's directory nor, when the close's fsync failed, its lines, and counted
        // lines a power loss could take back. Nothing commits after the checkpointers are disposed.
        _checkpoints.Dispose();
        foreach (var runner in _runners) await runner.DisposeAsync();
        foreach (var output in _ownedOutputs) await output.DisposeAsync();
        _processor.Dispose();
    }

    /// <summary>Counts dead letters on the way through (for the exit code and the summary).</summary>
    private sealed class CountingDeadLetterOutput(IDeadLetterOutput inner, Action counted) : IDeadLetterOutput
    {
        public async Task WriteAsync(ForwardedEvent forwardedEvent, string sinkName, string reason, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(forwardedEvent, sinkName, reason, cancellationToken);
            counted();
        }

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    }
}

/// <summary>Bytes of file inputs done and in total.</summary>
internal sealed class InputProgress
{
    private long _total;
    private long _done;

    public long Total => Interlocked.Read(ref _total);
    public long Done => Interlocked.Read(ref _done);

    public void AddTotal(long bytes) => Interlocked.Add(ref _total, bytes);
    public void AddDone(long bytes) => Interlocked.Add(ref _done, bytes);
}

/// <summary>
/// The run stopped because an input or the decode -> map stage failed (<see cref="Exception.InnerException"/>) after
/// what was read had been drained and checkpointed.
/// </summary>
internal sealed class RunStoppedException(Exception cause)
    : Exception(Describe(cause), cause)
{
    private static string Describe(Exception cause) => cause switch
    {
        OutOfMemoryException => "out of memory: the managed heap limit (Memory:HeapLimitMB, or the container's memory limit) is too small for the configured buffers (Pipeline:BufferBytes per output)",
        CheckpointNotWrittenException => cause.Message,
        _ => $"{cause.GetType().Name}: {cause.Message}",
    };
}

/// <summary>A finished input's checkpoint could not be written for <c>Pipeline:RetryTimeLimit</c> in a <c>run --once</c>.</summary>
internal sealed class CheckpointNotWrittenException(string path, TimeSpan limit)
    : Exception($"the checkpoint file '{path}' could not be written for {limit} (the error is logged above), so a finished input's progress is not kept")
{
}
