using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZertForwarder.Reporting;

/// <summary>
/// <c>cbom.cdx.json</c>: a CycloneDX 1.6 Cryptography Bill of Materials of what the records show in use. Protocol
/// assets (TLS/SSH/IPsec per version, with the observed cipher suites and their IANA code points), algorithm assets
/// (primitive, parameter set, mode, classical and NIST quantum security level from <see cref="AlgorithmCatalog"/>),
/// certificate assets with their public keys, and one service per z/OS server endpoint and job (and per job using
/// a foreign server), linked to the assets it uses through <c>dependencies</c>.
/// Deterministic: assets are ordered by bom-ref, the metadata timestamp is the newest record's time and the serial
/// number is a UUID derived from the SHA-256 of the content and metadata, so the same records give the same bytes.
/// </summary>
internal static class Cbom
{
    public static void Write(Report report, AlgorithmCatalog catalog, string path)
    {
        var json = Build(report, catalog).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(path, json + "\n", new UTF8Encoding(false));
    }

    public static JsonObject Build(Report report, AlgorithmCatalog catalog)
    {
        var components = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var services = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var uses = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var suites = new Dictionary<string, SortedDictionary<string, JsonObject>>(StringComparer.Ordinal);
        var protocolAlgorithms = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);

        string Algorithm(AlgorithmInfo a)
        {
            var reference = $"crypto/algorithm/{a.Name}";
            if (components.ContainsKey(reference)) return reference;
            var properties = new JsonObject { ["primitive"] = a.Primitive };
            if (a.ParameterSet is { } p) properties["parameterSetIdentifier"] = p;
            if (a.Mode is { } m) properties["mode"] = m;
            if (a.Functions.Count > 0) properties["cryptoFunctions"] = new JsonArray([.. a.Functions.Select(f => (JsonNode)f)]);
            if (a.ClassicalLevel is { } c) properties["classicalSecurityLevel"] = c;
            if (a.QuantumLevel is { } q) properties["nistQuantumSecurityLevel"] = q;
            components[reference] = Asset(reference, a.Name, new JsonObject { ["assetType"] = "algorithm", ["algorithmProperties"] = properties });
            return reference;
        }

        string Protocol(string type, string version)
        {
            var reference = $"crypto/protocol/{type}/{version}";
            if (!components.ContainsKey(reference))
            {
                components[reference] = Asset(reference, $"{type.ToUpperInvariant()} {version}".TrimEnd(),
                    new JsonObject { ["assetType"] = "protocol", ["protocolProperties"] = new JsonObject { ["type"] = type, ["version"] = version } });
                suites[reference] = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
                protocolAlgorithms[reference] = new SortedSet<string>(StringComparer.Ordinal);
            }
            return reference;
        }

        void Suite(string protocol, string name, IEnumerable<string> algorithms, string? code)
        {
            var refs = algorithms.Distinct().Order(StringComparer.Ordinal).ToList();
            foreach (var r in refs) protocolAlgorithms[protocol].Add(r);
            if (suites[protocol].ContainsKey(name)) return;
            var suite = new JsonObject { ["name"] = name, ["algorithms"] = new JsonArray([.. refs.Select(r => (JsonNode)r)]) };
            if (code is { Length: >= 4 } && code.Length % 2 == 0 && code.All(Uri.IsHexDigit))
            {
                suite["identifiers"] = new JsonArray([.. Enumerable.Range(0, code.Length / 2).Select(i => (JsonNode)$"0x{code.Substring(i * 2, 2).ToUpperInvariant()}")]);
            }
            suites[protocol][name] = suite;
        }

        string? Certificate(CertificateFacts? cert)
        {
            if (cert is null || (cert.Subject is null && cert.Serial is null)) return null;
            var identity = $"{cert.Issuer}|{cert.Serial}|{cert.Subject}|{cert.NotAfter}";
            var reference = $"crypto/certificate/{Hash(identity)[..16]}";
            if (components.ContainsKey(reference)) return reference;
            var properties = new JsonObject();
            if (cert.Subject is { } s) properties["subjectName"] = s;
            if (cert.Issuer is { } i) properties["issuerName"] = i;
            if (cert.NotAfter is { } n) properties["notValidAfter"] = n;
            if (cert.SignatureAlgorithm is { } sig) properties["signatureAlgorithmRef"] = Algorithm(catalog.Lookup(sig));
            if (PublicKey(cert) is { } key) properties["subjectPublicKeyRef"] = key;
            properties["certificateFormat"] = "X.509";
            var asset = Asset(reference, CommonName(cert.Subject) ?? cert.Serial ?? "certificate", new JsonObject { ["assetType"] = "certificate", ["certificateProperties"] = properties });
            if (cert.Serial is { } serial) asset["properties"] = new JsonArray(Property("zertforwarder:certificate:serial_number", serial));
            components[reference] = asset;
            return reference;
        }

        string? PublicKey(CertificateFacts cert)
        {
            if (cert.KeyAlgorithm is not { } algorithm) return null;
            var info = catalog.PublicKey(algorithm, cert.KeySize);
            var algorithmRef = Algorithm(info);
            var reference = $"crypto/key/{info.Name}";
            if (!components.ContainsKey(reference))
            {
                var material = new JsonObject { ["type"] = "public-key", ["algorithmRef"] = algorithmRef };
                if (cert.KeySize > 0) material["size"] = cert.KeySize;
                components[reference] = Asset(reference, $"{info.Name} public key", new JsonObject { ["assetType"] = "related-crypto-material", ["relatedCryptoMaterialProperties"] = material });
            }
            return reference;
        }

        foreach (var session in report.Sessions)
        {
            if (session.Protocol == "none") continue;
            var used = new List<string>();
            switch (session.Protocol)
            {
                case "tls" when session.Version.Length > 0:
                    var (type, version) = SplitVersion(session.Version);
                    var tls = Protocol(type, version);
                    used.Add(tls);
                    if (session.CipherSuite is { } name)
                    {
                        // SSL 2.0 kinds (SSL_CK_RC4_128_WITH_MD5, ...) do not follow the TLS suite pattern the catalog
                        // parses; their parts come from the code table (mappings/codes), which the session carries.
                        var parts = name.StartsWith("SSL_CK_", StringComparison.Ordinal) && SuiteParts(session) is { Count: > 0 } known
                            ? known.Select(catalog.Lookup)
                            : catalog.CipherSuite(name);
                        Suite(tls, name, parts.Select(Algorithm), session.CipherCode);
                    }
                    break;
                case "ssh":
                    var ssh = Protocol("ssh", session.Version.StartsWith("SSHv", StringComparison.Ordinal) ? session.Version[4..] + ".0" : "unknown");
                    used.Add(ssh);
                    var sshParts = SuiteParts(session);
                    if (sshParts.Count > 0) Suite(ssh, string.Join(" / ", sshParts), sshParts.Select(p => Algorithm(catalog.Lookup(p))), null);
                    break;
                case "ipsec":
                    var ipsec = Protocol("ipsec", session.Version.Length > 0 ? session.Version : "unknown");
                    used.Add(ipsec);
                    var ipsecParts = SuiteParts(session);
                    if (ipsecParts.Count > 0) Suite(ipsec, string.Join(" / ", ipsecParts), ipsecParts.Select(p => Algorithm(catalog.Lookup(p))), null);
                    // The IKE SA's own crypto (its DH group, encryption, integrity and PRF) protects the key exchange: an
                    // IKEv1 SA on HMAC-MD5 must show in the inventory even when the tunnel uses HMAC-SHA1.
                    foreach (var (ikeName, ikeParts) in session.IkeSuites) Suite(ipsec, ikeName, ikeParts.Select(p => Algorithm(catalog.Lookup(p))), null);
                    break;
            }
            // Every certificate the session showed: one renewed during the report is in use too.
            var serverCertificates = session.ServerCertificates.Select(Certificate).OfType<string>().ToList();
            used.AddRange(serverCertificates);
            if (serverCertificates.Count == 0 && session.ServerCertificate is { KeyAlgorithm: not null } hostKey && PublicKey(hostKey) is { } key) used.Add(key);
            used.AddRange(session.ClientCertificates.Select(Certificate).OfType<string>());

            var service = Service(session, services);
            if (!uses.TryGetValue(service, out var set)) uses[service] = set = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var u in used) set.Add(u);
        }

        foreach (var (reference, list) in suites)
        {
            var properties = (JsonObject)components[reference]["cryptoProperties"]!["protocolProperties"]!;
            if (list.Count > 0) properties["cipherSuites"] = new JsonArray([.. list.Values]);
            if (protocolAlgorithms[reference].Count > 0) properties["cryptoRefArray"] = new JsonArray([.. protocolAlgorithms[reference].Select(r => (JsonNode)r)]);
        }

        var body = new JsonObject
        {
            ["components"] = new JsonArray([.. components.Values]),
            ["services"] = new JsonArray([.. services.Values]),
            ["dependencies"] = new JsonArray([.. uses.Select(u => (JsonNode)new JsonObject
            {
                ["ref"] = u.Key,
                ["dependsOn"] = new JsonArray([.. u.Value.Select(v => (JsonNode)v)]),
            })]),
        };
        var metadata = new JsonObject
        {
            ["tools"] = new JsonObject
            {
                ["components"] = new JsonArray(new JsonObject
                {
                    ["type"] = "application",
                    ["name"] = "zertforwarder",
                    ["description"] = "zERT (SMF 119 subtypes 11 and 12) report and crypto inventory",
                }),
            },
            ["properties"] = new JsonArray(
                Property("zertforwarder:records", report.RecordCount.ToString(CultureInfo.InvariantCulture)),
                Property("zertforwarder:source", "IBM z/OS Communications Server zERT records")),
        };
        if (report.Newest is { } newest) metadata["timestamp"] = Counts.Time(newest);
        // The serial number is unique per BOM (CycloneDX 1.6 "serialNumber"): the same assets seen in another period or
        // in more records are another BOM, so the digest covers the metadata (newest record's time, record count) too.
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(body.ToJsonString() + metadata.ToJsonString()));
        var bom = new JsonObject
        {
            ["$schema"] = "http://cyclonedx.org/schema/bom-1.6.schema.json",
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.6",
            ["serialNumber"] = $"urn:uuid:{UuidFrom(digest)}",
            ["version"] = 1,
            ["metadata"] = metadata,
        };
        foreach (var (name, value) in body.ToList())
        {
            body.Remove(name);
            bom[name] = value;
        }
        return bom;
    }

    private static string Service(SessionRow s, SortedDictionary<string, JsonObject> services)
    {
        var host = s.ServerIp.Contains(':', StringComparison.Ordinal) ? $"[{s.ServerIp}]" : s.ServerIp;
        var port = s.ServerPort.Split('-')[0];
        var transport = s.Role == "peer" ? "udp" : "tcp";
        string reference, name;
        if (s.Role == "server")
        {
            reference = $"service/{s.Sysplex}/{s.System}/{s.Stack}/{s.Job}/server/{host}:{s.ServerPort}";
            name = $"{s.Job} on {s.System}/{s.Stack}, serving {host}:{s.ServerPort}";
        }
        else
        {
            reference = $"service/{s.Sysplex}/{s.System}/{s.Stack}/{s.Job}/{s.Role}/{host}:{s.ServerPort}";
            name = $"{s.Job} on {s.System}/{s.Stack}, {(s.Role == "peer" ? "Enterprise Extender peer" : "client")} of {host}:{s.ServerPort}";
        }
        if (!services.ContainsKey(reference))
        {
            services[reference] = new JsonObject
            {
                ["bom-ref"] = reference,
                ["group"] = $"{s.Sysplex}/{s.System}/{s.Stack}",
                ["name"] = name,
                ["endpoints"] = new JsonArray((JsonNode)$"{transport}://{host}:{port}"),
                ["properties"] = new JsonArray(
                    Property("zos:sysplex", s.Sysplex), Property("zos:system", s.System), Property("zos:stack", s.Stack),
                    Property("zos:job", s.Job), Property("zos:role", s.Role)),
            };
        }
        return reference;
    }

    /// <summary>
    /// The named parts of a session's protection: key exchange, encryption, MAC. Encryption "none" (IPsec ESP with
    /// null encryption, an SSH cipher "none") is the NULL algorithm, as in TLS_RSA_WITH_NULL_SHA: integrity-only
    /// traffic must show in the inventory, not look like a session whose cipher is unknown. A key exchange or MAC of
    /// "none" is left out (an AEAD cipher's MAC is implicit).
    /// </summary>
    private static List<string> SuiteParts(SessionRow session)
    {
        var parts = new List<string>(3);
        if (session.KeyExchange is { Length: > 0 } kx && kx != "none") parts.Add(kx);
        if (session.Encryption is { Length: > 0 } encryption) parts.Add(encryption == "none" ? "NULL" : encryption);
        if (session.Mac is { Length: > 0 } mac && mac != "none") parts.Add(mac);
        return parts;
    }

    private static (string Type, string Version) SplitVersion(string version)
    {
        // "TLS 1.2" / "SSL 3.0": CycloneDX has no "ssl" protocol type; SSL is TLS's predecessor, kept by its version.
        var space = version.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? ("tls", version) : version[..space] == "TLS" ? ("tls", version[(space + 1)..]) : ("tls", $"SSL {version[(space + 1)..]}");
    }

    private static JsonObject Asset(string reference, string name, JsonObject cryptoProperties) => new()
    {
        ["type"] = "cryptographic-asset",
        ["bom-ref"] = reference,
        ["name"] = name,
        ["cryptoProperties"] = cryptoProperties,
    };

    private static JsonObject Property(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static string? CommonName(string? dn)
    {
        if (dn is null) return null;
        foreach (var part in dn.Split(','))
        {
            var p = part.Trim();
            if (p.StartsWith("CN=", StringComparison.OrdinalIgnoreCase)) return p[3..];
        }
        return dn;
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>An RFC 9562 version 8 (custom) UUID from the first 16 bytes of a digest.</summary>
    private static string UuidFrom(byte[] digest)
    {
        var b = digest[..16];
        b[6] = (byte)((b[6] & 0x0F) | 0x80);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(b);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
