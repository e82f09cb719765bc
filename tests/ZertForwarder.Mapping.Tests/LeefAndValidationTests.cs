using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

public sealed class LeefAndValidationTests
{
    /// <summary>Splits a LEEF 2.0 line (contract §4) into its header fields and attributes.</summary>
    internal static (string[] Header, List<KeyValuePair<string, string>> Attributes) ParseLeef(string line)
    {
        var parts = line.Split('|', 7);
        Assert.Equal(7, parts.Length);
        var attributes = parts[6].Split('\t').Select(a =>
        {
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            Assert.True(eq > 0, $"attribute '{a}' has no key");
            return new KeyValuePair<string, string>(a[..eq], a[(eq + 1)..]);
        }).ToList();
        return (parts[..6], attributes);
    }

    [Fact]
    public void LEEF_values_never_carry_TAB_CR_or_LF_and_parse_back_to_the_flat_keys()
    {
        var random = new Random(119);
        var n = TestMappings.Normalizer;
        for (var i = 0; i < 200; i++)
        {
            // Text fields with EBCDIC TAB (X'05'), LF (X'15') and CR (X'0D') in random places.
            var b = new SpecRecordBuilder(11);
            b.Common[0] = 3;
            b.Common[4] = 6;
            var job = new string([.. Enumerable.Range(0, 8).Select(_ => "AB\t\n\r1"[random.Next(6)])]);
            SpecRecordBuilder.Text(b.Common, 8, 8, job);
            b.Dn(5, "CN=" + new string([.. Enumerable.Range(0, 20).Select(_ => "xy\t\n\r =,"[random.Next(8)])]));
            b.Tls = new byte[168];
            b.Tls[3] = 1;
            var record = TestMappings.Parse(b.Build());
            var line = TestMappings.Render(n.WriteLeef, record);
            Assert.DoesNotContain('\n', line);
            Assert.DoesNotContain('\r', line);
            var (header, attributes) = ParseLeef(line);
            Assert.Equal(["LEEF:2.0", "IBM", "zERT", "1.0", "ZERT_CONN_TERM", "x09"], header);
            var flat = System.Text.Json.Nodes.JsonNode.Parse(TestMappings.Render(n.WriteFlat, record))!.AsObject();
            var predefined = attributes.TakeWhile(a => !flat.ContainsKey(a.Key)).Select(a => a.Key).ToList();
            // Every flat key but the one-line message follows the predefined keys (assessment first, DNs last).
            Assert.Equal(flat.Select(p => p.Key).Where(k => k != "MESSAGE").Order(StringComparer.Ordinal), attributes.Skip(predefined.Count).Select(a => a.Key).Order(StringComparer.Ordinal));
            Assert.Equal(attributes.Count, attributes.Select(a => a.Key).Distinct().Count());
        }
    }

    [Fact]
    public void LEEF_values_carry_no_control_character_of_the_EBCDIC_text()
    {
        // X'3F' (SUB: a character z/OS could not convert), X'25' (NEL), X'00', X'07' (DEL) inside a job name and a DN.
        var b = new SpecRecordBuilder(11);
        b.Common[0] = 3;
        b.Common[4] = 6;
        SpecRecordBuilder.Text(b.Common, 8, 8, "JOB\u0000\u0085\u001A1");
        b.Dn(5, "CN=M\u001A\u001Aller\u0085\u0000\u007F,O=Bank");
        b.Tls = new byte[168];
        b.Tls[3] = 1;
        var line = TestMappings.Render(TestMappings.Normalizer.WriteLeef, TestMappings.Parse(b.Build()));
        var attributes = ParseLeef(line).Attributes;
        Assert.All(attributes, a => Assert.DoesNotContain(a.Value, char.IsControl));
        Assert.Contains(new KeyValuePair<string, string>("JOBNAME", "JOB   1"), attributes);
        Assert.Contains(attributes, a => a.Key.StartsWith("DN_", StringComparison.Ordinal) && a.Value == "CN=M  ller   ,O=Bank");
    }

    [Theory]
    [MemberData(nameof(GoldenFileTests.Cases), MemberType = typeof(GoldenFileTests))]
    public void Every_golden_LEEF_line_has_the_contract_header_and_one_key_per_flat_field(string name)
    {
        var record = TestMappings.Parse(GoldenCases.All[name]().Build());
        var line = TestMappings.Render(TestMappings.Normalizer.WriteLeef, record);
        var (header, attributes) = ParseLeef(line);
        Assert.Equal("x09", header[5]);
        Assert.Contains(attributes, a => a.Key == "externalId" && a.Value == System.Text.Encoding.ASCII.GetString(TestMappings.Normalizer.Describe(record).EventIdUtf8));
        Assert.Contains(attributes, a => a.Key == "cat" && a.Value is "TLS" or "SSH" or "IPSEC" or "MULTIPLE" or "NONE");
        Assert.Contains(attributes, a => a.Key == "sev" && int.Parse(a.Value, System.Globalization.CultureInfo.InvariantCulture) is >= 1 and <= 10);
    }

    [Fact]
    public void Invalid_mapping_files_are_reported_all_at_once_with_file_and_JSON_path()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zert-mappings-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var file in Directory.EnumerateFiles(TestMappings.Directory, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(dir, Path.GetRelativePath(TestMappings.Directory, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            var ecs = Path.Combine(dir, "ecs", "connection.json");
            File.WriteAllText(ecs, File.ReadAllText(ecs)
                .Replace("\"source\": \"SMF119SC_SAJobID\"", "\"source\": \"SMF119SC_NoSuchField\"", StringComparison.Ordinal)
                .Replace("\"convert\": \"tls_protocol\"", "\"convert\": \"no_such_converter\"", StringComparison.Ordinal)
                // A connection id has no handshake that could fail: "with_handshake" belongs to TLS and SSH fields.
                .Replace("\"source\": \"SMF119SC_SAConnID\",\n      \"only\": \"connection_events\"", "\"source\": \"SMF119SC_SAConnID\",\n      \"only\": \"with_handshake\"", StringComparison.Ordinal)
                // "with_ike" reads the IPsec section's IKE version: a TLS field would vanish from every record without IKE.
                .Replace("\"source\": \"SMF119SC_TLS_FIPS_Mode\",\n      \"only\": \"with_handshake\"", "\"source\": \"SMF119SC_TLS_FIPS_Mode\",\n      \"only\": \"with_ike\"", StringComparison.Ordinal)
                // "tcp" is for the common section's TCP-only fields: on a derived value it would hide what an Enterprise
                // Extender record does have (its direction is "unknown", which is a fact).
                .Replace("\"source\": \"$network.direction\"\n    },", "\"source\": \"$network.direction\",\n      \"only\": \"tcp\"\n    },", StringComparison.Ordinal)
                // "with_role" reads SAFlags' role bits, a common-section fact: on a derived value it would hide that value.
                .Replace("\"source\": \"$event.code\"\n    },", "\"source\": \"$event.code\",\n      \"only\": \"with_role\"\n    },", StringComparison.Ordinal)
                // "unknown_code" tests a code against its table: only a name rule has one.
                .Replace("\"convert\": \"name_nonzero\",\n      \"_comment\": \"Only a type", "\"convert\": \"number\",\n      \"_comment\": \"Only a type", StringComparison.Ordinal)
                .Replace("\"dn_type\": \"unknown\"", "\"dn_type\": \"unknow\"", StringComparison.Ordinal));
            var policy = Path.Combine(dir, "assessment", "policy.json");
            File.WriteAllText(policy, File.ReadAllText(policy).Replace("\"cipher:rc4\", \"cipher:export\" ]", "\"cipher:undeclared\" ]", StringComparison.Ordinal));
            // The EventID of records of an unknown event type: a '|' in it would shift every LEEF header field after it.
            var leef = Path.Combine(dir, "leef", "leef.json");
            File.WriteAllText(leef, File.ReadAllText(leef).Replace("\"unknown_event_id\": \"ZERT_UNKNOWN\"", "\"unknown_event_id\": \"ZERT|UNKNOWN\"", StringComparison.Ordinal));

            var problems = MappingSet.Validate(dir);
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("unknown IBM field 'SMF119SC_NoSuchField'", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("unknown converter 'no_such_converter'", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("'with_handshake' needs a field of the TLS or SSH section", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("'with_ike' needs a field of the IPsec section", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("'tcp' needs a field of the common section", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("'with_role' needs a field of the common section", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("'unknown_code' needs the 'name' or 'name_nonzero' converter", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("ecs/connection.json: $.rules[", StringComparison.Ordinal) && p.Contains("'dn_type' must be a DN type number (table V.9) or \"unknown\"", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("assessment/policy.json: $.encryption_algorithms", StringComparison.Ordinal) && p.Contains("cipher:undeclared", StringComparison.Ordinal));
            Assert.Contains(problems, p => p.StartsWith("leef/leef.json: $.unknown_event_id", StringComparison.Ordinal) && p.Contains("must not contain '|'", StringComparison.Ordinal));
            var e = Assert.Throws<MappingException>(() => MappingSet.Load(dir, new MappingOptions()));
            Assert.Equal(problems, e.Problems);
            Assert.Empty(MappingSet.Validate(TestMappings.Directory));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Describe_keys_by_the_server_endpoint_or_the_local_endpoint_when_the_role_is_unknown()
    {
        var n = TestMappings.Normalizer;
        var client = n.Describe(TestMappings.Parse(GoldenCases.All["c11-e3-tls13-client"]().Build()));
        Assert.Equal("192.168.7.20:51234", client.Key); // local is client: the server is the remote end
        Assert.Equal("192.168.7.20", client.ServerIp);
        var unknown = n.Describe(TestMappings.Parse(GoldenCases.All["c11-e3-ssl3-3des-role-unknown"]().Build()));
        Assert.Equal("10.1.1.1:443", unknown.Key);
        Assert.Null(unknown.ServerIp);
        Assert.True(unknown.Weak);
        Assert.Equal("zos.zert_connection", unknown.Dataset);
        var summary = n.Describe(TestMappings.Parse(GoldenCases.All["c12-e1-summary-cleartext-ee"]().Build()));
        Assert.Equal("10.1.1.1:21", summary.Key);
        Assert.Equal(["none"], summary.Protection);
        Assert.Equal("cleartext", summary.AssessmentLevel);
    }

    [Fact]
    public void Describe_brackets_ipv6_keys_and_keys_configuration_events_by_system_and_stack()
    {
        var n = TestMappings.Normalizer;
        var ipv6 = n.Describe(TestMappings.Parse(GoldenCases.All["c11-e1-ipv6-tls13"]().Build()));
        Assert.Equal("[2001:db8::1]:443", ipv6.Key); // an IPv6 endpoint must stay unambiguous: host and port split at "]:"
        var enabled = n.Describe(TestMappings.Parse(GoldenCases.All["c11-e5-zert-enabled"]().Build()));
        Assert.Equal("SYSA/TCPIP", enabled.Key); // no endpoint: one stack's enable/disable events stay in one partition
        Assert.False(enabled.IsConnectionDetail && enabled.ServerIp is not null);
    }

    [Theory]
    [InlineData("c11-e1-ipsec", "2025-10-31T09:04:50.250Z")]              // no end yet: the connection's start
    [InlineData("c11-e3-tls12-null-cipher", "2025-10-31T09:05:00.000Z")]   // a termination: the connection's end
    [InlineData("c12-e1-summary-tls-v32", null)]                           // a summary has no other time
    public void A_record_whose_header_date_does_not_decode_takes_its_time_from_the_connection(string golden, string? expected)
    {
        var bytes = GoldenCases.All[golden]().Build();
        new byte[] { 0x01, 0x25, 0x99, 0x9F }.CopyTo(bytes, 10); // SMF119DTE day 999: not a date
        var record = TestMappings.Parse(bytes);
        Assert.False(record.Header.TryGetLocalTime(out _));
        var ecs = System.Text.Json.Nodes.JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteEcs, record))!;
        Assert.Equal(expected, (string?)ecs["@timestamp"]);
        var (_, attributes) = ParseLeef(TestMappings.Render(TestMappings.Normalizer.WriteLeef, record));
        if (expected is null)
        {
            Assert.DoesNotContain(attributes, a => a.Key == "devTime");
        }
        else
        {
            var millis = DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            Assert.Contains(attributes, a => a.Key == "devTime" && a.Value == millis.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void A_record_dated_before_1970_has_no_devTime_and_keeps_its_time_in_ECS()
    {
        // SMF119DTE 0069365F (1969-12-31), as a damaged header date reads: devTime would wrap around to 18 digits.
        var builder = GoldenCases.All["c11-e1-tls12-server-strong"]();
        builder.LocalTime = new DateTime(1969, 12, 31, 21, 5, 42, 910);
        var record = TestMappings.Parse(builder.Build());
        var (_, attributes) = ParseLeef(TestMappings.Render(TestMappings.Normalizer.WriteLeef, record));
        Assert.DoesNotContain(attributes, a => a.Key == "devTime");
        var ecs = System.Text.Json.Nodes.JsonNode.Parse(TestMappings.Render(TestMappings.Normalizer.WriteEcs, record))!;
        Assert.StartsWith("1969-12-31T", (string)ecs["@timestamp"]!, StringComparison.Ordinal);
    }
}
