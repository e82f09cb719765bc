using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Xunit.Abstractions;
using ZertForwarder.Generator;
using ZertForwarder.Generator.Model;
using ZertForwarder.Host.Tests.Support;

namespace ZertForwarder.Host.Tests;

/// <summary>
/// The forwarder against a real Elasticsearch 9 (single node, security off) in a container: templates install, the
/// data streams take every document. No real server can run on the project's CI machine (test infrastructure §2),
/// so this skips cleanly there (§3) and runs wherever a Docker daemon is available.
/// </summary>
public sealed class RealElasticsearchTests(ITestOutputHelper output) : IDisposable
{
    private const string Image = "docker.elastic.co/elasticsearch/elasticsearch:9.1.0";
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [SkippableFact]
    public async Task Every_record_lands_once_in_a_real_Elasticsearch()
    {
        Skip.IfNot(DockerDaemon.Available(), "no Docker daemon (DOCKER_HOST unset and /var/run/docker.sock absent or refusing): test infrastructure §3");

        IContainer container;
        try
        {
            container = new ContainerBuilder(Image)
                .WithEnvironment("discovery.type", "single-node")
                .WithEnvironment("xpack.security.enabled", "false")
                .WithEnvironment("ES_JAVA_OPTS", "-Xms512m -Xmx512m")
                .WithPortBinding(9200, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(9200).ForPath("/_cluster/health")))
                .Build();
        }
        catch (DockerUnavailableException e)
        {
            throw new SkipException("no Docker daemon: " + e.Message.Split('\n')[0]);
        }

        await using (container)
        {
            await container.StartAsync();
            var url = new Uri($"http://{container.Hostname}:{container.GetMappedPublicPort(9200)}");
            var dump = Dumps.Write(_work.Combine("dump.smf"), seed: 21, zertCount: 1000);
            var expected = Dumps.ZertRecords(dump);

            var first = await ForwarderProcess.RunAsync(_work.Path,
                ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state")}", $"Outputs:Elasticsearch:Url={url}"],
                TimeSpan.FromMinutes(2));
            Assert.True(first.ExitCode == 0, first.ToString());
            // A second run on a fresh checkpoint re-sends everything: create answers 409 and nothing is doubled.
            var again = await ForwarderProcess.RunAsync(_work.Path,
                ["run", "--once", $"Input:Paths:0={dump}", $"Checkpoint:Directory={_work.Combine("state2")}", $"Outputs:Elasticsearch:Url={url}"],
                TimeSpan.FromMinutes(2));
            Assert.True(again.ExitCode == 0, again.ToString());

            using var http = new HttpClient { BaseAddress = url };
            await http.PostAsync("/logs-zos.*/_refresh", null);
            var count = await http.GetFromJsonAsync<JsonElement>("/logs-zos.*/_count");
            output.WriteLine($"{expected.Count} records, {count.GetProperty("count").GetInt64()} documents");
            Assert.Equal(expected.Count, count.GetProperty("count").GetInt64());

            // A damaged record's 8-byte counter past 2^63 - 1 does not fit Elasticsearch's long, which rejects the whole
            // document unless the mapping ignores malformed values: the templates do, so it is indexed, with the value
            // in _source and the field listed in _ignored.
            var damaged = DamagedCounterDump();
            var third = await ForwarderProcess.RunAsync(_work.Path,
                ["run", "--once", $"Input:Paths:0={damaged}", $"Checkpoint:Directory={_work.Combine("state3")}", $"Outputs:Elasticsearch:Url={url}"],
                TimeSpan.FromMinutes(2));
            Assert.True(third.ExitCode == 0, third.ToString());
            await http.PostAsync("/logs-zos.*/_refresh", null);
            var search = await http.PostAsJsonAsync("/logs-zos.*/_search", new { query = new { exists = new { field = "_ignored" } } });
            var hits = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hits").GetProperty("hits");
            output.WriteLine(hits.ToString());
            var hit = Assert.Single(hits.EnumerateArray());
            Assert.Equal(ulong.MaxValue, hit.GetProperty("_source").GetProperty("zos").GetProperty("zert").GetProperty("bytes_out").GetUInt64());
            Assert.Contains(hit.GetProperty("_ignored").EnumerateArray(), f => f.GetString() == "zos.zert.bytes_out");
        }
    }

    /// <summary>One generated TLS connection record whose outbound byte counter is 2^64 - 1 (a damaged record).</summary>
    private string DamagedCounterDump()
    {
        var connection = SmfDumpGenerator.GenerateRecords(7, 400, includeForeignRecords: false).Select(r => r.Connection).OfType<ZertConnectionRecord>()
            .First(c => c.Common.EventType == 4 && c.Tls is not null);
        connection.Common.OutBytes = ulong.MaxValue;
        var path = _work.Combine("damaged.smf");
        File.WriteAllBytes(path, ZertRecordWriter.ToArray(connection));
        return path;
    }

    [SkippableFact]
    public async Task Setup_imports_the_Kibana_content_into_a_real_Kibana_and_every_dashboard_opens()
    {
        Skip.IfNot(DockerDaemon.Available(), "no Docker daemon (DOCKER_HOST unset and /var/run/docker.sock absent or refusing): test infrastructure §3");

        INetwork network;
        IContainer elasticsearch, kibana;
        try
        {
            network = new NetworkBuilder().Build();
            elasticsearch = new ContainerBuilder(Image)
                .WithNetwork(network).WithNetworkAliases("es")
                .WithEnvironment("discovery.type", "single-node")
                .WithEnvironment("xpack.security.enabled", "false")
                .WithEnvironment("ES_JAVA_OPTS", "-Xms512m -Xmx512m")
                .WithPortBinding(9200, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(9200).ForPath("/_cluster/health")))
                .Build();
            kibana = new ContainerBuilder(KibanaImage)
                .WithNetwork(network)
                .WithEnvironment("ELASTICSEARCH_HOSTS", "http://es:9200")
                .WithPortBinding(5601, assignRandomHostPort: true)
                .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(5601).ForPath("/api/status")))
                .Build();
        }
        catch (DockerUnavailableException e)
        {
            throw new SkipException("no Docker daemon: " + e.Message.Split('\n')[0]);
        }

        await using (network)
        await using (elasticsearch)
        await using (kibana)
        {
            await network.CreateAsync();
            await elasticsearch.StartAsync();
            await kibana.StartAsync();
            var esUrl = $"http://{elasticsearch.Hostname}:{elasticsearch.GetMappedPublicPort(9200)}";
            var kibanaUrl = new Uri($"http://{kibana.Hostname}:{kibana.GetMappedPublicPort(5601)}");

            var setup = await ForwarderProcess.RunAsync(_work.Path,
                ["setup", $"Outputs:Elasticsearch:Url={esUrl}", $"Kibana:Url={kibanaUrl}"], TimeSpan.FromMinutes(2));
            output.WriteLine(setup.ToString());
            Assert.True(setup.ExitCode == 0, setup.ToString());

            using var http = new HttpClient { BaseAddress = kibanaUrl };
            foreach (var id in new[] { "protection", "weak-crypto", "certificates", "cleartext", "tls-versions" })
            {
                var dashboard = await http.GetAsync($"/api/saved_objects/dashboard/zertforwarder-dashboard-{id}");
                Assert.True(dashboard.IsSuccessStatusCode, $"dashboard {id}: HTTP {(int)dashboard.StatusCode}");
            }
        }
    }

    private const string KibanaImage = "docker.elastic.co/kibana/kibana:9.1.0";

    /// <summary>A cheap check for a Docker daemon, without calling Testcontainers (test infrastructure §3).</summary>
    private static class DockerDaemon
    {
        public static bool Available()
        {
            var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
            var path = host is { } h && h.StartsWith("unix://", StringComparison.Ordinal) ? h["unix://".Length..] : host is null ? "/var/run/docker.sock" : null;
            if (path is null) return true; // tcp://...: let Testcontainers decide
            if (!File.Exists(path)) return false;
            try
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
}
