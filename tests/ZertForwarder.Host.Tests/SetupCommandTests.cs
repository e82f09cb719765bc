using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// <c>setup</c> (issue 11): installs the Elasticsearch templates and the Kibana content, then exits; refused
/// credentials and objects Kibana rejects are clear errors. Runs the real executable against scripted fakes.
/// </summary>
public sealed class SetupCommandTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);
    private const string ApiKey = "S2liYW5hS2V5OnNlY3JldA==";
    private readonly TempDirectory _work = new();
    private FakeKibana _kibana = null!;
    private FakeElasticsearch _elasticsearch = null!;

    public async Task InitializeAsync()
    {
        _kibana = await FakeKibana.StartAsync();
        _elasticsearch = await FakeElasticsearch.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _kibana.DisposeAsync();
        await _elasticsearch.DisposeAsync();
        _work.Dispose();
    }

    [Fact]
    public async Task Setup_installs_the_templates_and_imports_the_data_view_dashboards_searches_and_rules_then_exits()
    {
        var keyFile = _work.Combine("kibana-key");
        File.WriteAllText(keyFile, ApiKey + "\n");
        _kibana.RequiredAuthorization = "ApiKey " + ApiKey;

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "setup", $"Outputs:Elasticsearch:Url={_elasticsearch.Url}", "Outputs:Elasticsearch:Retention=30d",
            $"Kibana:Url={_kibana.Url}", $"Kibana:ApiKeyFile={keyFile}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("setup complete", result.Stdout, StringComparison.Ordinal);

        // Elasticsearch: templates by Elastic's conventions, lifecycle as configured.
        var index = JsonNode.Parse(_elasticsearch.IndexTemplates["logs-zos.zert_connection"])!;
        Assert.Equal("30d", (string?)index["template"]!["lifecycle"]!["data_retention"]);
        Assert.Contains("logs-zos.zert_connection@custom", index["ignore_missing_component_templates"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("constant_keyword", (string?)JsonNode.Parse(_elasticsearch.ComponentTemplates["logs-zos.zert_connection@mappings"])!
            ["template"]!["mappings"]!["properties"]!["data_stream"]!["properties"]!["namespace"]!["type"]);
        // Malformed values (a damaged counter past a long) are ignored rather than costing the document, as the file
        // says: the typed client that sends the template keeps the setting.
        Assert.All(new[] { "logs-zos.zert_connection@mappings", "logs-zos.zert_summary@mappings" }, name =>
            Assert.Equal("true", IgnoreMalformed(JsonNode.Parse(_elasticsearch.ComponentTemplates[name])!["template"]!["settings"])));

        // Kibana: everything under fixed ids, nothing rejected.
        var objects = _kibana.Objects.Values.ToList();
        var dataView = Assert.Single(objects, o => (string?)o["type"] == "index-pattern");
        Assert.Equal("logs-zos.zert*", (string?)dataView["attributes"]!["title"]);
        Assert.Equal(5, objects.Count(o => (string?)o["type"] == "dashboard"));
        Assert.Equal(5, objects.Count(o => (string?)o["type"] == "search"));
        Assert.Equal(3, _kibana.Rules.Count);
        Assert.Contains("/api/saved_objects/_import?overwrite=true", _kibana.Requests);
        Assert.Contains("/api/detection_engine/rules/_import?overwrite=true", _kibana.Requests);
        Assert.DoesNotContain(ApiKey, result.Stdout + result.Stderr, StringComparison.Ordinal);
        // The fake Kibana speaks http: the key went unencrypted, which setup says (Elasticsearch got no credentials).
        Assert.Equal([$"zertforwarder: warning: credentials without TLS, readable on the network: Kibana:Url {_kibana.Url} receives the API key or password unencrypted: use https://."],
            result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("without TLS", StringComparison.Ordinal)));

        // Again: the same objects are replaced, not added.
        var again = await ForwarderProcess.RunAsync(_work.Path, ["setup", $"Kibana:Url={_kibana.Url}", $"Kibana:ApiKeyFile={keyFile}"], RunLimit);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(objects.Count, _kibana.Objects.Count);
    }

    [Fact]
    public async Task Setup_with_the_runs_configuration_does_not_need_its_input_files()
    {
        // The same configuration file as run (README): its dumps live on the forwarder's machine, not on the one
        // that installs the content.
        var result = await ForwarderProcess.RunAsync(_work.Path,
            ["setup", "Input:Paths:0=/nowhere/SYSA.DUMP", $"Outputs:Elasticsearch:Url={_elasticsearch.Url}"], RunLimit);
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEmpty(_elasticsearch.IndexTemplates);
    }

    [Fact]
    public async Task Every_secret_and_CA_file_problem_is_listed_in_one_go_and_nothing_is_sent()
    {
        // They were found one at a time, as setup reached each: fix one, run again, meet the next.
        var emptyKey = _work.Combine("empty-key");
        File.WriteAllText(emptyKey, "\n");
        var notPem = _work.Combine("not-a-certificate.pem");
        File.WriteAllText(notPem, "hello\n");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "setup", $"Outputs:Elasticsearch:Url={_elasticsearch.Url}", $"Outputs:Elasticsearch:ApiKeyFile={_work.Combine("no-such-key")}",
            $"Outputs:Elasticsearch:CaFile={notPem}", $"Kibana:Url={_kibana.Url}", $"Kibana:ApiKeyFile={emptyKey}", $"Kibana:CaFile={notPem}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("the configuration has 4 problem(s)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Outputs:Elasticsearch:ApiKeyFile: '{_work.Combine("no-such-key")}' does not exist", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Outputs:Elasticsearch:CaFile: '{notPem}' holds no PEM certificate", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Kibana:ApiKeyFile: '{emptyKey}' is empty", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Kibana:CaFile: '{notPem}' holds no PEM certificate", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _elasticsearch.Requests);
        Assert.Empty(_kibana.Requests);
    }

    [Fact]
    public async Task An_API_key_file_with_a_line_break_inside_the_key_is_a_listed_problem_not_a_crash()
    {
        // It was: setup ended with an unhandled FormatException and its stack trace (Kibana), or the run with the
        // HTTP client's "New-line or NUL characters are not allowed in header values", naming no setting (Elasticsearch).
        var twoLines = _work.Combine("two-line-key");
        File.WriteAllText(twoLines, "a2V5LWlk-Sec-ret-77\nOmtleS1zZWNyZXQ=\n");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "setup", $"Outputs:Elasticsearch:Url={_elasticsearch.Url}", $"Outputs:Elasticsearch:ApiKeyFile={twoLines}",
            $"Kibana:Url={_kibana.Url}", $"Kibana:ApiKeyFile={twoLines}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("the configuration has 2 problem(s)", result.Stderr, StringComparison.Ordinal);
        foreach (var setting in new[] { "Outputs:Elasticsearch:ApiKeyFile", "Kibana:ApiKeyFile" })
        {
            Assert.Contains($"{setting}: '{twoLines}' holds spaces, line breaks or control characters within its key (a token or API key is one word; the content is not shown)",
                result.Stderr, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("Sec-ret-77", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, _elasticsearch.Requests);
        Assert.Empty(_kibana.Requests);
    }

    [Fact]
    public async Task Broken_template_and_content_files_are_all_listed_and_nothing_is_installed()
    {
        // Each file was read as its turn came: the component templates were in the cluster when a broken index
        // template stopped setup, a half-installed state.
        var templates = _work.Combine("elasticsearch");
        var content = _work.Combine("kibana");
        CopyDirectory(Path.Combine(ForwarderProcess.ProgramDirectory, "mappings", "elasticsearch"), templates);
        CopyDirectory(Path.Combine(ForwarderProcess.ProgramDirectory, "mappings", "kibana"), content);
        File.WriteAllText(Path.Combine(templates, "component_template", "logs-zos.zert_summary@mappings.json"), "[]");
        File.WriteAllText(Path.Combine(templates, "index_template", "logs-zos.zert_summary.json"), "{ broken");
        File.AppendAllText(Path.Combine(content, "zertforwarder-saved-objects.ndjson"), "not json\n");

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "setup", $"Outputs:Elasticsearch:Url={_elasticsearch.Url}", $"Outputs:Elasticsearch:TemplatesDirectory={templates}",
            $"Kibana:Url={_kibana.Url}", $"Kibana:ContentDirectory={content}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("logs-zos.zert_summary@mappings.json' is not a JSON object", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("logs-zos.zert_summary.json' is not valid JSON", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("zertforwarder-saved-objects.ndjson' line 22 is not a JSON object", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(_elasticsearch.TemplatePuts);
        Assert.Empty(_kibana.Requests);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Kibana_space_is_imported_into_through_its_path()
    {
        var result = await ForwarderProcess.RunAsync(_work.Path, ["setup", $"Kibana:Url={_kibana.Url}", "Kibana:Space=mainframe-security"], RunLimit);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("/s/mainframe-security/api/saved_objects/_import?overwrite=true", _kibana.Requests);
        Assert.All(_kibana.Objects.Keys, k => Assert.Equal("mainframe-security", k.Space));
        Assert.Contains("space 'mainframe-security'", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Kibana_certificate_of_the_CaFile_that_is_not_for_a_server_is_refused_and_the_error_says_why()
    {
        // A client certificate of the same corporate CA (extended key usage clientAuth only) chains to Kibana:CaFile
        // but does not identify a server; the error said only "RemoteCertificateChainErrors".
        using var certificates = new TestCertificates(serverUsageOid: "1.3.6.1.5.5.7.3.2");
        await using var tlsKibana = await FakeKibana.StartAsync(certificates.Server);

        var result = await ForwarderProcess.RunAsync(_work.Path,
        [
            "setup", $"Kibana:Url=https://127.0.0.1:{tlsKibana.Url.Port}", $"Kibana:CaFile={certificates.WriteAuthorityPem(_work.Path)}",
        ], RunLimit);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("TLS certificate refused: the certificate of Kibana (CN=localhost, issued by CN=ZertForwarder Test CA) is not for a TLS server: " +
            "its extended key usage lacks serverAuth", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(tlsKibana.Objects);
    }

    [Fact]
    public async Task Refused_credentials_and_missing_privileges_are_clear_errors_with_exit_2()
    {
        var passwordFile = _work.Combine("password");
        File.WriteAllText(passwordFile, "wrong\n");
        _kibana.RequiredAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("zert:right"));

        var unauthorized = await ForwarderProcess.RunAsync(_work.Path,
            ["setup", $"Kibana:Url={_kibana.Url}", "Kibana:Username=zert", $"Kibana:PasswordFile={passwordFile}"], RunLimit);
        _kibana.RequiredAuthorization = null;
        _kibana.Forbidden = true;
        var forbidden = await ForwarderProcess.RunAsync(_work.Path, ["setup", $"Kibana:Url={_kibana.Url}"], RunLimit);

        output.WriteLine(unauthorized.Stderr);
        output.WriteLine(forbidden.Stderr);
        Assert.True(unauthorized.ExitCode == 2, unauthorized.ToString());
        Assert.Contains("refused the credentials (HTTP 401", unauthorized.Stderr, StringComparison.Ordinal);
        Assert.Contains("Kibana:Username and Kibana:PasswordFile", unauthorized.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", unauthorized.Stderr, StringComparison.Ordinal);
        Assert.True(forbidden.ExitCode == 2, forbidden.ToString());
        Assert.Contains("HTTP 403", forbidden.Stderr, StringComparison.Ordinal);
        Assert.Contains("Saved Objects Management", forbidden.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", unauthorized.Stderr + forbidden.Stderr, StringComparison.Ordinal);
        Assert.Empty(_kibana.Objects);
    }

    [Fact]
    public async Task Objects_Kibana_rejects_are_each_named_with_the_reason_and_exit_1()
    {
        _kibana.UnsupportedTypes.Add("lens"); // a Kibana without Lens: the visualizations and the dashboards using them fail
        _kibana.HasDetectionEngine = false;

        var result = await ForwarderProcess.RunAsync(_work.Path, ["setup", $"Kibana:Url={_kibana.Url}"], RunLimit);

        output.WriteLine(result.Stderr);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Kibana rejected lens 'zertforwarder-lens-protection-by-system' (Protection by system): unsupported_type", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Kibana rejected dashboard 'zertforwarder-dashboard-protection' ([zERT] Protection mix): missing_references (lens/zertforwarder-lens-protection-by-system", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("no detection engine API here (HTTP 404)", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(6, _kibana.Objects.Count); // the data view and the five searches still went in
    }

    [Fact]
    public async Task Setup_with_nothing_to_install_or_a_wrong_setting_lists_the_problems_and_exits_2()
    {
        var nothing = await ForwarderProcess.RunAsync(_work.Path, ["setup"], RunLimit);
        var wrong = await ForwarderProcess.RunAsync(_work.Path,
            ["setup", "Kibana:Url=kibana:5601", "Kibana:ApiKeyFile=/nonexistent/key", "Kibana:Space=Prod Space", "Outputs:Elasticsearch:Retention=forever"], RunLimit);

        Assert.True(nothing.ExitCode == 2, nothing.ToString());
        Assert.Contains("setup has nothing to install", nothing.Stderr, StringComparison.Ordinal);
        output.WriteLine(wrong.Stderr);
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
        Assert.Contains("Kibana:Url must be an absolute", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("Kibana:ApiKeyFile '/nonexistent/key' does not exist", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("Kibana:Space must be a space id", wrong.Stderr, StringComparison.Ordinal);
        Assert.Contains("Retention must be a positive Elasticsearch time value", wrong.Stderr, StringComparison.Ordinal);
        Assert.Empty(_kibana.Requests);

        // A key in the URL's query would be shown wherever the URL is: refused, and not echoed.
        var query = await ForwarderProcess.RunAsync(_work.Path, ["setup", $"Kibana:Url={_kibana.Url}?api_key=QSECRET77"], RunLimit);
        Assert.True(query.ExitCode == 2, query.ToString());
        Assert.Contains("Kibana:Url must not carry a query", query.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("QSECRET77", query.Stdout + query.Stderr, StringComparison.Ordinal);
        Assert.Empty(_kibana.Requests);

        // A password in the URL is refused too, so it is never sent, over http or not (no credentials-without-TLS
        // warning to give), and not echoed.
        var userInfo = await ForwarderProcess.RunAsync(_work.Path,
            ["setup", $"Kibana:Url={new UriBuilder(_kibana.Url) { UserName = "admin", Password = "UPW-SECRET-31" }}"], RunLimit);
        Assert.True(userInfo.ExitCode == 2, userInfo.ToString());
        Assert.Contains("Kibana:Url must not hold a user or password", userInfo.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("UPW-SECRET-31", userInfo.Stdout + userInfo.Stderr, StringComparison.Ordinal);
        Assert.Empty(_kibana.Requests);
    }

    /// <summary><c>index.mapping.ignore_malformed</c> of template settings, written nested or with dotted keys.</summary>
    private static string? IgnoreMalformed(JsonNode? settings) =>
        settings?["index"]?["mapping"]?["ignore_malformed"]?.ToJsonString().Trim('"')
        ?? settings?["index"]?["mapping.ignore_malformed"]?.ToJsonString().Trim('"')
        ?? settings?["index.mapping.ignore_malformed"]?.ToJsonString().Trim('"');
}
