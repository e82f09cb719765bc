using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZertForwarder.Sinks.Tls;

/// <summary>Why a server certificate was refused; each caller turns it into a message naming its own settings.</summary>
internal enum CertificateRefusal
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>The server sent no certificate.</summary>
    NoCertificate,

    /// <summary>The certificate does not name the host we connected to (RFC 6125).</summary>
    NameMismatch,

    /// <summary>Another policy error than an unknown chain.</summary>
    PolicyError,

    /// <summary>Neither the system nor a configured CA (or pinned fingerprint) vouches for the certificate.</summary>
    Untrusted,
}

/// <summary>
/// The one rule every TLS client of the product follows (syslog, Elasticsearch, Splunk HEC, Kibana, and the
/// explanation of a Kafka broker's refusal): verification is always on. A certificate passes when the system trusts it,
/// when its chain reaches a certificate of the configured private CA file, or when a certificate of its chain has the
/// pinned SHA-256 fingerprint. The host name must match in every case: a private CA or a pin does not excuse a
/// certificate issued for another name.
/// </summary>
internal static class ServerCertificateTrust
{
    /// <summary>Judges a certificate as a <see cref="RemoteCertificateValidationCallback"/> sees it.</summary>
    /// <param name="trustedRoots">The configured CA file's certificates, or null/empty when none is configured.</param>
    /// <param name="pinnedSha256">A pinned SHA-256 fingerprint (Elasticsearch <c>CertificateFingerprint</c>), or null.</param>
    public static CertificateRefusal Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors,
        X509Certificate2Collection? trustedRoots, byte[]? pinnedSha256 = null)
    {
        if (errors == SslPolicyErrors.None) return CertificateRefusal.None;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return CertificateRefusal.NoCertificate;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return CertificateRefusal.NameMismatch;
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return CertificateRefusal.PolicyError;

        using var leaf = new X509Certificate2(certificate);
        // The system's check wants a server certificate; so do a private CA and a pin. A certificate the CA issued for
        // another purpose (a client certificate of the same corporate CA, extended key usage clientAuth only) is refused.
        if (!IsForServers(leaf)) return CertificateRefusal.PolicyError;
        if (pinnedSha256 is not null && HasPinnedCertificate(leaf, chain, pinnedSha256)) return CertificateRefusal.None;
        return trustedRoots is { Count: > 0 } && ChainsTo(leaf, chain?.ChainPolicy.ExtraStore, trustedRoots)
            ? CertificateRefusal.None
            : CertificateRefusal.Untrusted;
    }

    /// <summary>
    /// Whether a certificate may identify a TLS server: no extended key usage extension (any use, RFC 5280 §4.2.1.12),
    /// or one that lists serverAuth (1.3.6.1.5.5.7.3.1) or anyExtendedKeyUsage (2.5.29.37.0).
    /// </summary>
    public static bool IsForServers(X509Certificate2 certificate)
    {
        var usage = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        return usage is null || usage.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value is "1.3.6.1.5.5.7.3.1" or "2.5.29.37.0");
    }

    /// <summary>
    /// The CA certificates of a PEM file (a configured <c>CaFile</c>): the one loader of every TLS client, so an empty or
    /// unreadable file gets the same message wherever it is configured. Throws <see cref="ArgumentException"/> naming
    /// <paramref name="setting"/> and the path.
    /// </summary>
    public static X509Certificate2Collection LoadCaFile(string path, string setting)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ArgumentException($"{setting} '{path}' cannot be read as PEM certificates: {e.Message}", e);
        }

        return roots.Count > 0 ? roots : throw new ArgumentException($"{setting} '{path}' holds no PEM certificate.");
    }

    /// <summary>Whether <paramref name="leaf"/> chains to one of <paramref name="roots"/> (revocation is not checked: private CAs rarely publish it).</summary>
    public static bool ChainsTo(X509Certificate2 leaf, X509Certificate2Collection? intermediates, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (intermediates is not null) chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        try
        {
            return chain.Build(leaf);
        }
        finally
        {
            // The chain's elements are certificate objects of their own (native handles), made at every handshake.
            foreach (var element in chain.ChainElements) element.Certificate.Dispose();
        }
    }

    /// <summary>The DNS names and IP addresses of the subject alternative name extension, else the common name.</summary>
    public static List<string> Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }

        if (names.Count == 0) names.Add(certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        return names;
    }

    /// <summary>
    /// A refusal in words that say what to change, for a client whose settings are a URL or host, a CA file and a way
    /// to name the server (the syslog and Splunk outputs): who sent what, and which setting mends it.
    /// </summary>
    /// <param name="endpoint">The server as messages name it, e.g. <c>https://hec:8088</c> or <c>rsyslog:6514</c>.</param>
    /// <param name="expectedName">The name the certificate had to carry.</param>
    /// <param name="nameMismatchHint">What mends a name mismatch, after <c>(host name mismatch); </c>.</param>
    /// <param name="caFileSetting">The CA file's setting, e.g. <c>Outputs:Syslog:CaFile</c>.</param>
    /// <param name="caFile">The configured CA file, or null when none is.</param>
    public static string Describe(CertificateRefusal refusal, X509Certificate? certificate, SslPolicyErrors errors, string endpoint,
        string expectedName, string nameMismatchHint, string caFileSetting, string? caFile)
    {
        if (refusal == CertificateRefusal.NoCertificate || certificate is null) return $"{endpoint} sent no certificate";
        using var leaf = new X509Certificate2(certificate);
        return refusal switch
        {
            // RFC 6125: the name we connect to must be among the certificate's names; a trusted CA does not excuse that.
            CertificateRefusal.NameMismatch =>
                $"the certificate of {endpoint} is for {QuotedNames(leaf)}, not for '{expectedName}' (host name mismatch); {nameMismatchHint}",
            CertificateRefusal.PolicyError => DescribePolicyError(leaf, errors, endpoint),
            _ when string.IsNullOrWhiteSpace(caFile) =>
                $"the certificate of {endpoint} ({leaf.Subject}, issued by {leaf.Issuer}) is not signed by a CA this system trusts " +
                $"(self-signed or a private CA); set {caFileSetting} to that CA's PEM file",
            _ => $"the certificate of {endpoint} ({leaf.Subject}, issued by {leaf.Issuer}) is signed neither by a CA this system trusts " +
                 $"nor by one in {caFileSetting} '{caFile}'",
        };
    }

    /// <summary>
    /// A <see cref="CertificateRefusal.PolicyError"/> in words, the one wording of every TLS client (Elasticsearch and
    /// Kibana word their other refusals after their own settings): a certificate of the trusted CA that is not for a
    /// server says so, as the bare policy errors would only say the chain was refused.
    /// </summary>
    /// <param name="endpoint">The server as messages name it, e.g. <c>https://es:9200</c>, <c>rsyslog:6514</c> or <c>Kibana</c>.</param>
    public static string DescribePolicyError(X509Certificate2 leaf, SslPolicyErrors errors, string endpoint) => IsForServers(leaf)
        ? $"the certificate of {endpoint} was refused: {errors}"
        : $"the certificate of {endpoint} ({leaf.Subject}, issued by {leaf.Issuer}) is not for a TLS server: its extended key usage lacks serverAuth";

    /// <summary><see cref="Names"/> quoted and joined, for messages: <c>'localhost', '127.0.0.1'</c>.</summary>
    public static string QuotedNames(X509Certificate2 certificate) => string.Join(", ", Names(certificate).Select(n => $"'{n}'"));

    /// <summary>
    /// The server's own certificate has the pinned fingerprint, or the pinned certificate (Elasticsearch prints its
    /// HTTP CA's) is one the server sent and the server's certificate chains to it. Finding the pinned certificate
    /// among those the server sent is not enough on its own: a server sends whatever it likes along with its own
    /// certificate, a public CA certificate included, so a self-signed certificate for the right name with the real
    /// CA appended would pass. The signatures from the leaf up to the pinned certificate are what prove it.
    /// </summary>
    private static bool HasPinnedCertificate(X509Certificate2 leaf, X509Chain? chain, byte[] pinnedSha256)
    {
        bool Pinned(X509Certificate2 c) => SHA256.HashData(c.RawData).AsSpan().SequenceEqual(pinnedSha256);
        if (Pinned(leaf)) return true;
        if (chain is null) return false;
        var pinned = chain.ChainElements.Select(e => e.Certificate).Concat(chain.ChainPolicy.ExtraStore).FirstOrDefault(Pinned);
        return pinned is not null && ChainsTo(leaf, chain.ChainPolicy.ExtraStore, [pinned]);
    }
}
