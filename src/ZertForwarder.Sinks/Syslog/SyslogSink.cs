using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Sinks.Syslog;

/// <summary>
/// Sends each event's LEEF line (output contract §4) as an RFC 5424 message over TCP or TLS to a syslog receiver
/// (QRadar, rsyslog, syslog-ng). See <see cref="SyslogSinkOptions"/> for the delivery guarantee.
/// </summary>
/// <remarks>
/// One connection is kept open. A batch is written in chunks and flushed; once the receiver's TCP has acknowledged
/// all of it, its items are Delivered. When the connection fails, or the receiver acknowledges nothing more for
/// <see cref="SyslogSinkOptions.WriteTimeout"/>, the whole batch is Retry. A connection the receiver closed is noticed by a
/// background read (receivers never send data) and replaced before the next batch. Failed connection attempts
/// back off exponentially up to <see cref="SyslogSinkOptions.ReconnectMaxDelay"/>; during the wait a batch is
/// answered with Retry at once instead of blocking.
/// </remarks>
public sealed class SyslogSink : ISink
{
    private const string Component = "syslog";
    private const int ChunkBytes = 64 * 1024;

    private readonly SyslogSinkOptions _options;
    private readonly IPipelineLog _log;
    private readonly TimeProvider _time;
    private readonly Rfc5424Formatter _formatter;
    private readonly bool _useTls;
    private readonly int _port;
    private readonly X509Certificate2Collection _trustedRoots = [];
    private readonly ClientCertificate? _clientCertificate;

    /// <summary>Why the last TLS handshake was refused (set by the certificate check), for the retry reason.</summary>
    private string? _certificateProblem;

    /// <summary>Why the last connection attempt failed, for the retry reason of the items that wait for it.</summary>
    private string? _connectProblem;
    private readonly ExponentialBackoff _backoff;
    private Connection? _connection;
    private int _failedConnects;
    private long _nextConnectTimestamp;
    private bool _waitingToReconnect;

    public SyslogSink(SyslogSinkOptions options, IPipelineLog? log = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host);
        _useTls = options.Protocol switch
        {
            SyslogProtocol.Tls => true,
            SyslogProtocol.Tcp => false,
            _ => throw new ArgumentException($"Syslog Protocol {options.Protocol} is not defined.", nameof(options)),
        };
        var octetCounting = options.Framing switch
        {
            SyslogFraming.OctetCounting => true,
            SyslogFraming.Lf => false,
            _ => throw new ArgumentException($"Syslog Framing {options.Framing} is not defined.", nameof(options)),
        };
        _port = options.EffectivePort;
        _options = options;
        _log = log ?? NullPipelineLog.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _formatter = new Rfc5424Formatter(options.Facility, options.AppName, options.Hostname, octetCounting);
        _backoff = new ExponentialBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay, new Random());
        if (_useTls)
        {
            if (!string.IsNullOrWhiteSpace(options.CaFile))
            {
                _trustedRoots.AddRange(ServerCertificateTrust.LoadCaFile(options.CaFile, "Outputs:Syslog:CaFile"));
            }

            _clientCertificate = LoadClientCertificate(options);
        }
    }

    public string Name => "syslog";

    public Task StartAsync(CancellationToken cancellationToken) =>
        // Not connecting here: a receiver that is down at start-up is a transient condition, handled by retries.
        Task.CompletedTask;

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcome);
        if (_connection is { IsClosed: true })
        {
            _log.Log(PipelineLogLevel.Information, Component, "the syslog receiver closed the connection; reconnecting");
            await DropConnectionAsync(backOff: false);
        }

        var connection = _connection ?? await TryConnectAsync(cancellationToken);
        if (connection is null)
        {
            outcome.SetPending(ItemOutcome.Retry, $"syslog receiver {_options.Host}:{_port} is not reachable: {_connectProblem ?? "waiting to reconnect"}");
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(ChunkBytes + 4096);
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].Leef.IsEmpty)
                {
                    outcome.Reject(i, "event has no LEEF encoding");
                }
                else
                {
                    _formatter.AppendFrame(buffer, batch[i].Leef.Span);
                }

                if (buffer.WrittenCount >= ChunkBytes || i == batch.Count - 1)
                {
                    using (var writeLimit = new CancellationTokenSource(_options.WriteTimeout, _time))
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(writeLimit.Token, cancellationToken))
                    {
                        await connection.Stream.WriteAsync(buffer.WrittenMemory, linked.Token);
                        await connection.Stream.FlushAsync(linked.Token);
                    }
                    buffer.ResetWrittenCount();
                }
            }

            // Written is not received: the kernel takes megabytes into the socket's send buffer whether or not the
            // receiver reads. The batch counts as delivered once the receiver's TCP has acknowledged all of it.
            if (!await connection.WaitUntilAcknowledgedAsync(_options.WriteTimeout, _time, cancellationToken))
            {
                throw new OperationCanceledException("the receiver acknowledged nothing more");
            }

            MarkDelivered(outcome, 0, batch.Count - 1);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The receiver took nothing for WriteTimeout. A stream whose write was cancelled cannot be used again.
            var reason = $"the syslog receiver {_options.Host}:{_port} took no data for {_options.WriteTimeout}";
            _log.Log(PipelineLogLevel.Warning, Component, reason + "; reconnecting");
            outcome.SetPending(ItemOutcome.Retry, reason);
            await DropConnectionAsync(backOff: false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Items of the batch may be partly on the wire or read: retrying them can repeat them (at least once).
            _log.Log(PipelineLogLevel.Warning, Component, $"writing to {_options.Host}:{_port} failed: {e.Message}");
            outcome.SetPending(ItemOutcome.Retry, $"connection to {_options.Host}:{_port} failed while writing: {e.Message}");
            await DropConnectionAsync(backOff: false);
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } connection)
        {
            await connection.Stream.FlushAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DropConnectionAsync(backOff: false);
        _clientCertificate?.Dispose();
        foreach (var root in _trustedRoots)
        {
            root.Dispose();
        }
    }

    private static void MarkDelivered(BatchOutcome outcome, int from, int to)
    {
        for (var j = from; j <= to; j++)
        {
            if (outcome[j] == ItemOutcome.Pending)
            {
                outcome.Delivered(j);
            }
        }
    }

    private async Task<Connection?> TryConnectAsync(CancellationToken cancellationToken)
    {
        if (_waitingToReconnect && _time.GetTimestamp() < _nextConnectTimestamp)
        {
            return null;
        }

        var client = new TcpClient { NoDelay = false };
        SslStream? ssl = null;
        // The reason of this attempt's refusal only: a handshake that fails before the certificate check (a receiver
        // speaking plain text on the TLS port) is not the certificate refused at an earlier attempt.
        _certificateProblem = null;
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            await client.ConnectAsync(_options.Host, _port, linked.Token);
            client.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            Stream stream = client.GetStream();
            if (_useTls)
            {
                ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = string.IsNullOrWhiteSpace(_options.TlsServerName) ? _options.Host : _options.TlsServerName,
                        ClientCertificateContext = _clientCertificate?.Context,
                        RemoteCertificateValidationCallback = ValidateServerCertificate,
                    },
                    linked.Token);
            }

            _connection = new Connection(client, stream);
            _failedConnects = 0;
            _waitingToReconnect = false;
            _connectProblem = null;
            _log.Log(PipelineLogLevel.Information, Component, $"connected to {_options.Host}:{_port} ({(_useTls ? "tls" : "tcp")})");
            return _connection;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested &&
            e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            ssl?.Dispose(); // a failed handshake's native TLS state, at once rather than at a later collection
            client.Dispose();
            var delay = _backoff.Ceiling(_failedConnects++);
            _nextConnectTimestamp = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
            _waitingToReconnect = true;
            var reason = e is OperationCanceledException ? $"timed out after {_options.ConnectTimeout}"
                : e is System.Security.Authentication.AuthenticationException ? _certificateProblem ?? $"TLS handshake failed: {e.Message}"
                : e.Message;
            _connectProblem = reason;
            _log.Log(PipelineLogLevel.Warning, Component, $"connecting to {_options.Host}:{_port} failed ({reason}); next attempt in {delay}");
            return null;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// System trust first; with <see cref="SyslogSinkOptions.CaFile"/>, a chain that ends in one of those roots is
    /// accepted too. A name mismatch is never accepted. A refusal is logged, and kept for the retry reason, in words
    /// that say what to change (<see cref="_certificateProblem"/>).
    /// </summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        _certificateProblem = null;
        var refusal = ServerCertificateTrust.Check(certificate, chain, errors, _trustedRoots);
        if (refusal == CertificateRefusal.None)
        {
            return true;
        }

        var expectedName = string.IsNullOrWhiteSpace(_options.TlsServerName) ? _options.Host : _options.TlsServerName;
        return Refuse(ServerCertificateTrust.Describe(refusal, certificate, errors, $"{_options.Host}:{_port}", expectedName,
            "connect by one of those names, or set Outputs:Syslog:TlsServerName to the name the receiver's certificate carries",
            "Outputs:Syslog:CaFile", _trustedRoots.Count == 0 ? null : _options.CaFile));
    }

    private bool Refuse(string problem)
    {
        _certificateProblem = problem;
        _log.Log(PipelineLogLevel.Error, Component, "refused the TLS connection: " + problem);
        return false;
    }

    private static ClientCertificate? LoadClientCertificate(SyslogSinkOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ClientCertificateFile))
        {
            return null;
        }

        var file = options.ClientCertificateFile;
        X509Certificate2 leaf;
        var others = new X509Certificate2Collection();
        if (file.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
        {
            others = X509CertificateLoader.LoadPkcs12CollectionFromFile(file, password: null);
            var withKey = others.FirstOrDefault(c => c.HasPrivateKey);
            if (withKey is null)
            {
                foreach (var certificate in others) certificate.Dispose();
                throw new ArgumentException($"Outputs:Syslog:ClientCertificateFile '{file}' holds no private key.", nameof(options));
            }
            leaf = withKey;
            others.Remove(leaf);
        }
        else
        {
            using (var pem = X509Certificate2.CreateFromPemFile(file, string.IsNullOrWhiteSpace(options.ClientKeyFile) ? null : options.ClientKeyFile))
            {
                // Round-trip through PKCS#12 so the private key is usable by the TLS stack on every platform.
                leaf = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
            }

            others.ImportFromPemFile(file);
            foreach (var same in others.Where(c => c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)).ToList())
            {
                others.Remove(same);
                same.Dispose();
            }
        }

        // The other certificates of the file are the intermediate CAs: sent with the client certificate (RFC 8446
        // §4.4.2, RFC 5246 §7.4.6), as a receiver that trusts only the root needs them to verify it.
        return new ClientCertificate(leaf, others);
    }

    /// <summary>The client certificate, the intermediate CAs its file holds, and the TLS context that sends them together.</summary>
    private sealed class ClientCertificate : IDisposable
    {
        private readonly X509Certificate2 _leaf;
        private readonly X509Certificate2Collection _intermediates;

        public ClientCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates)
        {
            _leaf = leaf;
            _intermediates = intermediates;
            // offline: the chain is built from the file's certificates alone, never from the network (AIA).
            Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        }

        public SslStreamCertificateContext Context { get; }

        public void Dispose()
        {
            _leaf.Dispose();
            foreach (var certificate in _intermediates)
            {
                certificate.Dispose();
            }
        }
    }

    private async Task DropConnectionAsync(bool backOff)
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        _waitingToReconnect = backOff;
    }

    /// <summary>An open connection plus the background read that notices when the receiver closes it.</summary>
    private sealed class Connection : IAsyncDisposable
    {
        private readonly TcpClient _client;
        private readonly Task _closedWatcher;
        private volatile bool _closed;

        public Connection(TcpClient client, Stream stream)
        {
            _client = client;
            Stream = stream;
            _closedWatcher = WatchForCloseAsync();
        }

        public Stream Stream { get; }

        /// <summary>
        /// Waits until the receiver's TCP has acknowledged every byte written (Linux <c>TCP_INFO</c>: no segment
        /// unacknowledged, nothing left unsent), as long as it acknowledges more at least every
        /// <paramref name="idleLimit"/>. A receiver that accepted the connection and reads nothing acknowledges only its
        /// receive window (about 128 KB with Linux defaults) while megabytes sit in the send buffer: counting those as
        /// delivered lost them on every reconnect. A slow receiver that keeps reading gets all the time it needs: a
        /// limit on the whole wait sent its batch again and again, never delivered. Polled (the kernel gives no
        /// notification for it), first at once, then every 1 to 50 ms. True at once where TCP_INFO is not available
        /// (not Linux): written then counts as delivered, as before.
        /// </summary>
        /// <returns>False when the receiver acknowledged nothing more for <paramref name="idleLimit"/>.</returns>
        /// <exception cref="IOException">The receiver reset the connection (or it was closed) before acknowledging
        /// everything. Linux then drops what was unacknowledged, and TCP_INFO shows none of it outstanding: checked
        /// first, so bytes in flight at a reset are not taken for acknowledged ones.</exception>
        public async Task<bool> WaitUntilAcknowledgedAsync(TimeSpan idleLimit, TimeProvider time, CancellationToken cancellationToken)
        {
            var lastProgress = time.GetTimestamp();
            ulong? acknowledgedBefore = null;
            var pause = TimeSpan.FromMilliseconds(1);
            while (true)
            {
                if (Acknowledgement() is not { } state || !state.Outstanding) return true;
                if (acknowledgedBefore is { } before && state.BytesAcknowledged != before)
                {
                    lastProgress = time.GetTimestamp();
                }

                acknowledgedBefore = state.BytesAcknowledged;
                if (time.GetElapsedTime(lastProgress) >= idleLimit) return false;
                await Task.Delay(pause, time, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(50).Ticks));
            }
        }

        /// <summary>
        /// Whether anything is unacknowledged or unsent on an open connection, and how many bytes the receiver has
        /// acknowledged so far, from <c>struct tcp_info</c>; null where unknown. Throws <see cref="IOException"/> when
        /// the connection is no longer open (reset or closed).
        /// </summary>
        private (bool Outstanding, ulong BytesAcknowledged)? Acknowledgement()
        {
            if (!OperatingSystem.IsLinux()) return null;
            Span<byte> info = stackalloc byte[TcpInfoLength];
            int length;
            try
            {
                length = _client.Client.GetRawSocketOption(IpProtocolTcp, TcpInfoOption, info);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
            {
                return null;
            }

            // tcpi_state (u8 at 0), tcpi_unacked (u32 at 24, segments), tcpi_bytes_acked (u64 at 120, Linux 4.1+) and
            // tcpi_notsent_bytes (u32 at 144, Linux 4.6+).
            if (length < NotSentOffset + 4) return null;
            // ESTABLISHED, or CLOSE_WAIT (the receiver sent its FIN: one that closes with data unread resets instead). Any
            // other state here means a reset: what was in flight is gone, not acknowledged.
            if (info[0] is not (TcpEstablished or TcpCloseWait))
            {
                throw new IOException("the connection was reset before the receiver acknowledged every byte of the batch");
            }

            var outstanding = BitConverter.ToUInt32(info[UnackedOffset..]) != 0 || BitConverter.ToUInt32(info[NotSentOffset..]) != 0;
            return (outstanding, BitConverter.ToUInt64(info[BytesAckedOffset..]));
        }

        private const byte TcpEstablished = 1;
        private const byte TcpCloseWait = 8;
        private const int IpProtocolTcp = 6;
        private const int TcpInfoOption = 11;
        private const int TcpInfoLength = 232;
        private const int UnackedOffset = 24;
        private const int BytesAckedOffset = 120;
        private const int NotSentOffset = 144;

        /// <summary>
        /// True once the receiver closed the connection. The socket check covers the moment between the receiver's
        /// FIN and the background read noticing it: readable with nothing to read means end of stream.
        /// </summary>
        public bool IsClosed
        {
            get
            {
                if (_closed)
                {
                    return true;
                }

                try
                {
                    return _client.Client.Poll(0, SelectMode.SelectRead) && _client.Client.Available == 0;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return true;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _closed = true;
            try
            {
                await Stream.DisposeAsync();
            }
            catch (IOException)
            {
                // Closing a broken TLS session can fail to send close_notify; the socket is closed regardless.
            }

            _client.Dispose();
            await _closedWatcher;
        }

        private async Task WatchForCloseAsync()
        {
            // Syslog receivers never send application data; a read returns only at end of stream or on error.
            var buffer = new byte[512];
            try
            {
                while (await Stream.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // The connection is gone either way.
            }

            _closed = true;
        }
    }
}
