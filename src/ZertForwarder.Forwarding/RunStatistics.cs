using System.Collections.Concurrent;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Forwarding;

/// <summary>
/// The host's own counters, registered in the shared metrics registry (README "Metrics"), plus the end-of-run table.
/// </summary>
internal sealed class RunStatistics
{
    /// <param name="serverSummary">Whether to keep the per-server table (<see cref="ServerSummary"/>: <c>run --once</c> prints it).</param>
    public RunStatistics(PipelineMetrics metrics, bool serverSummary = false)
    {
        Metrics = metrics;
        Summary = serverSummary ? new ServerSummary() : null;
        // Records read have their own counter: as an outcome label beside the outcomes they add up to, a sum over
        // zertforwarder_records_total counted every record twice (issue 9).
        FramesRead = metrics.Counter("zertforwarder_records_read_total", "SMF records read from inputs (the sum of zertforwarder_records_total's outcomes once each is settled).").WithLabels();
        var records = metrics.Counter("zertforwarder_records_total", "SMF records read from inputs, by what became of them.", "outcome");
        Decoded = records.WithLabels("decoded");
        Rejected = records.WithLabels("rejected");
        OtherTypes = records.WithLabels("skipped_other_type");
        OtherSubtypes = records.WithLabels("skipped_other_subtype");
        // Records a restarted run passes over because the checkpoint says they were delivered before the stop.
        DeliveredBefore = records.WithLabels("skipped_delivered_before");
        var inputs = metrics.Counter("zertforwarder_inputs_total", "Inputs (files) by outcome.", "outcome");
        InputsCompleted = inputs.WithLabels("completed");
        InputsBroken = inputs.WithLabels("broken_frame_chain");
        // A file found by a glob or the watch that cannot be opened or read (its mode, an I/O error): named files are
        // checked at start (exit 2), these only when they are reached, so they must count like a broken chain (exit 1).
        InputsUnreadable = inputs.WithLabels("unreadable");
        BytesRead = metrics.Counter("zertforwarder_input_bytes_total", "Bytes read from file inputs.").WithLabels();
        _newestRecord = metrics.Gauge(NewestRecordMetric,
            "SMF time (UTC, seconds since the epoch) of the newest zERT record forwarded, per SMF system id: time() minus it is how far behind the forwarder is.",
            "system");
    }

    /// <summary>The freshness gauge (README "Metrics"; the Helm chart's stale-records alert reads it).</summary>
    public const string NewestRecordMetric = "zertforwarder_newest_record_timestamp_seconds";

    /// <summary>Systems the freshness gauge follows at most (a sysplex has up to 32; an installation a few sysplexes).</summary>
    public const int MaxSystems = 1024;

    private readonly GaugeFamily _newestRecord;
    private readonly ConcurrentDictionary<string, Gauge> _newestBySystem = new(StringComparer.Ordinal);

    public PipelineMetrics Metrics { get; }
    public Counter FramesRead { get; }
    public Counter Decoded { get; }
    public Counter Rejected { get; }
    public Counter OtherTypes { get; }
    public Counter OtherSubtypes { get; }
    public Counter DeliveredBefore { get; }
    public Counter InputsCompleted { get; }
    public Counter InputsBroken { get; }
    public Counter InputsUnreadable { get; }

    // Inputs whose last reading stopped early (true: a broken frame chain; false: unreadable), until a later reading of
    // the same path completes it: a watched dump read while still arriving breaks, and completes once it has arrived.
    private readonly ConcurrentDictionary<string, bool> _leftUnfinished = new(StringComparer.Ordinal);

    /// <summary>Counts an input stopped by a broken frame chain (or a container that cannot be read).</summary>
    public void NoteBroken(string path)
    {
        InputsBroken.Increment();
        NoteUnfinished(path, broken: true);
    }

    /// <summary>Counts an input that cannot be opened or read.</summary>
    public void NoteUnreadable(string path)
    {
        InputsUnreadable.Increment();
        NoteUnfinished(path, broken: false);
    }

    private void NoteUnfinished(string path, bool broken)
    {
        // A watch that runs for months sees failed dumps come and go: the ones gone are dropped now and then.
        if (_leftUnfinished.Count >= 1024)
        {
            foreach (var gone in _leftUnfinished.Keys.Where(p => !StillThere(p)).ToList()) _leftUnfinished.TryRemove(gone, out _);
        }
        _leftUnfinished[path] = broken;
    }

    /// <summary>Counts an input read to its end and delivered: an earlier stop of the same path no longer counts.</summary>
    public void NoteCompleted(string path)
    {
        InputsCompleted.Increment();
        _leftUnfinished.TryRemove(path, out _);
    }

    /// <summary>
    /// Inputs whose last reading stopped at a broken frame chain, that no later reading completed and that are still
    /// there (a dump read under a transfer's temporary name and completed under its final one is not left broken).
    /// </summary>
    public int InputsLeftBroken => _leftUnfinished.Count(e => e.Value && StillThere(e.Key));

    /// <summary>Inputs that could not be read, that no later reading completed and that are still there.</summary>
    public int InputsLeftUnreadable => _leftUnfinished.Count(e => !e.Value && StillThere(e.Key));

    private static bool StillThere(string path) => path == "-" || File.Exists(path);

    /// <summary>Set when a stop signal ended a <c>run --once</c> before its inputs were read to their end.</summary>
    public bool StoppedBeforeEnd { get; set; }
    public Counter BytesRead { get; }

    /// <summary>The per-server table when kept (constructor); filled by the routing loop only (single writer).</summary>
    public ServerSummary? Summary { get; }

    /// <summary>
    /// Adds the outcomes of a batch counted by <see cref="RecordCounts"/> (the classification every verb uses). Frames
    /// read are not added: <see cref="FramesRead"/> counts them as they are read, for progress.
    /// </summary>
    public void Add(RecordCounts batch)
    {
        if (batch.Decoded > 0) Decoded.Increment(batch.Decoded);
        if (batch.Rejected > 0) Rejected.Increment(batch.Rejected);
        if (batch.OtherTypes > 0) OtherTypes.Increment(batch.OtherTypes);
        if (batch.OtherSubtypes > 0) OtherSubtypes.Increment(batch.OtherSubtypes);
    }

    /// <summary>Counts a record that became an event: the summary table and the newest record time of its system.</summary>
    public void AddForwarded(in EventEnvelope envelope)
    {
        Summary?.Add(envelope);
        if (envelope.RecordTime is not { } time) return;
        // Records arrive out of time order across stacks and dumps, so the gauge only moves forward.
        if (!_newestBySystem.TryGetValue(envelope.SmfSystemId, out var gauge))
        {
            // A label per system id, which comes from the record: a damaged id would add a series for good.
            if (_newestBySystem.Count >= MaxSystems) return;
            gauge = _newestBySystem.GetOrAdd(envelope.SmfSystemId, _newestRecord.WithLabels(envelope.SmfSystemId));
        }
        gauge.SetMax((time - DateTime.UnixEpoch).TotalSeconds);
    }

    public string Describe() =>
        $"{FramesRead.Value} SMF records read: {Decoded.Value} zERT records forwarded, {Rejected.Value} rejected, " +
        $"{OtherTypes.Value} other SMF types and {OtherSubtypes.Value} other 119 subtypes skipped" +
        (DeliveredBefore.Value > 0 ? $", {DeliveredBefore.Value} delivered before a restart passed over" : "") +
        (InputsLeftBroken > 0 ? $", {InputsLeftBroken} input(s) stopped by a broken frame chain" : "") +
        (InputsLeftUnreadable > 0 ? $", {InputsLeftUnreadable} input(s) could not be read" : "") +
        (StoppedBeforeEnd ? ", stopped before the inputs were read to their end (the next run goes on from the checkpoint)" : "");
}
