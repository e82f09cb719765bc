using System.Globalization;
using System.Text.Json;
using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Smf.Tests.Decoding;

/// <summary>The IBM value tables (layout spec §4; mappings/codes/ibm-value-tables.json, embedded in the decoder).</summary>
public sealed class ValueTableTests
{
    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ZertForwarder.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("ZertForwarder.sln not found above the test directory");
    }

    /// <summary>The value-table file read with System.Text.Json directly: table id -> (width, kind, code -> name).</summary>
    private static Dictionary<string, (int Width, string Kind, Dictionary<uint, string> Values)> FileTables()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), "mappings", "codes", "ibm-value-tables.json"));
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var result = new Dictionary<string, (int, string, Dictionary<uint, string>)>();
        foreach (var table in doc.RootElement.GetProperty("tables").EnumerateObject())
        {
            var values = table.Value.GetProperty("values").EnumerateObject()
                .ToDictionary(v => uint.Parse(v.Name.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture), v => v.Value.GetString()!);
            result[table.Name] = (table.Value.GetProperty("width").GetInt32(), table.Value.GetProperty("kind").GetString()!, values);
        }
        return result;
    }

    public static TheoryData<string> TableIds() => [.. FileTables().Keys];

    [Fact]
    public void The_embedded_tables_are_the_repository_file()
    {
        var file = FileTables();
        Assert.Equal(file.Keys.Order(), ValueTableSet.Default.Tables.Select(t => t.Id).Order());
        Assert.True(file.Count >= 30, $"only {file.Count} tables");
    }

    [Theory]
    [MemberData(nameof(TableIds))]
    public void Every_known_code_gives_its_name_and_an_unknown_code_its_width_padded_label(string id)
    {
        var (width, kind, values) = FileTables()[id];
        var table = ValueTableSet.Default[id];
        Assert.Equal(width, table.Width);
        Assert.Equal(kind == "flags", table.IsFlags);
        Assert.Equal(values.Keys.Order(), table.Entries.Select(e => e.Key));

        foreach (var (code, name) in values)
        {
            Assert.Equal(name, table.NameOf(code));
            Assert.True(table.TryGetName(code, out var found));
            Assert.Equal(name, found);
        }

        var max = width == 1 ? 0xFFu : 0xFFFFu;
        var unknown = Enumerable.Range(0, (int)max + 1).Select(c => max - (uint)c).First(c => !values.ContainsKey(c));
        var expectedLabel = width == 1 ? $"unknown(0x{unknown:X2})" : $"unknown(0x{unknown:X4})";
        Assert.Equal(expectedLabel, table.NameOf(unknown));
        Assert.False(table.TryGetName(unknown, out _));
        Assert.Equal(width == 1 ? 13 : 15, table.NameOf(unknown).Length); // "unknown(0xNN)" / "unknown(0xNNNN)"
    }

    [Theory]
    [MemberData(nameof(TableIds))]
    public void Flag_tables_name_each_set_bit_highest_first_and_unnamed_bits_as_unknown(string id)
    {
        var (width, kind, values) = FileTables()[id];
        if (kind != "flags") return; // code tables: covered above
        var table = ValueTableSet.Default[id];
        Assert.Equal(1, width);

        var all = values.Keys.Aggregate(0u, (a, b) => a | b);
        Assert.Equal(values.OrderByDescending(v => v.Key).Select(v => v.Value), table.FlagNames(all));
        Assert.Empty(table.FlagNames(0));
        var unnamed = Enumerable.Range(0, 8).Select(b => 1u << b).First(bit => !values.ContainsKey(bit));
        Assert.Equal([$"unknown(0x{unnamed:X2})"], table.FlagNames(unnamed));
        var top = values.Keys.Max();
        Assert.Equal([values[top], $"unknown(0x{unnamed:X2})"], table.FlagNames(top | unnamed));
    }

    [Fact]
    public void Spot_checks_against_the_spec_value_lists()
    {
        var t = ValueTableSet.Default;
        // V.4
        Assert.Equal("TLSv1.2", t["tls_version"].NameOf(0x0303));
        Assert.Equal("TLSv1.3", t["tls_version"].NameOf(0x0304));
        Assert.Equal("SSLv2", t["tls_version"].NameOf(0x0200));
        Assert.Equal("unknown(0x0305)", t["tls_version"].NameOf(0x0305));
        // V.2, V.10, V.22
        Assert.Equal("enforcement", t["event_type_11"].NameOf(7));
        Assert.Equal("aggregation-disabled", t["event_type_12"].NameOf(3));
        Assert.Equal("deny", t["ip_filter_action"].NameOf(3));
        Assert.Equal("ESP", t["ipsec_protocol"].NameOf(50));
        Assert.Equal("AH", t["ipsec_protocol"].NameOf(51));
        Assert.Equal("udp", t["ip_protocol"].NameOf(17));
        // V.9: all twelve DN types
        Assert.Equal(12, t["dn_type"].Entries.Count);
        Assert.Equal("ssh-client-issuer", t["dn_type"].NameOf(12));
        // V.20: IANA group numbers
        Assert.Equal("group-14", t["dh_group"].NameOf(14));
        Assert.Equal("unknown(0x0018)", t["dh_group"].NameOf(24));
        // V.3 flags
        Assert.Equal(["ipv6", "local-server"], t["connection_flags_11"].FlagNames(0x90));
        Assert.Equal(["tls", "ipsec"], t["security_protocols"].FlagNames(0xA0));
        Assert.Equal(["handshake-failed", "unknown(0x01)"], t["ssh_flags"].FlagNames(0x81));
    }

    /// <summary>
    /// The value tables of layout spec §4 (V.1-V.22, the V.3 flag bits), typed from the spec independently of the JSON
    /// file: each table's known codes in the project's names. Truncated lists end where the spec's source ends (V.7
    /// before X'000A', V.8 before X'04', V.19 and V.21 before X'07', V.20 after X'15'), so an unconfirmed code stays
    /// unknown(...) rather than getting a guessed name.
    /// </summary>
    private static readonly Dictionary<string, (uint Code, string Name)[]> SpecTables = new()
    {
        ["smf_reason"] = [(0x08, "event"), (0x10, "shutdown-start-statistics"), (0x20, "end-of-statistics"), (0x48, "event-more-follow"),
            (0x50, "shutdown-start-statistics-more-follow"), (0x60, "end-of-statistics-more-follow"), (0x80, "interval"), (0xC0, "interval-more-follow")],
        ["event_type_11"] = Numbered(1, "connection-initiation", "protection-change", "connection-termination", "short-connection-termination",
            "zert-enabled", "zert-disabled", "enforcement"),
        ["event_type_12"] = Numbered(1, "interval", "aggregation-enabled", "aggregation-disabled"),
        ["ip_protocol"] = [(6, "tcp"), (17, "udp")],
        ["connection_flags_11"] = [(0x08, "local-client"), (0x10, "local-server"), (0x20, "enforcement-reset"), (0x40, "at-tls-bypass"), (0x80, "ipv6")],
        ["connection_flags_12"] = [(0x20, "local-client"), (0x40, "local-server"), (0x80, "ipv6")],
        ["ip_security_flags"] = [(0x20, "ip-filtering"), (0x40, "ipv6-ip-security"), (0x80, "ipv4-ip-security")],
        ["security_protocols"] = [(0x20, "ipsec"), (0x40, "ssh"), (0x80, "tls")],
        ["ip_filter_action"] = Numbered(0, "no-rule", "permit-clear", "permit-ipsec", "deny"),
        ["tls_version"] = [(0x0000, "unknown"), (0x0200, "SSLv2"), (0x0300, "SSLv3"), (0x0301, "TLSv1.0"), (0x0302, "TLSv1.1"), (0x0303, "TLSv1.2"), (0x0304, "TLSv1.3")],
        ["ssh_version"] = Numbered(0, "unknown", "SSHv1", "SSHv2"),
        ["data_source"] = Numbered(1, "observation", "provider"),
        ["handshake_type"] = Numbered(1, "full", "abbreviated", "failed"),
        ["handshake_role"] = Numbered(0, "unknown", "client", "server", "server-with-client-auth"),
        ["encryption_algorithm"] = Numbered(0, "unknown", "none", "DES", "DES_40", "3DES", "RC2_40", "RC2_128", "RC2", "RC4_40", "RC4_128", "RC4_256"),
        ["message_authentication"] = Numbered(0, "unknown", "none", "MD2", "HMAC-MD5", "HMAC-SHA1", "HMAC-SHA2-256"),
        ["tls_key_exchange"] = Numbered(0, "unknown", "none", "RSA", "RSA_EXPORT", "RSA_PSK", "DH_RSA", "DH_RSA_EXPORT", "DH_DSS", "DH_ANON", "DH_ANON_EXPORT"),
        ["fips_mode"] = Numbered(0, "off", "fips-140", "fips-140-level-1", "fips-140-level-2"),
        ["dn_type"] = Numbered(1, "ipsec-local-subject", "ipsec-local-issuer", "ipsec-remote-subject", "ipsec-remote-issuer",
            "tls-server-subject", "tls-server-issuer", "tls-client-subject", "tls-client-issuer",
            "ssh-server-subject", "ssh-server-issuer", "ssh-client-subject", "ssh-client-issuer"),
        ["cert_signature_method"] = Numbered(0, "unknown", "none", "RSA-MD2", "RSA-MD5", "RSA-SHA1", "DSA-SHA1", "RSA-SHA224", "RSA-SHA256", "RSA-SHA384"),
        ["cert_public_key_algorithm"] = Numbered(0, "unknown", "none", "RSA", "DSA", "ECDSA"),
        ["cert_digest"] = Numbered(0, "unknown", "none", "MD2", "MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"),
        ["cert_key_type"] = Numbered(0, "unknown", "none", "RSA", "DSA", "DH", "EC"),
        ["ssh_key_type"] = Numbered(0, "unknown", "none", "RSA", "DSA", "DH", "EC", "RSA1", "RSA_CERT", "DSA_CERT"),
        ["ssh_auth_method"] = Numbered(0, "unknown", "none", "password", "publickey", "hostbased", "rhosts", "rhosts-rsa", "rsa", "keyboard-interactive"),
        ["ssh_key_exchange"] = Numbered(0, "unknown", "none", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1",
            "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "ecdh-sha2-nistp256"),
        ["ike_auth_method"] = Numbered(0, "unknown", "none", "rsa-signature", "pre-shared-key", "ecdsa-256", "ecdsa-384", "ecdsa-521"),
        ["dh_group"] = [(0x00, "unknown"), (0x01, "group-1"), (0x02, "group-2"), (0x05, "group-5"), (0x0E, "group-14"), (0x13, "group-19"), (0x14, "group-20"), (0x15, "group-21")],
        ["ike_prf"] = Numbered(0, "unknown", "none", "HMAC-SHA2-256", "HMAC-SHA2-384", "HMAC-SHA2-512", "AES-128-XCBC", "HMAC-MD5"),
        ["cert_time_type"] = Numbered(0, "not-supplied", "utc-time", "generalized-time"),
        ["tunnel_type"] = Numbered(1, "manual", "dynamic", "shadow"),
        ["tunnel_state"] = Numbered(1, "active", "inactive"),
        ["encapsulation_mode"] = Numbered(1, "tunnel", "transport"),
        ["ipsec_protocol"] = [(50, "ESP"), (51, "AH")],
        ["tls_crypto_flags"] = [(0x80, "encrypt-then-mac")],
        ["ssh_crypto_flags"] = [(0x40, "encrypt-then-mac-outbound"), (0x80, "encrypt-then-mac-inbound")],
        ["ssh_flags"] = [(0x80, "handshake-failed")],
        ["tunnel_flags"] = [(0x40, "fips-140"), (0x80, "ipv6")],
    };

    /// <summary>Consecutive codes from <paramref name="first"/> on, as the spec tables list them.</summary>
    private static (uint Code, string Name)[] Numbered(uint first, params string[] names) =>
        [.. names.Select((name, i) => (first + (uint)i, name))];

    [Fact]
    public void Every_table_holds_exactly_the_codes_and_meanings_of_the_spec()
    {
        Assert.Equal(SpecTables.Keys.Order(), ValueTableSet.Default.Tables.Select(t => t.Id).Order());
        foreach (var (id, expected) in SpecTables)
        {
            Assert.True(expected.Select(e => e.Code).SequenceEqual(ValueTableSet.Default[id].Entries.Select(e => e.Key)),
                $"{id}: codes {string.Join(",", ValueTableSet.Default[id].Entries.Select(e => e.Key))}, the spec has {string.Join(",", expected.Select(e => e.Code))}");
            foreach (var (code, name) in expected) Assert.Equal((id, code, name), (id, code, ValueTableSet.Default[id].NameOf(code)));
        }
    }

    public static TheoryData<int, string> CodedFields()
    {
        var data = new TheoryData<int, string>();
        foreach (var subtype in new[] { 11, 12 })
        {
            foreach (var field in SpecLayout.Sections(subtype).SelectMany(s => s.Fields).Where(f => f.Table is not null)) data.Add(subtype, field.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CodedFields))]
    public void Every_code_and_flag_field_uses_the_table_the_spec_names_for_it(int subtype, string name)
    {
        var spec = SpecLayout.Find(subtype, name).Field;
        var field = DecodedAssert.DecoderField(subtype, name);

        Assert.Equal(spec.Table, field.Table);
        Assert.True(ValueTableSet.Default.TryGet(field.Table!, out var table), $"no table {field.Table}");
        Assert.Equal(spec.Length, table.Width); // so unknown(...) is padded to the field width
        Assert.Equal(spec.Kind == SpecKind.Flags, table.IsFlags);
    }

    [Fact]
    public void Decoded_codes_and_flags_are_named_through_their_field_tables()
    {
        var builder = SpecRecordBuilder.ConnectionDetail();
        builder.Set("SMF119SC_SAFlags", 0x90).Set("SMF119SC_SASecProtos", 0xA0)
            .Set("SMF119SC_TLS_Prot_Ver", 0x0303).Set("SMF119SC_TLS_CS_Enc_Alg", 0x0020)
            .Set("SMF119SC_IPSec_AuthProto", 0x32).Set("SMF119SC_IPSec_TunFlags", 0x41);
        var record = DecodedAssert.Decode(builder.Build());
        string Name(ZertField f) => record.TryGetUnsigned(f, out var v) ? ValueTableSet.Default[f.Table!].NameOf((uint)v) : "absent";
        IReadOnlyList<string> Flags(ZertField f) => record.TryGetUnsigned(f, out var v) ? ValueTableSet.Default[f.Table!].FlagNames((uint)v) : [];

        Assert.Equal("TLSv1.2", Name(ZertFields.SC_TLS_Prot_Ver));
        Assert.Equal("unknown(0x0020)", Name(ZertFields.SC_TLS_CS_Enc_Alg)); // AES codes are beyond the truncated V.5
        Assert.Equal("ESP", Name(ZertFields.SC_IPSec_AuthProto));
        Assert.Equal(["ipv6", "local-server"], Flags(ZertFields.SC_SAFlags));
        Assert.Equal(["tls", "ipsec"], Flags(ZertFields.SC_SASecProtos));
        Assert.Equal(["fips-140", "unknown(0x01)"], Flags(ZertFields.SC_IPSec_TunFlags));
    }

    [Fact]
    public void A_value_table_file_with_mistakes_reports_every_one()
    {
        const string json = """
            // comment allowed
            { "tables": {
              "a": { "width": 3, "kind": "codes", "values": { "0x01": "one" } },
              "b": { "width": 1, "kind": "bits", "values": { "1": "x", "0x02": "" } },
              "c": { "width": 2, "kind": "flags" },
            } }
            """;
        var errors = new List<string>();
        ValueTableSet.Parse(json, errors);

        Assert.Contains(errors, e => e.Contains("'a'", StringComparison.Ordinal) && e.Contains("width", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'b'", StringComparison.Ordinal) && e.Contains("kind", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'1'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("0x02", StringComparison.Ordinal) && e.Contains("name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'c'", StringComparison.Ordinal) && e.Contains("values", StringComparison.Ordinal));
    }
}
