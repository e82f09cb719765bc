using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ZertForwarder.Forwarding;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Sinks.Secrets;

namespace ZertForwarder.Configuration;

/// <summary>
/// The one place where <c>run</c> checks what its configuration points at in the outside world (files, directories,
/// certificates, the listening port, the checkpoint file) before any record is read, and <c>setup</c> the files it
/// reads before anything is installed. Every problem is collected, so one start-up lists them all (exit 2, README
/// "Configuration"); the sinks' own constructors then meet only settings that were checked here.
/// </summary>
/// <remarks>
/// A new sink adds its checks in <see cref="Check"/>, through the <see cref="StartupProblems"/> helpers (a readable
/// secret file, PEM certificates, a usable directory, ...). <see cref="OptionsValidator"/> stays the place for checks
/// of the values alone.
/// </remarks>
internal static class StartupChecks
{
    /// <summary>Every problem found; empty when the run can start.</summary>
    public static IReadOnlyList<string> Check(ForwarderOptions options)
    {
        var problems = new StartupProblems();
        CheckInputs(options.Input, problems);
        CheckOutputs(options.Outputs, problems);

        problems.RequireUsableDirectory("Checkpoint:Directory", options.Checkpoint.Directory);
        problems.RequireReadableCheckpoint(options.Checkpoint.Directory);
        // The default dead-letter directory lies under Checkpoint:Directory, checked above.
        if (options.DeadLetter.KafkaTopic is null) problems.RequireUsableDirectory("DeadLetter:Directory", options.DeadLetter.Directory);
        if (options.Metrics.Port is > 0 and <= 65535) problems.RequireFreePort("Metrics:Port", options.Metrics.Address, options.Metrics.Port);
        return problems.All;
    }

    /// <summary>
    /// What <c>setup</c> reads besides its settings: the secret and CA files of <c>Outputs:Elasticsearch</c> and
    /// <c>Kibana</c>. Each stopped setup when it was loaded, one per attempt.
    /// </summary>
    public static IReadOnlyList<string> CheckSetup(ForwarderOptions options)
    {
        var problems = new StartupProblems();
        if (options.Outputs.Elasticsearch is { } es) CheckElasticsearch(es, problems);
        if (options.Kibana is { } kibana) CheckKibana(kibana, problems);
        return problems.All;
    }

    /// <summary>
    /// The files named in <c>Input:Paths</c>, checked as a start checks them: <c>run --check-config</c> lists them with
    /// the problems of the settings (it passed a directory or an unreadable file, and the start then stopped on it).
    /// </summary>
    public static IReadOnlyList<string> CheckInputFiles(InputSettings input)
    {
        var problems = new StartupProblems();
        CheckInputPaths(input.Paths, problems);
        return problems.All;
    }

    private static void CheckInputs(InputSettings input, StartupProblems problems)
    {
        CheckInputPaths(input.Paths, problems);
        if (input.Watch is { } watch)
        {
            problems.RequireNotAFile("Input:Watch:Directory", watch.Directory);
            if (watch.CompletedAction == CompletedAction.Move && !string.IsNullOrWhiteSpace(watch.CompletedDirectory))
                problems.RequireUsableDirectory("Input:Watch:CompletedDirectory", watch.CompletedDirectory);
        }
        if (input.Kafka is { } kafka) CheckKafkaConnection("Input:Kafka", kafka, problems);
    }

    private static void CheckInputPaths(string[] paths, StartupProblems problems)
    {
        foreach (var path in paths)
        {
            // Missing named files are the validator's (a glob may match nothing yet); here: what is there must be readable.
            if (path == "-" || Path.GetFileName(path).AsSpan().IndexOfAny('*', '?') >= 0) continue;
            // A named pipe is not opened to look: that waits for its writer and, on close, ends it (InputPaths.IsStream).
            if (InputPaths.IsStream(path)) continue;
            if (Directory.Exists(path)) problems.Add($"Input:Paths: '{path}' is a directory; name the dump files (a glob like '{Path.Combine(path, "*")}' works) or use Input:Watch:Directory");
            else if (File.Exists(path)) problems.RequireReadableFile("Input:Paths", path);
        }
    }

    private static void CheckOutputs(OutputSettings outputs, StartupProblems problems)
    {
        if (outputs.Kafka is { } kafka) CheckKafkaConnection("Outputs:Kafka", kafka, problems);
        if (outputs.Elasticsearch is { } es) CheckElasticsearch(es, problems);
        if (outputs.Syslog is { } syslog && syslog.Protocol == Sinks.Syslog.SyslogProtocol.Tls)
        {
            problems.RequirePemCertificates("Outputs:Syslog:CaFile", syslog.CaFile);
            problems.RequireClientCertificate("Outputs:Syslog", syslog.ClientCertificateFile, syslog.ClientKeyFile);
        }
        if (outputs.File is { Stdout: false } file) problems.RequireUsableDirectory("Outputs:File:Directory", file.Directory);
        if (outputs.Splunk is { } splunk)
        {
            problems.RequireSecretFile("Outputs:Splunk:TokenFile", splunk.TokenFile, isToken: true);
            problems.RequirePemCertificates("Outputs:Splunk:CaFile", splunk.CaFile);
        }
    }

    private static void CheckElasticsearch(Sinks.Elasticsearch.ElasticsearchSinkOptions es, StartupProblems problems)
    {
        problems.RequireSecretFile("Outputs:Elasticsearch:ApiKeyFile", es.ApiKeyFile, isToken: true);
        problems.RequireSecretFile("Outputs:Elasticsearch:PasswordFile", es.PasswordFile);
        problems.RequirePemCertificates("Outputs:Elasticsearch:CaFile", es.CaFile);
    }

    private static void CheckKibana(KibanaSettings kibana, StartupProblems problems)
    {
        // A missing file is the validator's (KibanaSettings.Validate); here: what is there must be usable.
        if (File.Exists(kibana.ApiKeyFile)) problems.RequireSecretFile("Kibana:ApiKeyFile", kibana.ApiKeyFile, isToken: true);
        if (File.Exists(kibana.PasswordFile)) problems.RequireSecretFile("Kibana:PasswordFile", kibana.PasswordFile);
        if (File.Exists(kibana.CaFile)) problems.RequirePemCertificates("Kibana:CaFile", kibana.CaFile);
    }

    private static void CheckKafkaConnection(string section, KafkaConnectionOptions kafka, StartupProblems problems)
    {
        problems.RequireSecretFile(section + ":SaslPasswordFile", kafka.SaslPasswordFile);
        problems.RequirePemCertificates(section + ":SslCaLocation", kafka.SslCaLocation);
        foreach (var key in new[] { "ssl.certificate.location", "ssl.key.location", "ssl.ca.location" })
        {
            if (kafka.Properties.TryGetValue(key, out var file)) problems.RequireReadableFile($"{section}:Properties:{key}", file);
        }
    }
}

/// <summary>Collects start-up problems, one sentence each naming the setting and what to do.</summary>
internal sealed class StartupProblems
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> All => _problems;

    public void Add(string problem) => _problems.Add(problem);

    /// <summary>A file that exists, is not a directory and can be opened for reading.</summary>
    public bool RequireReadableFile(string setting, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return false;
        if (Directory.Exists(path))
        {
            Add($"{setting}: '{path}' is a directory, not a file");
            return false;
        }
        if (!File.Exists(path))
        {
            Add($"{setting}: '{path}' does not exist");
            return false;
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Add($"{setting}: '{path}' cannot be read ({e.Message})");
            return false;
        }
    }

    /// <summary>
    /// A file holding a secret: readable and not empty; a token or API key (<paramref name="isToken"/>) also one word,
    /// as it goes into an HTTP header (<see cref="SecretFile.IsUsableToken"/>). Its content is never quoted.
    /// </summary>
    public void RequireSecretFile(string setting, string? path, bool isToken = false)
    {
        if (!RequireReadableFile(setting, path)) return;
        try
        {
            var secret = SecretFile.ReadToken(path!);
            if (secret.Length == 0) Add($"{setting}: '{path}' is empty");
            else if (isToken && !SecretFile.IsUsableToken(secret))
                Add($"{setting}: '{path}' holds spaces, line breaks or control characters within its key (a token or API key is one word; the content is not shown)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Add($"{setting}: '{path}' cannot be read ({e.Message})");
        }
    }

    /// <summary>A PEM file with at least one certificate (a CA bundle).</summary>
    public void RequirePemCertificates(string setting, string? path)
    {
        if (!RequireReadableFile(setting, path)) return;
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path!);
            if (certificates.Count == 0) Add($"{setting}: '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            foreach (var certificate in certificates) certificate.Dispose();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            Add($"{setting}: '{path}' is not a PEM certificate file ({e.Message})");
        }
    }

    /// <summary>
    /// A client certificate for mutual TLS: PKCS#12 (<c>.pfx</c>/<c>.p12</c>, no password), or a PEM certificate with
    /// its private key in <c>ClientKeyFile</c> or in the same file. The same loading as the syslog sink's.
    /// </summary>
    public void RequireClientCertificate(string section, string? certificateFile, string? keyFile)
    {
        var certificateSetting = section + ":ClientCertificateFile";
        var keySetting = section + ":ClientKeyFile";
        if (string.IsNullOrWhiteSpace(certificateFile))
        {
            if (!string.IsNullOrWhiteSpace(keyFile)) Add($"{keySetting} is set but {certificateSetting} is not: configure both for a client certificate");
            return;
        }
        var certificateReadable = RequireReadableFile(certificateSetting, certificateFile);
        var keyReadable = string.IsNullOrWhiteSpace(keyFile) || RequireReadableFile(keySetting, keyFile);
        if (!certificateReadable || !keyReadable) return;
        try
        {
            if (certificateFile.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificateFile.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
            {
                using var pkcs12 = X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password: null);
                if (!pkcs12.HasPrivateKey) Add($"{certificateSetting}: '{certificateFile}' holds no private key");
                return;
            }
        }
        catch (CryptographicException e)
        {
            Add($"{certificateSetting}: '{certificateFile}' is not a PKCS#12 file without password ({e.Message})");
            return;
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(certificateFile);
        }
        catch (CryptographicException)
        {
            // Counted as "no certificate" below.
        }
        var hasCertificate = certificates.Count > 0;
        foreach (var certificate in certificates) certificate.Dispose();
        if (!hasCertificate)
        {
            Add($"{certificateSetting}: '{certificateFile}' is not a PEM certificate (nor a .pfx/.p12 file)");
            return;
        }
        try
        {
            using var withKey = X509Certificate2.CreateFromPemFile(certificateFile, string.IsNullOrWhiteSpace(keyFile) ? null : keyFile);
        }
        catch (CryptographicException e)
        {
            Add(string.IsNullOrWhiteSpace(keyFile)
                ? $"{certificateSetting}: '{certificateFile}' holds no private key: set {keySetting} to its PEM key file"
                : $"{keySetting}: '{keyFile}' is not the PEM private key of '{certificateFile}' ({e.Message})");
        }
    }

    /// <summary>The path is not an existing file (a directory that will be created or watched later is fine).</summary>
    public void RequireNotAFile(string setting, string? path)
    {
        if (!string.IsNullOrWhiteSpace(path) && File.Exists(path)) Add($"{setting}: '{path}' is a file, not a directory");
    }

    /// <summary>
    /// A directory the run can create files in: it exists and is writable, or its nearest existing parent is a
    /// writable directory (it is created at start). Nothing is left behind by the check.
    /// </summary>
    public void RequireUsableDirectory(string setting, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return;
        var full = Path.GetFullPath(path);
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                Add(existing == full
                    ? $"{setting}: '{path}' is a file, not a directory"
                    : $"{setting}: '{path}' cannot be created: '{existing}' is a file");
                return;
            }
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) return;
            existing = parent;
        }
        var probe = Path.Combine(existing, $".zertforwarder-write-test-{Environment.ProcessId}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Add(existing == full
                ? $"{setting}: cannot write in '{path}' ({e.Message})"
                : $"{setting}: '{path}' cannot be created in '{existing}' ({e.Message})");
        }
    }

    /// <summary>
    /// The checkpoint file, if there is one, can be loaded. A corrupt one is not overwritten (it holds where every
    /// input stopped); the message says how to recover (README "Checkpoints").
    /// </summary>
    public void RequireReadableCheckpoint(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory) || !Directory.Exists(directory)) return;
        var file = Path.Combine(directory, FileCheckpointStore.FileName);
        if (!File.Exists(file)) return;
        try
        {
            using var store = new FileCheckpointStore(directory, TimeSpan.Zero);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or NotSupportedException)
        {
            Add($"Checkpoint:Directory: the checkpoint file '{file}' cannot be read ({FirstLine(e.Message)}). " +
                $"To recover, move it aside (e.g. to '{file}.corrupt'): every input is then read again from its start, " +
                "so outputs that do not de-duplicate receive the already-delivered events once more; or restore the file from a backup");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Add($"Checkpoint:Directory: the checkpoint file '{file}' cannot be read ({e.Message})");
        }
    }

    /// <summary>Nothing else listens on the address and port (the check binds and releases it at once).</summary>
    public void RequireFreePort(string setting, string address, int port)
    {
        if (!IPAddress.TryParse(address, out var ip)) return; // the validator names a bad address
        try
        {
            var listener = new TcpListener(ip, port);
            listener.Start();
            listener.Stop();
        }
        catch (SocketException e)
        {
            Add(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"{setting}: port {port} on {address} is already in use; choose another Metrics:Port or stop what listens there"
                : $"{setting}: cannot listen on {address}:{port} ({e.Message})");
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }
}
