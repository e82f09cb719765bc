using System.Net.Security;
using System.Text;
using Newtonsoft.Json.Linq;

namespace ZertForwarder.Mapping;

/// <summary>One cipher suite with the algorithm names derived from it (output contract §2.5).</summary>
internal sealed class CipherSuite
{
    public required string Name { get; init; }
    public required byte[] NameUtf8 { get; init; }
    public string? KeyExchange { get; init; }
    public string? Encryption { get; init; }
    public string? Mac { get; init; }

    /// <summary>The key establishment part of the key exchange (<c>ECDHE</c> of <c>ECDHE_RSA</c>), for the quantum parts.</summary>
    public string? KeyEstablishment => KeyExchange is null ? null : _keyEstablishment ??= KeyExchange.IndexOf('_') is var i and > 0 ? KeyExchange[..i] : KeyExchange;

    private string? _keyEstablishment;

    /// <summary>The derived names as UTF-8 (encoded once per suite).</summary>
    public byte[]? KeyExchangeUtf8 => KeyExchange is null ? null : _kexUtf8 ??= Encoding.UTF8.GetBytes(KeyExchange);
    public byte[]? EncryptionUtf8 => Encryption is null ? null : _encUtf8 ??= Encoding.UTF8.GetBytes(Encryption);
    public byte[]? MacUtf8 => Mac is null ? null : _macUtf8 ??= Encoding.UTF8.GetBytes(Mac);

    private byte[]? _kexUtf8;
    private byte[]? _encUtf8;
    private byte[]? _macUtf8;

    private ulong _reasons;
    private AssessmentPolicy? _reasonsPolicy;

    /// <summary>The policy reasons this suite's name earns (markers such as <c>_RC4_</c>), cached per policy.</summary>
    public ulong AssessmentReasons(AssessmentPolicy policy)
    {
        if (ReferenceEquals(Volatile.Read(ref _reasonsPolicy), policy)) return _reasons;
        ulong bits = 0;
        foreach (var (marker, reasons) in policy.SuiteMarkers)
            if (Name.Contains(marker, StringComparison.Ordinal)) bits |= reasons;
        // The algorithms derived from the name (contract §2.5) are judged like IBM's codes: key exchange (forward
        // secrecy, anonymous, export) and MAC.
        if (KeyExchange is not null && policy.KeyExchangeAlgorithms.TryGetValue(KeyExchange, out var kex)) bits |= kex;
        if (Mac is not null && policy.MacAlgorithms.TryGetValue(Mac, out var mac)) bits |= mac;
        _reasons = bits;
        Volatile.Write(ref _reasonsPolicy, policy);
        return bits;
    }
}

/// <summary>
/// The IANA TLS cipher-suite registry (from <see cref="TlsCipherSuite"/>, as the contract §2.5 asks), the SSLv2
/// 6-digit codes and overrides from <c>mappings/codes/tls-cipher-suites.json</c>, and the per-suite algorithm breakdown
/// parsed from the name <c>TLS_&lt;KEX&gt;_WITH_&lt;CIPHER&gt;_&lt;MAC&gt;</c>. Compiled into a 65,536-entry array so the
/// hot path does no lookup by string.
/// </summary>
internal sealed class CipherSuiteTable
{
    private readonly CipherSuite?[] _byCode = new CipherSuite?[65536];
    private readonly (byte[] EbcdicCode, CipherSuite Suite)[] _sslv2;
    private readonly byte[] _unknownEbcdic;

    private CipherSuiteTable((byte[], CipherSuite)[] sslv2, string unknownCode)
    {
        _sslv2 = sslv2;
        _unknownEbcdic = Smf.Ebcdic.Encode(unknownCode);
    }

    public static CipherSuiteTable Load(JObject root, MappingFileReader file)
    {
        file.OnlyProperties(root, "version", "unknown_code", "sslv2", "overrides", "derivation");
        var unknown = file.String(root, "unknown_code", required: true) ?? "FFFFFF";
        var derivation = file.Object(root, "derivation", required: true) ?? new JObject();
        file.OnlyProperties(derivation, "key_exchange", "encryption", "mac", "aead_markers", "aead_mac");
        var kex = file.StringMap(derivation, "key_exchange", required: true);
        var enc = file.StringMap(derivation, "encryption", required: true);
        var mac = file.StringMap(derivation, "mac", required: true);
        var aeadMac = file.String(derivation, "aead_mac", required: true) ?? "none";
        var aeadMarkers = new List<string>();
        foreach (var m in file.Array(derivation, "aead_markers", required: true) ?? [])
        {
            if (m.Type == JTokenType.String) aeadMarkers.Add((string)m!);
            else file.Problem(m, "must be a string");
        }

        var sslv2 = new List<(byte[], CipherSuite)>();
        var sslv2Obj = file.Object(root, "sslv2", required: true);
        if (sslv2Obj is not null)
        {
            foreach (var p in sslv2Obj.Properties())
            {
                if (p.Name.StartsWith('_')) continue;
                if (p.Name.Length != 6 || !p.Name.All(Uri.IsHexDigit)) file.Problem(p, $"SSLv2 code '{p.Name}' must be 6 hex digits");
                if (p.Value is not JObject s)
                {
                    file.Problem(p.Value, "an SSLv2 suite must be an object with name, key_exchange, encryption, mac");
                    continue;
                }
                file.OnlyProperties(s, "name", "key_exchange", "encryption", "mac");
                var name = file.String(s, "name", required: true);
                if (name is null) continue;
                sslv2.Add((Smf.Ebcdic.Encode(p.Name.ToUpperInvariant()), new CipherSuite
                {
                    Name = name, NameUtf8 = Encoding.UTF8.GetBytes(name), KeyExchange = file.String(s, "key_exchange", true),
                    Encryption = file.String(s, "encryption", true), Mac = file.String(s, "mac", true),
                }));
            }
        }
        var table = new CipherSuiteTable([.. sslv2], unknown);
        var names = new Dictionary<ushort, string>();
        foreach (var suite in Enum.GetValues<TlsCipherSuite>()) names[(ushort)suite] = suite.ToString();
        foreach (var (code, name) in file.StringMap(root, "overrides", required: false))
        {
            if (code.Length != 4 || !MappingFileReader.TryParseHex(code, out var c)) file.Problem(root["overrides"]?[code], $"override code '{code}' must be 4 hex digits");
            else names[(ushort)c] = name;
        }
        foreach (var (code, name) in names)
        {
            Derive(name, kex, enc, mac, aeadMarkers, aeadMac, out var k, out var e, out var m);
            table._byCode[code] = new CipherSuite { Name = name, NameUtf8 = Encoding.UTF8.GetBytes(name), KeyExchange = k, Encryption = e, Mac = m };
        }
        return table;
    }

    /// <summary>
    /// Splits <c>TLS_&lt;KEX&gt;_WITH_&lt;CIPHER&gt;_&lt;MAC&gt;</c> (TLS 1.3: <c>TLS_&lt;CIPHER&gt;_&lt;HASH&gt;</c>, no key exchange in the
    /// suite). A token found in the file's maps is renamed to IBM's spelling; others are kept as IANA writes them.
    /// </summary>
    private static void Derive(string name, Dictionary<string, string> kexMap, Dictionary<string, string> encMap, Dictionary<string, string> macMap,
        List<string> aeadMarkers, string aeadMac, out string? kex, out string? enc, out string? mac)
    {
        kex = enc = mac = null;
        if (!name.StartsWith("TLS_", StringComparison.Ordinal) || name.EndsWith("_SCSV", StringComparison.Ordinal)) return;
        var body = name[4..];
        var with = body.IndexOf("_WITH_", StringComparison.Ordinal);
        string rest;
        if (with >= 0)
        {
            var k = body[..with];
            kex = kexMap.TryGetValue(k, out var kn) ? kn : k.ToUpperInvariant();
            rest = body[(with + 6)..];
        }
        else
        {
            rest = body; // TLS 1.3
        }
        var last = rest.LastIndexOf('_');
        var macToken = last >= 0 ? rest[(last + 1)..] : "";
        string cipher;
        if (last >= 0 && (macMap.ContainsKey(macToken) || macToken.StartsWith("SHA", StringComparison.Ordinal) || macToken == "MD5"))
        {
            cipher = rest[..last];
        }
        else
        {
            cipher = rest; // CCM / CCM_8 suites name no hash
            macToken = "";
        }
        enc = encMap.TryGetValue(cipher, out var en) ? en : cipher;
        if (aeadMarkers.Any(m => cipher.Contains(m, StringComparison.Ordinal))) mac = aeadMac;
        else if (macToken.Length > 0) mac = macMap.TryGetValue(macToken, out var mn) ? mn : macToken;
    }

    /// <summary>Every suite the table names: the IANA registry with its overrides, then the SSLv2 codes.</summary>
    public IEnumerable<CipherSuite> All => _byCode.OfType<CipherSuite>().Concat(_sslv2.Select(s => s.Suite));

    /// <summary>What the Neg_Cipher characters say.</summary>
    public CipherLookup Resolve(ReadOnlySpan<byte> ebcdicCode, out CipherSuite? suite)
    {
        suite = null;
        if (ebcdicCode.IsEmpty) return CipherLookup.Absent;
        if (ebcdicCode.SequenceEqual(_unknownEbcdic)) return CipherLookup.UnknownMarker;
        if (ebcdicCode.Length == 4 && TryParseEbcdicHex(ebcdicCode, out var code))
        {
            suite = _byCode[code];
            return suite is null ? CipherLookup.UnknownCode : CipherLookup.Known;
        }
        if (ebcdicCode.Length == 6)
        {
            foreach (var (e, s) in _sslv2)
            {
                if (ebcdicCode.SequenceEqual(e))
                {
                    suite = s;
                    return CipherLookup.Known;
                }
            }
        }
        return CipherLookup.UnknownCode;
    }

    /// <summary>Four EBCDIC hex digits (F0-F9, C1-C6, 81-86) to their value.</summary>
    private static bool TryParseEbcdicHex(ReadOnlySpan<byte> digits, out ushort value)
    {
        value = 0;
        foreach (var b in digits)
        {
            int v = b switch
            {
                >= 0xF0 and <= 0xF9 => b - 0xF0,
                >= 0xC1 and <= 0xC6 => b - 0xC1 + 10,
                >= 0x81 and <= 0x86 => b - 0x81 + 10,
                _ => -1,
            };
            if (v < 0) return false;
            value = (ushort)((value << 4) | v);
        }
        return true;
    }
}

internal enum CipherLookup : byte
{
    /// <summary>No TLS section, or the field is blank.</summary>
    Absent,
    /// <summary>A suite the registry or the SSLv2 list names.</summary>
    Known,
    /// <summary>Hex characters no table names: written as the hex string (contract §2.5).</summary>
    UnknownCode,
    /// <summary>FFFFFF: "unknown", z/OS 3.2 failed handshake (layout §2.3).</summary>
    UnknownMarker,
}
