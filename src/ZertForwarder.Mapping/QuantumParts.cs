using System.Collections.Concurrent;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// Quantum readiness (issue "assessment v2"): which parts of a connection's key establishment and authentication rest
/// on RSA, (EC)DH, DSA or ECDSA, all of which a cryptographically relevant quantum computer breaks (Shor). A part is
/// quantum-safe only when its algorithm name carries one of the policy's post-quantum markers (ML-KEM, sntrup761,
/// ...). zERT records no TLS named group, so a TLS key exchange is taken from the suite: TLS 1.3 suites name none and
/// are written as <c>key_exchange:(EC)DHE</c>. Symmetric ciphers and MACs are not parts (Grover only halves them).
/// </summary>
internal sealed class QuantumParts
{
    private readonly string[] _markers;
    private readonly string?[] _certKeyTypes;
    private readonly string?[] _sshKeyTypes;
    private readonly string?[] _sshKex;
    private readonly bool[] _sshKexSafe;
    private readonly string?[] _dhGroups;
    private readonly bool[] _dhGroupSafe;
    private readonly string?[] _tlsKex;
    private readonly ConcurrentDictionary<string, EncodedList> _lists = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EncodedList>.AlternateLookup<ReadOnlySpan<char>> _byText;

    private readonly (string Prefix, ZertField? Type, ZertField? Length)[] _tlsCerts11;
    private readonly (string Prefix, ZertField? Type, ZertField? Length)[] _tlsCerts12;
    private readonly (string Prefix, ZertField? Type, ZertField? Length)[] _ipsecCerts11;
    private readonly (string Prefix, ZertField? Type, ZertField? Length)[] _ipsecCerts12;

    public QuantumParts(AssessmentPolicy policy, ValueTableSet tables)
    {
        _markers = policy.PostQuantumMarkers;
        _certKeyTypes = Names(tables["cert_key_type"]);
        _sshKeyTypes = Names(tables["ssh_key_type"]);
        _sshKex = Names(tables["ssh_key_exchange"]);
        _sshKexSafe = [.. _sshKex.Select(IsPostQuantum)];
        _dhGroups = Names(tables["dh_group"]);
        _dhGroupSafe = [.. _dhGroups.Select(IsPostQuantum)];
        _tlsKex = [.. Names(tables["tls_key_exchange"]).Select(n => n is null ? null : n.IndexOf('_') is var i and > 0 ? n[..i] : n)];
        _byText = _lists.GetAlternateLookup<ReadOnlySpan<char>>();
        _tlsCerts11 = Fields("SMF119SC_", "TLS", [("certificate", "SCert"), ("client_certificate", "CCert")]);
        _tlsCerts12 = Fields("SMF119SS_", "TLS", [("certificate", "SCert"), ("client_certificate", "CCert")]);
        _ipsecCerts11 = Fields("SMF119SC_", "IPSec", [("local_certificate", "LclCert"), ("remote_certificate", "RmtCert")]);
        _ipsecCerts12 = Fields("SMF119SS_", "IPSec", [("local_certificate", "LclCert"), ("remote_certificate", "RmtCert")]);
    }

    private bool IsPostQuantum(string? name) =>
        name is not null && _markers.Any(m => name.Contains(m, StringComparison.OrdinalIgnoreCase));

    private static string?[] Names(ValueTable table)
    {
        var max = table.Entries.Count == 0 ? 0 : (int)table.Entries.Max(e => e.Key);
        var names = new string?[max + 1];
        // "unknown" and "none" name no algorithm. Not by code: in table V.20 (DH groups) code 1 is IKE group 1.
        foreach (var (code, name) in table.Entries) if (name is not ("unknown" or "none")) names[code] = name;
        return names;
    }

    private static (string, ZertField?, ZertField?)[] Fields(string prefix, string section, (string Part, string Group)[] groups) =>
    [
        .. groups.Select(g => (g.Part, CryptoAssessor.Find($"{prefix}{section}_{g.Group}_Key_Type"), CryptoAssessor.Find($"{prefix}{section}_{g.Group}_Key_Len"))),
    ];

    /// <summary>Sets <see cref="RecordFacts.QuantumSafe"/> and <see cref="RecordFacts.QuantumVulnerable"/> of a protected connection.</summary>
    public void Judge(RecordFacts f)
    {
        var r = f.Record;
        var sub11 = f.Subtype == 11;
        Span<char> text = stackalloc char[512];
        var n = 0;
        var safeParts = 0;
        if (r.HasSection(ZertSection.Tls) && !f.TlsFailed)
        {
            string? kex = null;
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_TLS_CS_Kex_Alg : ZertFields.SS_TLS_CS_Kex_Alg, out var code) && code < (ulong)_tlsKex.Length) kex = _tlsKex[code];
            kex ??= f.Suite?.KeyEstablishment;
            if (kex is null && r.TryGetUnsigned(sub11 ? ZertFields.SC_TLS_Prot_Ver : ZertFields.SS_TLS_Prot_Ver, out var v) && v == 0x0304) kex = "(EC)DHE";
            if (kex is not null && kex != "none") Append(text, ref n, "key_exchange", ":", kex, 0);
            foreach (var (prefix, type, length) in sub11 ? _tlsCerts11 : _tlsCerts12) Key(r, text, ref n, prefix, type, length, _certKeyTypes);
        }
        if (r.HasSection(ZertSection.Ssh) && !f.SshFailed)
        {
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_Kex_Method : ZertFields.SS_SSH_Kex_Method, out var k) && k < (ulong)_sshKex.Length && _sshKex[k] is { } kex)
            {
                if (_sshKexSafe[k]) safeParts++;
                else Append(text, ref n, "key_exchange", ":", kex, 0);
            }
            Key(r, text, ref n, "host_key", sub11 ? ZertFields.SC_SSH_SKey_Type : ZertFields.SS_SSH_SKey_Type, sub11 ? ZertFields.SC_SSH_SKey_Len : ZertFields.SS_SSH_SKey_Len, _sshKeyTypes);
            Key(r, text, ref n, "client_key", sub11 ? ZertFields.SC_SSH_CKey_Type : ZertFields.SS_SSH_CKey_Type, sub11 ? ZertFields.SC_SSH_CKey_Len : ZertFields.SS_SSH_CKey_Len, _sshKeyTypes);
        }
        if (r.HasSection(ZertSection.Ipsec))
        {
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_IPSec_IKETunDHGroup : ZertFields.SS_IPSec_IKETunDHGroup, out var g) && g < (ulong)_dhGroups.Length && _dhGroups[g] is { } group)
            {
                if (_dhGroupSafe[g]) safeParts++;
                else Append(text, ref n, "key_exchange", ":DH-", group, 0);
            }
            foreach (var (prefix, type, length) in sub11 ? _ipsecCerts11 : _ipsecCerts12) Key(r, text, ref n, prefix, type, length, _certKeyTypes);
        }
        if (n > 0)
        {
            f.QuantumSafe = 1;
            f.QuantumVulnerable = List(text[..n]);
        }
        else
        {
            // Safe only when something post-quantum was seen; nothing known about the key exchange says nothing.
            f.QuantumSafe = safeParts > 0 ? (byte)2 : (byte)0;
            f.QuantumVulnerable = null;
        }
    }

    private static void Key(ZertRecord r, Span<char> text, ref int n, string prefix, ZertField? type, ZertField? length, string?[] names)
    {
        if (type is null || !r.TryGetUnsigned(type, out var t) || t >= (ulong)names.Length || names[t] is not { } name) return;
        var bits = length is not null && r.TryGetUnsigned(length, out var l) ? l : 0;
        Append(text, ref n, prefix, ":", name, bits);
    }

    private static void Append(Span<char> text, ref int n, string prefix, string separator, string name, ulong bits)
    {
        var needed = prefix.Length + separator.Length + name.Length + 8;
        if (n + needed >= text.Length) return; // never reached with zERT's few parts; a cut list stays a valid list
        if (n > 0) text[n++] = ',';
        prefix.AsSpan().CopyTo(text[n..]);
        n += prefix.Length;
        separator.AsSpan().CopyTo(text[n..]);
        n += separator.Length;
        name.AsSpan().CopyTo(text[n..]);
        n += name.Length;
        if (bits > 0)
        {
            text[n++] = '-';
            bits.TryFormat(text[n..], out var w, default, System.Globalization.CultureInfo.InvariantCulture);
            n += w;
        }
    }

    /// <summary>
    /// The encoded list of a part text, built once per distinct text (few occur). The texts carry key lengths from the
    /// record, so records with damaged length fields could make new ones without end: past <see cref="MaxLists"/> a
    /// new text's list is built for its record and not kept.
    /// </summary>
    private EncodedList List(ReadOnlySpan<char> text)
    {
        if (_byText.TryGetValue(text, out var list)) return list;
        var key = text.ToString();
        return _lists.Count < MaxLists ? _lists.GetOrAdd(key, k => new EncodedList(k.Split(','))) : new EncodedList(key.Split(','));
    }

    /// <summary>Distinct part lists kept at most (a workload has tens).</summary>
    internal const int MaxLists = 4096;

    internal int KeptLists => _lists.Count;
}
