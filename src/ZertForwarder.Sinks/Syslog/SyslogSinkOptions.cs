namespace ZertForwarder.Sinks.Syslog;

/// <summary>
/// Configuration of <see cref="SyslogSink"/>, bound from <c>Outputs:Syslog</c>: LEEF lines (output contract §4) in
/// RFC 5424 messages over TCP or TLS (RFC 5425), framed per RFC 6587.
/// </summary>
/// <remarks>
/// Delivery guarantee: <b>at least once up to the receiver's TCP, not end to end.</b> Syslog over TCP has no
/// application-level acknowledgement, so a batch counts as delivered once the receiver's TCP has acknowledged all of
/// its bytes (Linux <c>TCP_INFO</c>; elsewhere once written). If the connection breaks or the receiver acknowledges
/// nothing more for <see cref="WriteTimeout"/>, the whole batch is retried on a new connection, so items the receiver
/// already had may be repeated (or one arrive truncated). What the receiver's TCP acknowledged but its program never
/// read (at most its receive window, about 128 KB with Linux defaults, per connection) is lost without any error.
/// Use the Kafka sink where loss is not acceptable.
/// </remarks>
public sealed class SyslogSinkOptions
{
    /// <summary>Receiver host name or address; also the TLS server name unless <see cref="TlsServerName"/> is set.</summary>
    public string Host { get; set; } = "";

    /// <summary>Receiver port; when not set, 6514 for <c>tls</c> (RFC 5425) and 514 for <c>tcp</c>.</summary>
    public int? Port { get; set; }

    /// <summary>The port connected to: <see cref="Port"/>, or the protocol's default.</summary>
    public int EffectivePort => Port ?? (Protocol == SyslogProtocol.Tcp ? 514 : 6514);

    /// <summary><c>tls</c> (default; the server certificate is verified) or <c>tcp</c> (plain text).</summary>
    public SyslogProtocol Protocol { get; set; } = SyslogProtocol.Tls;

    /// <summary><c>octet-counting</c> (RFC 6587 §3.4.1, default: safe for any content) or <c>lf</c> (non-transparent framing, one message per line).</summary>
    public SyslogFraming Framing { get; set; } = SyslogFraming.OctetCounting;

    /// <summary>PEM file with the CA certificate(s) that may sign the receiver's certificate, in addition to the system trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>
    /// Client certificate for mutual TLS: a PEM certificate (with <see cref="ClientKeyFile"/>) or a PKCS#12 file
    /// (<c>.pfx</c>/<c>.p12</c>, no password). Further certificates in the file are its intermediate CAs and are sent with it.
    /// </summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>; when empty the key is read from the certificate file.</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>Name expected in the receiver's certificate when it differs from <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>Syslog facility name (<c>kern</c> … <c>local7</c>) or number 0-23; default <c>local4</c>.</summary>
    public string Facility { get; set; } = "local4";

    /// <summary>RFC 5424 APP-NAME.</summary>
    public string AppName { get; set; } = "zertforwarder";

    /// <summary>RFC 5424 HOSTNAME when the LEEF line names no z/OS system (<c>identHostName</c> or <c>SYSTEM_NAME</c>); NILVALUE when empty.</summary>
    public string? Hostname { get; set; }

    /// <summary>Limit for the TCP connect plus the TLS handshake.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Limit for writing one chunk of messages. A receiver that accepted the connection but stopped reading (stalled,
    /// or gone without a reset) fills the socket's buffers and a write waits: past this the connection is dropped
    /// and the items are retried (and, past <c>Pipeline:RetryTimeLimit</c>, dead-lettered) instead of waiting for ever.
    /// Also the longest the receiver's TCP may acknowledge nothing more of a written batch (a batch counts as delivered
    /// once all of it is acknowledged); a slow receiver that keeps acknowledging is given the time it needs.
    /// </summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting after a failed connection attempt; doubles per failure up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The transport to the syslog receiver (<c>Outputs:Syslog:Protocol</c>).</summary>
public enum SyslogProtocol
{
    /// <summary>TLS (RFC 5425), the receiver's certificate verified; port 6514 by default.</summary>
    Tls,

    /// <summary>Plain TCP (RFC 6587); port 514 by default.</summary>
    Tcp,
}

/// <summary>How messages are delimited on the stream (<c>Outputs:Syslog:Framing</c>, configured as <c>octet-counting</c> or <c>lf</c>).</summary>
public enum SyslogFraming
{
    /// <summary>Each message prefixed by its length (RFC 6587 §3.4.1): safe for any content.</summary>
    OctetCounting,

    /// <summary>One message per line (RFC 6587 §3.4.2, non-transparent framing); QRadar's default TCP syslog listener.</summary>
    Lf,
}
