using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

// Events: the queue of pending events (terminations, changes, interval boundaries, aggregation switched off and on).
internal sealed partial class ScenarioEngine
{
    private void Schedule(PendingKind kind, Connection? conn, StackDef? stack, long ticks)
        => _queue.Enqueue(new PendingEvent(kind, conn, stack), (ticks, _sequence++));

    private void ScheduleControl(PendingKind kind, StackDef stack, long ticks) => Schedule(kind, null, stack, ticks);

    private void Process(PendingEvent pending)
    {
        switch (pending.Kind)
        {
            case PendingKind.Init:
                EmitConnection(pending.Connection!, 1);
                break;
            case PendingKind.Enforce:
                EmitConnection(pending.Connection!, 7);
                break;
            case PendingKind.Change:
                Change(pending.Connection!);
                break;
            case PendingKind.Term:
                Terminate(pending.Connection!);
                break;
            case PendingKind.DiscoveryOff:
                EmitStackEvent(pending.Stack!, 6);
                pending.Stack!.DiscoveryEnabled = false;
                ScheduleControl(PendingKind.DiscoveryOn, pending.Stack, _now + (_rng.Between(30, 600) * Second));
                break;
            case PendingKind.DiscoveryOn:
                pending.Stack!.DiscoveryEnabled = true;
                EmitStackEvent(pending.Stack, 5);
                ScheduleControl(PendingKind.DiscoveryOff, _rng.Pick(_stacks), _now + (_rng.Between(4 * 3_600, 8 * 3_600) * Second));
                break;
            case PendingKind.AggregationOff:
                AggregationOff(pending.Stack!);
                ScheduleControl(PendingKind.AggregationOn, pending.Stack!, _now + (_rng.Between(30, 600) * Second));
                break;
            case PendingKind.AggregationOn:
                AggregationOn(pending.Stack!);
                ScheduleControl(PendingKind.AggregationOff, _rng.Pick(_stacks), _now + (_rng.Between(5 * 3_600, 10 * 3_600) * Second));
                break;
        }
    }

    private void Terminate(Connection conn)
    {
        Account(conn, _now);
        foreach (var session in conn.Sessions)
        {
            session.Current.Active--;
            if (conn.IsShort)
            {
                session.Current.Short++;
            }

            Touch(conn.Stack, session);
        }

        _active[conn.Stack].Remove(conn);
        EmitConnection(conn, conn.IsShort ? (byte)4 : (byte)3);
    }

    private void Change(Connection conn)
    {
        Account(conn, _now);
        var stack = conn.Stack;
        if (conn.Tls is null && conn.Ssh is null && conn.Ipsec is null)
        {
            // FTP AUTH TLS after the init record (layout §2: event 2 = change in protection attributes).
            SetTls(conn, 2, ServerVersion(conn.App.Kind), false, false, sticky: true);
        }
        else if (conn.Tls is { } old)
        {
            // Renegotiation / new handshake: new session ID, possibly a different suite of the same version.
            var suite = _rng.Pick(CipherSuiteCatalog.ForVersion(old.ProtocolVersion));
            if (suite.NeedsEcKey != (old.ServerCertificate?.KeyType == 5))
            {
                suite = new CipherSuite(old.NegotiatedCipher, old.CipherEncryptionAlgorithm, old.CipherMessageAuthentication, old.CipherKeyExchange, false, false);
            }

            conn.Tls = new TlsConnectionSection
            {
                ProtocolVersion = old.ProtocolVersion,
                Source = old.Source,
                HandshakeType = 1,
                HandshakeRole = old.HandshakeRole,
                SessionId = old.Source == 2 ? RandomBytes(32) : [],
                ProtocolProvider = old.ProtocolProvider,
                NegotiatedCipher = suite.Code,
                CipherEncryptionAlgorithm = suite.Encryption,
                CipherMessageAuthentication = suite.Mac,
                CipherKeyExchange = suite.KeyExchange,
                FipsMode = old.FipsMode,
                CryptoFlags = suite.Cbc ? old.CryptoFlags : (byte)0,
                ServerCertificate = old.ServerCertificate,
                ClientCertificate = old.ClientCertificate,
            };
        }

        if (stack.AggregationEnabled)
        {
            var before = new List<SummarySession>(conn.Sessions);
            conn.Sessions.Clear();
            AttachSessions(conn, partial: true, previous: before);
        }

        EmitConnection(conn, 2);
    }

    private void ProcessBoundary(StackDef stack)
    {
        var boundary = stack.NextBoundaryTicks;
        if (stack.AggregationEnabled)
        {
            foreach (var conn in _active[stack])
            {
                Account(conn, boundary);
            }

            EmitSessionSet(stack, boundary - stack.LastBoundaryTicks, reasonMore: 0xC0, reasonLast: 0x80);
        }

        stack.LastBoundaryTicks = boundary;
        stack.NextBoundaryTicks = boundary + stack.Interval.Ticks;
    }

    private void AggregationOff(StackDef stack)
    {
        if (!stack.AggregationEnabled)
        {
            return;
        }

        foreach (var conn in _active[stack])
        {
            Account(conn, _now);
        }

        // Close-out set (end-of-statistics reason codes, V.1), then the aggregation-disabled event record.
        EmitSessionSet(stack, _now - stack.LastBoundaryTicks, reasonMore: 0x60, reasonLast: 0x20);
        EmitSummaryEvent(stack, 3);
        stack.AggregationEnabled = false;
        stack.Sessions.Clear();
        stack.SessionsByKey.Clear();
        _intervalSessions[stack].Clear();
        foreach (var conn in _active[stack])
        {
            conn.Sessions.Clear();
        }
    }

    private void AggregationOn(StackDef stack)
    {
        if (stack.AggregationEnabled)
        {
            return;
        }

        stack.AggregationEnabled = true;
        stack.LastBoundaryTicks = _now;
        EmitSummaryEvent(stack, 2);
        foreach (var conn in _active[stack])
        {
            Account(conn, _now);
            AttachSessions(conn, partial: true);
        }
    }
}
