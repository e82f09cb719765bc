using System.Globalization;

namespace ZertForwarder.Reporting;

/// <summary>
/// One security session: a protocol layer (TLS, SSH, IPsec or none) between one server endpoint and one client with
/// the same significant crypto attributes, as zERT aggregates them for 119-12 (layout §3: "session key: server IP +
/// server port(s) + client IP + the significant crypto attributes"). 119-11 and 119-12 records of the same session
/// land on the same row, so a session appears once whichever subtypes were recorded.
/// </summary>
internal sealed class SessionRow(string key)
{
    private static readonly string[] Levels = ["strong", "acceptable", "weak", "cleartext"];

    public string Key { get; } = key;
    public string Sysplex { get; private set; } = "";
    public string System { get; private set; } = "";
    public string Stack { get; private set; } = "";
    public string Job { get; private set; } = "";
    public string Role { get; private set; } = "";
    public string Protocol { get; private set; } = "";
    public string Version { get; private set; } = "";
    public string ServerIp { get; private set; } = "";
    public string ServerPort { get; private set; } = "";
    public string ClientIp { get; private set; } = "";
    public string? CipherSuite { get; private set; }
    public string? CipherCode { get; private set; }
    public string? KeyExchange { get; private set; }
    public string? Encryption { get; private set; }
    public string? Mac { get; private set; }
    private readonly CertificateHistory _serverCertificates = new();
    private readonly CertificateHistory _clientCertificates = new();

    /// <summary>The server's certificate (or SSH host key) last seen (the CSV columns).</summary>
    public CertificateFacts? ServerCertificate => _serverCertificates.Current;

    public CertificateFacts? ClientCertificate => _clientCertificates.Current;

    /// <summary>Every server certificate the session showed (a renewal during the report gives two).</summary>
    public IReadOnlyList<CertificateFacts> ServerCertificates => _serverCertificates.All;

    public IReadOnlyList<CertificateFacts> ClientCertificates => _clientCertificates.All;
    public string Level { get; private set; } = "";
    public SortedSet<string> Reasons { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> Profiles { get; } = new(StringComparer.Ordinal);
    public bool? Compliant { get; private set; }
    public bool? QuantumSafe { get; private set; }
    public SortedSet<string> QuantumVulnerable { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> SummarySessionIds { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// An IPsec session's IKE SA algorithms, by suite name (for the CBOM): DH group, encryption, integrity and PRF
    /// (layout §3.4). They are not the tunnel's (the session's key exchange, encryption and MAC), and not part of
    /// the session key, so every combination the session's records showed is kept.
    /// </summary>
    public SortedDictionary<string, IReadOnlyList<string>> IkeSuites { get; } = new(StringComparer.Ordinal);
    public Counts Counts { get; } = new();

    /// <summary>The session's key: its endpoints and job, and the significant attributes with the server certificate's subject.</summary>
    public static string KeyOf(ReportRecord r, string layer, EndpointRole role)
    {
        var (version, attributes, subject) = Attributes(r, layer, role);
        return string.Join('|', r.StackKey, layer, r.Job, role.Kind, role.ServerIp, role.ClientIp, role.LocalIp, role.ForeignIp, role.PortText, version, attributes, subject);
    }

    private static (string Version, string Attributes, string Subject) Attributes(ReportRecord r, string layer, EndpointRole role) => layer switch
    {
        // The 119-12 TLS section's significant attributes (layout §3.2): the suite and IBM's encryption, MAC and key
        // exchange codes. With one of them left out, records that differ in it were one session whose columns were the
        // first record's.
        "tls" when r.Tls is { } t => (t.Version, $"{t.CipherCode ?? t.Cipher}/{t.KeyExchange}/{t.Encryption}/{t.Mac}", t.Server?.Subject ?? ""),
        "ssh" when r.Ssh is { } s => (s.Version, $"{s.KeyExchange}/{s.Encryption}/{s.Mac}/{s.ServerKeyType}{s.ServerKeySize}", s.Server?.Subject ?? ""),
        "ipsec" when r.Ipsec is { } i => (i.Version, $"{i.Protocol}/{i.Mode}/{i.Encryption}/{i.Integrity}/{i.DhGroup}", IpsecCertificates(i, role).Server?.Subject ?? ""),
        _ => ("", "", ""),
    };

    /// <summary>
    /// The IKE certificates as server's and client's. TLS and SSH name them by role (DN types 5-12), IPsec by side:
    /// local and remote (layout §2.5 and §3.4 <c>LclCert</c> / <c>RmtCert</c>, DN types 1-4). z/OS's own is the
    /// server's where z/OS serves; where it is the client or an Enterprise Extender peer (whose "server" is the foreign
    /// end) the remote one is.
    /// </summary>
    private static (CertificateFacts? Server, CertificateFacts? Client) IpsecCertificates(IpsecFacts i, EndpointRole role) =>
        role.Kind == EndpointKind.Server ? (i.Local, i.Remote) : (i.Remote, i.Local);

    public void Add(in Contribution c, ReportRecord r, string layer, EndpointRole role)
    {
        if (Counts.Records11 + Counts.Records12 == 0)
        {
            Sysplex = r.Sysplex;
            System = r.System;
            Stack = r.Stack;
            Job = r.Job;
            Protocol = layer;
            Role = role.Kind switch { EndpointKind.Server => "server", EndpointKind.Client => "client", _ => "peer" };
            ServerIp = role.Kind == EndpointKind.Server ? role.ServerIp : role.ForeignIp;
            ClientIp = role.Kind == EndpointKind.Server ? role.ClientIp : role.LocalIp;
            ServerPort = role.PortText;
            Version = Attributes(r, layer, role).Version;
        }
        Counts.Add(c, ClientIp);
        switch (layer)
        {
            case "tls" when r.Tls is { } t:
                CipherSuite ??= t.Cipher;
                CipherCode ??= t.CipherCode;
                KeyExchange ??= t.KeyExchange;
                Encryption ??= t.Encryption;
                Mac ??= t.Mac;
                _serverCertificates.Add(t.Server, r.Time);
                _clientCertificates.Add(t.Client, r.Time);
                break;
            case "ssh" when r.Ssh is { } s:
                KeyExchange ??= s.KeyExchange;
                Encryption ??= s.Encryption;
                Mac ??= s.Mac;
                _serverCertificates.Add(s.Server ?? (s.ServerKeyType is null ? null : new CertificateFacts(null, null, null, null, s.ServerKeyType, s.ServerKeySize, null)), r.Time);
                _clientCertificates.Add(s.Client, r.Time);
                break;
            case "ipsec" when r.Ipsec is { } i:
                KeyExchange ??= i.DhGroup;
                Encryption ??= i.Encryption;
                Mac ??= i.Integrity;
                AddIkeSuite(i);
                var (server, client) = IpsecCertificates(i, role);
                _serverCertificates.Add(server, r.Time);
                _clientCertificates.Add(client, r.Time);
                break;
        }
        // The session's verdict is its worst record's (a renegotiation or an expiring certificate makes it worse).
        if (Array.IndexOf(Levels, r.Level) > Array.IndexOf(Levels, Level)) Level = r.Level;
        foreach (var reason in r.Reasons) Reasons.Add(reason);
        if (r.Profile is { } p) Profiles.Add(p);
        if (r.Compliant is { } compliant) Compliant = (Compliant ?? true) && compliant;
        // Cleartext has no crypto to call quantum-safe or not: its sessions leave the verdict empty.
        if (!r.IsCleartext) QuantumSafe = (QuantumSafe ?? true) && !Quantum.IsVulnerable(r);
        foreach (var v in Quantum.VulnerableParts(r)) QuantumVulnerable.Add(v);
        if (r.SummarySessionId is { } id) SummarySessionIds.Add(id);
    }

    private void AddIkeSuite(IpsecFacts i)
    {
        // The PRF is labelled: in IKEv1 it is often the integrity algorithm again.
        (string? Name, string Label)[] parts = [(i.IkeDhGroup, ""), (i.IkeEncryption, ""), (i.IkeIntegrity, ""), (i.Prf, "PRF ")];
        var named = parts.Where(p => p.Name is { Length: > 0 } and not "none").ToList();
        if (named.Count == 0) return;
        IkeSuites.TryAdd($"IKE {string.Join(" / ", named.Select(p => p.Label + p.Name))}", [.. named.Select(p => p.Name!)]);
    }

    public static readonly string[] Header =
    [
        "sysplex", "system", "stack", "job", "role", "protocol", "version", "server_ip", "server_port", "client_ip",
        "cipher_suite", "cipher_code", "key_exchange", "encryption", "mac",
        "server_cert_subject", "server_cert_issuer", "server_cert_serial", "server_cert_not_after", "server_cert_key_algorithm", "server_cert_key_size", "server_cert_signature_algorithm",
        "client_cert_subject", "client_cert_issuer", "client_cert_serial", "client_cert_not_after",
        "assessment_level", "assessment_reasons", "profile", "compliant", "quantum_safe", "quantum_vulnerable",
        "connections", "bytes_in", "bytes_out", "counted_from", "records_119_11", "records_119_12", "summary_session_ids", "first_seen", "last_seen",
    ];

    public string[] Fields()
    {
        var s = ServerCertificate;
        var c = ClientCertificate;
        return
        [
            Sysplex, System, Stack, Job, Role, Protocol, Version, ServerIp, ServerPort, ClientIp,
            CipherSuite ?? "", CipherCode ?? "", KeyExchange ?? "", Encryption ?? "", Mac ?? "",
            s?.Subject ?? "", s?.Issuer ?? "", s?.Serial ?? "", s?.NotAfter ?? "", s?.KeyAlgorithm ?? "", s is { KeySize: > 0 } ? s.KeySize.ToString(CultureInfo.InvariantCulture) : "", s?.SignatureAlgorithm ?? "",
            c?.Subject ?? "", c?.Issuer ?? "", c?.Serial ?? "", c?.NotAfter ?? "",
            Level, string.Join(';', Reasons), string.Join(';', Profiles), Bool(Compliant), Bool(QuantumSafe), string.Join(';', QuantumVulnerable),
            Counts.N(Counts.Connections), Counts.N(Counts.BytesIn), Counts.N(Counts.BytesOut), Counts.CountedFrom, Counts.N(Counts.Records11), Counts.N(Counts.Records12),
            string.Join(';', SummarySessionIds), Counts.Time(Counts.FirstSeen), Counts.Time(Counts.LastSeen),
        ];
    }

    private static string Bool(bool? b) => b switch { true => "true", false => "false", _ => "" };
}

/// <summary>
/// Quantum verdicts. The assessment's own fields win (<c>zos.zert.assessment.quantum_safe</c> and
/// <c>quantum_vulnerable</c>); without them a protected record counts as quantum-vulnerable, because every key
/// establishment and certificate signature zERT can record (RSA, DH, ECDH, DSA, ECDSA: tables V.7, V.12, V.15) is
/// broken by a cryptographically relevant quantum computer (NIST IR 8547). Cleartext has no crypto to judge.
/// </summary>
internal static class Quantum
{
    public static bool IsVulnerable(ReportRecord r)
    {
        if (r.IsCleartext) return false;
        if (r.QuantumVulnerable.Count > 0) return true;
        if (r.QuantumSafe is { } safe) return !safe;
        return !r.IsCleartext;
    }

    public static IEnumerable<string> VulnerableParts(ReportRecord r)
    {
        if (r.QuantumVulnerable.Count > 0 || r.QuantumSafe is not null) return r.QuantumVulnerable;
        if (r.IsCleartext) return [];
        var parts = new List<string>();
        if (r.Tls is { } t)
        {
            if (t.KeyExchange is { Length: > 0 } k) parts.Add($"key_exchange:{k}");
            if (t.Server?.KeyAlgorithm is { } a) parts.Add($"certificate_key:{a}");
        }
        if (r.Ssh is { } s && s.KeyExchange is { } sk) parts.Add($"key_exchange:{sk}");
        if (r.Ipsec is { } i && i.DhGroup is { } g) parts.Add($"key_exchange:{g}");
        return parts;
    }
}
