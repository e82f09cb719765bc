using ZertForwarder.Generator.Encoding;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator.Scenario;

// Record emission: the SMF records written for connections, stack events and summaries, in time order.
internal sealed partial class ScenarioEngine
{
    private static DateTime Local(SystemDef system, long utcTicks) => new(utcTicks + system.UtcOffset.Ticks, DateTimeKind.Unspecified);

    private void FillIdentity(ZertRecord record, StackDef stack, byte reason)
    {
        var system = stack.System;
        record.Header.SetLocalTime(Local(system, _now));
        record.Header.SystemId = system.SmfId;
        record.Header.SubsystemId = "";
        var id = record.Identification;
        id.SystemName = system.SystemName;
        id.SysplexName = system.Sysplex;
        id.StackName = stack.Name;
        id.ReleaseId = system.ReleaseId;
        id.Component = "STACK";
        id.AddressSpaceName = stack.Name;
        id.UserId = "TCPIP";
        id.Asid = stack.Asid;
        id.Reason = reason;
    }

    private void EmitConnection(Connection conn, byte eventType)
    {
        var stack = conn.Stack;
        if (!stack.DiscoveryEnabled)
        {
            return;
        }

        var record = new ZertConnectionRecord();
        FillIdentity(record, stack, 0x08);
        var c = record.Common;
        c.EventType = eventType;
        c.SecurityProtocols = conn.SecurityProtocols;
        // Layout V.3: X'20' = reset by enforcement, on the termination record (and, as the brief asks, the audit record).
        c.Flags = (byte)(conn.Flags | (conn.Reset && eventType is 3 or 4 or 7 ? 0x20 : 0));
        c.SecurityFlags = conn.SecurityFlags;
        c.IpProtocol = conn.IpProtocol;
        c.JobName = conn.JobName;
        c.JobId = conn.JobId;
        c.UserId = conn.UserId;
        c.SetStart(new DateTime(conn.StartTicks, DateTimeKind.Utc));
        if (eventType is 3 or 4)
        {
            c.SetEnd(new DateTime(_now, DateTimeKind.Utc));
        }

        c.RemoteIp = conn.RemoteIp;
        c.LocalIp = conn.LocalIp;
        c.RemotePort = conn.RemotePort;
        c.LocalPort = conn.LocalPort;
        c.ConnectionId = conn.Id;
        (c.InBytes, c.OutBytes, c.InSegments, c.OutSegments) = conn.CountersAt(_now);
        record.IpFilter = conn.Filter;
        record.Tls = conn.Tls;
        record.Ssh = conn.Ssh;
        record.Ipsec = conn.Ipsec;
        record.DistinguishedNames.AddRange(conn.Names);
        if (eventType == 7)
        {
            record.Enforcement = conn.Enforcement;
        }

        Emit(record, stack);
    }

    private void EmitStackEvent(StackDef stack, byte eventType)
    {
        // zERT enabled/disabled: identification and common sections only (layout §2, V.2 events 5/6).
        var record = new ZertConnectionRecord();
        FillIdentity(record, stack, 0x08);
        record.Common.EventType = eventType;
        record.Common.IpProtocol = 0;
        Emit(record, stack);
    }

    private void EmitSummaryEvent(StackDef stack, byte eventType)
    {
        // Aggregation enabled/disabled: identification and common sections only (layout §3).
        var record = new ZertSummaryRecord();
        FillIdentity(record, stack, 0x08);
        record.Common.IncludeFailedHandshakeCounters = stack.System.IsZos32;
        record.Common.EventType = eventType;
        record.Common.IpProtocol = 0;
        Emit(record, stack);
    }

    private void EmitSummary(StackDef stack, SummarySession s, long durationTicks, byte reason)
    {
        var record = new ZertSummaryRecord();
        FillIdentity(record, stack, reason);
        var c = record.Common;
        c.IncludeFailedHandshakeCounters = stack.System.IsZos32;
        c.IntervalDuration = SmfTimeEncoding.ToTodUnits(TimeSpan.FromTicks(durationTicks));
        c.EventType = 1;
        c.Flags = s.Flags;
        c.SecurityProtocol = s.Protocol;
        c.JobName = s.JobName;
        c.UserId = s.UserId;
        c.IpProtocol = s.IpProtocol;
        c.ServerIp = s.ServerIp;
        c.ClientIp = s.ClientIp;
        c.ServerPortStart = s.PortStart;
        c.ServerPortEnd = s.PortEnd;
        c.SessionId = s.SessionId;
        var a = s.AtIntervalStart;
        var b = s.Current;
        c.InitConnections = a.Connections;
        c.InitPartialConnections = a.Partial;
        c.InitShortConnections = a.Short;
        c.InitActiveConnections = a.Active;
        c.InitInBytes = a.InBytes;
        c.InitOutBytes = a.OutBytes;
        c.InitInSegments = a.InSegments;
        c.InitOutSegments = a.OutSegments;
        c.InitFailedHandshakes = a.FailedHandshakes;
        c.EndConnections = b.Connections;
        c.EndPartialConnections = b.Partial;
        c.EndShortConnections = b.Short;
        c.EndActiveConnections = b.Active;
        c.EndInBytes = b.InBytes;
        c.EndOutBytes = b.OutBytes;
        c.EndInSegments = b.InSegments;
        c.EndOutSegments = b.OutSegments;
        c.EndFailedHandshakes = b.FailedHandshakes;
        record.Tls = s.Tls;
        record.Ssh = s.Ssh;
        record.Ipsec = s.Ipsec;
        record.DistinguishedNames.AddRange(s.Names);
        Emit(record, stack);
    }

    private void Emit(ZertRecord record, StackDef stack)
    {
        var system = stack.System;
        _output.Add(new GeneratedRecord(ZertRecordWriter.ToArray(record), record, system.SmfId, system.UtcOffset, new DateTime(_now - (_now % Hundredth), DateTimeKind.Utc)));
        if (!_includeForeign)
        {
            return;
        }

        var roll = _foreignRng.NextDouble();
        if (roll < 0.01)
        {
            _output.Add(Foreign(ForeignRecords.Type30(_foreignRng, Local(system, _now), system.SmfId, "PAYB0042"), system, _now));
        }
        else if (roll < 0.022)
        {
            _output.Add(Foreign(ForeignRecords.Type119Subtype2(_foreignRng, Local(system, _now), system.SmfId, system.SystemName, stack.Name), system, _now));
        }
    }

    private static GeneratedRecord Foreign(byte[] bytes, SystemDef system, long utcTicks)
        => new(bytes, null, system.SmfId, system.UtcOffset, new DateTime(utcTicks - (utcTicks % Hundredth), DateTimeKind.Utc));

    private static long PreviousBoundary(StackDef stack, long utcTicks)
    {
        // Intervals are synchronised to the local clock (SMF SYNCVAL / AGGREGATION SYNCVAL behaviour).
        var local = utcTicks + stack.System.UtcOffset.Ticks;
        var interval = stack.Interval.Ticks;
        return (local / interval * interval) - stack.System.UtcOffset.Ticks;
    }
}
