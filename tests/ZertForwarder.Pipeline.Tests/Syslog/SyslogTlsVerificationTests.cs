using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Xunit.Abstractions;
using ZertForwarder.Pipeline.Tests.Kafka;
using ZertForwarder.Sinks.Syslog;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests.Syslog;

/// <summary>
/// TLS verification of the syslog sink against a real rsyslogd with a self-signed certificate (CN and SAN localhost,
/// 127.0.0.1): refused until its CA is configured, a host name mismatch refused even then, and each refusal says why
/// and what to set (issue 8, security).
/// </summary>
public sealed class SyslogTlsVerificationTests(ITestOutputHelper output)
{
    private static string LeefOf(int sequence) => Encoding.UTF8.GetString(SampleEvents.Create(sequence).Leef.Span);

    private async Task<BatchOutcome> SendOneAsync(SyslogSinkOptions options, int sequence)
    {
        await using var sink = new SyslogSink(options, new TestOutputLog(output));
        var batch = SampleEvents.Range(sequence, 1);
        var outcome = new BatchOutcome(batch.Count);
        await sink.SendAsync(batch, outcome, CancellationToken.None);
        output.WriteLine($"{options.TlsServerName ?? options.Host} CaFile={options.CaFile ?? "-"}: {outcome[0]} {outcome.Reason(0)}");
        return outcome;
    }

    /// <summary>
    /// A refusal is the reason of that connection attempt only: once the receiver's certificate was refused, every later
    /// attempt that failed its handshake before a certificate was seen (here: a receiver that speaks plain text on the
    /// TLS port) was reported as that certificate again, "set Outputs:Syslog:CaFile", which mends nothing.
    /// </summary>
    [Fact]
    public async Task A_later_failed_handshake_is_not_reported_as_an_earlier_certificate_refusal()
    {
        using var certificates = new TestCertificates();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var receiver = Task.Run(async () =>
        {
            // First connection: TLS with a certificate of a private CA. The next: plain text.
            using (var first = await listener.AcceptTcpClientAsync())
            await using (var tls = new System.Net.Security.SslStream(first.GetStream()))
            {
                try
                {
                    await tls.AuthenticateAsServerAsync(certificates.Server);
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
                {
                    // The sink refused the certificate.
                }
            }

            using var second = await listener.AcceptTcpClientAsync();
            await second.GetStream().WriteAsync("this is not TLS\r\n\r\n"u8.ToArray());
            second.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await Eventually.TrueAsync(() => second.Client.Poll(0, System.Net.Sockets.SelectMode.SelectRead), "the sink to give up on the second connection");
        });

        var clock = new ObservedTimeProvider();
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port,
            Protocol = SyslogProtocol.Tls,
        }, new TestOutputLog(output), clock);
        var batch = SampleEvents.Range(1, 1);
        var refused = new BatchOutcome(1);
        await sink.SendAsync(batch, refused, CancellationToken.None);
        output.WriteLine(refused.Reason(0));
        Assert.Contains("is not signed by a CA this system trusts", refused.Reason(0), StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromMinutes(1)); // past the reconnect delay
        var garbled = new BatchOutcome(1);
        await sink.SendAsync(batch, garbled, CancellationToken.None);
        output.WriteLine(garbled.Reason(0));
        Assert.Equal(ItemOutcome.Retry, garbled[0]);
        Assert.DoesNotContain("certificate", garbled.Reason(0), StringComparison.OrdinalIgnoreCase);
        await receiver;
    }

    /// <summary>
    /// A certificate of the configured CA that is not meant for a server (extended key usage clientAuth only: a client
    /// certificate of the same corporate CA, carrying the receiver's name) is refused, as the system's trust refuses
    /// it; the check against Outputs:Syslog:CaFile took any certificate the CA had signed.
    /// </summary>
    [Fact]
    public async Task A_certificate_of_the_configured_CA_that_is_not_for_servers_is_refused()
    {
        using var certificates = new TestCertificates(serverUsageOid: "1.3.6.1.5.5.7.3.2");
        var directory = Directory.CreateTempSubdirectory("zert-syslog-eku-");
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var receiver = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            await using var tls = new System.Net.Security.SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(certificates.Server);
                await tls.CopyToAsync(Stream.Null); // takes whatever the sink sends, until it closes
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
                // The sink refused the certificate.
            }
        });

        try
        {
            var outcome = await SendOneAsync(new SyslogSinkOptions
            {
                Host = "127.0.0.1",
                Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port,
                Protocol = SyslogProtocol.Tls,
                CaFile = certificates.WriteAuthorityPem(directory.FullName),
            }, 1);

            Assert.Equal(ItemOutcome.Retry, outcome[0]);
            Assert.Contains("is not for a TLS server: its extended key usage lacks serverAuth", outcome.Reason(0), StringComparison.Ordinal);
            await receiver;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task A_self_signed_receiver_is_refused_until_its_CA_is_configured()
    {
        using var server = new RsyslogServer();

        var refused = await SendOneAsync(new SyslogSinkOptions { Host = "127.0.0.1", Port = server.TlsPort, Protocol = SyslogProtocol.Tls }, 1);
        var accepted = await SendOneAsync(new SyslogSinkOptions { Host = "127.0.0.1", Port = server.TlsPort, Protocol = SyslogProtocol.Tls, CaFile = server.CertificateFile }, 2);

        Assert.Equal(ItemOutcome.Retry, refused[0]);
        Assert.Contains("is not signed by a CA this system trusts", refused.Reason(0), StringComparison.Ordinal);
        Assert.Contains("set Outputs:Syslog:CaFile", refused.Reason(0), StringComparison.Ordinal);
        Assert.Equal(ItemOutcome.Delivered, accepted[0]);
        var lines = await server.WaitForAsync(l => l.Count >= 1);
        Assert.Equal([LeefOf(2)], lines.Select(l => l[(l.IndexOf(" - LEEF:", StringComparison.Ordinal) + 3)..]));
    }

    [SkippableFact]
    public async Task A_host_name_the_certificate_does_not_carry_is_refused_even_with_its_CA_and_the_reason_names_both()
    {
        using var server = new RsyslogServer();

        // The receiver is reached at 127.0.0.1 but expected as qradar.example.org, which its certificate does not name.
        var mismatch = await SendOneAsync(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = server.TlsPort,
            Protocol = SyslogProtocol.Tls,
            CaFile = server.CertificateFile,
            TlsServerName = "qradar.example.org",
        }, 1);
        // The same receiver under a name its certificate carries.
        var matching = await SendOneAsync(new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = server.TlsPort,
            Protocol = SyslogProtocol.Tls,
            CaFile = server.CertificateFile,
            TlsServerName = "localhost",
        }, 2);

        Assert.Equal(ItemOutcome.Retry, mismatch[0]);
        Assert.Contains("is for 'localhost', '127.0.0.1', not for 'qradar.example.org' (host name mismatch)", mismatch.Reason(0), StringComparison.Ordinal);
        Assert.Contains("Outputs:Syslog:TlsServerName", mismatch.Reason(0), StringComparison.Ordinal);
        Assert.Equal(ItemOutcome.Delivered, matching[0]);
        var lines = await server.WaitForAsync(l => l.Count >= 1);
        Assert.Single(lines);
    }

    /// <summary>
    /// Mutual TLS (RFC 5425 §5.2) with a client certificate of an intermediate CA, as corporate PKIs issue them: the
    /// receiver trusts only the root, so the client has to send the intermediate with its certificate. Only the first
    /// certificate of the PEM file was loaded and sent, and the receiver refused the connection ("signer not found").
    /// A certificate the root signed itself, its key in the same PEM file, is still sent alone.
    /// </summary>
    [SkippableTheory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task A_client_certificate_is_sent_with_the_intermediate_CAs_of_its_file(bool pkcs12, bool viaIntermediate)
    {
        using var server = new RsyslogServer(requireClientCertificate: true);
        using var root = X509Certificate2.CreateFromPemFile(server.CertificateFile, server.KeyFile);
        using var intermediateKey = RSA.Create(2048);
        var intermediateRequest = new CertificateRequest("CN=ZertForwarder test intermediate CA", intermediateKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var intermediatePublic = intermediateRequest.Create(root, root.NotBefore, root.NotAfter, [1, 2, 3]);
        using var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);
        using var clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest("CN=zertforwarder", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var clientPublic = clientRequest.Create(viaIntermediate ? intermediate : root, root.NotBefore, root.NotAfter, [4, 5, 6]);
        using var client = clientPublic.CopyWithPrivateKey(clientKey);

        var options = new SyslogSinkOptions
        {
            Host = "127.0.0.1",
            Port = server.TlsPort,
            Protocol = SyslogProtocol.Tls,
            CaFile = server.CertificateFile,
        };
        if (pkcs12)
        {
            options.ClientCertificateFile = Path.Combine(server.Directory, "client.p12");
            File.WriteAllBytes(options.ClientCertificateFile, new X509Certificate2Collection { client, intermediatePublic }.Export(X509ContentType.Pkcs12)!);
        }
        else if (!viaIntermediate)
        {
            options.ClientCertificateFile = Path.Combine(server.Directory, "client-with-key.pem");
            File.WriteAllText(options.ClientCertificateFile, client.ExportCertificatePem() + "\n" + clientKey.ExportPkcs8PrivateKeyPem() + "\n");
        }
        else
        {
            options.ClientCertificateFile = Path.Combine(server.Directory, "client-chain.pem");
            options.ClientKeyFile = Path.Combine(server.Directory, "client-key.pem");
            File.WriteAllText(options.ClientCertificateFile, client.ExportCertificatePem() + "\n" + intermediatePublic.ExportCertificatePem() + "\n");
            File.WriteAllText(options.ClientKeyFile, clientKey.ExportPkcs8PrivateKeyPem());
        }

        var outcome = await SendOneAsync(options, 3);

        Assert.True(outcome[0] == ItemOutcome.Delivered, $"{outcome[0]} {outcome.Reason(0)}");
        var lines = await server.WaitForAsync(l => l.Count >= 1);
        Assert.Equal([LeefOf(3)], lines.Select(l => l[(l.IndexOf(" - LEEF:", StringComparison.Ordinal) + 3)..]));
    }
}
