using System.Net;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

// Summary sessions: the subtype 12 sessions a connection belongs to and the counters they accumulate.
internal sealed partial class ScenarioEngine
{
    private void AttachSessions(Connection conn, bool partial, List<SummarySession>? previous = null)
    {
        if (conn.Tls is not null)
        {
            Attach(conn, 0x80, partial, previous);
        }

        if (conn.Ssh is not null)
        {
            Attach(conn, 0x40, partial, previous);
        }

        if (conn.Ipsec is not null)
        {
            Attach(conn, 0x20, partial, previous);
        }

        if (conn.Tls is null && conn.Ssh is null && conn.Ipsec is null)
        {
            Attach(conn, 0x00, partial, previous);
        }

        if (previous is not null)
        {
            foreach (var old in previous)
            {
                if (!conn.Sessions.Contains(old))
                {
                    // The connection left this session: it was tied to it for only part of its life.
                    old.Current.Active--;
                    old.Current.Partial++;
                    Touch(conn.Stack, old);
                }
            }
        }
    }

    private void Attach(Connection conn, byte protocol, bool partial, List<SummarySession>? previous)
    {
        var stack = conn.Stack;
        var ee = conn.IpProtocol == 17;
        var serverIp = conn.LocalServer ? conn.LocalIp : conn.RemoteIp;
        var clientIp = conn.LocalServer ? conn.RemoteIp : conn.LocalIp;
        var serverPort = conn.LocalServer ? conn.LocalPort : conn.RemotePort;
        var portStart = ee ? (ushort)12_000 : serverPort;
        var portEnd = ee ? (ushort)12_004 : serverPort;
        var attributes = protocol switch
        {
            0x80 => $"{conn.Tls!.ProtocolVersion:X4}/{conn.Tls.NegotiatedCipher}/{conn.Tls.Source}/{conn.Tls.HandshakeRole}",
            0x40 => $"{conn.Ssh!.ProtocolVersion}/{conn.Ssh.Source}/{conn.Ssh.SshFlags}/{conn.Ssh.InboundEncryptionAlgorithm}/{conn.Ssh.KeyExchangeMethod}/{conn.Ssh.ServerKeyType}",
            0x20 => $"{conn.Ipsec!.IkeMajorVersion}/{conn.Ipsec.EncapsulationMode}/{conn.Ipsec.AuthProtocol}/{conn.Ipsec.EncryptionAlgorithm}",
            _ => "",
        };
        var key = $"{protocol:X2}|{serverIp}|{portStart}|{clientIp}|{conn.IpProtocol}|{attributes}";
        if (!stack.SessionsByKey.TryGetValue(key, out var session))
        {
            session = CreateSession(conn, protocol, serverIp, clientIp, portStart, portEnd);
            stack.SessionsByKey[key] = session;
            stack.Sessions.Add(session);
        }

        if (previous is not null && previous.Contains(session))
        {
            conn.Sessions.Add(session);
            return;
        }

        session.Current.Connections++;
        session.Current.Active++;
        if (partial)
        {
            session.Current.Partial++;
        }

        if (conn.FailedHandshake)
        {
            session.Current.FailedHandshakes++;
        }

        conn.Sessions.Add(session);
        Touch(stack, session);
    }

    private SummarySession CreateSession(Connection conn, byte protocol, IPAddress serverIp, IPAddress clientIp, ushort portStart, ushort portEnd)
    {
        var zos32 = conn.Stack.System.IsZos32;
        var letter = protocol switch { 0x80 => 'T', 0x40 => 'S', 0x20 => 'I', _ => 'N' };
        var session = new SummarySession
        {
            SessionId = $"{letter}-{conn.Stack.System.SmfId}{conn.Stack.Name}-{++_sessionCounter:X8}",
            Protocol = protocol,
            Flags = (byte)((conn.Ipv6 ? 0x80 : 0) | (conn.IpProtocol == 6 ? (conn.LocalServer ? 0x40 : 0x20) : 0)),
            JobName = conn.JobName,
            UserId = conn.UserId,
            IpProtocol = conn.IpProtocol,
            ServerIp = serverIp,
            ClientIp = clientIp,
            PortStart = portStart,
            PortEnd = portEnd,
            Tls = protocol == 0x80 ? TlsSummary(conn.Tls!, zos32) : null,
            Ssh = protocol == 0x40 ? SshSummary(conn.Ssh!) : null,
            Ipsec = protocol == 0x20 ? IpsecSummary(conn.Ipsec!, zos32) : null,
        };
        var (low, high) = protocol switch { 0x80 => (5, 8), 0x40 => (9, 12), 0x20 => (1, 4), _ => (0, -1) };
        foreach (var name in conn.Names)
        {
            if (name.Type >= low && name.Type <= high)
            {
                session.Names.Add(name);
            }
        }

        return session;
    }

    private static TlsSummarySection TlsSummary(TlsConnectionSection t, bool zos32)
    {
        if (t.HandshakeType == 3)
        {
            // Layout §3.1: with failed handshakes the TLS section holds only Source and Neg_Cipher.
            return new TlsSummarySection { IncludeCertificateDetails = zos32, Source = t.Source, NegotiatedCipher = t.NegotiatedCipher };
        }

        return new TlsSummarySection
        {
            IncludeCertificateDetails = zos32,
            Source = t.Source,
            CryptoFlags = t.CryptoFlags,
            ProtocolVersion = t.ProtocolVersion,
            NegotiatedCipher = t.NegotiatedCipher,
            CipherEncryptionAlgorithm = t.CipherEncryptionAlgorithm,
            CipherMessageAuthentication = t.CipherMessageAuthentication,
            CipherKeyExchange = t.CipherKeyExchange,
            ServerCertificate = t.ServerCertificate,
            ClientCertificate = t.ClientCertificate,
        };
    }

    private static SshSummarySection SshSummary(SshConnectionSection h)
    {
        if ((h.SshFlags & 0x80) != 0)
        {
            return new SshSummarySection { Source = h.Source, ProtocolVersion = 0 };
        }

        return new SshSummarySection
        {
            Source = h.Source,
            ProtocolVersion = h.ProtocolVersion,
            CryptoFlags = h.CryptoFlags,
            AuthMethod = h.AuthMethod,
            AuthMethod2 = h.AuthMethod2,
            InboundEncryptionAlgorithm = h.InboundEncryptionAlgorithm,
            InboundMessageAuthentication = h.InboundMessageAuthentication,
            KeyExchangeMethod = h.KeyExchangeMethod,
            OutboundEncryptionAlgorithm = h.OutboundEncryptionAlgorithm,
            OutboundMessageAuthentication = h.OutboundMessageAuthentication,
            ServerKeyType = h.ServerKeyType,
            ServerKeyLength = h.ServerKeyLength,
            ClientKeyType = h.ClientKeyType,
            ClientKeyLength = h.ClientKeyLength,
            ServerCertificate = h.ServerCertificate,
            ClientCertificate = h.ClientCertificate,
        };
    }

    private static IpsecSummarySection IpsecSummary(IpsecConnectionSection p, bool zos32) => new()
    {
        IncludeCertificateDetails = zos32,
        IkeMajorVersion = p.IkeMajorVersion,
        IkeMinorVersion = p.IkeMinorVersion,
        IkeLocalEndpoint = p.IkeLocalEndpoint,
        IkeRemoteEndpoint = p.IkeRemoteEndpoint,
        IkeLocalAuthMethod = p.IkeLocalAuthMethod,
        IkeRemoteAuthMethod = p.IkeRemoteAuthMethod,
        IkeAuthAlgorithm = p.IkeAuthAlgorithm,
        IkeEncryptionAlgorithm = p.IkeEncryptionAlgorithm,
        IkeDhGroup = p.IkeDhGroup,
        IkePseudoRandomFunction = p.IkePseudoRandomFunction,
        LocalCertificate = p.LocalCertificate,
        RemoteCertificate = p.RemoteCertificate,
        PfsGroup = p.PfsGroup,
        EncapsulationMode = p.EncapsulationMode,
        AuthProtocol = p.AuthProtocol,
        AuthAlgorithm = p.AuthAlgorithm,
        EncryptionAlgorithm = p.EncryptionAlgorithm,
    };

    private void Touch(StackDef stack, SummarySession session)
    {
        if (!session.Touched)
        {
            session.Touched = true;
            _intervalSessions[stack].Add(session);
        }
    }

    /// <summary>Moves the connection's traffic since the last accounting point into its sessions.</summary>
    private static void Account(Connection conn, long ticks)
    {
        var (inBytes, outBytes, inSeg, outSeg) = conn.CountersAt(ticks);
        var dIn = inBytes - conn.AccountedIn;
        var dOut = outBytes - conn.AccountedOut;
        var dInSeg = inSeg - conn.AccountedInSegments;
        var dOutSeg = outSeg - conn.AccountedOutSegments;
        foreach (var session in conn.Sessions)
        {
            session.Current.InBytes += dIn;
            session.Current.OutBytes += dOut;
            session.Current.InSegments += dInSeg;
            session.Current.OutSegments += dOutSeg;
        }

        conn.AccountedIn = inBytes;
        conn.AccountedOut = outBytes;
        conn.AccountedInSegments = inSeg;
        conn.AccountedOutSegments = outSeg;
    }

    private void EmitSessionSet(StackDef stack, long durationTicks, byte reasonMore, byte reasonLast)
    {
        var sessions = _intervalSessions[stack];
        var carried = new List<SummarySession>();
        for (var i = 0; i < sessions.Count; i++)
        {
            var session = sessions[i];
            EmitSummary(stack, session, durationTicks, i == sessions.Count - 1 ? reasonLast : reasonMore);
            session.AtIntervalStart = session.Current;
            session.Touched = session.Current.Active > 0;
            if (session.Touched)
            {
                carried.Add(session); // still has active connections: reported again next interval
            }
        }

        _intervalSessions[stack] = carried;
    }
}
