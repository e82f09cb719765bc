using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Pipeline;
using ZertForwarder.Setup;
using ZertForwarder.Sinks.Elasticsearch;

namespace ZertForwarder.Commands;

/// <summary>
/// <c>setup [--config FILE] [Section:Key=value ...]</c>, like Beats' <c>setup</c>: installs the Elasticsearch
/// templates (when <c>Outputs:Elasticsearch</c> is configured) and the Kibana content (when <c>Kibana:Url</c> is),
/// then exits. Exit 0 when everything was installed, 1 when Kibana rejected some objects, 2 for configuration
/// problems, refused credentials or an unreachable cluster.
/// </summary>
internal static class SetupCommand
{
    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args)
    {
        var loaded = SettingsArguments.Load(args, new HashSet<string>(), out _);
        // setup reads no input and needs no output besides the ones it installs for: those checks are run's (a dump
        // named in the shared configuration file need not exist on the machine that installs the content).
        var errors = loaded.Errors.Where(e => !e.StartsWith("no input:", StringComparison.Ordinal) && !e.StartsWith("no output:", StringComparison.Ordinal)
            && !e.StartsWith("Input:", StringComparison.Ordinal)).ToList();
        var options = loaded.Options;
        errors.AddRange(StartupChecks.CheckSetup(options));
        if (options.Outputs.Elasticsearch is null && options.Kibana is null)
        {
            errors.Add("setup has nothing to install: configure Outputs:Elasticsearch (templates) and/or Kibana:Url (dashboards, searches, rules)");
        }

        // Everything to install is read and built first: a broken file found half-way left the content before it
        // installed and the rest missing.
        MappingLoading.ResolveTemplatesDirectory(options);
        if (options.Outputs.Elasticsearch is { } elasticsearch && !string.IsNullOrWhiteSpace(elasticsearch.TemplatesDirectory))
        {
            errors.AddRange(ElasticsearchSink.CheckTemplates(elasticsearch));
        }

        var contentDirectory = options.Kibana?.ContentDirectory ?? Path.Combine(options.Mappings.Directory ?? MappingLoading.DefaultDirectory, "kibana");
        if (options.Kibana is not null && !Directory.Exists(contentDirectory))
        {
            errors.Add($"Kibana content folder '{contentDirectory}' does not exist (Kibana:ContentDirectory)");
        }
        else if (options.Kibana is { } kibanaSettings)
        {
            errors.AddRange(KibanaContentInstaller.Check(contentDirectory, kibanaSettings.DetectionRules));
        }

        if (errors.Count > 0)
        {
            Console.Error.WriteLine($"zertforwarder: the configuration has {errors.Count} problem(s):");
            foreach (var error in errors) Console.Error.WriteLine($"  - {error}");
            return CommandLine.UsageError;
        }

        // setup talks to Elasticsearch and Kibana only.
        var cleartext = (options.Outputs.Elasticsearch is { } esOptions ? CleartextCredentials.Find(esOptions) : [])
            .Append(options.Kibana is { } kibanaOptions ? CleartextCredentials.Find(kibanaOptions) : null).OfType<string>();
        foreach (var connection in cleartext)
            Console.Error.WriteLine($"zertforwarder: warning: credentials without TLS, readable on the network: {connection}.");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var problems = new List<string>();
        try
        {
            if (options.Outputs.Elasticsearch is { } es)
            {
                await using var sink = new ElasticsearchSink(es, NullPipelineLog.Instance);
                foreach (var line in await sink.SetupAsync(cancel.Token)) Console.Out.WriteLine(line);
            }

            if (options.Kibana is { } kibana)
            {
                using var installer = new KibanaContentInstaller(kibana);
                var result = await installer.InstallAsync(contentDirectory, cancel.Token);
                foreach (var line in result.Report) Console.Out.WriteLine(line);
                problems.AddRange(result.Problems);
            }
        }
        catch (Exception e) when (e is SinkFatalException or KibanaRefusedException or InvalidOperationException or ArgumentException or IOException)
        {
            Console.Error.WriteLine($"zertforwarder: setup failed: {e.Message}");
            return CommandLine.UsageError;
        }

        if (problems.Count > 0)
        {
            Console.Error.WriteLine($"zertforwarder: setup finished with {problems.Count} problem(s):");
            foreach (var problem in problems) Console.Error.WriteLine($"  - {problem}");
            return CommandLine.RecordsRejected;
        }

        Console.Out.WriteLine("setup complete");
        return CommandLine.Success;
    }
}
