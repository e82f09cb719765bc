using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ZertForwarder.Forwarding;
using ZertForwarder.Configuration;
using ZertForwarder.Sinks.Secrets;
using ZertForwarder.Sinks.Tls;

namespace ZertForwarder.Setup;

/// <summary>A Kibana answer that no retry can fix (refused credentials or privileges): <c>setup</c> exits 2.</summary>
internal sealed class KibanaRefusedException(string message) : Exception(message);

/// <summary>
/// Imports the Kibana content of <c>mappings/kibana/</c> the way Kibana's own "Import" does: saved objects through
/// <c>POST /api/saved_objects/_import?overwrite=true</c> (multipart, <c>kbn-xsrf</c> header) and, when Elastic
/// Security is there, detection rules through <c>POST /api/detection_engine/rules/_import?overwrite=true</c>.
/// Objects keep fixed ids, so running <c>setup</c> again replaces them instead of adding copies.
/// </summary>
internal sealed class KibanaContentInstaller : IDisposable
{
    private readonly KibanaSettings _settings;
    private readonly HttpClient _http;
    private readonly X509Certificate2Collection? _trustedRoots;
    private string? _tlsRefusal;

    public KibanaContentInstaller(KibanaSettings settings)
    {
        _settings = settings;
        var handler = new SocketsHttpHandler { ConnectTimeout = settings.RequestTimeout };
        if (!string.IsNullOrEmpty(settings.CaFile))
        {
            _trustedRoots = ServerCertificateTrust.LoadCaFile(settings.CaFile, "Kibana:CaFile");
        }

        handler.SslOptions.RemoteCertificateValidationCallback = ValidateServerCertificate;
        var baseUrl = settings.Url.TrimEnd('/') + "/" + (string.IsNullOrEmpty(settings.Space) ? "" : $"s/{settings.Space}/");
        _http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = settings.RequestTimeout };
        _http.DefaultRequestHeaders.Add("kbn-xsrf", "zertforwarder"); // Kibana refuses API writes without it (CSRF guard)
        _http.DefaultRequestHeaders.Authorization = Authorization(settings);
    }

    /// <summary>One line per outcome for the operator, and the problems (objects or rules Kibana rejected).</summary>
    public sealed record Result(IReadOnlyList<string> Report, IReadOnlyList<string> Problems);

    /// <summary>
    /// What can be wrong with the content before Kibana sees it (no saved-object file, a file that cannot be read, a
    /// line that is not a JSON object): <c>setup</c> lists it with its other problems before it installs anything, so a
    /// broken file does not leave the templates installed and the content half imported.
    /// </summary>
    public static IReadOnlyList<string> Check(string contentDirectory, bool detectionRules)
    {
        var problems = new List<string>();
        var (savedObjects, rules) = ContentFiles(contentDirectory);
        if (savedObjects.Count == 0)
        {
            problems.Add($"no saved-object NDJSON file in '{contentDirectory}'");
        }

        foreach (var file in detectionRules ? savedObjects.Concat(rules) : savedObjects)
        {
            try
            {
                var lines = File.ReadAllLines(file);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (!string.IsNullOrWhiteSpace(lines[i]) && !IsJsonObject(lines[i])) problems.Add($"'{file}' line {i + 1} is not a JSON object");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"'{file}' cannot be read ({e.Message})");
            }
        }

        return problems;

        static bool IsJsonObject(string line)
        {
            try
            {
                return JsonNode.Parse(line) is JsonObject;
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    /// <summary>Imports the content that <see cref="Check"/> found usable.</summary>
    public async Task<Result> InstallAsync(string contentDirectory, CancellationToken cancellationToken)
    {
        var report = new List<string>();
        var problems = new List<string>();
        var (savedObjects, rules) = ContentFiles(contentDirectory);

        foreach (var file in savedObjects)
        {
            var (status, body) = await ImportAsync("api/saved_objects/_import?overwrite=true", file, cancellationToken);
            ThrowIfRefused(status, body, "import saved objects");
            if (status != HttpStatusCode.OK)
            {
                problems.Add($"{Path.GetFileName(file)}: Kibana answered HTTP {(int)status}: {Excerpt(body)}");
                continue;
            }

            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var count = root.TryGetProperty("successCount", out var c) ? c.GetInt32() : 0;
            report.Add($"Kibana{SpaceText}: imported {count} saved object(s) from {Path.GetFileName(file)}");
            if (root.TryGetProperty("errors", out var errors))
            {
                foreach (var error in errors.EnumerateArray())
                {
                    problems.Add($"{Path.GetFileName(file)}: Kibana rejected {DescribeObjectError(error)}");
                }
            }
        }

        if (_settings.DetectionRules)
        {
            foreach (var file in rules)
            {
                var (status, body) = await ImportAsync("api/detection_engine/rules/_import?overwrite=true", file, cancellationToken);
                ThrowIfRefused(status, body, "import detection rules");
                if (status == HttpStatusCode.NotFound)
                {
                    problems.Add($"{Path.GetFileName(file)}: Kibana has no detection engine API here (HTTP 404): is Elastic Security available in this space? Set Kibana:DetectionRules=false to skip the rules.");
                    continue;
                }

                if (status != HttpStatusCode.OK)
                {
                    problems.Add($"{Path.GetFileName(file)}: Kibana answered HTTP {(int)status}: {Excerpt(body)}");
                    continue;
                }

                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                var count = root.TryGetProperty("success_count", out var c) ? c.GetInt32() : 0;
                report.Add($"Kibana{SpaceText}: imported {count} detection rule(s) from {Path.GetFileName(file)} (disabled until you enable them)");
                if (root.TryGetProperty("errors", out var errors))
                {
                    foreach (var error in errors.EnumerateArray())
                    {
                        var id = error.TryGetProperty("rule_id", out var r) ? r.GetString() : "?";
                        var message = error.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m) ? m.GetString() : error.ToString();
                        problems.Add($"{Path.GetFileName(file)}: Kibana rejected rule '{id}': {message}");
                    }
                }
            }
        }

        return new Result(report, problems);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The NDJSON files of the content folder in name order: the saved objects, and the detection rules (<c>*-detection-rules.ndjson</c>).</summary>
    private static (List<string> SavedObjects, List<string> Rules) ContentFiles(string contentDirectory)
    {
        var files = Directory.GetFiles(contentDirectory, "*.ndjson").Order(StringComparer.Ordinal).ToList();
        var rules = files.Where(f => f.EndsWith("-detection-rules.ndjson", StringComparison.Ordinal)).ToList();
        return (files.Except(rules).ToList(), rules);
    }

    private string SpaceText => string.IsNullOrEmpty(_settings.Space) ? "" : $" (space '{_settings.Space}')";

    private async Task<(HttpStatusCode Status, string Body)> ImportAsync(string path, string file, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(await File.ReadAllBytesAsync(file, cancellationToken));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/ndjson");
        form.Add(content, "file", Path.GetFileName(file));
        _tlsRefusal = null;
        try
        {
            using var response = await _http.PostAsync(path, form, cancellationToken);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException($"Cannot reach Kibana at {_settings.Url}: {_tlsRefusal ?? exception.InnerException?.Message ?? exception.Message}", exception);
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"Kibana at {_settings.Url} did not answer within {_settings.RequestTimeout.TotalSeconds:0} s.", exception);
        }
    }

    private void ThrowIfRefused(HttpStatusCode status, string body, string what)
    {
        if (status == HttpStatusCode.Unauthorized)
        {
            throw new KibanaRefusedException(
                $"Kibana at {_settings.Url} refused the credentials (HTTP 401: {Excerpt(body)}); check Kibana:ApiKeyFile or Kibana:Username and Kibana:PasswordFile.");
        }

        if (status == HttpStatusCode.Forbidden)
        {
            throw new KibanaRefusedException(
                $"Kibana at {_settings.Url} does not allow this user to {what}{SpaceText} (HTTP 403: {Excerpt(body)}); " +
                "the role needs the Kibana privileges 'Saved Objects Management' (or Discover and Dashboard: All) and, for rules, Security: All.");
        }
    }

    /// <summary><c>dashboard 'id' (title): missing_references (lens/x)</c> from one entry of the import's <c>errors</c>.</summary>
    private static string DescribeObjectError(JsonElement error)
    {
        var type = error.TryGetProperty("type", out var t) ? t.GetString() : "object";
        var id = error.TryGetProperty("id", out var i) ? i.GetString() : "?";
        var title = error.TryGetProperty("meta", out var meta) && meta.TryGetProperty("title", out var mt) ? mt.GetString()
            : error.TryGetProperty("title", out var tt) ? tt.GetString() : null;
        var text = new StringBuilder($"{type} '{id}'");
        if (title is not null)
        {
            text.Append($" ({title})");
        }

        if (error.TryGetProperty("error", out var detail))
        {
            text.Append(": ").Append(detail.TryGetProperty("type", out var kind) ? kind.GetString() : "error");
            if (detail.TryGetProperty("references", out var references) && references.ValueKind == JsonValueKind.Array)
            {
                text.Append(" (").Append(string.Join(", ", references.EnumerateArray().Select(r =>
                    $"{(r.TryGetProperty("type", out var rt) ? rt.GetString() : "?")}/{(r.TryGetProperty("id", out var ri) ? ri.GetString() : "?")}"))).Append(')');
            }
            else if (detail.TryGetProperty("message", out var message))
            {
                text.Append(" (").Append(message.GetString()).Append(')');
            }
        }

        return text.ToString();
    }

    private static string Excerpt(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("message", out var message))
            {
                return message.GetString() ?? "";
            }
        }
        catch (JsonException)
        {
            // not JSON: show the start of it
        }

        var text = body.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "no response body" : text[..Math.Min(200, text.Length)];
    }

    private static AuthenticationHeaderValue? Authorization(KibanaSettings settings)
    {
        if (!string.IsNullOrEmpty(settings.ApiKeyFile))
        {
            return new AuthenticationHeaderValue("ApiKey", SecretFile.ReadToken(settings.ApiKeyFile));
        }

        if (!string.IsNullOrEmpty(settings.Username))
        {
            var password = SecretFile.ReadPassword(settings.PasswordFile!);
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{password}")));
        }

        return null;
    }

    /// <summary>System trust, or a chain to <c>CaFile</c>; the host name must match either way (the refusal says why).</summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var refusal = ServerCertificateTrust.Check(certificate, chain, errors, _trustedRoots);
        if (refusal == CertificateRefusal.None)
        {
            return true;
        }

        if (refusal == CertificateRefusal.NoCertificate)
        {
            _tlsRefusal = "TLS certificate refused: Kibana sent no certificate";
            return false;
        }

        using var leaf = new X509Certificate2(certificate!);
        _tlsRefusal = refusal switch
        {
            CertificateRefusal.NameMismatch => $"TLS certificate refused: host name mismatch: the certificate is for {ServerCertificateTrust.QuotedNames(leaf)}, not '{new Uri(_settings.Url).Host}'",
            CertificateRefusal.PolicyError => "TLS certificate refused: " + ServerCertificateTrust.DescribePolicyError(leaf, errors, "Kibana"),
            _ => $"TLS certificate refused: '{leaf.Subject}' (issued by '{leaf.Issuer}') is not trusted; set Kibana:CaFile to its CA",
        };
        return false;
    }
}
