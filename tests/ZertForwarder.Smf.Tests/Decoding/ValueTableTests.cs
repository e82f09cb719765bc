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
