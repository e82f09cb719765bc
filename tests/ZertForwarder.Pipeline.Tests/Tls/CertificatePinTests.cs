using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZertForwarder.TestKit;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Pipeline.Tests.Tls;

/// <summary>
/// A pinned certificate fingerprint (Outputs:Elasticsearch:CertificateFingerprint), judged as the TLS callback sees a
/// server that is not trusted otherwise: the chain holds the certificates the server sent. Elasticsearch prints its HTTP
/// CA's fingerprint, and sends that CA along with its own certificate; so can anyone, since a CA certificate is
/// public. Only a server certificate the pinned CA signed (or the pinned certificate itself) may pass.
/// </summary>
public sealed class CertificatePinTests
{
    private static CertificateRefusal Judge(X509Certificate2 serverCertificate, X509Certificate2 sentAlong, X509Certificate2 pinned)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.Add(sentAlong); // what SslStream hands the callback: the certificates the server sent
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.False(chain.Build(serverCertificate), "the test CA must not be trusted by the machine");
        return ServerCertificateTrust.Check(serverCertificate, chain, SslPolicyErrors.RemoteCertificateChainErrors, trustedRoots: null,
            pinnedSha256: SHA256.HashData(pinned.RawData));
    }

    [Fact]
    public void A_pinned_CA_trusts_the_certificates_it_signed()
    {
        using var certificates = new TestCertificates();
        Assert.Equal(CertificateRefusal.None, Judge(certificates.Server, certificates.Authority, pinned: certificates.Authority));
    }

    [Fact]
    public void A_pinned_server_certificate_is_trusted_as_it_is()
    {
        using var certificates = new TestCertificates();
        Assert.Equal(CertificateRefusal.None, Judge(certificates.Server, certificates.Authority, pinned: certificates.Server));
    }

    [Fact]
    public void A_self_signed_certificate_for_the_right_name_that_sends_the_pinned_CA_along_is_refused()
    {
        using var certificates = new TestCertificates();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var impostor = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal(CertificateRefusal.Untrusted, Judge(impostor, certificates.Authority, pinned: certificates.Authority));
    }

    [Fact]
    public void A_certificate_signed_by_another_CA_is_refused_whatever_is_sent_along()
    {
        using var pinnedCa = new TestCertificates();
        using var otherCa = new TestCertificates();
        Assert.Equal(CertificateRefusal.Untrusted, Judge(otherCa.Server, pinnedCa.Authority, pinned: pinnedCa.Authority));
    }
}
