using System.Globalization;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Kafka;

namespace ZertForwarder.Forwarding;

/// <summary>Configuration of <see cref="KafkaRecordSource"/>, bound from <c>Input:Kafka</c>.</summary>
public sealed class KafkaRecordSourceOptions : KafkaConnectionOptions
{
    /// <summary>Topic of raw SMF records: each message value is one logical SMF record including its RDW.</summary>
    public string Topic { get; set; } = "smf-raw";

    /// <summary>Consumer group; forwarders with the same group split the topic's partitions between them.</summary>
    public string GroupId { get; set; } = "zertforwarder";

    /// <summary>Where a group without a committed offset starts: <c>earliest</c> (default: nothing is skipped) or <c>latest</c>.</summary>
    public string AutoOffsetReset { get; set; } = "earliest";

    /// <summary>How often fully acknowledged offsets are committed (they are also committed on revocation and shutdown).</summary>
    public int CommitIntervalMs { get; set; } = 5_000;
}

/// <summary>One raw SMF record read from Kafka, with the acknowledgement that lets its offset be committed.</summary>
public sealed class KafkaSourceRecord
{
    private readonly int _expectedCompletions;

    internal KafkaSourceRecord(ReadOnlyMemory<byte> value, string topic, int partition, long offset, IEventAcknowledgement acknowledgement, int expectedCompletions)
    {
        Value = value;
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Acknowledgement = acknowledgement;
        _expectedCompletions = expectedCompletions;
    }

    /// <summary>The logical SMF record, RDW included.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    public string Topic { get; }

    public int Partition { get; }

    public long Offset { get; }

    /// <summary>Where the record came from, for logs and dead letters: <c>topic[partition]@offset</c>.</summary>
    public string Origin => $"{Topic}[{Partition}]@{Offset}";

    /// <summary>
    /// Put this on the record's <see cref="ForwardedEvent.Position"/>: each sink completes it once (delivered or
    /// dead-lettered), and the offset becomes committable when all of them have.
    /// </summary>
    public IEventAcknowledgement Acknowledgement { get; }

    /// <summary>For a record that yields no event (not zERT, or dead-lettered by the decoder): done for every sink.</summary>
    public void CompleteWithoutEvents()
    {
        for (var i = 0; i < _expectedCompletions; i++)
        {
            Acknowledgement.Complete();
        }
    }
}

/// <summary>
/// Reads raw SMF records from a Kafka topic (as an SMF-to-Kafka bridge publishes them) as a member of a
/// consumer group, and commits an offset only once every sink is finished with that record and all before it.
/// </summary>
/// <remarks>
/// <para>
/// Auto offset store is off. Per partition an <see cref="AckTracker"/> follows the records in read order; the commit
/// position is one past the highest record such that it and every earlier record of the partition are acknowledged by
/// all sinks. It is stored every <see cref="KafkaRecordSourceOptions.CommitIntervalMs"/> for librdkafka's background
/// auto-commit (which commits only stored positions), and committed synchronously when a partition is revoked and on
/// <see cref="DisposeAsync"/>.
/// </para>
/// <para>
/// On revocation the source commits what is done and forgets the rest: the partition's new owner reads the
/// unacknowledged records again, so a rebalance can repeat records (at least once) but never skips one. Duplicates
/// carry the same event id, which Elasticsearch absorbs (<c>create</c>, 409) and Kafka consumers can de-duplicate.
/// </para>
/// <para>
/// The consumer is polled while the caller iterates <see cref="ReadAsync"/>; while the pipeline holds the reader back
/// (a sink's buffer full) it is polled from a timer instead, its partitions paused (<see cref="PollWhileHeldBack"/>), so
/// that the member takes its part in a rebalance (a cooperative rebalance waits for the revocation, which runs in a
/// poll) and stays in the group past <c>max.poll.interval.ms</c>; and, its partitions paused, while
/// <see cref="DisposeAsync"/> waits for a rebalance to accept the final commit. Once the reader has stopped (a stop's
/// drain) nothing polls until the final commit: the group waits for the drain rather than moving partitions whose
/// records are still being delivered. While the reader is held back the lag gauge is refreshed from the brokers on a
/// timer (<see cref="HeldBackLagInterval"/>).
/// </para>
/// </remarks>
public sealed class KafkaRecordSource : IAsyncDisposable
{
    private const string Component = "kafka_source";
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>The shortest interval of the background commit (a <c>CommitIntervalMs</c> of 0 or less means this).</summary>
    internal const int MinimumCommitIntervalMs = 100;

    /// <summary>The consumer lag gauge: per owned partition, records in it this member has not read yet.</summary>
    public const string LagMetric = "zertforwarder_kafka_consumer_lag";

    /// <summary>How often the lag gauge is refreshed: it reads the high watermark librdkafka cached from its last fetch, no request.</summary>
    public static readonly TimeSpan LagInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the lag gauge is refreshed from the brokers while the pipeline holds the reader back (its partitions
    /// paused, so no fetch and no cached watermark): one offsets request per owned partition, so less often than <see cref="LagInterval"/>.
    /// </summary>
    public static readonly TimeSpan HeldBackLagInterval = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan WatermarkQueryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the reader may go without polling before the timer polls for it (<see cref="PollWhileHeldBack"/>). The
    /// reader polls at least every <see cref="PollTimeout"/> while it runs, so this only happens when it is held back.
    /// </summary>
    internal static readonly TimeSpan HeldBackPollAfter = TimeSpan.FromSeconds(1);

    private readonly KafkaRecordSourceOptions _options;
    private readonly int _sinkCount;
    private readonly IPipelineLog _log;
    private readonly TimeProvider _time;
    private readonly IConsumer<byte[]?, byte[]> _consumer;
    // Consume, Commit and Close are serialized; the rebalance handlers run inside Consume on the same thread
    // and re-enter this lock.
    private readonly Lock _consumerLock = new();
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
    // Every partition assigned to this member, read from or not (_partitions has only those read from).
    private readonly HashSet<TopicPartition> _owned = [];
    private long _lastCommitTimestamp;
    private long _lastLagTimestamp;
    private readonly GaugeFamily _lag;
    private readonly ITimer _heldBackLagTimer;
    private int _heldBackLagRunning; // 1 while the timer's refresh runs: a slow broker must not pile refreshes up
    private volatile bool _stopping; // set first by DisposeAsync: a refresh asks no more brokers
    private volatile bool _closed;

    // Polling while the reader is held back (PollWhileHeldBack), on real time as librdkafka's own timers: when the reader
    // last polled (Stopwatch timestamp, 0 while no reader runs), the partitions paused for it, and the records a poll
    // returned before their partition was paused, which the reader yields first when it goes on.
    private readonly ITimer _heldBackPollTimer;
    private long _readerPolledAt;
    private readonly HashSet<TopicPartition> _pausedWhileHeldBack = [];
    private readonly Queue<ConsumeResult<byte[]?, byte[]>> _readWhileHeldBack = new();

    /// <param name="options">Cluster, topic and group.</param>
    /// <param name="sinkCount">How many sinks must complete each record's acknowledgement.</param>
    /// <param name="metrics">Where the consumer lag gauge (<see cref="LagMetric"/>) is registered.</param>
    public KafkaRecordSource(KafkaRecordSourceOptions options, int sinkCount, IPipelineLog? log = null, TimeProvider? timeProvider = null,
        PipelineMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Topic);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.GroupId);
        ArgumentOutOfRangeException.ThrowIfNegative(sinkCount);
        _options = options;
        _sinkCount = sinkCount;
        _log = log ?? NullPipelineLog.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _lag = (metrics ?? new PipelineMetrics()).Gauge(LagMetric,
            "Records in an owned partition of the raw topic this member has not read yet (high watermark minus next offset); refreshed every second while reading, every 15 seconds from the brokers while the pipeline holds the reader back.",
            "topic", "partition");
        var tlsDiagnosis = new KafkaTlsDiagnosis(options, _log, Component);

        var config = SettingsConfig(options, readPasswordFile: true);
        options.ApplyProperties(config);

        _consumer = new ConsumerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler((_, message) => KafkaClientLog.Forward(_log, Component, message))
            .SetErrorHandler((_, error) =>
            {
                KafkaClientLog.ForwardError(_log, Component, error);
                // librdkafka only says "certificate verify failed"; the diagnosis says why (unknown CA or host name).
                tlsDiagnosis.OnError(error);
            })
            .SetPartitionsAssignedHandler((_, assigned) => OnAssigned(assigned))
            .SetPartitionsRevokedHandler((_, revoked) => OnRevoked(revoked.Select(p => p.TopicPartition), commit: true))
            .SetPartitionsLostHandler((_, lost) => OnRevoked(lost.Select(p => p.TopicPartition), commit: false))
            .Build();
        _lastCommitTimestamp = _lastLagTimestamp = _time.GetTimestamp();
        _heldBackLagTimer = _time.CreateTimer(_ => RefreshLagWhileHeldBack(), null, HeldBackLagInterval, HeldBackLagInterval);
        var pollEvery = HeldBackPollAfter / 2;
        _heldBackPollTimer = TimeProvider.System.CreateTimer(_ => PollWhileHeldBack(), null, pollEvery, pollEvery);
    }

    /// <summary>
    /// What librdkafka would refuse in <paramref name="options"/> when the consumer is built at start, found without a
    /// broker (<see cref="KafkaClientCheck"/>).
    /// </summary>
    internal static IReadOnlyList<KafkaClientCheck.Problem> ConfigurationProblems(KafkaRecordSourceOptions options, string section) =>
        KafkaClientCheck.Check(section, "consumer",
            SettingsConfig(options, readPasswordFile: false), SettingsConfig(new KafkaRecordSourceOptions { BootstrapServers = options.BootstrapServers }, readPasswordFile: false),
            options.Properties, KafkaClientCheck.BuildConsumer);

    /// <summary>The configuration of the typed settings, before <see cref="KafkaConnectionOptions.Properties"/> (applied last, so they can override it).</summary>
    private static ConsumerConfig SettingsConfig(KafkaRecordSourceOptions options, bool readPasswordFile)
    {
        var config = new ConsumerConfig();
        options.ApplyConnection(config, readPasswordFile);
        config.GroupId = options.GroupId;
        // Positions are stored here (StoreOffset) only once every sink is done with them, and librdkafka commits what is
        // stored in the background every CommitIntervalMs: a synchronous periodic commit held the read loop (and its
        // reaction to a stop) for as long as a rebalance kept the group coordinator from answering (45 s against the
        // mock cluster). Revocation and close still commit synchronously what is done.
        config.EnableAutoCommit = true;
        // librdkafka reads 0 as "never" and refuses a negative interval; here 0 or less has meant "as often as it can".
        config.AutoCommitIntervalMs = Math.Max(options.CommitIntervalMs, MinimumCommitIntervalMs);
        config.EnableAutoOffsetStore = false;
        config.EnablePartitionEof = false;
        config.Set("auto.offset.reset", options.AutoOffsetReset);
        // Incremental rebalancing: when a member joins or leaves, only the partitions that move are revoked, so the
        // others keep flowing and nothing of them is re-read.
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        return config;
    }

    /// <summary>The partitions this member currently owns.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _consumer.Assignment;

    /// <summary>Subscribes and yields records in partition order until <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<KafkaSourceRecord> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        lock (_consumerLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _consumer.Subscribe(_options.Topic);
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested && !_closed)
            {
                var result = TakeReadWhileHeldBack() ?? ConsumeOnce(TimeSpan.Zero) ?? await Task.Run(() => ConsumeOnce(PollTimeout), CancellationToken.None);
                if (_time.GetElapsedTime(_lastCommitTimestamp) >= TimeSpan.FromMilliseconds(_options.CommitIntervalMs))
                {
                    StorePositions();
                }

                // Refreshed while records come and while the reader waits for new ones: refreshed only per record, a gauge
                // would keep the lag it had a moment before the reader caught up for as long as the topic stayed quiet.
                // (While the pipeline holds the reader back nothing runs here: see RefreshLagWhileHeldBack.)
                var record = result is null || result.IsPartitionEOF || cancellationToken.IsCancellationRequested ? null : Track(result);
                if (_time.GetElapsedTime(_lastLagTimestamp) >= LagInterval)
                {
                    UpdateLag();
                }

                if (record is not null) yield return record;
            }
        }
        finally
        {
            // The reader has stopped (a stop's drain follows): the timer no longer polls for it (see the remarks). Not under
            // the consumer's lock: a revocation's commit may hold it for as long as the coordinator takes to answer, and the
            // stop must not wait for that (README "Shutdown:DrainTimeout"); a tick already past its check polls once more.
            Volatile.Write(ref _readerPolledAt, 0);
        }
    }

    /// <summary>
    /// When the reader goes on after being held back: the partitions paused meanwhile are resumed (librdkafka fetches
    /// again from the position after the last record returned), and the records a poll returned meanwhile come first,
    /// in the order they were returned. Null when there is none.
    /// </summary>
    private ConsumeResult<byte[]?, byte[]>? TakeReadWhileHeldBack()
    {
        lock (_consumerLock)
        {
            Volatile.Write(ref _readerPolledAt, System.Diagnostics.Stopwatch.GetTimestamp());
            if (_closed) return null;
            if (_pausedWhileHeldBack.Count > 0)
            {
                var owned = _consumer.Assignment.ToHashSet();
                var resume = _pausedWhileHeldBack.Where(owned.Contains).ToList();
                _pausedWhileHeldBack.Clear();
                try
                {
                    if (resume.Count > 0) _consumer.Resume(resume);
                }
                catch (KafkaException e)
                {
                    _log.Log(PipelineLogLevel.Warning, Component, $"resuming {Names(resume)} failed: {e.Error.Code}: {e.Error.Reason}");
                }
            }
            return _readWhileHeldBack.TryDequeue(out var result) ? result : null;
        }
    }

    /// <summary>
    /// Polls for a reader that the pipeline holds back (it has not polled for <see cref="HeldBackPollAfter"/>), so that
    /// the rebalance callbacks run: a cooperative rebalance cannot give a joining member anything until the members that
    /// give partitions up have revoked them, and a member that does not poll for <c>max.poll.interval.ms</c> (5 minutes)
    /// is put out of the group and its partitions taken without a commit. Every owned partition is paused first, so the
    /// poll reads nothing new; a record it still returns (fetched before its partition was paused, or of a partition
    /// assigned by this very poll) is kept for the reader, and its partition paused. Runs on a timer; any failure is
    /// left to the reader's next poll.
    /// </summary>
    private void PollWhileHeldBack()
    {
        // Most ticks find the reader polling and return at once. A busy lock (a poll of the reader's, a commit waiting for
        // a slow coordinator) is not waited for: the next tick tries again, so ticks never pile up on pool threads.
        if (!ReaderHeldBack() || !_consumerLock.TryEnter()) return;
        try
        {
            if (_closed || _stopping || !ReaderHeldBack()) return;
            PauseOwnedLocked();
            for (var i = 0; i < 1000; i++)
            {
                var result = ConsumeLocked(TimeSpan.Zero);
                PauseOwnedLocked(); // also the partitions a rebalance served by this poll assigned
                if (result is null) break;
                _readWhileHeldBack.Enqueue(result);
            }
        }
        catch (Exception e)
        {
            // A fatal consumer error (the reader's next poll throws it and ends the run), a consumer closing: this runs on
            // a timer, where an exception would end the process.
            _log.Log(PipelineLogLevel.Debug, Component, $"poll while the reader is held back failed: {e.Message}");
        }
        finally
        {
            _consumerLock.Exit();
        }
    }

    /// <summary>True when a reader runs and has not polled for <see cref="HeldBackPollAfter"/>.</summary>
    private bool ReaderHeldBack()
    {
        var polledAt = Volatile.Read(ref _readerPolledAt);
        return polledAt != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(polledAt) >= HeldBackPollAfter;
    }

    /// <summary>Pauses every owned partition not paused for the held-back reader yet.</summary>
    private void PauseOwnedLocked()
    {
        var pause = _consumer.Assignment.Where(p => !_pausedWhileHeldBack.Contains(p)).ToList();
        if (pause.Count == 0) return;
        _consumer.Pause(pause);
        _pausedWhileHeldBack.UnionWith(pause);
    }

    /// <summary>
    /// Sets the lag gauge of every partition read from: the high watermark librdkafka received with its last fetch
    /// minus the next offset this member will read. The group's lag as the brokers see it (from the committed offsets)
    /// also counts what is read but not yet delivered; this one says whether the reader keeps up.
    /// </summary>
    private void UpdateLag()
    {
        lock (_consumerLock)
        {
            Volatile.Write(ref _lastLagTimestamp, _time.GetTimestamp());
            if (_closed)
            {
                return;
            }

            foreach (var (partition, state) in _partitions)
            {
                var high = _consumer.GetWatermarkOffsets(partition).High;
                if (high.IsSpecial)
                {
                    continue; // no fetch answered yet
                }

                _lag.WithLabels(LagLabels(partition))
                    .Set(Math.Max(0, high.Value - state.NextOffset));
            }
        }
    }

    /// <summary>
    /// Stores, for every owned partition, the position after its fully acknowledged prefix, for librdkafka's next
    /// background commit. Local: it never waits for a broker.
    /// </summary>
    private void StorePositions()
    {
        lock (_consumerLock)
        {
            _lastCommitTimestamp = _time.GetTimestamp();
            if (_closed) return;
            foreach (var (partition, state) in _partitions)
            {
                var position = state.Tracker.CommittedPosition;
                if (position > state.LastStored) StoreLocked(new TopicPartitionOffset(partition, new Offset(position)));
            }
        }
    }

    /// <summary>Stores a position for librdkafka's background commit; a partition no longer owned is passed over.</summary>
    private void StoreLocked(TopicPartitionOffset offset)
    {
        try
        {
            _consumer.StoreOffset(offset);
            _partitions[offset.TopicPartition].LastStored = offset.Offset.Value;
        }
        catch (KafkaException e)
        {
            // Revoked meanwhile (its position was committed on revocation): nothing to store.
            _log.Log(PipelineLogLevel.Debug, Component, $"offset not stored for {offset.TopicPartition}: {e.Error.Code}");
        }
    }

    /// <summary>Commits, for every owned partition, the position after its fully acknowledged prefix (synchronously).</summary>
    public void Commit()
    {
        lock (_consumerLock)
        {
            _lastCommitTimestamp = _time.GetTimestamp();
            if (!_closed)
            {
                _ = CommitLocked(_partitions.Keys.ToList());
            }
        }
    }

    /// <summary>Commits what is done, leaves the group (so the partitions move at once) and closes the consumer.</summary>
    public async ValueTask DisposeAsync()
    {
        // A refresh in progress finishes its current query (at most WatermarkQueryTimeout) and asks no more.
        _stopping = true;
        await _heldBackPollTimer.DisposeAsync();
        await _heldBackLagTimer.DisposeAsync();
        await Task.Run(() =>
        {
            lock (_consumerLock)
            {
                if (_closed)
                {
                    return;
                }

                CommitFinalLocked();
                try
                {
                    // Close runs the revoked handler (a second, usually empty, commit) and leaves the group.
                    _consumer.Close();
                }
                catch (KafkaException e)
                {
                    _log.Log(PipelineLogLevel.Warning, Component, $"closing the consumer failed: {e.Error.Reason}");
                }

                _closed = true;
                _consumer.Dispose();
            }
        });
    }

    /// <summary>How long the final commit is tried again while the group refuses it because it is rebalancing.</summary>
    internal static readonly TimeSpan FinalCommitRetryLimit = TimeSpan.FromSeconds(8);

    /// <summary>
    /// The commit at the end of a run. A group that rebalances refuses commits (REBALANCE_IN_PROGRESS, or
    /// ILLEGAL_GENERATION once it has moved on), and a stop often comes just then: the members of a rolling update or a
    /// scale-down stop one after the other, and each one leaving starts a rebalance for the others, which stopped
    /// polling when their drain began. Refused and not tried again, the commit was lost with the member (the run still
    /// exited 0) and the partitions' next owner sent everything since the previous commit again, up to the whole drain.
    /// So the commit is tried again for up to <see cref="FinalCommitRetryLimit"/> (within the host's 10 s for the close),
    /// polling in between so that this member takes its part in the rebalance; its partitions are paused, and a record
    /// the poll still returns is dropped unread and uncommitted (the partition's owner reads it).
    /// </summary>
    private void CommitFinalLocked()
    {
        // Real time, as librdkafka's: the rebalance this waits for happens on the brokers' clock, not on the run's.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var tries = 0;
        while (!CommitLocked(_partitions.Keys.ToList(), logRefusal: tries++ == 0))
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) >= FinalCommitRetryLimit)
            {
                _log.Log(PipelineLogLevel.Warning, Component,
                    $"the final offset commit was still refused after {FinalCommitRetryLimit.TotalSeconds:0} s of rebalancing: the records after the last commit are read again by the partitions' next owner");
                return;
            }

            if (tries == 1) _log.Log(PipelineLogLevel.Information, Component, "the group is rebalancing: the final offset commit is tried again once it is done");
            try
            {
                _consumer.Pause(_consumer.Assignment);
                _consumer.Consume(PollTimeout);
            }
            catch (KafkaException e)
            {
                _log.Log(PipelineLogLevel.Debug, Component, $"poll during the final commit failed: {e.Error.Code}");
            }
        }
    }

    private ConsumeResult<byte[]?, byte[]>? ConsumeOnce(TimeSpan timeout)
    {
        lock (_consumerLock)
        {
            return _closed ? null : ConsumeLocked(timeout);
        }
    }

    /// <summary>One poll, the consumer's lock held; a non-fatal error is logged and read as no record, a fatal one thrown.</summary>
    private ConsumeResult<byte[]?, byte[]>? ConsumeLocked(TimeSpan timeout)
    {
        try
        {
            return _consumer.Consume(timeout);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            // E.g. the topic does not exist yet: keep polling, the group picks it up when it appears.
            _log.Log(PipelineLogLevel.Warning, Component, $"consume failed: {e.Error.Code}: {e.Error.Reason}");
            return null;
        }
    }

    private KafkaSourceRecord Track(ConsumeResult<byte[]?, byte[]> result)
    {
        IEventAcknowledgement acknowledgement;
        lock (_consumerLock)
        {
            var partition = result.TopicPartition;
            if (!_partitions.TryGetValue(partition, out var state))
            {
                // The first record read is where this member resumed: nothing before it needs committing.
                state = new PartitionState(new AckTracker(result.Offset.Value), result.Offset.Value);
                _partitions.Add(partition, state);
            }

            // Position = the offset to resume from once this record is done (Kafka commits "next to read").
            acknowledgement = state.Tracker.Track(result.Offset.Value + 1, _sinkCount);
            state.NextOffset = result.Offset.Value + 1;
        }

        return new KafkaSourceRecord(
            result.Message.Value ?? [], result.Topic, result.Partition.Value, result.Offset.Value, acknowledgement, _sinkCount);
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        lock (_consumerLock)
        {
            _owned.UnionWith(partitions);
        }

        // A cooperative rebalance that gives this member nothing new still calls this: not worth a line.
        if (partitions.Count > 0) _log.Log(PipelineLogLevel.Information, Component, $"assigned {Names(partitions)}");
    }

    /// <summary>
    /// A revocation (<paramref name="commit"/>: what is done is committed) or a loss of partitions (nothing can be
    /// committed for them any more). Either way their new owner reads on from the group's last commit.
    /// </summary>
    private void OnRevoked(IEnumerable<TopicPartition> partitions, bool commit)
    {
        lock (_consumerLock)
        {
            var list = partitions.ToList();
            if (list.Count == 0) return;
            if (commit)
            {
                _ = CommitLocked(list);
            }

            var committed = commit
                ? list.Where(_partitions.ContainsKey).Select(p => $"{Name(p)}@{_partitions[p].LastCommitted}").ToList()
                : [];

            // Records of these partitions still in the pipeline complete on trackers nobody reads any more:
            // the new owner re-reads them from the committed offset.
            foreach (var partition in list)
            {
                _owned.Remove(partition);
                _partitions.Remove(partition);
                _lag.Remove(LagLabels(partition));
                _pausedWhileHeldBack.Remove(partition);
            }

            // Records a held-back poll kept of these partitions were never yielded: their new owner reads them.
            if (_readWhileHeldBack.Count > 0)
            {
                var kept = _readWhileHeldBack.Where(r => !list.Contains(r.TopicPartition)).ToList();
                _readWhileHeldBack.Clear();
                foreach (var r in kept) _readWhileHeldBack.Enqueue(r);
            }

            _log.Log(PipelineLogLevel.Information, Component, commit
                ? $"revoked {Names(list)}; committed {(committed.Count == 0 ? "nothing (no record read)" : string.Join(", ", committed))}: their new owner reads on from there"
                : $"lost {Names(list)} (the group gave them to another member without a revocation): their new owner reads on from the last commit");
        }
    }

    /// <summary>
    /// The lag while the read loop does not run (the pipeline holds the reader back, e.g. a sink's buffer is full): then
    /// its partitions are paused, librdkafka fetches nothing and its cached high watermark stops moving, so the brokers are asked.
    /// Without this the gauge would keep the lag of the moment the reader stopped, and an alert on a growing lag would
    /// stay quiet through an outage of a sink. Runs on the timer; the queries are made outside the consumer's lock (they
    /// wait for the brokers, and a poll must not wait for them), and a gauge is set only for a partition still owned.
    /// </summary>
    /// <remarks>
    /// Every owned partition is counted, also one this member has not read a record of yet: a partition a rebalance
    /// moved here (or one assigned at start) while the reader was held back starts at the group's committed offset
    /// (where <c>auto.offset.reset</c> says without one). Counting only the partitions read from, a sink outage hid the
    /// backlog of every partition that changed owner during it: the old owner drops its series on revocation, and the
    /// new one never reported it, so the lag summed over the members fell while the backlog grew.
    /// </remarks>
    private void RefreshLagWhileHeldBack()
    {
        if (_stopping || _time.GetElapsedTime(Volatile.Read(ref _lastLagTimestamp)) < HeldBackLagInterval) return;
        if (Interlocked.Exchange(ref _heldBackLagRunning, 1) == 1) return;
        try
        {
            List<(TopicPartition Partition, long? NextOffset)> owned;
            lock (_consumerLock)
            {
                if (_closed) return;
                owned = [.. _owned.Select(p => (p, _partitions.TryGetValue(p, out var state) ? state.NextOffset : (long?)null))];
            }

            foreach (var (partition, nextOffset) in owned)
            {
                if (_stopping) return;
                WatermarkOffsets watermarks;
                long from;
                try
                {
                    watermarks = _consumer.QueryWatermarkOffsets(partition, WatermarkQueryTimeout);
                    from = nextOffset ?? StartOffset(partition, watermarks);
                }
                catch (Exception)
                {
                    // A broker that does not answer, a consumer closing, anything else: this runs on a timer, where an
                    // exception would end the process, and it is only a gauge. The next refresh tries again.
                    continue;
                }

                lock (_consumerLock)
                {
                    // NextOffset may have moved if the reader went on meanwhile; the loop then refreshes the gauge itself.
                    var unchanged = _partitions.TryGetValue(partition, out var state) ? state.NextOffset == nextOffset : nextOffset is null;
                    if (!_closed && !watermarks.High.IsSpecial && _owned.Contains(partition) && unchanged)
                    {
                        _lag.WithLabels(LagLabels(partition)).Set(Math.Max(0, watermarks.High.Value - from));
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _heldBackLagRunning, 0);
        }
    }

    /// <summary>
    /// Where this member starts reading an owned partition it has read nothing of: the group's committed offset, else
    /// the end <c>auto.offset.reset</c> names. Asks the group coordinator.
    /// </summary>
    private long StartOffset(TopicPartition partition, WatermarkOffsets watermarks)
    {
        var committed = _consumer.Committed([partition], WatermarkQueryTimeout).Single().Offset;
        if (!committed.IsSpecial) return committed.Value;
        return _options.AutoOffsetReset.ToLowerInvariant() is "latest" or "largest" or "end" ? watermarks.High.Value : watermarks.Low.Value;
    }

    /// <summary>A partition as the logs name it: <c>topic[partition]</c>.</summary>
    private static string Name(TopicPartition partition) => $"{partition.Topic}[{partition.Partition.Value}]";

    private static string Names(IEnumerable<TopicPartition> partitions) => string.Join(", ", partitions.Select(Name));

    /// <summary>The lag gauge's labels of a partition: <c>topic</c>, <c>partition</c>.</summary>
    private static string[] LagLabels(TopicPartition partition) =>
        [partition.Topic, partition.Partition.Value.ToString(CultureInfo.InvariantCulture)];

    /// <summary>
    /// Commits the positions after the fully acknowledged records of <paramref name="partitions"/>. False only when the
    /// group refused the commit because it is rebalancing (worth trying again once the rebalance is done).
    /// </summary>
    private bool CommitLocked(List<TopicPartition> partitions, bool logRefusal = true)
    {
        var offsets = new List<TopicPartitionOffset>();
        foreach (var partition in partitions)
        {
            if (_partitions.TryGetValue(partition, out var state))
            {
                var position = state.Tracker.CommittedPosition;
                if (position > state.LastCommitted)
                {
                    offsets.Add(new TopicPartitionOffset(partition, new Offset(position)));
                }
            }
        }

        if (offsets.Count == 0)
        {
            return true;
        }

        // Stored as well: librdkafka's background commit, and its commit at close, send the stored position, which
        // would otherwise be an older one and move the group's offset back behind this commit (a restart then read
        // everything in between again).
        foreach (var offset in offsets) StoreLocked(offset);

        try
        {
            _consumer.Commit(offsets);
            foreach (var offset in offsets)
            {
                _partitions[offset.TopicPartition].LastCommitted = offset.Offset.Value;
            }
            return true;
        }
        catch (KafkaException e)
        {
            // Not fatal: the next commit carries the same or a later position.
            var rebalancing = e.Error.Code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration;
            if (logRefusal || !rebalancing) _log.Log(PipelineLogLevel.Warning, Component, $"offset commit failed: {e.Error.Code}: {e.Error.Reason}");
            return !rebalancing;
        }
    }

    private sealed class PartitionState(AckTracker tracker, long lastCommitted)
    {
        public AckTracker Tracker { get; } = tracker;

        public long LastCommitted { get; set; } = lastCommitted;

        /// <summary>The last position stored for the background commit.</summary>
        public long LastStored { get; set; } = lastCommitted;

        /// <summary>The offset after the last record read.</summary>
        public long NextOffset { get; set; } = lastCommitted;
    }
}
