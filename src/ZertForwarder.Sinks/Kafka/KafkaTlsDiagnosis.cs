using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Sinks.Kafka;

/// <summary>
/// Says why a broker's certificate was refused. librdkafka verifies certificates itself (OpenSSL; on by default, with
/// host name checking, <c>ssl.endpoint.identification.algorithm=https</c>) but reports every refusal as "certificate
/// verify failed: broker certificate could not be verified", whether the CA is unknown or the name does not match.
/// On the first such error per broker this connects once more with .NET's TLS client, looks at the certificate the
/// broker presents with the same rules (system trust plus <c>SslCaLocation</c>; the name connected to must be in the
/// certificate, RFC 6125; a server certificate, extended key usage serverAuth), and logs the reason in words. It never accepts anything: librdkafka's verdict stands.
/// </summary>
internal sealed partial class KafkaTlsDiagnosis(KafkaConnectionOptions options, IPipelineLog log, string component)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, byte> _diagnosed = new(StringComparer.Ordinal);

    /// <summary>Starts a diagnosis when <paramref name="error"/> is librdkafka refusing a broker certificate (once per broker).</summary>
    public void OnError(Error error)
    {
        if (error.Code != ErrorCode.Local_Ssl || !error.Reason.Contains("certificate verify failed", StringComparison.Ordinal)) return;
        var broker = BrokerAddress().Match(error.Reason);
        if (!broker.Success || !_diagnosed.TryAdd(broker.Value, 0)) return;
        var host = broker.Groups["host"].Value.Trim('[', ']');
        var port = int.Parse(broker.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        _ = Task.Run(async () =>
        {
            var reason = await ExplainAsync(host, port, CancellationToken.None);
            if (reason is not null) log.Log(PipelineLogLevel.Error, component, $"TLS to broker {host}:{port} refused: {reason}");
        });
    }

    /// <summary>Why the certificate of <paramref name="host"/>:<paramref name="port"/> is not acceptable; null when .NET finds no fault or cannot connect.</summary>
    public async Task<string?> ExplainAsync(string host, int port, CancellationToken cancellationToken)
    {
        X509Certificate2? presented = null;
        var errors = SslPolicyErrors.None;
        var chainExtras = new X509Certificate2Collection();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, timeout.Token);
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = (_, certificate, chain, policyErrors) =>
                {
                    presented = certificate is null ? null : new X509Certificate2(certificate);
                    errors = policyErrors;
                    if (chain is not null) chainExtras.AddRange(chain.ChainPolicy.ExtraStore);
                    return false; // a look only: this connection is never used
                },
            }, timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // Expected: the callback refuses. A broker that cannot be reached leaves librdkafka's message as it is.
        }

        using (presented)
        {
            if (presented is null) return null;
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return $"its certificate is for {ServerCertificateTrust.QuotedNames(presented)}, not for '{host}' (host name mismatch); clients must reach every broker by a " +
                    "name its certificate carries (bootstrap servers and the brokers' advertised listeners)";
            }

            // OpenSSL checks the purpose too (sslserver): a certificate of the configured CA without serverAuth fails
            // with the same "certificate verify failed", and chains to SslCaLocation, so it is named first.
            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0 && !ServerCertificateTrust.IsForServers(presented))
            {
                return ServerCertificateTrust.DescribePolicyError(presented, errors, "the broker");
            }

            if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0 && !ChainsToConfiguredCa(presented, chainExtras))
            {
                return string.IsNullOrWhiteSpace(options.SslCaLocation)
                    ? $"its certificate ({presented.Subject}, issued by {presented.Issuer}) is not signed by a CA this system trusts; set SslCaLocation to the PEM file of the brokers' CA"
                    : $"its certificate ({presented.Subject}, issued by {presented.Issuer}) is signed neither by a CA this system trusts nor by one in SslCaLocation '{options.SslCaLocation}'";
            }

            return null;
        }
    }

    private bool ChainsToConfiguredCa(X509Certificate2 certificate, X509Certificate2Collection extras)
    {
        if (string.IsNullOrWhiteSpace(options.SslCaLocation) || !File.Exists(options.SslCaLocation)) return false;
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(options.SslCaLocation);
        return ServerCertificateTrust.ChainsTo(certificate, extras, roots);
    }

    /// <summary>The broker in librdkafka's message: <c>ssl://host:port/id</c> or <c>sasl_ssl://[v6]:port/id</c>.</summary>
    [GeneratedRegex(@"(?:sasl_)?ssl://(?<host>\[[^\]]+\]|[^:/\s]+):(?<port>\d+)")]
    private static partial Regex BrokerAddress();
}
