using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Elasticsearch;

/// <summary>
/// Sends ECS documents with the bulk API through Elastic's .NET client: a <c>create</c> action per event into the
/// data stream <c>logs-&lt;dataset&gt;-&lt;namespace&gt;</c> with <c>_id</c> = event id, so a replay into the same
/// backing index never duplicates a document (output contract §6: 409 on create means "already there" and counts
/// as delivered).
/// </summary>
/// <remarks>
/// Split by concern, the way Elastic's ingest library and Vector's sinks are: <see cref="ElasticsearchConnection"/>
/// (client, node pool, authentication, TLS), <see cref="BulkBody"/> (NDJSON), <see cref="BulkResponseClassifier"/>
/// (per request and per item outcome) and <see cref="ElasticsearchTemplateInstaller"/> (probe and templates). This
/// class only sequences them. Per request: 413 splits the request in halves until a single event is left, which is
/// rejected as too large; 401/403, for the request or for an item, and an item's 404 <c>index_not_found_exception</c>
/// throw <see cref="SinkFatalException"/> (wrong credentials, missing privileges or a missing data stream are not fixed
/// by retrying), and the host stops the run. Every call is bounded as a whole by <c>RequestTimeout</c>, including a
/// response body that stalls after its headers (the client's own time limit ends at the headers).
/// </remarks>
public sealed class ElasticsearchSink : ISink
{
    private const string BulkPath = "_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason";

    private readonly ElasticsearchSinkOptions _options;
    private readonly IPipelineLog _log;
    private readonly ElasticsearchConnection _connection;

    public ElasticsearchSink(ElasticsearchSinkOptions options, IPipelineLog? log = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _options = options;
        _log = log ?? NullPipelineLog.Instance;
        _connection = new ElasticsearchConnection(options, timeProvider);
    }

    public string Name => "elasticsearch";

    /// <summary>The data stream an event of <paramref name="dataset"/> goes to.</summary>
    public string DataStreamFor(string dataset) => $"logs-{dataset}-{_options.Namespace}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var installer = new ElasticsearchTemplateInstaller(_connection, _options, _log);
        if (_options.ProbeOnStart)
        {
            await installer.ProbeAsync(cancellationToken);
        }

        if (_options.InstallTemplates)
        {
            await installer.InstallAsync(cancellationToken);
        }
    }

    /// <summary>
    /// What the <c>setup</c> verb does for Elasticsearch: probe, then install the templates whatever
    /// <c>InstallTemplates</c> says. Returns one line per template for the operator.
    /// </summary>
    public async Task<IReadOnlyList<string>> SetupAsync(CancellationToken cancellationToken)
    {
        var installer = new ElasticsearchTemplateInstaller(_connection, _options, _log);
        var version = await installer.ProbeAsync(cancellationToken);
        var results = await installer.InstallAsync(cancellationToken);
        return
        [
            $"Elasticsearch {version} at {_connection.Description}",
            .. results.Select(r => $"  {(r.Installed ? "installed" : "kept")} {r.Kind} {r.Name}: {r.Detail}"),
        ];
    }

    /// <summary>
    /// Every problem of the template files of <c>TemplatesDirectory</c>, found without a cluster: <c>setup</c> lists
    /// them with its other problems before it connects or installs anything.
    /// </summary>
    public static IReadOnlyList<string> CheckTemplates(ElasticsearchSinkOptions options) => ElasticsearchTemplateInstaller.Load(options).Problems;

    public async Task SendAsync(IReadOnlyList<ForwardedEvent> batch, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(outcome);
        var body = BulkBody.Build(batch, DataStreamFor, outcome);
        foreach (var (first, count) in body.Chunks(_options.MaxBulkBytes))
        {
            await SendChunkAsync(body, first, count, outcome, cancellationToken);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask; // a bulk response means the cluster has it

    public ValueTask DisposeAsync()
    {
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Elasticsearch data stream naming rules for the namespace part.</summary>
    public static bool IsValidNamespace(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 100 && !value.Any(char.IsUpper) &&
        value.IndexOfAny(['-', ' ', '\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ':']) < 0;

    private async Task SendChunkAsync(BulkBody body, int first, int count, BatchOutcome outcome, CancellationToken cancellationToken)
    {
        var call = await _connection.BulkAsync(BulkPath, body.Slice(first, count), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        switch (BulkResponseClassifier.Classify(call))
        {
            case BulkRequestVerdict.ClassifyItems:
                // Elasticsearch checks index privileges per item: a key that may not write to the data stream gets
                // HTTP 200 with a 403 for every item. Like a 401/403 for the request, retrying or dead-lettering
                // cannot help: stop the run (nothing of this batch is acknowledged; a restart sends it again).
                if (BulkResponseClassifier.ApplyItemResults(call.Body, body.Items, first, count, outcome, _connection.Description) is { } fatal)
                {
                    throw new SinkFatalException(fatal);
                }

                break;
            case BulkRequestVerdict.Fatal:
                throw new SinkFatalException(
                    $"Elasticsearch at {_connection.Description} refused the bulk request with HTTP {call.Status} ({BulkResponseClassifier.ErrorText(call.Body)}); " +
                    "check Outputs:Elasticsearch ApiKey/ApiKeyFile or Username/Password and the key's privileges (create_doc and auto_configure on logs-zos.*).");
            case BulkRequestVerdict.Split when count > 1:
                // http.max_content_length (100 MB by default, often lowered by proxies) is per request: halves fit sooner.
                _log.Log(PipelineLogLevel.Warning, Name, $"Elasticsearch answered HTTP 413 to a bulk request of {count} events; sending it in halves.");
                await SendChunkAsync(body, first, count / 2, outcome, cancellationToken);
                await SendChunkAsync(body, first + count / 2, count - count / 2, outcome, cancellationToken);
                break;
            case BulkRequestVerdict.Split:
                BulkResponseClassifier.RejectAll(body.Items, first, 1, outcome,
                    $"event too large for Elasticsearch: {body.Items[first].DocumentBytes} bytes alone were answered HTTP 413 ({BulkResponseClassifier.ErrorText(call.Body)}); raise http.max_content_length or the proxy's body limit");
                break;
            case BulkRequestVerdict.RetryAll:
                BulkResponseClassifier.RetryAll(body.Items, first, count, outcome, BulkResponseClassifier.RequestReason(call, _options.RequestTimeout));
                break;
            default:
                BulkResponseClassifier.RejectAll(body.Items, first, count, outcome, BulkResponseClassifier.RequestReason(call, _options.RequestTimeout));
                break;
        }
    }
}
