namespace ZertForwarder.Generator.Scenario;

/// <summary>
/// A negotiated suite as zERT reports it: the Neg_Cipher text and IBM's algorithm codes. IBM codes are filled only
/// where the layout's value tables (V.5 encryption, V.6 MAC, V.7 key exchange) give them; beyond the truncation points
/// (AES, ChaCha20, SHA-2 MACs, DHE/ECDHE, TLS 1.3) the code is 0 ("unknown"), so consumers must derive names from the
/// IANA suite (output contract §2.5).
/// </summary>
internal sealed record CipherSuite(string Code, ushort Encryption, ushort Mac, ushort KeyExchange, bool NeedsEcKey, bool Cbc);

internal static class CipherSuiteCatalog
{
    // V.5: 1 None, 2 DES, 3 DES 40, 4 3DES, 5 RC2 40, 6 RC2 128, 8 RC4 40, 9 RC4 128. V.6: 1 None/AEAD, 3 HMAC-MD5, 4 HMAC-SHA1.
    // V.7: 2 RSA, 3 RSA_EXPORT.
    public static readonly CipherSuite[] Tls13 =
    [
        new("1301", 0, 1, 0, false, false),
        new("1302", 0, 1, 0, false, false),
        new("1303", 0, 1, 0, false, false),
    ];

    public static readonly CipherSuite[] Tls12 =
    [
        new("C02F", 0, 1, 0, false, false),
        new("C030", 0, 1, 0, false, false),
        new("C02F", 0, 1, 0, false, false),
        new("009C", 0, 1, 2, false, false),
        new("009D", 0, 1, 2, false, false),
        new("C027", 0, 0, 0, false, true),
        new("003C", 0, 0, 2, false, true),
        new("0035", 0, 4, 2, false, true),
        new("002F", 0, 4, 2, false, true),
        new("C02B", 0, 1, 0, true, false),
        new("C02C", 0, 1, 0, true, false),
    ];

    public static readonly CipherSuite[] Tls10And11 =
    [
        new("0035", 0, 4, 2, false, true),
        new("002F", 0, 4, 2, false, true),
        new("000A", 4, 4, 2, false, true),
        new("0005", 9, 4, 2, false, false),
        new("C013", 0, 4, 0, false, true),
        new("C014", 0, 4, 0, false, true),
        new("0033", 0, 4, 0, false, true),
        new("0009", 2, 4, 2, false, true),
        new("0002", 1, 4, 2, false, false),
        new("C009", 0, 4, 0, true, true),
        new("C00A", 0, 4, 0, true, true),
    ];

    public static readonly CipherSuite[] Ssl3 =
    [
        new("000A", 4, 4, 2, false, true),
        new("0005", 9, 4, 2, false, false),
        new("0004", 9, 3, 2, false, false),
        new("0009", 2, 4, 2, false, true),
        new("0003", 8, 3, 3, false, false),
    ];

    // SSLv2 6-character codes (layout V.11).
    public static readonly CipherSuite[] Ssl2 =
    [
        new("010080", 9, 3, 2, false, false),
        new("020080", 8, 3, 3, false, false),
        new("030080", 6, 3, 2, false, false),
        new("040080", 5, 3, 3, false, false),
        new("050080", 0, 3, 2, false, false),
        new("060040", 2, 3, 2, false, false),
        new("0700C0", 4, 3, 2, false, false),
    ];

    public static CipherSuite[] ForVersion(ushort version) => version switch
    {
        0x0304 => Tls13,
        0x0303 => Tls12,
        0x0302 or 0x0301 => Tls10And11,
        0x0300 => Ssl3,
        0x0200 => Ssl2,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "No suites for this version."),
    };
}
