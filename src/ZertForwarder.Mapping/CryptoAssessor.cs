using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// The crypto assessment (output contract §3), compiled from the policy against the IBM value tables: every table
/// lookup becomes an array indexed by code, so judging a record reads a handful of fields and arrays.
/// </summary>
internal sealed class CryptoAssessor
{
    private readonly AssessmentPolicy _policy;
    private readonly ulong[] _tlsVersion;
    private readonly ValueTable _tlsVersionNames;
    private readonly ulong[] _sshVersion;
    private readonly ulong[] _encryption;
    private readonly ulong[] _signature;
    private readonly ulong[] _digest;
    private readonly (int Bits, ulong Reason)[] _certKeys;
    private readonly (int Bits, ulong Reason)[] _sshKeys;
    private readonly CertGroup[] _certs11;
    private readonly CertGroup[] _certs12;
    private readonly ulong[] _sshKex;
    private readonly ulong[] _mac;
    private readonly ulong[] _dhGroup;
    private readonly ulong[] _tlsKexByCode;
    private readonly ulong[] _ikeMajor;
    private readonly QuantumParts _quantum;

    /// <summary>The fields of one certificate group (layout §2.3-2.5, §3.2-3.4); fields a subtype lacks are null.</summary>
    internal readonly record struct CertGroup(ZertField? Signature, ZertField? Digest, ZertField? KeyType, ZertField? KeyLength, ZertField? Time);

    /// <summary>The quantum-readiness judge (its cache of part lists is bounded: <see cref="QuantumParts.MaxLists"/>).</summary>
    internal QuantumParts Quantum => _quantum;

    public CryptoAssessor(AssessmentPolicy policy, ValueTableSet tables)
    {
        _policy = policy;
        _tlsVersionNames = tables["tls_version"];
        _tlsVersion = ByCode(_tlsVersionNames, policy.Protocols);
        _sshVersion = ByCode(tables["ssh_version"], policy.Protocols);
        _encryption = ByCode(tables["encryption_algorithm"], policy.EncryptionAlgorithms);
        _signature = ByCode(tables["cert_signature_method"], policy.SignatureMethods);
        _digest = ByCode(tables["cert_digest"], policy.DigestAlgorithms);
        _certKeys = KeysByCode(tables["cert_key_type"], policy.MinimumKeyBits);
        _sshKeys = KeysByCode(tables["ssh_key_type"], policy.MinimumKeyBits);
        _certs11 = Groups("SMF119SC_", ["TLS_SCert", "TLS_CCert", "SSH_SCert", "SSH_CCert", "IPSec_LclCert", "IPSec_RmtCert"]);
        _certs12 = Groups("SMF119SS_", ["TLS_SCert", "TLS_CCert", "SSH_SCert", "SSH_CCert", "IPSec_LclCert", "IPSec_RmtCert"]);
        _sshKex = ByCode(tables["ssh_key_exchange"], policy.SshKeyExchange);
        _mac = ByCode(tables["message_authentication"], policy.MacAlgorithms);
        _dhGroup = ByCode(tables["dh_group"], policy.DhGroups);
        _tlsKexByCode = ByCode(tables["tls_key_exchange"], policy.KeyExchangeAlgorithms);
        _ikeMajor = new ulong[16];
        foreach (var (version, bits) in policy.IkeMajorVersions)
            if (int.TryParse(version, out var v) && v is >= 0 and < 16) _ikeMajor[v] = bits;
        _quantum = new QuantumParts(policy, tables);
    }


    /// <summary>Reasons a suite name earns by the policy's markers (e.g. <c>_RC4_</c>), computed once per suite.</summary>
    public ulong SuiteReasons(CipherSuite suite) => suite.AssessmentReasons(_policy);

    public void Assess(RecordFacts f)
    {
        if (!f.IsConnectionEvent)
        {
            Finish(f, 0, _policy.ConfigurationEventLevel);
            return;
        }
        var r = f.Record;
        if (f.Protection == 0)
        {
            Finish(f, _policy.CleartextReason, AssessmentLevel.Cleartext);
            return;
        }
        ulong bits = 0;
        var sub11 = f.Subtype == 11;
        if (r.HasSection(ZertSection.Tls))
        {
            var version = sub11 ? ZertFields.SC_TLS_Prot_Ver : ZertFields.SS_TLS_Prot_Ver;
            // A version or suite no table names (a draft version, a suite missing from the IANA registry, such as the
            // integrity-only TLS_SHA256_SHA256) says nothing good about the connection: it gets the policy's unknown reason.
            if (r.TryGetUnsigned(version, out var v)) bits |= v != 0 && !_tlsVersionNames.TryGetName((uint)v, out _) ? _policy.UnknownProtocolReason : At(_tlsVersion, v);
            if (f.Suite is not null)
            {
                // Encrypt-then-MAC (TLS_CryptoFlags X'80', layout §2.3) removes what the policy says it mitigates (CBC).
                var etm = r.TryGetUnsigned(sub11 ? ZertFields.SC_TLS_CryptoFlags : ZertFields.SS_TLS_CryptoFlags, out var cf) && (cf & 0x80) != 0;
                bits |= etm ? SuiteReasons(f.Suite) & ~_policy.EncryptThenMacExempt : SuiteReasons(f.Suite);
            }
            else if (f.Cipher == CipherLookup.UnknownCode) bits |= _policy.UnknownCipherSuiteReason;
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_TLS_CS_Enc_Alg : ZertFields.SS_TLS_CS_Enc_Alg, out var enc)) bits |= At(_encryption, enc);
            // Key exchange and MAC as the record states them after the one derivation (IBM code, else the suite).
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_TLS_CS_Kex_Alg : ZertFields.SS_TLS_CS_Kex_Alg, out var kex) && kex != 0) bits |= At(_tlsKexByCode, kex);
            // The suite's own key exchange and MAC reasons are part of SuiteReasons (cached per suite).
            if (f.Suite is null && r.TryGetUnsigned(sub11 ? ZertFields.SC_TLS_CS_Msg_Auth : ZertFields.SS_TLS_CS_Msg_Auth, out var mac)) bits |= At(_mac, mac);
            if (f.TlsFailed) bits |= _policy.FailedHandshakeReason;
        }
        if (r.HasSection(ZertSection.Ssh))
        {
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_Prot_Ver : ZertFields.SS_SSH_Prot_Ver, out var v)) bits |= At(_sshVersion, v);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_In_Enc_Alg : ZertFields.SS_SSH_In_Enc_Alg, out var e1)) bits |= At(_encryption, e1);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_Out_Enc_Alg : ZertFields.SS_SSH_Out_Enc_Alg, out var e2)) bits |= At(_encryption, e2);
            bits |= Key(r, _sshKeys, sub11 ? ZertFields.SC_SSH_SKey_Type : ZertFields.SS_SSH_SKey_Type, sub11 ? ZertFields.SC_SSH_SKey_Len : ZertFields.SS_SSH_SKey_Len);
            bits |= Key(r, _sshKeys, sub11 ? ZertFields.SC_SSH_CKey_Type : ZertFields.SS_SSH_CKey_Type, sub11 ? ZertFields.SC_SSH_CKey_Len : ZertFields.SS_SSH_CKey_Len);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_Kex_Method : ZertFields.SS_SSH_Kex_Method, out var sk)) bits |= At(_sshKex, sk);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_In_Msg_Auth : ZertFields.SS_SSH_In_Msg_Auth, out var m1)) bits |= At(_mac, m1);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_Out_Msg_Auth : ZertFields.SS_SSH_Out_Msg_Auth, out var m2)) bits |= At(_mac, m2);
            if (f.SshFailed) bits |= _policy.FailedHandshakeReason;
        }
        if (r.HasSection(ZertSection.Ipsec))
        {
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_IPSec_EncAlg : ZertFields.SS_IPSec_EncAlg, out var e1)) bits |= At(_encryption, e1);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_IPSec_IKETunEncAlg : ZertFields.SS_IPSec_IKETunEncAlg, out var e2)) bits |= At(_encryption, e2);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_IPSec_IKETunDHGroup : ZertFields.SS_IPSec_IKETunDHGroup, out var g1)) bits |= At(_dhGroup, g1);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_IPSec_PFSGroup : ZertFields.SS_IPSec_PFSGroup, out var g2)) bits |= At(_dhGroup, g2);
            // Integrity of the IPsec SA and of the IKE SA: both are codes of table V.6, like the TLS and SSH MACs.
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_IPSec_AuthAlg : ZertFields.SS_IPSec_AuthAlg, out var a1)) bits |= At(_mac, a1);
            if (r.TryGetUnsigned(sub11 ? ZertFields.SC_IPSec_IKETunAuthAlg : ZertFields.SS_IPSec_IKETunAuthAlg, out var a2)) bits |= At(_mac, a2);
            if (sub11 && r.TryGetUnsigned(ZertFields.SC_IPSec_IKEMajVer, out var ike) && ike != 0) bits |= At(_ikeMajor, ike);
            else if (!sub11 && ZertFieldCatalog.TryFind(12, "SMF119SS_IPSec_IKEMajVer", out var ikeField) && r.TryGetUnsigned(ikeField, out var ike12) && ike12 != 0) bits |= At(_ikeMajor, ike12);
        }
        foreach (var g in sub11 ? _certs11 : _certs12)
        {
            if (g.Signature is not null && r.TryGetUnsigned(g.Signature, out var sig)) bits |= At(_signature, sig);
            if (g.Digest is not null && r.TryGetUnsigned(g.Digest, out var dig)) bits |= At(_digest, dig);
            if (g.KeyType is not null && g.KeyLength is not null) bits |= Key(r, _certKeys, g.KeyType, g.KeyLength);
            // Certificate expiry is judged against the record time, never the wall clock (contract §3).
            if (g.Time is not null && f.RecordTime is { } now && Formatting.TryGetCertificateTime(r, g.Time, out var notAfter))
            {
                if (notAfter.UtcDateTime < now) bits |= _policy.ExpiredReason;
                else if (notAfter.UtcDateTime < now.AddDays(_policy.ExpiryWarningDays)) bits |= _policy.ExpiringReason;
            }
        }
        Finish(f, bits, AssessmentLevel.Strong);
        _quantum.Judge(f);
    }

    private void Finish(RecordFacts f, ulong bits, AssessmentLevel floor)
    {
        // Compliance with the profile in force: no reason at weak or worse; configuration events are not judged.
        f.Compliant = f.IsConnectionEvent ? (byte)(bits == 0 || LevelOf(bits) <= AssessmentLevel.Acceptable ? 2 : 1) : (byte)0;
        if (floor == AssessmentLevel.Cleartext) f.Compliant = 1;
        f.QuantumSafe = 0;
        f.QuantumVulnerable = null;
        var level = floor;
        var score = 0;
        for (var i = 0; i < _policy.Reasons.Length; i++)
        {
            if ((bits & (1UL << i)) == 0) continue;
            if (_policy.ReasonLevels[i] > level) level = _policy.ReasonLevels[i];
            score = Math.Max(score, _policy.ReasonScores[i]);
        }
        f.Level = level;
        f.ReasonBits = bits;
        f.RiskScore = Math.Max(score, _policy.LevelScores[(int)level]);
    }

    private AssessmentLevel LevelOf(ulong bits)
    {
        var level = AssessmentLevel.Strong;
        for (var i = 0; i < _policy.Reasons.Length; i++)
            if ((bits & (1UL << i)) != 0 && _policy.ReasonLevels[i] > level) level = _policy.ReasonLevels[i];
        return level;
    }

    private ulong Key(ZertRecord r, (int Bits, ulong Reason)[] table, ZertField type, ZertField length)
    {
        if (!r.TryGetUnsigned(type, out var t) || t >= (ulong)table.Length || !r.TryGetUnsigned(length, out var bits) || bits == 0) return 0;
        var (min, reason) = table[t];
        return (int)bits < min ? reason : 0;
    }

    internal static ulong At(ulong[] table, ulong code) => code < (ulong)table.Length ? table[code] : 0;

    private static ulong[] ByCode(ValueTable table, Dictionary<string, ulong> byName)
    {
        var max = table.Entries.Count == 0 ? 0 : (int)table.Entries.Max(e => e.Key);
        var result = new ulong[max + 1];
        foreach (var (code, name) in table.Entries) if (byName.TryGetValue(name, out var bits)) result[code] = bits;
        return result;
    }

    private static (int, ulong)[] KeysByCode(ValueTable table, Dictionary<string, (int Bits, ulong Reason)> byName)
    {
        var max = table.Entries.Count == 0 ? 0 : (int)table.Entries.Max(e => e.Key);
        var result = new (int, ulong)[max + 1];
        foreach (var (code, name) in table.Entries) if (byName.TryGetValue(name, out var k)) result[code] = k;
        return result;
    }

    private static CertGroup[] Groups(string prefix, string[] groups) =>
    [
        .. groups.Select(g => new CertGroup(
            Find(prefix + g + "_Signature_Method") ?? Find(prefix + g + "_Sign_Meth"),
            Find(prefix + g + "_Digest_Alg"),
            Find(prefix + g + "_Key_Type"),
            Find(prefix + g + "_Key_Len"),
            Find(prefix + g + "_Time"))),
    ];

    internal static ZertField? Find(string name) => ZertFieldCatalog.TryFind(name, out var f) ? f : null;
}
