using System.Text.Json;
using ZertForwarder.Generator;
using ZertForwarder.Mapping.Tests.Support;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// The ECS writer skips the escaping check for values it knows need none (formatter output, table names checked when
/// the mapping is compiled). A table name that does need escaping must still be escaped.
/// </summary>
public sealed class PlainValueTests : IDisposable
{
    private readonly string _mappings = Path.Combine(Path.GetTempPath(), "zf-plain-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_mappings)) Directory.Delete(_mappings, recursive: true);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_name_with_a_quote_and_a_backslash_is_escaped_in_every_document()
    {
        CopyDirectory(TestMappings.Directory, _mappings);
        // The certificate key type RSA, as a mapping author might rename it (the JSON file escapes it as \" and \\).
        var tables = Path.Combine(_mappings, "codes", "ibm-value-tables.json");
        var text = File.ReadAllText(tables);
        var table = text.IndexOf("\"cert_key_type\"", StringComparison.Ordinal);
        var entry = text.IndexOf("\"0x0002\": \"RSA\"", table, StringComparison.Ordinal);
        Assert.True(table >= 0 && entry > table, "the cert_key_type table or its RSA entry moved");
        const string escapedInJson = "\"0x0002\": \"RSA \\\"2048\\\" \\\\ legacy\"";
        var renamed = text[..entry] + escapedInJson + text[(entry + "\"0x0002\": \"RSA\"".Length)..];
        Assert.NotEqual(text, renamed);
        File.WriteAllText(tables, renamed);
        var normalizer = new ZertNormalizer(MappingSet.Load(_mappings, TestMappings.Options));

        var written = 0;
        foreach (var generated in SmfDumpGenerator.GenerateRecords(seed: 77, 3000, includeForeignRecords: false))
        {
            var ecs = TestMappings.Render(normalizer.WriteEcs, TestMappings.Parse(generated.Bytes.ToArray()));
            using var document = JsonDocument.Parse(ecs); // every document stays valid JSON
            if (document.RootElement.TryGetProperty("tls", out var tls) && tls.TryGetProperty("server", out var server)
                && server.TryGetProperty("x509", out var x509) && x509.TryGetProperty("public_key_algorithm", out var algorithm)
                && algorithm.GetString() == "RSA \"2048\" \\ legacy")
            {
                written++;
                Assert.Contains("\"public_key_algorithm\":\"RSA \\\"2048\\\" \\\\ legacy\"", ecs, StringComparison.Ordinal);
            }
        }
        Assert.True(written > 0, "no generated record had an RSA server certificate key");
    }

    [Theory]
    [InlineData(new byte[] { 0xC1, 0x7F, 0xE0, 0x05, 0xC2, 0x40, 0x40, 0x40 }, "A\"\\\tB")] // only ASCII to escape
    [InlineData(new byte[] { 0xC1, 0x7F, 0xE0, 0x43, 0x05, 0xC2, 0x40, 0x40 }, "A\"\\\u00E4\tB")] // and a non-ASCII letter
    public void A_text_field_with_characters_to_escape_is_written_as_the_general_writer_writes_it(byte[] jobname, string expected)
    {
        // The ECS writer transcodes a text field straight into the document while every character is plain ASCII and
        // falls back to the escaping writer at the first other one. A job name with a quote, a backslash, a TAB and
        // perhaps a non-ASCII letter (EBCDIC X'7F', X'E0', X'05', X'43' in code page 1047, blank padded) must come out
        // as Utf8JsonWriter writes it.
        var generated = SmfDumpGenerator.GenerateRecords(seed: 5, 200, includeForeignRecords: false).First(r => r.Subtype == 11);
        var bytes = generated.Bytes.ToArray();
        var common = TestMappings.Parse(bytes).Section(ZertSection.Common);
        jobname.CopyTo(bytes, common.Offset + ZertFields.SC_SAJobname.Offset);
        var normalizer = new ZertNormalizer(MappingSet.Load(TestMappings.Directory, TestMappings.Options));

        var ecs = TestMappings.Render(normalizer.WriteEcs, TestMappings.Parse(bytes));

        using var document = JsonDocument.Parse(ecs);
        Assert.Equal(expected, document.RootElement.GetProperty("process").GetProperty("name").GetString());
        var encoded = JsonEncodedText.Encode(expected, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString();
        Assert.Contains($"\"process\":{{\"name\":\"{encoded}\"}}", ecs, StringComparison.Ordinal);
    }
}
