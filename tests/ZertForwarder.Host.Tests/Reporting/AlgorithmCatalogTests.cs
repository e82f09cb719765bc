using ZertForwarder.Reporting;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The shipped algorithm table (mappings/cbom/algorithms.json) and the IANA suite parsing behind the CBOM: what each
/// suite's parts are and the NIST quantum security category each gets (README "The CBOM").
/// </summary>
public sealed class AlgorithmCatalogTests
{
    private static readonly AlgorithmCatalog Catalog = AlgorithmCatalog.Load(Path.Combine(AppContext.BaseDirectory, "mappings", "cbom", "algorithms.json"));

    private static string Describe(IEnumerable<AlgorithmInfo> algorithms) =>
        string.Join(" ", algorithms.Select(a => $"{a.Name}:{a.Primitive}:{a.Mode ?? "-"}:{a.QuantumLevel?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}"));

    [Theory]
    [InlineData("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE:key-agree:-:0 RSASSA-PKCS1-v1_5:signature:-:0 AES-128-GCM:ae:gcm:1 SHA-256:hash:-:2")]
    [InlineData("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE:key-agree:-:0 ECDSA:signature:-:0 AES-256-GCM:ae:gcm:5 SHA-384:hash:-:4")]
    [InlineData("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "RSA:pke:-:0 3DES-CBC:block-cipher:cbc:0 HMAC-SHA1:mac:-:1")]
    [InlineData("TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "DHE:key-agree:-:0 RSASSA-PKCS1-v1_5:signature:-:0 AES-256-CBC:block-cipher:cbc:5 HMAC-SHA256:mac:-:5")]
    [InlineData("TLS_RSA_WITH_RC4_128_MD5", "RSA:pke:-:0 RC4-128:stream-cipher:-:0 HMAC-MD5:mac:-:1")]
    [InlineData("TLS_AES_128_GCM_SHA256", "AES-128-GCM:ae:gcm:1 SHA-256:hash:-:2")]
    [InlineData("TLS_CHACHA20_POLY1305_SHA256", "ChaCha20-Poly1305:ae:-:5 SHA-256:hash:-:2")]
    [InlineData("TLS_RSA_WITH_AES_128_CCM", "RSA:pke:-:0 AES-128-CCM:ae:ccm:1")]
    // The export suites' IANA names spell the cipher DES40_CBC and RC2_CBC_40 (the records' encryption field says
    // DES_40 and RC2_40): the weakest ciphers a z/OS TLS session can have were in the CBOM as "unknown", without a level.
    [InlineData("TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "RSA_EXPORT:pke:-:0 DES-40:block-cipher:cbc:0 HMAC-SHA1:mac:-:1")]
    [InlineData("TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "RSA_EXPORT:pke:-:0 RC2-40:block-cipher:cbc:0 HMAC-MD5:mac:-:1")]
    [InlineData("TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", "DHE:key-agree:-:0 DSA:signature:-:0 DES-40:block-cipher:cbc:0 HMAC-SHA1:mac:-:1")]
    public void A_suite_names_its_algorithms_with_their_quantum_levels(string suite, string expected) =>
        Assert.Equal(expected, Describe(Catalog.CipherSuite(suite)));

    [Theory]
    [InlineData("diffie-hellman-group14-sha1", "key-agree", 0)]
    [InlineData("ecdh-sha2-nistp256", "key-agree", 0)]
    [InlineData("group-19", "key-agree", 0)]
    [InlineData("RSA-SHA256", "signature", 0)]
    [InlineData("3DES", "block-cipher", 0)]
    [InlineData("HMAC-SHA2-256", "mac", 5)]
    [InlineData("SHA-1", "hash", 0)]
    public void Names_zert_uses_map_to_the_table(string name, string primitive, int level)
    {
        var info = Catalog.Lookup(name);
        Assert.Equal(primitive, info.Primitive);
        Assert.Equal(level, info.QuantumLevel);
    }

    [Fact]
    public void An_unknown_algorithm_has_no_level_and_public_keys_are_quantum_vulnerable()
    {
        Assert.Equal(("unknown", (int?)null), (Catalog.Lookup("MYSTERY-CIPHER").Primitive, Catalog.Lookup("MYSTERY-CIPHER").QuantumLevel));
        var rsa = Catalog.PublicKey("RSA", 3072);
        Assert.Equal(("RSA-3072", "pke", "3072", (int?)0), (rsa.Name, rsa.Primitive, rsa.ParameterSet, rsa.QuantumLevel));
        Assert.Equal(("ECDSA-256", "signature"), (Catalog.PublicKey("EC", 256).Name, Catalog.PublicKey("EC", 256).Primitive));
    }

    /// <summary>
    /// The names the CBOM looks up in the table come from IBM's value tables (mappings/codes): SSH and IPsec ciphers
    /// and MACs (V.5, V.6), SSH key exchange (V.18), IKE groups (V.20), certificate signatures (V.12). DES_40, RC2,
    /// RC4_256 and MD2 were missing, and broken crypto went into the CBOM as primitive "unknown" without a quantum level.
    /// </summary>
    [Fact]
    public void Every_algorithm_name_of_the_ibm_value_tables_is_in_the_table()
    {
        var options = new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };
        using var codes = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "mappings", "codes", "ibm-value-tables.json")), options);
        var tables = codes.RootElement.GetProperty("tables");
        var missing = new List<string>();
        foreach (var table in new[] { "encryption_algorithm", "message_authentication", "ssh_key_exchange", "dh_group", "cert_signature_method" })
        {
            foreach (var value in tables.GetProperty(table).GetProperty("values").EnumerateObject())
            {
                var name = value.Value.GetString()!;
                if (name is "unknown" or "none") continue;
                var info = Catalog.Lookup(name);
                if (info.Primitive == "unknown" || info.QuantumLevel is null) missing.Add($"{table} {value.Name} {name}");
            }
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
        Assert.Equal((int?)0, Catalog.Lookup("DES_40").QuantumLevel);
        Assert.Equal((int?)0, Catalog.Lookup("RC4_256").QuantumLevel);
    }
}
