using System.Text;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

/// <summary>Builds realistic certificate attributes and DNs (codes from layout tables V.12-V.15).</summary>
internal sealed class Pki
{
    // (signature V.12, public-key method V.13, digest V.14, key type V.15, key bits, weight)
    private static readonly (ushort Sig, ushort Enc, ushort Digest, ushort KeyType, ushort Bits, int Weight)[] RsaProfiles =
    [
        (7, 2, 6, 2, 2048, 50),  // RSA 2048, sha256WithRSAEncryption
        (8, 2, 7, 2, 4096, 12),  // RSA 4096, sha384WithRSAEncryption
        (4, 2, 4, 2, 1024, 8),   // RSA 1024, sha1WithRSAEncryption (legacy)
        (4, 2, 4, 2, 2048, 8),   // RSA 2048, SHA-1 signature (legacy CA)
        (7, 2, 6, 2, 3072, 6),
    ];

    private static readonly (ushort Sig, ushort Enc, ushort Digest, ushort KeyType, ushort Bits, int Weight)[] EcProfiles =
    [
        (7, 4, 6, 5, 256, 60),   // P-256 key issued by an RSA/SHA-256 CA
        (8, 4, 7, 5, 384, 40),   // P-384 key issued by an RSA/SHA-384 CA
    ];

    private readonly DeterministicRandom _rng;
    private readonly DateTime _simulationStartUtc;

    public Pki(DeterministicRandom rng, DateTime simulationStartUtc)
    {
        _rng = rng;
        _simulationStartUtc = simulationStartUtc;
    }

    public CertificateIdentity Create(string subject, string issuer, bool ec)
    {
        var profiles = ec ? EcProfiles : RsaProfiles;
        var total = 0;
        foreach (var p in profiles)
        {
            total += p.Weight;
        }

        var roll = _rng.Next(total);
        var chosen = profiles[0];
        foreach (var p in profiles)
        {
            if (roll < p.Weight)
            {
                chosen = p;
                break;
            }

            roll -= p.Weight;
        }

        // Expiry relative to the simulated time so that assessment rules (expired, expires<30d) have cases.
        var expiryRoll = _rng.NextDouble();
        var days = expiryRoll < 0.08 ? -_rng.Between(1, 400)
            : expiryRoll < 0.18 ? _rng.Between(1, 29)
            : expiryRoll < 0.21 ? _rng.Between(9_200, 11_000) // a long-lived internal cert past 2049
            : _rng.Between(45, 1_100);
        var notAfter = _simulationStartUtc.Date.AddDays(days).AddSeconds(_rng.Next(86_400));
        byte timeType = notAfter.Year >= 2050 || _rng.Chance(0.15) ? (byte)2 : (byte)1;

        var serial = new byte[_rng.Between(8, 20)];
        _rng.NextBytes(serial);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive DER integer, no leading zero byte

        var attributes = new CertificateAttributes
        {
            SignatureMethod = chosen.Sig,
            EncryptionMethod = chosen.Enc,
            DigestAlgorithm = chosen.Digest,
            KeyType = chosen.KeyType,
            KeyLength = chosen.Bits,
            Serial = serial,
            TimeType = timeType,
            NotAfter = new DateTime(notAfter.Ticks - (notAfter.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc),
        };
        return new CertificateIdentity(attributes, subject, issuer);
    }

    /// <summary>A DN of 900-1020 characters (many OU components) for records that must span VBS blocks.</summary>
    public string LongName(string commonName)
    {
        var target = _rng.Between(900, 1_020);
        var sb = new StringBuilder(target + 64);
        sb.Append("CN=").Append(commonName);
        var unit = 1;
        while (true)
        {
            var component = $",OU=Shared Infrastructure Services Division {unit:D3} Mainframe Platform Engineering";
            if (sb.Length + component.Length + 40 > target)
            {
                break;
            }

            sb.Append(component);
            unit++;
        }

        sb.Append(",O=Example Financial Holdings Corporation,L=Charlotte,ST=North Carolina,C=US");
        return sb.Length > 1_024 ? sb.ToString(0, 1_024) : sb.ToString();
    }
}
