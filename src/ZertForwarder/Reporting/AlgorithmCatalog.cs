using System.Text.Json;

namespace ZertForwarder.Reporting;

/// <summary>CycloneDX algorithm properties of one algorithm (from <c>mappings/cbom/algorithms.json</c>).</summary>
internal sealed record AlgorithmInfo(string Name, string Primitive, string? ParameterSet, string? Mode, IReadOnlyList<string> Functions, int? ClassicalLevel, int? QuantumLevel);

/// <summary>
/// The algorithm table behind the CBOM's quantum security levels: exact names, aliases for the spellings zERT and
/// IANA use, and name families (SSH key exchange methods, IKE groups, certificate signature methods). Data, not code,
/// so a level can be corrected or a new name added without a rebuild; the file cites its sources.
/// </summary>
internal sealed class AlgorithmCatalog
{
    private readonly Dictionary<string, AlgorithmInfo> _algorithms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly List<(string Prefix, string Primitive, int? Level)> _families = [];

    public static AlgorithmCatalog Load(string path)
    {
        try
        {
            return Read(path);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: not a valid algorithm table: {e.Message}", e);
        }
    }

    private static AlgorithmCatalog Read(string path)
    {
        var catalog = new AlgorithmCatalog();
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        foreach (var a in root.GetProperty("algorithms").EnumerateObject())
        {
            var v = a.Value;
            catalog._algorithms[a.Name] = new AlgorithmInfo(
                a.Name,
                v.GetProperty("primitive").GetString()!,
                ReportRecord.Str(v, "parameterSetIdentifier"),
                ReportRecord.Str(v, "mode"),
                ReportRecord.Strings(v, "cryptoFunctions"),
                v.TryGetProperty("classicalSecurityLevel", out var c) ? c.GetInt32() : null,
                v.TryGetProperty("nistQuantumSecurityLevel", out var q) ? q.GetInt32() : null);
        }
        foreach (var a in root.GetProperty("aliases").EnumerateObject()) catalog._aliases[a.Name] = a.Value.GetString()!;
        foreach (var f in root.GetProperty("families").EnumerateArray())
        {
            catalog._families.Add((f.GetProperty("prefix").GetString()!, f.GetProperty("primitive").GetString()!,
                f.TryGetProperty("nistQuantumSecurityLevel", out var q) ? q.GetInt32() : null));
        }
        return catalog;
    }

    /// <summary>The algorithm by name, alias or family; an unknown name comes back with primitive <c>unknown</c> and no level.</summary>
    public AlgorithmInfo Lookup(string name)
    {
        if (_aliases.TryGetValue(name, out var canonical)) name = canonical;
        if (_algorithms.TryGetValue(name, out var info)) return info;
        foreach (var (prefix, primitive, level) in _families)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal)) return new AlgorithmInfo(name, primitive, null, null, [], null, level);
        }
        return new AlgorithmInfo(name, "unknown", null, null, [], null, null);
    }

    /// <summary>A certificate's or host key's public key: every kind zERT names (V.15: RSA, DSA, DH, EC) is level 0.</summary>
    /// <remarks>
    /// A key whose size the record does not give is named by its family alone ("RSA", "DH"), which is also the name of
    /// a table algorithm (RSA key transport, DH key agreement): it takes the table's entry, so the CBOM has one
    /// algorithm asset of that name with the same properties whichever session named it first.
    /// </remarks>
    public AlgorithmInfo PublicKey(string keyAlgorithm, int size)
    {
        var family = keyAlgorithm.Replace("_CERT", "", StringComparison.Ordinal).Replace("RSA1", "RSA", StringComparison.Ordinal);
        var (name, primitive) = family switch
        {
            "RSA" => ("RSA", "pke"),
            "EC" => ("ECDSA", "signature"),
            "DSA" => ("DSA", "signature"),
            "DH" => ("DH", "key-agree"),
            _ => (family, "unknown"),
        };
        var parameter = size > 0 ? size.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        if (parameter is null && _algorithms.TryGetValue(name, out var known)) return known;
        return new AlgorithmInfo(parameter is null ? name : $"{name}-{parameter}", primitive, parameter, null, [], null, primitive == "unknown" ? null : 0);
    }

    /// <summary>
    /// The algorithms an IANA TLS cipher suite names: <c>TLS_{kx}_{auth}_WITH_{cipher}_{hash}</c> before TLS 1.3,
    /// <c>TLS_{aead}_{hash}</c> in TLS 1.3 (RFC 8446 §B.4, where key exchange is not part of the suite and zERT does
    /// not record the group). The hash of an AEAD suite is the PRF/HKDF hash; otherwise it is the record MAC (HMAC).
    /// </summary>
    public IReadOnlyList<AlgorithmInfo> CipherSuite(string suite)
    {
        var result = new List<AlgorithmInfo>();
        var body = suite.StartsWith("TLS_", StringComparison.Ordinal) || suite.StartsWith("SSL_", StringComparison.Ordinal) ? suite[4..] : suite;
        var with = body.IndexOf("_WITH_", StringComparison.Ordinal);
        if (with >= 0)
        {
            var kx = body[..with];
            body = body[(with + 6)..];
            if (kx is "RSA" or "RSA_EXPORT") result.Add(Lookup(kx));
            else
            {
                var parts = kx.Split('_');
                result.Add(Lookup(parts[0]));
                if (parts.Length > 1)
                {
                    var auth = parts[1] switch { "RSA" => "RSASSA-PKCS1-v1_5", "ECDSA" => "ECDSA", "DSS" => "DSA", _ => null };
                    if (auth is not null) result.Add(Lookup(auth));
                }
            }
        }
        var last = body.LastIndexOf('_');
        var hash = last > 0 ? body[(last + 1)..] : "";
        var endsWithHash = hash is "SHA" or "SHA256" or "SHA384" or "MD5";
        var cipher = endsWithHash ? body[..last] : body;
        if (!endsWithHash) hash = "";
        var aead = cipher.EndsWith("GCM", StringComparison.Ordinal) || cipher.Contains("CCM", StringComparison.Ordinal) || cipher.EndsWith("POLY1305", StringComparison.Ordinal);
        result.Add(Lookup(cipher));
        var mac = (hash, aead) switch
        {
            ("SHA256", true) => "SHA-256",
            ("SHA384", true) => "SHA-384",
            ("SHA", _) => "HMAC-SHA1",
            ("SHA256", false) => "HMAC-SHA256",
            ("SHA384", false) => "HMAC-SHA384",
            ("MD5", _) => "HMAC-MD5",
            _ => null,
        };
        if (mac is not null) result.Add(Lookup(mac));
        return result;
    }
}
