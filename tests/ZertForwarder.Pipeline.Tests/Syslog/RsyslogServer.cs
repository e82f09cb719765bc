using System.Diagnostics;
using System.Net.Sockets;
using ZertForwarder.Pipeline.Tests.Kafka;

namespace ZertForwarder.Pipeline.Tests.Syslog;

/// <summary>
/// A real rsyslogd on 127.0.0.1 (guide test-infrastructure §4): imtcp on a plain TCP port and a TLS port (gtls,
/// self-signed certificate made with openssl), writing every received message's raw text (%rawmsg%, i.e. without the
/// octet count or the LF of the framing) as one line to a file. With <c>requireClientCertificate</c> the TLS port
/// takes only clients whose certificate chains to <see cref="CertificateFile"/> (gtls <c>x509/certvalid</c>, mutual
/// TLS as RFC 5425 §5.2 describes); the receiver's certificate is then also the CA of the client certificates.
/// </summary>
internal sealed class RsyslogServer : IDisposable
{
    private readonly string _rsyslogd;
    private readonly string _config;
    private Process? _process;

    public RsyslogServer(bool requireClientCertificate = false)
    {
        _rsyslogd = ExternalTool.Require("rsyslogd");
        var openssl = ExternalTool.Require("openssl");
        Directory = Path.Combine(Path.GetTempPath(), "zert-rsyslog-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "work"));
        CertificateFile = Path.Combine(Directory, "cert.pem");
        MakeSelfSignedCertificate(openssl, Directory, "cert.pem", "key.pem");
        TcpPort = ExternalTool.FreePort();
        TlsPort = ExternalTool.FreePort();
        ReceivedFile = Path.Combine(Directory, "received.log");
        _config = Path.Combine(Directory, "rsyslog.conf");
        // Control characters (the LEEF TAB delimiter) must arrive as they are, not as #011; LEEF lines can be long.
        File.WriteAllText(_config, $$"""
            global(workDirectory="{{Directory}}/work" maxMessageSize="64k"
                   parser.escapeControlCharactersOnReceive="off"
                   defaultNetstreamDriverCAFile="{{CertificateFile}}"
                   defaultNetstreamDriverCertFile="{{CertificateFile}}"
                   defaultNetstreamDriverKeyFile="{{Directory}}/key.pem")
            module(load="imtcp" maxSessions="100")
            template(name="raw" type="string" string="%rawmsg%\n")
            ruleset(name="toFile") {
              action(type="omfile" file="{{ReceivedFile}}" template="raw" flushOnTXEnd="on" asyncWriting="off")
            }
            input(type="imtcp" address="127.0.0.1" port="{{TcpPort}}" ruleset="toFile")
            input(type="imtcp" address="127.0.0.1" port="{{TlsPort}}" ruleset="toFile"
                  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="{{(requireClientCertificate ? "x509/certvalid" : "anon")}}")
            """);
        Start();
    }

    public string Directory { get; }

    /// <summary>The private key of <see cref="CertificateFile"/>, to sign client certificates with.</summary>
    public string KeyFile => Path.Combine(Directory, "key.pem");

    /// <summary>The receiver's self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1): the CA to trust.</summary>
    public string CertificateFile { get; }

    public int TcpPort { get; }

    public int TlsPort { get; }

    public string ReceivedFile { get; }

    /// <summary>Creates a self-signed certificate and key for localhost / 127.0.0.1 in <paramref name="directory"/>.</summary>
    public static void MakeSelfSignedCertificate(string openssl, string directory, string certificate, string key)
    {
        var (exitCode, _, stderr) = ExternalTool.Run(openssl,
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", Path.Combine(directory, key), "-out", Path.Combine(directory, certificate)],
            TimeSpan.FromSeconds(30));
        if (exitCode != 0)
        {
            throw new InvalidOperationException("openssl req failed: " + stderr);
        }
    }

    public void Start()
    {
        var start = new ProcessStartInfo(_rsyslogd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-n", "-f", _config, "-i", Path.Combine(Directory, "rsyslogd.pid") })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var stopwatch = Stopwatch.StartNew();
        while (!(Accepts(TcpPort) && Accepts(TlsPort)))
        {
            if (_process.HasExited || stopwatch.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new InvalidOperationException($"rsyslogd did not start listening (exit code {(_process.HasExited ? _process.ExitCode : "none")})");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>SIGTERM, so rsyslogd finishes writing what it received, then waits for it to exit.</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        ExternalTool.Run("/bin/kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        _process = null;
    }

    public List<string> ReceivedLines()
    {
        if (!File.Exists(ReceivedFile))
        {
            return [];
        }

        using var stream = new FileStream(ReceivedFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        // Only complete lines: the last one may still be being written.
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n').ToList();
    }

    /// <summary>Polls the output file until <paramref name="predicate"/> holds or the time is up; returns the lines.</summary>
    public async Task<List<string>> WaitForAsync(Func<List<string>, bool> predicate, TimeSpan? timeout = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var lines = ReceivedLines();
        while (!predicate(lines) && stopwatch.Elapsed < (timeout ?? TimeSpan.FromSeconds(15)))
        {
            await Task.Delay(50);
            lines = ReceivedLines();
        }

        return lines;
    }

    public void Dispose()
    {
        if (_process is not null && !_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
