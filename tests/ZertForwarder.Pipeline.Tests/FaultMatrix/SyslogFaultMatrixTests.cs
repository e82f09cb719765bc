using System.Globalization;
using Xunit.Abstractions;
using ZertForwarder.Pipeline.Tests.Kafka;
using ZertForwarder.Pipeline.Tests.Syslog;
using ZertForwarder.Sinks.Syslog;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.FaultMatrix;

/// <summary>
/// The syslog row of the fault matrix: a sink runner feeding a real rsyslogd over TLS, which is stopped in mid-stream
/// and started again. Prints sent / delivered / duplicated / dead-lettered / lost. TCP syslog has no
/// acknowledgements: the batches written while the receiver was shutting down are accepted by its kernel and dropped
/// by rsyslogd. How many depends on how long rsyslogd takes to exit (one batch on a quiet machine, two measured under
/// heavy load), so the bound is three batches (README "Reliability"; only RELP-style acknowledgements would close
/// that gap).
/// </summary>
public sealed class SyslogFaultMatrixTests(ITestOutputHelper output)
{
    private const int Events = 2_000;
    private const int MaxBatchItems = 100;
    private const int MaxLostBatches = 3;

    [SkippableFact]
    public async Task Receiver_restart_mid_stream()
    {
        using var server = new RsyslogServer();
        var acks = new Support.AckCounter();
        var deadLetters = new Support.MemoryDeadLetters();
        var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = server.TlsPort,
            Protocol = SyslogProtocol.Tls,
            CaFile = server.CertificateFile,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
        });
        var options = new SinkRunnerOptions { MaxBatchItems = MaxBatchItems, MaxBatchAge = TimeSpan.FromMilliseconds(20), InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(400) };
        await using (var runner = new SinkRunner(sink, options, deadLetters))
        {
            await runner.StartAsync(CancellationToken.None);
            var restarted = false;
            for (var i = 0; i < Events; i++)
            {
                if (i == Events / 3)
                {
                    await Eventually.TrueAsync(() => acks.Counts.Count >= Events / 6, "events delivered before the restart", TimeSpan.FromSeconds(30));
                    server.Stop();
                }

                if (i == Events / 2 && !restarted)
                {
                    await Eventually.TrueAsync(() => runner.IsDown, "the sink to notice the receiver is gone", TimeSpan.FromSeconds(30));
                    server.Start();
                    restarted = true;
                }

                var item = SampleEvents.Create(i);
                await runner.WriteAsync(new ForwardedEvent { EventId = item.EventId, Dataset = item.Dataset, Key = item.Key, SmfSystemId = item.SmfSystemId, Ecs = item.Ecs, Leef = item.Leef, Position = acks.For(i) },
                    CancellationToken.None);
            }

            Assert.True(await runner.CompleteAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token), "the runner drained");
        }

        // One connection keeps the order: once the last event arrived, nothing more is coming.
        var lines = await server.WaitForAsync(l => Sequences(l).Contains(Events - 1), TimeSpan.FromSeconds(30));
        var sequences = Sequences(lines);
        var distinct = sequences.ToHashSet();
        var missing = Enumerable.Range(0, Events).Where(i => !distinct.Contains(i) && deadLetters.Records.All(r => r.EventId != SampleEvents.EventIdOf(i))).ToList();
        var lost = missing.Count;
        output.WriteLine($"syslog, receiver restart mid-stream: sent {Events} / delivered {distinct.Count} / duplicated {sequences.Count - distinct.Count} / " +
                         $"dead-lettered {deadLetters.Records.Count} / lost {lost}");
        Assert.InRange(lost, 0, MaxLostBatches * MaxBatchItems);
        // Only the receiver's shutdown window is missing: the lost events are one run in input order, not scattered.
        if (lost > 0) Assert.InRange(missing[^1] - missing[0], 0, (MaxLostBatches * MaxBatchItems) - 1);
        Assert.Equal(Events, acks.Counts.Count);
    }

    private static List<int> Sequences(List<string> lines) =>
        [.. lines.Select(l => int.Parse(l[(l.LastIndexOf("\tSEQ=", StringComparison.Ordinal) + 5)..], CultureInfo.InvariantCulture))];
}
