using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Elastic.Clients.Elasticsearch;
using Elastic.Clients.Elasticsearch.Cluster;
using Elastic.Clients.Elasticsearch.IndexManagement;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>
/// The bootstrap concern: the start-up probe (<c>GET /</c>) and the component and index templates of
/// <c>TemplatesDirectory</c>, through the client's typed API. Used by the sink at start and by the <c>setup</c> verb.
/// </summary>
/// <remarks>
/// Like Elastic's integrations, a template carries a <c>version</c> and is only (re)installed when the installed one
/// is older or absent, so a cluster administrator's edit of the same version is not wiped at every start (site
/// changes belong in the <c>&lt;template&gt;@custom</c> component template, which is never written here). The lifecycle
/// of each data stream index template comes from configuration: a data stream lifecycle with
/// <c>Retention</c>, or an ILM policy; the setting is recorded in <c>_meta.lifecycle</c> and a change of it also
/// reinstalls the template.
/// </remarks>
internal sealed partial class ElasticsearchTemplateInstaller(ElasticsearchConnection connection, ElasticsearchSinkOptions options, IPipelineLog log)
{
    private const string SinkName = "elasticsearch";

    /// <summary>
    /// Reads a template into its request: a default client's, as templates are built before any connection exists
    /// (<c>setup</c> checks them first), and no setting of the connection changes how a request is read.
    /// </summary>
    private static readonly Elastic.Transport.Serializer TemplateSerializer = new ElasticsearchClient().RequestResponseSerializer;

    /// <summary>What <see cref="InstallAsync"/> did with each template; <paramref name="Replaced"/>: it was installed over one the cluster had.</summary>
    public sealed record TemplateResult(string Kind, string Name, bool Installed, string Detail, bool Replaced = false);

    /// <summary>A positive Elasticsearch time value (<c>90d</c>, <c>12h</c>, <c>30m</c>, ...).</summary>
    public static bool IsValidRetention(string? value) => value is not null && TimeValue().IsMatch(value) && !value.StartsWith('0');

    /// <summary><c>GET /</c>: the cluster answers, the credentials are accepted, it says it is Elasticsearch.</summary>
    public async Task<string> ProbeAsync(CancellationToken cancellationToken)
    {
        // Bounded as a whole (a body that stalls after the headers too); a stop during the probe is a stop, not a failure.
        var response = await connection.CallAsync(
            token => connection.Client.InfoAsync(new InfoRequest { RequestConfiguration = connection.StartupRequest }, token),
            "GET /", connection.StartupRequest.RequestTimeout, cancellationToken);
        var details = response.ApiCallDetails;
        if (details.HttpStatusCode is 401 or 403)
        {
            throw new SinkFatalException(
                $"Elasticsearch at {connection.Description} refused the credentials (HTTP {details.HttpStatusCode}); check Outputs:Elasticsearch ApiKey/ApiKeyFile or Username/Password.");
        }

        if (details.HttpStatusCode is null)
        {
            throw new InvalidOperationException($"Cannot reach Elasticsearch at {connection.Description}: {connection.DescribeTransportFailure(details)}");
        }

        if (!response.IsValidResponse)
        {
            var error = response.ElasticsearchServerError?.Error is { } e ? $"{e.Type}: {e.Reason}" : "no error details";
            throw new InvalidOperationException($"Elasticsearch at {connection.Description} answered GET / with HTTP {details.HttpStatusCode}: {error}");
        }

        var version = response.Version?.Number ?? "unknown";
        log.Log(PipelineLogLevel.Information, SinkName, $"Connected to Elasticsearch {version} at {connection.Description}.");
        return version;
    }

    /// <summary>Component templates first (index templates compose them), each kind in file-name order.</summary>
    public async Task<IReadOnlyList<TemplateResult>> InstallAsync(CancellationToken cancellationToken)
    {
        // Every file is read and built before the first is sent: one found broken half-way left the cluster with
        // the templates before it installed and the rest missing.
        var templates = Load(options);
        if (templates.Problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"Outputs:Elasticsearch:TemplatesDirectory '{options.TemplatesDirectory}' has {templates.Problems.Count} problem(s), nothing was installed: {string.Join("; ", templates.Problems)}");
        }

        var results = new List<TemplateResult>();
        foreach (var (name, template, request) in templates.Components)
        {
            results.Add(Logged(await InstallComponentTemplateAsync(name, template, request, cancellationToken)));
        }

        foreach (var (name, template, request) in templates.Indexes)
        {
            results.Add(Logged(await InstallIndexTemplateAsync(name, template, request, cancellationToken)));
        }

        // A data stream takes a template when it creates a backing index: after a replacement the running one keeps the
        // old mappings and settings until its lifecycle rolls it over (up to 30 days). Like Elastic's Fleet when an
        // integration's mappings change, mark each data stream the templates make to roll over at its next write (a lazy
        // rollover, Elasticsearch 8.13 and later), so the next event already goes to an index with the new ones.
        if (results.Any(r => r.Replaced))
        {
            foreach (var (_, template, _) in templates.Indexes)
            {
                foreach (var dataStream in DataStreamsOf(template))
                {
                    await MarkForRolloverAsync(dataStream, cancellationToken);
                }
            }
        }

        return results;
    }

    /// <summary>The data streams of this forwarder's namespace that <paramref name="template"/>'s patterns (<c>logs-zos.zert_connection-*</c>) make.</summary>
    private IEnumerable<string> DataStreamsOf(JsonObject template) =>
        (template["index_patterns"] as JsonArray ?? [])
        .Select(p => p?.GetValue<string>())
        .Where(p => p is not null && p.EndsWith("-*", StringComparison.Ordinal) && p.IndexOf('*') == p.Length - 1)
        .Select(p => p![..^1] + options.Namespace);

    /// <summary>
    /// Marks <paramref name="dataStream"/> to roll over at its next write. Not a start-up condition: a data stream that
    /// does not exist yet (404) will be created with the new templates anyway, and any other answer (an older cluster
    /// without lazy rollovers, missing privileges) only means the templates apply from the next rollover, which the log
    /// says.
    /// </summary>
    private async Task MarkForRolloverAsync(string dataStream, CancellationToken cancellationToken)
    {
        RolloverResponse response;
        try
        {
            response = await connection.CallAsync(
                token => connection.Client.Indices.RolloverAsync(new RolloverRequest(dataStream) { Lazy = true, RequestConfiguration = connection.StartupRequest }, token),
                $"POST {dataStream}/_rollover", connection.StartupRequest.RequestTimeout, cancellationToken);
        }
        catch (InvalidOperationException exception)
        {
            log.Log(PipelineLogLevel.Warning, SinkName, $"Could not mark data stream {dataStream} to roll over ({exception.Message}); the new templates apply from its next rollover.");
            return;
        }

        var status = response.ApiCallDetails.HttpStatusCode;
        if (response.IsValidResponse)
        {
            log.Log(PipelineLogLevel.Information, SinkName, $"Marked data stream {dataStream} to roll over at its next write: its next backing index has the new templates.");
        }
        else if (status != 404)
        {
            var error = response.ElasticsearchServerError?.Error is { } e ? $"{e.Type}: {e.Reason}" : connection.DescribeTransportFailure(response.ApiCallDetails);
            log.Log(PipelineLogLevel.Warning, SinkName, $"Could not mark data stream {dataStream} to roll over (HTTP {status?.ToString() ?? "none"}: {error}); the new templates apply from its next rollover.");
        }
    }

    /// <summary>The templates of <c>TemplatesDirectory</c>, each read and built into its request, and every problem found doing so.</summary>
    internal sealed record TemplateSet(
        IReadOnlyList<(string Name, JsonObject Template, PutComponentTemplateRequest Request)> Components,
        IReadOnlyList<(string Name, JsonObject Template, PutIndexTemplateRequest Request)> Indexes,
        IReadOnlyList<string> Problems);

    /// <summary>
    /// Reads and builds every template without a cluster, so that <c>setup</c> can list the problems with its others
    /// before it connects, and nothing is installed when one file is broken.
    /// </summary>
    internal static TemplateSet Load(ElasticsearchSinkOptions options)
    {
        var components = new List<(string, JsonObject, PutComponentTemplateRequest)>();
        var indexes = new List<(string, JsonObject, PutIndexTemplateRequest)>();
        var problems = new List<string>();
        foreach (var folder in new[] { "component_template", "index_template" })
        {
            var directory = Path.Combine(options.TemplatesDirectory, folder);
            if (!Directory.Exists(directory))
            {
                problems.Add($"Outputs:Elasticsearch:TemplatesDirectory '{options.TemplatesDirectory}' has no {folder} folder (set InstallTemplates=false to skip).");
                continue;
            }

            foreach (var file in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                try
                {
                    var template = JsonNode.Parse(System.IO.File.ReadAllText(file)) as JsonObject;
                    if (template is null)
                    {
                        problems.Add($"'{file}' is not a JSON object.");
                    }
                    else if (folder == "component_template")
                    {
                        components.Add((name, template, Deserialize<PutComponentTemplateRequest>(template, file)));
                    }
                    else
                    {
                        // A Retention the settings refuse is named by their check (Validate): the file is then checked as it is.
                        var built = string.IsNullOrEmpty(options.IlmPolicy) && !IsValidRetention(options.Retention) ? template : WithLifecycle(template, options);
                        indexes.Add((name, built, Deserialize<PutIndexTemplateRequest>(built, file)));
                    }
                }
                catch (System.Text.Json.JsonException exception)
                {
                    problems.Add($"'{file}' is not valid JSON: {exception.Message}");
                }
                catch (InvalidOperationException exception)
                {
                    problems.Add(exception.Message);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    problems.Add($"'{file}' cannot be read ({exception.Message})");
                }
            }
        }

        return new TemplateSet(components, indexes, problems);
    }

    private TemplateResult Logged(TemplateResult result)
    {
        log.Log(PipelineLogLevel.Information, SinkName, $"{(result.Installed ? "Installed" : "Kept")} {result.Kind} {result.Name}: {result.Detail}.");
        return result;
    }

    /// <summary>The lifecycle of a data stream template as configured: ILM policy, or data stream lifecycle retention.</summary>
    internal static JsonObject WithLifecycle(JsonObject template, ElasticsearchSinkOptions options)
    {
        if (template["data_stream"] is null)
        {
            return template;
        }

        var body = template["template"] as JsonObject ?? new JsonObject();
        template["template"] = body;
        var meta = template["_meta"] as JsonObject ?? new JsonObject();
        template["_meta"] = meta;
        if (!string.IsNullOrEmpty(options.IlmPolicy))
        {
            body.Remove("lifecycle");
            var settings = body["settings"] as JsonObject ?? new JsonObject();
            body["settings"] = settings;
            settings["index.lifecycle.name"] = options.IlmPolicy;
            meta["lifecycle"] = $"ilm:{options.IlmPolicy}";
        }
        else
        {
            body["lifecycle"] = new JsonObject { ["enabled"] = true, ["data_retention"] = options.Retention };
            meta["lifecycle"] = $"data_retention:{options.Retention}";
        }

        return template;
    }

    private async Task<TemplateResult> InstallComponentTemplateAsync(string name, JsonObject template, PutComponentTemplateRequest request, CancellationToken cancellationToken)
    {
        var installed = await connection.CallAsync(
            token => connection.Client.Cluster.GetComponentTemplateAsync(
                new GetComponentTemplateRequest(name) { RequestConfiguration = connection.StartupRequest }, token),
            $"GET _component_template/{name}", connection.StartupRequest.RequestTimeout, cancellationToken);
        CheckReadable(installed.ApiCallDetails, "_component_template", name);
        var current = installed.IsValidResponse ? installed.ComponentTemplates?.FirstOrDefault(t => t.Name == name)?.ComponentTemplateNode : null;
        var keep = KeepInstalled(template, current?.Version, null, null);
        if (keep is not null)
        {
            return new TemplateResult("component template", name, false, keep);
        }

        request.Name = name;
        request.RequestConfiguration = connection.StartupRequest;
        var response = await connection.CallAsync(
            token => connection.Client.Cluster.PutComponentTemplateAsync(request, token), $"PUT _component_template/{name}", connection.StartupRequest.RequestTimeout, cancellationToken);
        CheckWritten(response, "_component_template", name);
        return new TemplateResult("component template", name, true, Installing(template, current?.Version), Replaced: current is not null);
    }

    private async Task<TemplateResult> InstallIndexTemplateAsync(string name, JsonObject template, PutIndexTemplateRequest request, CancellationToken cancellationToken)
    {
        var installed = await connection.CallAsync(
            token => connection.Client.Indices.GetIndexTemplateAsync(
                new GetIndexTemplateRequest(name) { RequestConfiguration = connection.StartupRequest }, token),
            $"GET _index_template/{name}", connection.StartupRequest.RequestTimeout, cancellationToken);
        CheckReadable(installed.ApiCallDetails, "_index_template", name);
        var current = installed.IsValidResponse ? installed.IndexTemplates?.FirstOrDefault(t => t.Name == name)?.IndexTemplate : null;
        var installedLifecycle = current?.Meta is { } meta && meta.TryGetValue("lifecycle", out var value) ? value?.ToString() : null;
        var keep = KeepInstalled(template, current?.Version, installedLifecycle, template["_meta"]?["lifecycle"]?.GetValue<string>());
        if (keep is not null)
        {
            return new TemplateResult("index template", name, false, keep);
        }

        request.Name = name;
        request.RequestConfiguration = connection.StartupRequest;
        var response = await connection.CallAsync(
            token => connection.Client.Indices.PutIndexTemplateAsync(request, token), $"PUT _index_template/{name}", connection.StartupRequest.RequestTimeout, cancellationToken);
        CheckWritten(response, "_index_template", name);
        return new TemplateResult("index template", name, true, Installing(template, current?.Version), Replaced: current is not null);
    }

    /// <summary>Why the installed template stays, or null when ours must be installed.</summary>
    private static string? KeepInstalled(JsonObject template, long? installedVersion, string? installedLifecycle, string? ourLifecycle)
    {
        var ourVersion = template["version"]?.GetValue<long>();
        if (ourVersion is null || installedVersion is null || installedVersion < ourVersion || installedLifecycle != ourLifecycle)
        {
            return null;
        }

        return $"installed version {installedVersion} is not older than {ourVersion}";
    }

    private static string Installing(JsonObject template, long? installedVersion) =>
        $"version {template["version"]?.ToJsonString() ?? "(none)"}" + (installedVersion is null ? "" : $", replacing version {installedVersion}");

    private static T Deserialize<T>(JsonObject template, string file)
    {
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(template.ToJsonString()));
            return TemplateSerializer.Deserialize<T>(stream)
                   ?? throw new InvalidOperationException($"'{file}' is empty.");
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or ArgumentException)
        {
            // ArgumentException: a value the client cannot read, such as a duration ("data_retention": "forever").
            throw new InvalidOperationException($"'{file}' is not a valid Elasticsearch template: {exception.Message}", exception);
        }
    }

    private void CheckReadable(Elastic.Transport.ApiCallDetails details, string endpoint, string name)
    {
        if (details.HttpStatusCode is 401 or 403)
        {
            throw new SinkFatalException(
                $"Elasticsearch refused to read {endpoint}/{name} (HTTP {details.HttpStatusCode}); the credentials need manage_index_templates, or set InstallTemplates=false.");
        }

        if (details.HttpStatusCode is null)
        {
            throw new InvalidOperationException($"Cannot reach Elasticsearch at {connection.Description}: {connection.DescribeTransportFailure(details)}");
        }
    }

    private void CheckWritten(Elastic.Transport.Products.Elasticsearch.ElasticsearchResponse response, string endpoint, string name)
    {
        CheckReadable(response.ApiCallDetails, endpoint, name);
        if (!response.IsValidResponse)
        {
            var error = response.ElasticsearchServerError?.Error is { } e ? $"{e.Type}: {e.Reason}" : "no error details";
            throw new InvalidOperationException($"Installing {endpoint}/{name} failed with HTTP {response.ApiCallDetails.HttpStatusCode}: {error}");
        }
    }

    [GeneratedRegex(@"^[0-9]+(d|h|m|s|ms|micros|nanos)$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeValue();
}
