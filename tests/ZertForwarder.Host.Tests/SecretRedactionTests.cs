using System.Text;
using Xunit.Abstractions;
using ZertForwarder.Host.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// A password written into <c>Outputs:Elasticsearch:Url</c> (<c>http://user:password@host</c>) is used for basic
/// authentication and never shown: not in the start line, errors, /metrics or dead letters (issue 8, finding 5).
/// </summary>
public sealed class SecretRedactionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task A_password_in_the_Elasticsearch_url_reaches_no_log_metric_or_dead_letter()
    {
        // A password that cannot appear by accident, with a character that URLs must escape.
        var password = "pw-" + Guid.NewGuid().ToString("N")[..16] + "!";
        var escaped = Uri.EscapeDataString(password);
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RequiredAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("esuser:" + password));
        // Every 7th document is refused for good (400): it goes to the dead letters with Elasticsearch's reason.
        elasticsearch.ItemFault = (id, _) => Math.Abs(id.GetHashCode(StringComparison.Ordinal)) % 7 == 0 ? 400 : null;
        var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 21, zertCount: 150);
        var expected = Dumps.ZertRecords(dump).Count;
        var url = $"http://esuser:{escaped}@127.0.0.1:{elasticsearch.Url.Port}";
        var port = Endpoints.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var everything = new StringBuilder();
        await using (var running = ForwarderProcess.Start(_work.Path,
        [
            "run", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}",
            $"Outputs:Elasticsearch:Url={url}", $"Metrics:Port={port}", "Logging:Level=Trace",
        ]))
        {
            await Eventually.TrueAsync(() => elasticsearch.Documents.Count + elasticsearch.ItemFaults >= expected, "every event delivered or refused",
                TimeSpan.FromSeconds(30), () => running.Stderr);
            var metrics = "";
            await Eventually.TrueAsync(() =>
            {
                metrics = http.GetStringAsync("/metrics").GetAwaiter().GetResult();
                return metrics.Contains("zertforwarder_events_dead_lettered_total{sink=\"elasticsearch\"}", StringComparison.Ordinal);
            }, "dead letters counted", TimeSpan.FromSeconds(20), () => metrics);
            running.Signal(ForwarderProcess.Sigterm);
            await running.WaitForExitAsync(TimeSpan.FromSeconds(20));
            everything.Append(running.Stdout).Append(running.Stderr).Append(metrics);
            Assert.Contains("Elasticsearch http://127.0.0.1:", running.Stderr, StringComparison.Ordinal);
        }
        Assert.False(elasticsearch.Documents.IsEmpty, "the password in the URL authenticates (basic authentication)");
        Assert.True(elasticsearch.ItemFaults > 0);
        var deadLetterFiles = Directory.GetFiles(_work.Combine("state"), "*", SearchOption.AllDirectories);
        Assert.Contains(deadLetterFiles, f => f.Contains("dead-letters", StringComparison.Ordinal));
        foreach (var file in deadLetterFiles) everything.Append(File.ReadAllText(file));

        // Errors too: Elasticsearch unreachable, then refusing the credentials. The unreachable one is spelt "http:/\",
        // which System.Uri reads as "http://" with the user info, so the credentials-without-TLS warning names it too.
        var unreachable = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state2")}",
            $"Outputs:Elasticsearch:Url=http:/\\esuser:{escaped}@127.0.0.1:{Endpoints.FreePort()}",
        ], TimeSpan.FromSeconds(30));
        Assert.Equal(2, unreachable.ExitCode);
        // The JSON log escapes the backslash.
        Assert.Contains("Outputs:Elasticsearch:Url http:/\\\\127.0.0.1:", unreachable.Stderr, StringComparison.Ordinal);
        Assert.Contains("Cannot reach Elasticsearch at http:/\\\\127.0.0.1:", unreachable.Stderr, StringComparison.Ordinal);
        elasticsearch.RequiredAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("esuser:another-password"));
        var refused = await ForwarderProcess.RunAsync(_work.Path,
        [
            "run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state3")}", $"Outputs:Elasticsearch:Url={url}",
        ], TimeSpan.FromSeconds(30));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("refused the credentials", refused.Stderr, StringComparison.Ordinal);
        everything.Append(unreachable.Stdout).Append(unreachable.Stderr).Append(refused.Stdout).Append(refused.Stderr);

        var text = everything.ToString();
        output.WriteLine(ForwarderProcess.Tail(text, 30));
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(escaped, text, StringComparison.Ordinal);
        Assert.DoesNotContain("esuser:", text, StringComparison.Ordinal);
    }
}
