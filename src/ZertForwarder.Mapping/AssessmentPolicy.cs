using System.Collections.Concurrent;
using Newtonsoft.Json.Linq;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>Assessment levels, best first (output contract §3).</summary>
internal enum AssessmentLevel : byte
{
    Strong,
    Acceptable,
    Weak,
    Cleartext,
}

/// <summary>
/// The crypto assessment policy from <c>mappings/assessment/policy.json</c> (output contract §3: what is weak, the
/// thresholds and risk scores are a file the user edits, not code). Reasons are kept as a bit set in the order the
/// policy declares them, so a document's reason list is stable.
/// </summary>
internal sealed class AssessmentPolicy
{
    public static readonly string[] LevelNames = ["strong", "acceptable", "weak", "cleartext"];

    private readonly ConcurrentDictionary<ulong, string[]> _reasonLists = new();
    private readonly ConcurrentDictionary<ulong, EncodedList> _encodedReasonLists = new();

    public required string[] Reasons { get; init; }
    public required AssessmentLevel[] ReasonLevels { get; init; }
    public required int[] ReasonScores { get; init; }
    public required int[] LevelScores { get; init; }
    public required AssessmentLevel ConfigurationEventLevel { get; init; }
    public required Dictionary<string, ulong> Protocols { get; init; }
    public required (string Marker, ulong Reasons)[] SuiteMarkers { get; init; }
    public required Dictionary<string, ulong> EncryptionAlgorithms { get; init; }
    public required Dictionary<string, (int Bits, ulong Reason)> MinimumKeyBits { get; init; }
    public required Dictionary<string, ulong> SignatureMethods { get; init; }
    public required Dictionary<string, ulong> DigestAlgorithms { get; init; }
    public required int ExpiryWarningDays { get; init; }
    public required ulong ExpiringReason { get; init; }
    public required ulong ExpiredReason { get; init; }
    public required ulong FailedHandshakeReason { get; init; }
    public required ulong CleartextReason { get; init; }

    /// <summary>
    /// Reasons for a TLS protocol version or cipher suite code that no table names (optional; 0 when the file gives
    /// none): what is not known cannot be judged strong.
    /// </summary>
    public required ulong UnknownProtocolReason { get; init; }
    public required ulong UnknownCipherSuiteReason { get; init; }

    /// <summary>Suite reasons a TLS connection does not earn when it records encrypt-then-MAC (optional; e.g. CBC mode).</summary>
    public required ulong EncryptThenMacExempt { get; init; }

    /// <summary>The profile name written as <c>zos.zert.assessment.profile</c> (<c>default</c> for policy.json).</summary>
    public required string ProfileName { get; init; }
    public byte[] ProfileNameUtf8 => _profileNameUtf8 ??= System.Text.Encoding.UTF8.GetBytes(ProfileName);
    private byte[]? _profileNameUtf8;

    /// <summary>Where each reason comes from in the standard (profiles only; empty strings for the default policy).</summary>
    public required string[] ReasonCitations { get; init; }

    /// <summary>TLS key exchange names (IBM's, or derived from the suite name: RSA, ECDHE_RSA, DH_DSS, ...).</summary>
    public required Dictionary<string, ulong> KeyExchangeAlgorithms { get; init; }

    /// <summary>MAC names of TLS (derived), SSH (inbound and outbound) and IPsec.</summary>
    public required Dictionary<string, ulong> MacAlgorithms { get; init; }

    /// <summary>SSH key exchange method names (table V.18).</summary>
    public required Dictionary<string, ulong> SshKeyExchange { get; init; }

    /// <summary>IKE / PFS Diffie-Hellman group names (table V.20).</summary>
    public required Dictionary<string, ulong> DhGroups { get; init; }

    /// <summary>IKE major versions ("1", "2").</summary>
    public required Dictionary<string, ulong> IkeMajorVersions { get; init; }

    /// <summary>
    /// Substrings (upper case) that mark an algorithm name as post-quantum or hybrid (ML-KEM, sntrup761, ...): only
    /// such names make a part quantum-safe; every other key establishment or authentication algorithm is vulnerable.
    /// </summary>
    public required string[] PostQuantumMarkers { get; init; }

    /// <summary>The reason codes of a bit set, in policy order; cached, since few combinations occur.</summary>
    public string[] ReasonList(ulong bits) => bits == 0 ? [] : _reasonLists.GetOrAdd(bits, b =>
    {
        var list = new List<string>();
        for (var i = 0; i < Reasons.Length; i++) if ((b & (1UL << i)) != 0) list.Add(Reasons[i]);
        return [.. list];
    });

    /// <summary><see cref="ReasonList"/> with its output bytes encoded once per combination (the writers' hot path).</summary>
    public EncodedList EncodedReasonList(ulong bits)
    {
        if (bits == 0) return EncodedList.Empty;
        if (_encodedReasonLists.TryGetValue(bits, out var list)) return list;
        return _encodedReasonLists.GetOrAdd(bits, new EncodedList(ReasonList(bits)));
    }

    public static AssessmentPolicy Load(JObject root, MappingFileReader file)
    {
        file.OnlyProperties(root, "version", "profile", "title", "reasons", "level_scores", "configuration_event_level", "protocols", "cipher_suite_markers",
            "encryption_algorithms", "minimum_key_bits", "signature_methods", "digest_algorithms", "certificate_expiry",
            "failed_handshake_reason", "cleartext_reason", "key_exchange_algorithms", "mac_algorithms", "ssh_key_exchange",
            "dh_groups", "ike_major_versions", "post_quantum_markers", "unknown_protocol_reason", "unknown_cipher_suite_reason", "encrypt_then_mac_exempt");
        // A profile (assessment/profiles/*.json) names itself and cites the section of its standard behind every reason.
        var profileName = file.String(root, "profile", required: false);
        var isProfile = profileName is not null;
        var citations = new List<string>();
        var reasons = new List<string>();
        var levels = new List<AssessmentLevel>();
        var scores = new List<int>();
        var reasonsObj = file.Object(root, "reasons", required: true);
        foreach (var p in reasonsObj?.Properties() ?? [])
        {
            if (p.Name.StartsWith('_')) continue;
            if (p.Value is not JObject r)
            {
                file.Problem(p.Value, "a reason must be an object with 'level' and 'score'");
                continue;
            }
            file.OnlyProperties(r, "level", "score", "cite");
            var level = Level(file, r, "level");
            var score = file.Integer(r, "score", required: true, 0, 100) ?? 0;
            citations.Add(file.String(r, "cite", required: isProfile) ?? "");
            reasons.Add(p.Name);
            levels.Add(level ?? AssessmentLevel.Weak);
            scores.Add(score);
        }
        if (reasons.Count > 64) file.Problem(reasonsObj, "at most 64 reasons can be declared");

        ulong Bit(JToken? at, string reason)
        {
            var i = reasons.IndexOf(reason);
            if (i < 0 || i >= 64)
            {
                file.Problem(at, $"reason '{reason}' is not declared under \"reasons\"");
                return 0;
            }
            return 1UL << i;
        }

        ulong Bits(JToken value)
        {
            if (value.Type == JTokenType.String) return Bit(value, (string)value!);
            if (value is JArray a && a.Count > 0 && a.All(x => x.Type == JTokenType.String)) return a.Aggregate(0UL, (acc, x) => acc | Bit(x, (string)x!));
            file.Problem(value, "must be a reason code or an array of reason codes");
            return 0;
        }

        // Names starting with '_' are comments, except in cipher_suite_markers: there a name is a substring of the
        // suite name, and the markers that matter most start with '_' (_CBC, _RC4_, _NULL_, _anon_).
        Dictionary<string, ulong> ReasonMap(string name, bool required = true, bool underscoreIsComment = true)
        {
            var map = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var p in file.Object(root, name, required)?.Properties() ?? [])
                if (!underscoreIsComment || !p.Name.StartsWith('_')) map[p.Name] = Bits(p.Value);
            return map;
        }

        var levelScores = new int[4];
        var levelScoreObj = file.Object(root, "level_scores", required: true);
        for (var i = 0; i < 4; i++)
            levelScores[i] = levelScoreObj is null ? 0 : file.Integer(levelScoreObj, LevelNames[i], required: true, 0, 100) ?? 0;

        var minimumKeyBits = new Dictionary<string, (int, ulong)>(StringComparer.Ordinal);
        foreach (var p in file.Object(root, "minimum_key_bits", required: true)?.Properties() ?? [])
        {
            if (p.Name.StartsWith('_')) continue;
            if (p.Value is not JObject k)
            {
                file.Problem(p.Value, "must be an object with 'bits' and 'reason'");
                continue;
            }
            file.OnlyProperties(k, "bits", "reason");
            var bits = file.Integer(k, "bits", required: true, 1, 65535) ?? 0;
            var reason = file.String(k, "reason", required: true);
            minimumKeyBits[p.Name] = (bits, reason is null ? 0 : Bit(k["reason"], reason));
        }

        var expiry = file.Object(root, "certificate_expiry", required: true) ?? new JObject();
        file.OnlyProperties(expiry, "warning_days", "expiring_reason", "expired_reason");

        ulong NamedReason(JObject obj, string name, bool required = true) => file.String(obj, name, required) is { } r ? Bit(obj[name], r) : 0;

        var markers = ReasonMap("cipher_suite_markers", underscoreIsComment: false);
        // IKE major versions are numbers (IPSec_IKEMajVer, layout §2.5): a name that is not one would never match.
        var ikeMajorVersions = ReasonMap("ike_major_versions", required: false);
        foreach (var version in ikeMajorVersions.Keys)
            if (!int.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) || v is < 1 or > 15)
                file.Problem(root["ike_major_versions"]?[version], $"IKE major version '{version}' must be a number from 1 to 15");
        var postQuantumMarkers = new List<string>();
        foreach (var marker in file.Array(root, "post_quantum_markers", required: false) ?? [])
        {
            if (marker.Type == JTokenType.String && !string.IsNullOrWhiteSpace((string?)marker)) postQuantumMarkers.Add(((string)marker!).ToUpperInvariant());
            else file.Problem(marker, "a post-quantum marker must be a non-empty string");
        }
        return new AssessmentPolicy
        {
            Reasons = [.. reasons],
            ReasonLevels = [.. levels],
            ReasonScores = [.. scores],
            LevelScores = levelScores,
            ConfigurationEventLevel = Level(file, root, "configuration_event_level") ?? AssessmentLevel.Strong,
            Protocols = ReasonMap("protocols"),
            SuiteMarkers = [.. markers.Select(m => (m.Key, m.Value))],
            EncryptionAlgorithms = ReasonMap("encryption_algorithms"),
            MinimumKeyBits = minimumKeyBits,
            SignatureMethods = ReasonMap("signature_methods"),
            DigestAlgorithms = ReasonMap("digest_algorithms"),
            ExpiryWarningDays = file.Integer(expiry, "warning_days", required: true, 0, 3650) ?? 30,
            ExpiringReason = NamedReason(expiry, "expiring_reason"),
            ExpiredReason = NamedReason(expiry, "expired_reason"),
            FailedHandshakeReason = NamedReason(root, "failed_handshake_reason"),
            CleartextReason = NamedReason(root, "cleartext_reason"),
            UnknownProtocolReason = NamedReason(root, "unknown_protocol_reason", required: false),
            UnknownCipherSuiteReason = NamedReason(root, "unknown_cipher_suite_reason", required: false),
            EncryptThenMacExempt = root["encrypt_then_mac_exempt"] is { } exempt ? Bits(exempt) : 0,
            ProfileName = profileName ?? "default",
            ReasonCitations = [.. citations],
            KeyExchangeAlgorithms = ReasonMap("key_exchange_algorithms", required: false),
            MacAlgorithms = ReasonMap("mac_algorithms", required: false),
            SshKeyExchange = ReasonMap("ssh_key_exchange", required: false),
            DhGroups = ReasonMap("dh_groups", required: false),
            IkeMajorVersions = ikeMajorVersions,
            PostQuantumMarkers = [.. postQuantumMarkers],
        };
    }

    /// <summary>
    /// Reports every name on the left of the policy's maps that no record can carry: not in the IBM value table the
    /// map is matched against (nor, for key exchange and MAC, derived from a suite name), or a suite marker no suite
    /// name contains. Such a name is a typo ("TLSV1.0") that would silently switch its rule off.
    /// </summary>
    public static void CheckNames(JObject root, MappingFileReader file, ValueTableSet tables, CipherSuiteTable suites)
    {
        IEnumerable<string> Table(string id) => tables.TryGet(id, out var t) ? t.Entries.Select(e => e.Value) : [];
        var all = suites.All.ToList();
        Check("protocols", [.. Table("tls_version"), .. Table("ssh_version")], "an IBM protocol version name (tables V.4, SSH_Prot_Ver)");
        Check("encryption_algorithms", [.. Table("encryption_algorithm")], "an IBM encryption algorithm name (table V.5)");
        Check("key_exchange_algorithms", [.. Table("tls_key_exchange"), .. all.Select(x => x.KeyExchange).OfType<string>()],
            "an IBM key exchange name (table V.7) or one derived from a cipher suite name");
        Check("mac_algorithms", [.. Table("message_authentication"), .. all.Select(x => x.Mac).OfType<string>()],
            "an IBM message authentication name (table V.6) or one derived from a cipher suite name");
        Check("ssh_key_exchange", [.. Table("ssh_key_exchange")], "an IBM SSH key exchange name (table V.18)");
        Check("dh_groups", [.. Table("dh_group")], "an IBM Diffie-Hellman group name (table V.20)");
        Check("minimum_key_bits", [.. Table("cert_key_type"), .. Table("ssh_key_type")], "an IBM key type name (tables V.15, V.16)");
        Check("signature_methods", [.. Table("cert_signature_method")], "an IBM signature method name (table V.12)");
        Check("digest_algorithms", [.. Table("cert_digest")], "an IBM digest algorithm name (table V.14)");
        foreach (var p in (root["cipher_suite_markers"] as JObject)?.Properties() ?? [])
            if (!all.Any(x => x.Name.Contains(p.Name, StringComparison.Ordinal)))
                file.Problem(p, $"marker '{p.Name}' is in no cipher suite name (markers are case-sensitive substrings, e.g. _CBC)");

        void Check(string map, HashSet<string> known, string what)
        {
            foreach (var p in (root[map] as JObject)?.Properties() ?? [])
                if (!p.Name.StartsWith('_') && !known.Contains(p.Name)) file.Problem(p, $"'{p.Name}' is not {what}, so no record can match it");
        }
    }

    private static AssessmentLevel? Level(MappingFileReader file, JObject obj, string name)
    {
        var text = file.String(obj, name, required: true);
        if (text is null) return null;
        var i = Array.IndexOf(LevelNames, text);
        if (i >= 0) return (AssessmentLevel)i;
        file.Problem(obj[name], $"level must be one of {string.Join(", ", LevelNames)}");
        return null;
    }
}
