using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ZertForwarder.Host.Tests.Support;

/// <summary>Ports and Prometheus text parsing for the metrics endpoint tests.</summary>
public static class Endpoints
{
    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The forwarder's <c>/metrics</c> page, or null while it is not listening yet (connection refused, or reset while
    /// the listener starts: a bare <see cref="SocketException"/>). Synchronous, for <c>Eventually</c> conditions.
    /// </summary>
    public static string? TryGetMetrics(HttpClient http)
    {
        try
        {
            return http.GetStringAsync("/metrics").GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or SocketException)
        {
            return null;
        }
    }

    /// <summary>The value of one sample line (<c>name{labels} value</c>) of a Prometheus text page, null when absent.</summary>
    public static double? Sample(string metricsText, string series)
    {
        foreach (var line in metricsText.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    /// <summary>
    /// TCP ports a process listens on, from <c>/proc/net/tcp{,6}</c> sockets whose inode is one of the process's file
    /// descriptors: proof that nothing else listens, whatever the port.
    /// </summary>
    public static IReadOnlySet<int> ListeningPorts(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
            }
            catch (IOException)
            {
                // The descriptor closed meanwhile.
            }
        }
        var ports = new HashSet<int>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // columns: sl local_address rem_address st ... inode (index 9); state 0A = LISTEN
                if (columns.Length > 9 && columns[3] == "0A" && inodes.Contains(columns[9]))
                {
                    ports.Add(int.Parse(columns[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }
        return ports;
    }
}
