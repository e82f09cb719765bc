using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZertForwarder.TestKit;

/// <summary>A private CA and a server certificate for 127.0.0.1 signed by it, made fresh per test run.</summary>
public sealed class TestCertificates : IDisposable
{
    /// <param name="serverDnsName">DNS name of the server certificate; with a name other than localhost the certificate
    /// does not list 127.0.0.1 either, so connecting by address is a host name mismatch.</param>
    /// <param name="serverUsageOid">The server certificate's one extended key usage: serverAuth, or e.g. clientAuth
    /// (1.3.6.1.5.5.7.3.2) for a certificate of the CA that is not meant for a server.</param>
    public TestCertificates(string serverDnsName = "localhost", string serverUsageOid = "1.3.6.1.5.5.7.3.1")
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=ZertForwarder Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        Authority = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest($"CN={serverDnsName}", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        if (serverDnsName == "localhost")
        {
            names.AddIpAddress(IPAddress.Loopback);
        }

        names.AddDnsName(serverDnsName);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverUsageOid)], false));
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var signed = serverRequest.Create(Authority, now.AddHours(-1), now.AddDays(1), [1, 2, 3, 4, 5, 6, 7, 8]);
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        Server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Server { get; }

    /// <summary>Writes the CA certificate (public part only) as PEM.</summary>
    public string WriteAuthorityPem(string directory)
    {
        var path = Path.Combine(directory, "ca.pem");
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
    }
}
