using System.Text;
using Xunit.Abstractions;
using ZertForwarder.Pipeline.Tests.Kafka;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.Sinks.Syslog;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Syslog;

/// <summary>The syslog sink against a real rsyslogd over TLS and plain TCP (guide test-infrastructure §4).</summary>
public sealed class SyslogSinkTests(ITestOutputHelper output)
{
    private static string LeefOf(int sequence) => Encoding.UTF8.GetString(SampleEvents.Create(sequence).Leef.Span);

    private static async Task<BatchOutcome> SendAsync(SyslogSink sink, IReadOnlyList<ForwardedEvent> batch)
    {
        var outcome = new BatchOutcome(batch.Count);
        await sink.SendAsync(batch, outcome, CancellationToken.None);
        return outcome;
    }

    private static void AssertAllDelivered(BatchOutcome outcome)
    {
        for (var i = 0; i < outcome.Count; i++)
        {
            Assert.True(outcome[i] == ItemOutcome.Delivered, $"item {i}: {outcome[i]} {outcome.Reason(i)}");
        }
    }

    /// <summary>The LEEF part of a received RFC 5424 message: everything after "- MSGID - ".</summary>
    private static string MessageOf(string line) => line[(line.IndexOf(" - LEEF:", StringComparison.Ordinal) + 3)..];

    private static void AssertEveryLineIntact(List<string> lines, int count)
    {
        Assert.Equal(Enumerable.Range(0, count).Select(LeefOf).Order(StringComparer.Ordinal), lines.Select(MessageOf).Order(StringComparer.Ordinal));
        foreach (var line in lines)
        {
            // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD: record time from devTime, host from identHostName.
            var sequence = int.Parse(line[(line.LastIndexOf("\tSEQ=", StringComparison.Ordinal) + 5)..], System.Globalization.CultureInfo.InvariantCulture);
            var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_730_365_500_500L + sequence).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Matches($@"^<16[2-5]>1 {timestamp} SYS{sequence % 2} zertforwarder - ZERT_CONN_TERM - LEEF:2\.0\|", line);
        }
    }

    [SkippableFact]
    public async Task Tls_with_octet_counting_delivers_every_leef_line_intact()
    {
        using var server = new RsyslogServer();
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = server.TlsPort,
            Protocol = SyslogProtocol.Tls,
            Framing = SyslogFraming.OctetCounting,
            CaFile = server.CertificateFile,
        }, new TestOutputLog(output));
        await sink.StartAsync(CancellationToken.None);
        for (var start = 0; start < 300; start += 100)
        {
            AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(start, 100)));
        }

        var lines = await server.WaitForAsync(l => l.Count >= 300);
        output.WriteLine($"rsyslog received {lines.Count} messages over TLS");
        AssertEveryLineIntact(lines, 300);
    }

    [SkippableFact]
    public async Task Plain_tcp_with_lf_framing_delivers_every_leef_line_intact()
    {
        using var server = new RsyslogServer();
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = server.TcpPort,
            Protocol = SyslogProtocol.Tcp,
            Framing = SyslogFraming.Lf,
        });
        AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(0, 200)));

        var lines = await server.WaitForAsync(l => l.Count >= 200);
        output.WriteLine($"rsyslog received {lines.Count} messages over TCP");
        AssertEveryLineIntact(lines, 200);
    }

    [SkippableFact]
    public async Task Receiver_certificate_from_an_untrusted_ca_is_refused_and_items_are_retried()
    {
        using var server = new RsyslogServer();
        var otherCa = Path.Combine(server.Directory, "other");
        Directory.CreateDirectory(otherCa);
        RsyslogServer.MakeSelfSignedCertificate(ExternalTool.Require("openssl"), otherCa, "ca.pem", "ca-key.pem");

        foreach (var caFile in new[] { Path.Combine(otherCa, "ca.pem"), null })
        {
            await using var sink = new SyslogSink(new SyslogSinkOptions
            {
                Host = "127.0.0.1",
                Port = server.TlsPort,
                Protocol = SyslogProtocol.Tls,
                CaFile = caFile,
            }, new TestOutputLog(output));
            var outcome = await SendAsync(sink, SampleEvents.Range(0, 5));
            Assert.All(Enumerable.Range(0, 5), i => Assert.Equal(ItemOutcome.Retry, outcome[i]));
        }

        // Plain TCP on the same receiver works, so the TLS refusal is what kept the lines out.
        await using (var control = new SyslogSink(new SyslogSinkOptions { Host = "127.0.0.1", Port = server.TcpPort, Protocol = SyslogProtocol.Tcp }))
        {
            AssertAllDelivered(await SendAsync(control, SampleEvents.Range(100, 1)));
        }

        var lines = await server.WaitForAsync(l => l.Count >= 1);
        Assert.Equal([LeefOf(100)], lines.Select(MessageOf));
    }

    [SkippableFact]
    public async Task Receiver_restart_mid_stream_reconnects_and_the_rest_arrives()
    {
        using var server = new RsyslogServer();
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = server.TlsPort,
            Protocol = SyslogProtocol.Tls,
            CaFile = server.CertificateFile,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
        }, new TestOutputLog(output));
        AssertAllDelivered(await SendAsync(sink, SampleEvents.Range(0, 100)));
        Assert.Equal(100, (await server.WaitForAsync(l => l.Count >= 100)).Count);

        server.Stop();
        var pending = SampleEvents.Range(100, 100);
        var attempts = 0;
        var restarted = false;
        // Like the runner: send, keep what came back Retry, back off, send that again.
        while (pending.Count > 0 && attempts++ < 100)
        {
            var outcome = await SendAsync(sink, pending);
            pending = pending.Where((_, i) => outcome[i] != ItemOutcome.Delivered).ToList();
            if (!restarted)
            {
                Assert.Equal(100, pending.Count);
                server.Start();
                restarted = true;
            }

            await Task.Delay(pending.Count > 0 ? 100 : 0);
        }

        output.WriteLine($"all delivered after {attempts} send attempts");
        Assert.Empty(pending);
        var lines = await server.WaitForAsync(l => l.Select(MessageOf).Distinct().Count() >= 200);
        var messages = lines.Select(MessageOf).ToList();
        output.WriteLine($"received {messages.Count} messages, {messages.Distinct().Count()} distinct");
        Assert.Equal(Enumerable.Range(0, 200).Select(LeefOf).Order(StringComparer.Ordinal), messages.Distinct().Order(StringComparer.Ordinal));
        // Written before the restart and seen by the receiver: exactly once.
        Assert.All(Enumerable.Range(0, 100), i => Assert.Single(messages, LeefOf(i)));
    }

    /// <summary>
    /// A receiver that accepts the connection and then reads nothing (stalled, or gone without a reset): the socket's
    /// buffers fill and the write waits. Past WriteTimeout the items are retried and the connection dropped, instead
    /// of the batch (and with it every input) waiting for ever.
    /// </summary>
    [Fact]
    public async Task A_receiver_that_stops_reading_makes_the_write_time_out_and_the_items_retry()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Server.ReceiveBufferSize = 64 * 1024;
        listener.Start();
        var accepted = new List<System.Net.Sockets.Socket>();
        using var stopAccepting = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stopAccepting.IsCancellationRequested)
            {
                accepted.Add(await listener.AcceptSocketAsync(stopAccepting.Token)); // kept open, never read
            }
        });
        var log = new RecordingLog();
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port,
            Protocol = SyslogProtocol.Tcp,
            WriteTimeout = TimeSpan.FromSeconds(1),
        }, log);

        // About 20 MB of messages: far more than the two sockets' buffers hold.
        var batch = SampleEvents.Range(0, 20_000);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var outcome = await SendAsync(sink, batch).WaitAsync(TimeSpan.FromSeconds(60));
        var delivered = Enumerable.Range(0, batch.Count).Count(i => outcome[i] == ItemOutcome.Delivered);
        output.WriteLine($"returned after {started.Elapsed.TotalSeconds:F1} s; {delivered} counted delivered");
        // Megabytes went into the socket's send buffer, but the receiver's TCP acknowledged only its receive window:
        // none of it counts as delivered (it counted as delivered, lost again on every reconnect).
        Assert.Equal(0, delivered);
        Assert.Equal(ItemOutcome.Retry, outcome[batch.Count - 1]);
        Assert.Contains("took no data for 00:00:01", outcome.Reason(batch.Count - 1), StringComparison.Ordinal);
        Assert.Contains(log.Messages, m => m.Contains("took no data", StringComparison.Ordinal));
        await stopAccepting.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accepting);
        foreach (var socket in accepted) socket.Dispose();
    }

    /// <summary>
    /// A receiver that resets the connection while a written batch waits for its acknowledgement (it crashed, or closed
    /// with data unread). Linux then drops the connection's unacknowledged bytes, and TCP_INFO shows none outstanding:
    /// the bytes in flight counted as acknowledged (delivered, never received), and bytes not yet sent kept the batch
    /// waiting for the whole WriteTimeout. The reset is seen at the next look, and the batch is retried at once.
    /// </summary>
    [Fact]
    public async Task A_reset_while_a_batch_waits_for_its_acknowledgement_retries_the_batch_at_once()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Server.ReceiveBufferSize = 4096; // a window far smaller than the batch: most of it waits in the sender
        listener.Start();
        var accepting = listener.AcceptSocketAsync();
        var clock = new ObservedTimeProvider();
        var log = new RecordingLog();
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port,
            Protocol = SyslogProtocol.Tcp,
            Framing = SyslogFraming.Lf,
            WriteTimeout = TimeSpan.FromSeconds(30),
        }, log, clock);

        var batch = SampleEvents.Range(0, 150); // about 50 KB: written in one go into the socket's send buffer
        var sending = SendAsync(sink, batch);
        using var receiver = await accepting;
        // Connect and write limits, then the first pause of the wait for the acknowledgement: the batch is written.
        await clock.WaitForTimerAsync(2);
        receiver.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        receiver.Close(); // RST
        var started = clock.GetTimestamp();
        await clock.AdvanceUntilAsync(() => sending.IsCompleted, TimeSpan.FromMilliseconds(50), "the batch settled after the reset");
        var outcome = await sending;

        var waited = clock.GetElapsedTime(started);
        output.WriteLine($"settled {waited.TotalMilliseconds:0} ms (fake clock) after the reset: {outcome[0]} ({outcome.Reason(0)})");
        Assert.All(Enumerable.Range(0, batch.Count), i => Assert.Equal(ItemOutcome.Retry, outcome[i]));
        Assert.Contains("reset", outcome.Reason(0), StringComparison.Ordinal);
        Assert.True(waited < TimeSpan.FromSeconds(1), $"waited {waited} after the reset");
    }

    /// <summary>
    /// A slow receiver: it keeps reading, but a whole batch takes it longer than WriteTimeout. The limit is for a receiver
    /// that acknowledges nothing more; this one gets the batch delivered once. (The limit counted from the end of the
    /// writes: the batch timed out, was sent again on a new connection and timed out again, for ever, every copy cut
    /// off and nothing counted delivered.)
    /// </summary>
    [Fact]
    public async Task A_slow_receiver_that_keeps_reading_gets_the_batch_once_however_long_it_takes()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Server.ReceiveBufferSize = 4096; // the receiver's TCP acknowledges only what its program has read, nearly
        listener.Start();
        var accepting = listener.AcceptSocketAsync();
        var clock = new ObservedTimeProvider();
        var writeTimeout = TimeSpan.FromSeconds(10);
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port,
            Protocol = SyslogProtocol.Tcp,
            Framing = SyslogFraming.Lf,
            WriteTimeout = writeTimeout,
        }, new TestOutputLog(output), clock);

        var batch = SampleEvents.Range(0, 150); // about 50 KB, a dozen receive windows
        var sending = SendAsync(sink, batch);
        using var receiver = await accepting;
        await clock.WaitForTimerAsync(2); // written; the sink waits for the acknowledgement
        var started = clock.GetTimestamp();
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var seen = clock.TimersCreated;
        while (!sending.IsCompleted)
        {
            // The receiver reads what has arrived once per 3 s of the sink's clock, and the sender sends more into the
            // window that opens: well within WriteTimeout between two reads, well beyond it for the whole batch.
            if (receiver.Available > 0)
            {
                received.Write(buffer, 0, receiver.Receive(buffer));
            }

            if (received.ToArray().Count(b => b == (byte)'\n') < batch.Count)
            {
                await Eventually.TrueAsync(() => receiver.Available > 0 || sending.IsCompleted, "more of the batch at the receiver");
            }

            clock.Advance(TimeSpan.FromSeconds(3));
            await Eventually.TrueAsync(() => clock.TimersCreated > seen || sending.IsCompleted, "the sink's next look");
            seen = clock.TimersCreated;
        }

        var outcome = await sending;
        var took = clock.GetElapsedTime(started);
        output.WriteLine($"settled after {took.TotalSeconds:0} s of the sink's clock; item 0: {outcome[0]} {outcome.Reason(0)}");
        AssertAllDelivered(outcome);
        Assert.True(took > writeTimeout, $"took {took}");
        // Acknowledged is in the receiver's socket buffer: the rest is read from there.
        while (received.ToArray().Count(b => b == (byte)'\n') < batch.Count)
        {
            await Eventually.TrueAsync(() => receiver.Available > 0, "the rest of the batch at the receiver");
            received.Write(buffer, 0, receiver.Receive(buffer));
        }

        var lines = Encoding.UTF8.GetString(received.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(batch.Select(e => Encoding.UTF8.GetString(e.Leef.Span)), lines.Select(MessageOf));
    }

    [Fact]
    public async Task Receiver_that_is_not_listening_makes_items_retry()
    {
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = ExternalTool.FreePort(),
            Protocol = SyslogProtocol.Tcp,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        });
        var outcome = await SendAsync(sink, SampleEvents.Range(0, 3));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(ItemOutcome.Retry, outcome[i]));
        Assert.Contains("not reachable", outcome.Reason(0), StringComparison.Ordinal);
    }
}
