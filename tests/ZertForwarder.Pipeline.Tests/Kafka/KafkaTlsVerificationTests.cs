using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit.Abstractions;
using ZertForwarder.Forwarding;
using ZertForwarder.Sinks.Kafka;

namespace ZertForwarder.Pipeline.Tests.Kafka;

/// <summary>
/// TLS verification of the Kafka sink as librdkafka does it (issue 8, security). librdkafka's mock cluster has no TLS
/// listener, so the broker side is a TLS endpoint in this process: it completes handshakes and then closes, which is
/// enough to see whether librdkafka accepted the broker's certificate. The sink sets only <c>security.protocol</c> and
/// <c>ssl.ca.location</c>; certificate verification and host name checking (<c>ssl.endpoint.identification.algorithm=https</c>)
/// are librdkafka's defaults, which these tests pin.
/// </summary>
public sealed class KafkaTlsVerificationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("zert-kafka-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_self_signed_broker_is_refused_without_its_CA_and_accepted_with_it()
    {
        using var ca = TestCa.Create();
        using var broker = TlsBroker.Start(ca.Issue(dnsName: "localhost", address: IPAddress.Loopback));
        var caFile = WriteCa(ca);

        var refused = await ProduceAsync(broker, caFile: null);
        var accepted = await ProduceAsync(broker, caFile);

        Assert.Contains(refused.Log.Lines, line => line.Contains("certificate verify failed", StringComparison.OrdinalIgnoreCase));
        // librdkafka says only that; the sink adds why and what to set.
        await AssertLoggedAsync(refused.Log, "is not signed by a CA this system trusts; set SslCaLocation");
        Assert.Equal(0, refused.Handshakes);
        Assert.True(accepted.Handshakes > 0, "with ssl.ca.location the handshake completes");
        Assert.DoesNotContain(accepted.Log.Lines, line => line.Contains("certificate verify failed", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_broker_certificate_for_another_host_name_is_refused_even_with_its_CA()
    {
        using var ca = TestCa.Create();
        // Trusted (signed by the configured CA) but issued for another name than the bootstrap address 127.0.0.1.
        using var broker = TlsBroker.Start(ca.Issue(dnsName: "kafka-9.example.org", address: null));

        var refused = await ProduceAsync(broker, WriteCa(ca));

        Assert.Equal(0, refused.Handshakes);
        Assert.Contains(refused.Log.Lines, line => line.Contains("certificate verify failed", StringComparison.OrdinalIgnoreCase));
        await AssertLoggedAsync(refused.Log, "its certificate is for 'kafka-9.example.org', not for '127.0.0.1' (host name mismatch)");
    }

    [Fact]
    public async Task A_broker_certificate_of_its_CA_that_is_not_for_a_server_is_refused_and_the_log_says_why()
    {
        using var ca = TestCa.Create();
        // Signed by the configured CA, for the right name, but a client certificate (extended key usage clientAuth only).
        using var broker = TlsBroker.Start(ca.Issue(dnsName: "localhost", address: IPAddress.Loopback, usageOid: "1.3.6.1.5.5.7.3.2"));

        var refused = await ProduceAsync(broker, WriteCa(ca));

        Assert.Equal(0, refused.Handshakes);
        Assert.Contains(refused.Log.Lines, line => line.Contains("certificate verify failed", StringComparison.OrdinalIgnoreCase));
        await AssertLoggedAsync(refused.Log, "is not for a TLS server: its extended key usage lacks serverAuth");
    }

    [Fact]
    public async Task The_Kafka_input_says_why_a_broker_certificate_was_refused()
    {
        using var ca = TestCa.Create();
        using var broker = TlsBroker.Start(ca.Issue(dnsName: "kafka-9.example.org", address: null));
        var log = new CapturingLog(output);
        var options = new KafkaRecordSourceOptions
        {
            BootstrapServers = $"127.0.0.1:{broker.Port}",
            Topic = "zert-tls",
            GroupId = "zert-tls-input",
            SecurityProtocol = "ssl",
            SslCaLocation = WriteCa(ca),
        };

        // The consumer polls (and so reports librdkafka's errors) while it is read; the read ends once the line is logged.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using (var source = new KafkaRecordSource(options, sinkCount: 1, log))
        {
            var reading = Task.Run(async () =>
            {
                await foreach (var record in source.ReadAsync(stop.Token))
                {
                    Assert.Fail($"not a Kafka broker, yet a record was read: {record}");
                }
            });
            await AssertLoggedAsync(log, "its certificate is for 'kafka-9.example.org', not for '127.0.0.1' (host name mismatch)");
            await stop.CancelAsync();
            await reading;
        }

        Assert.Equal(0, broker.Handshakes);
        Assert.Contains(log.Lines, line => line.Contains("certificate verify failed", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The diagnosis runs beside librdkafka's retries: wait for its line (a safety limit only).</summary>
    private static async Task AssertLoggedAsync(CapturingLog log, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!log.Lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no log line contains \"{text}\":\n{string.Join('\n', log.Lines.Distinct())}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task The_sink_leaves_certificate_and_host_name_verification_at_librdkafkas_secure_defaults()
    {
        var options = new KafkaSinkOptions { BootstrapServers = "kafka:9093", SecurityProtocol = "ssl", SslCaLocation = "/etc/ca.pem" };
        await using var sink = new KafkaSink(options);

        var config = sink.BuildConfig();

        Assert.Equal("ssl", config.Get("security.protocol"));
        Assert.Equal("/etc/ca.pem", config.Get("ssl.ca.location"));
        // Not set by the sink: librdkafka's defaults are verification on and the https (host name) identification.
        Assert.Null(config.Get("enable.ssl.certificate.verification"));
        Assert.Null(config.Get("ssl.endpoint.identification.algorithm"));
    }

    private string WriteCa(TestCa ca)
    {
        var path = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(path, ca.Certificate.ExportCertificatePem());
        return path;
    }

    private async Task<(CapturingLog Log, int Handshakes)> ProduceAsync(TlsBroker broker, string? caFile)
    {
        var log = new CapturingLog(output);
        var before = broker.Handshakes;
        var options = new KafkaSinkOptions
        {
            BootstrapServers = $"127.0.0.1:{broker.Port}",
            Topic = "zert-tls",
            SecurityProtocol = "ssl",
            SslCaLocation = caFile,
            MessageTimeoutMs = 3000,
            LingerMs = 5,
        };
        await using var sink = new KafkaSink(options, log);
        await sink.StartAsync(CancellationToken.None);
        var batch = SampleEvents.Range(0, 1);
        var outcome = new BatchOutcome(batch.Count);
        await sink.SendAsync(batch, outcome, CancellationToken.None);
        Assert.NotEqual(ItemOutcome.Delivered, outcome[0]); // not a Kafka broker: nothing can be delivered
        return (log, broker.Handshakes - before);
    }

    /// <summary>Remembers every log line (librdkafka's errors arrive here).</summary>
    private sealed class CapturingLog(ITestOutputHelper output) : IPipelineLog
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public void Log(PipelineLogLevel level, string component, string message, Exception? exception = null)
        {
            _lines.Enqueue(message);
            new TestOutputLog(output).Log(level, component, message, exception);
        }
    }

    /// <summary>A private CA issuing server certificates.</summary>
    private sealed class TestCa : IDisposable
    {
        private readonly RSA _key;

        private TestCa(RSA key, X509Certificate2 certificate)
        {
            _key = key;
            Certificate = certificate;
        }

        public X509Certificate2 Certificate { get; }

        public static TestCa Create()
        {
            var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=ZertForwarder test CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            return new TestCa(key, request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2)));
        }

        /// <param name="usageOid">The one extended key usage: serverAuth, or clientAuth (1.3.6.1.5.5.7.3.2) for a certificate not meant for a server.</param>
        public X509Certificate2 Issue(string dnsName, IPAddress? address, string usageOid = "1.3.6.1.5.5.7.3.1")
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(dnsName);
            if (address is not null) names.AddIpAddress(address);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
            var serial = RandomNumberGenerator.GetBytes(12);
            using var issued = request.Create(Certificate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), serial);
            using var withKey = issued.CopyWithPrivateKey(key);
            // Through PKCS#12 so that the TLS stack can use the private key.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        }

        public void Dispose()
        {
            Certificate.Dispose();
            _key.Dispose();
        }
    }

    /// <summary>Accepts TCP connections on 127.0.0.1 and performs the server side of TLS; counts connections the client accepted (sent a request over).</summary>
    private sealed class TlsBroker : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly X509Certificate2 _certificate;
        private readonly CancellationTokenSource _stop = new();
        private int _handshakes;

        private TlsBroker(TcpListener listener, X509Certificate2 certificate)
        {
            _listener = listener;
            _certificate = certificate;
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Handshakes => Volatile.Read(ref _handshakes);

        public static TlsBroker Start(X509Certificate2 certificate)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var broker = new TlsBroker(listener, certificate);
            _ = Task.Run(broker.AcceptAsync);
            return broker;
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using (client)
                    await using (var tls = new SslStream(client.GetStream()))
                    {
                        try
                        {
                            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                            // With TLS 1.3 the server side may finish before the client has judged the certificate: only
                            // a first request byte (librdkafka's ApiVersions) shows that the client accepted it.
                            var first = new byte[1];
                            if (await tls.ReadAsync(first, _stop.Token) == 1) Interlocked.Increment(ref _handshakes);
                        }
                        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
                        {
                            // The client refused the certificate (or went away): not counted.
                        }
                    }
                });
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _certificate.Dispose();
            _stop.Dispose();
        }
    }
}
