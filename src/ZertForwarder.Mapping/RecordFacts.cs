using System.Buffers.Binary;
using ZertForwarder.Smf;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>Which end of the connection the z/OS socket is (output contract §2.3).</summary>
internal enum LocalRole : byte
{
    Unknown,
    Server,
    Client,
}

/// <summary>
/// The enrichment of one record, computed once before any writer runs: times, roles, endpoints, the event
/// classification and the crypto assessment (output contract §1-3). One instance per thread, reused record after
/// record.
/// </summary>
internal sealed class RecordFacts
{
    private readonly byte[] _communityId = new byte[64];
    private int _communityIdLength;
    private readonly byte[] _eventIdUtf8 = new byte[ZertEventId.Length];
    private bool _hasEventIdUtf8;
    // Four addresses of at most 45 characters (IPv6 text) and their separators.
    private readonly byte[] _relatedIps = new byte[4 * 46];
    private int _relatedIpsLength;

    // The record's addresses as text, each formatted once (AddressText). A record has four address fields (layout
    // §2.2/§3.2 local and remote or server and client, §2.5/§3.4 the IKE tunnel endpoints); one more slot serves a
    // mapping that converts some other field to an address, without caching it.
    private const int AddressSlots = 4;
    private const int AddressTextSize = 46; // the longest IPv6 text, 45 characters
    private readonly ZertField?[] _addressFields = new ZertField?[AddressSlots];
    private readonly byte[] _addressText = new byte[(AddressSlots + 1) * AddressTextSize];
    private readonly int[] _addressLengths = new int[AddressSlots];
    private int _addressCount;

    public ZertRecord Record { get; private set; } = null!;

    /// <summary>The mapping set the facts were computed with.</summary>
    public MappingSet? Mappings { get; private set; }
    public int Subtype { get; private set; }
    public int EventType { get; private set; }

    /// <summary>
    /// The record describes a connection or session: every 119-11 event but 5/6 (zERT enabled/disabled) and every
    /// 119-12 event but 2/3 (aggregation enabled/disabled). An event type a later release adds is taken as a connection
    /// event, since the record format is the same for every event type (layout §2).
    /// </summary>
    public bool IsConnectionEvent { get; private set; }

    /// <summary>
    /// SAIPProto (layout §2.1 / §3.1): 6 TCP, 17 UDP (Enterprise Extender), 0 on a configuration event. Read once here:
    /// the <c>"tcp"</c> rule condition, the network values and the Community ID all ask for it.
    /// </summary>
    public byte IpProtocol { get; private set; }
    public DateTime? RecordTime { get; private set; }
    public DateTime? Start { get; private set; }
    public DateTime? End { get; private set; }
    public LocalRole Role { get; private set; }

    /// <summary>
    /// SAFlags names the local role: a TCP record with the local server or client bit set (119-11 X'10' / X'08', which
    /// records before z/OS 3.2 do not have; 119-12 X'40' / X'20'). <see cref="Role"/> may also come from the TLS handshake.
    /// </summary>
    public bool RoleFromFlags { get; private set; }
    /// <summary>The known protection bits of SASecProtos (X'80' TLS, X'40' SSH, X'20' IPsec); 0 = cleartext.</summary>
    public byte Protection { get; private set; }

    /// <summary>The whole SASecProtos byte, bits the layout does not name included (written as unknown(0xNN)).</summary>
    public byte SecurityProtocols { get; private set; }
    public bool TlsFailed { get; private set; }
    public bool SshFailed { get; private set; }
    public bool EnforcementReset { get; private set; }
    public CipherLookup Cipher { get; private set; }
    public CipherSuite? Suite { get; private set; }
    public AssessmentLevel Level { get; set; }
    public ulong ReasonBits { get; set; }
    public int RiskScore { get; set; }
    public string SystemId { get; private set; } = "";

    /// <summary>Compliance with the assessment profile: 0 not judged (configuration events), 1 false, 2 true.</summary>
    public byte Compliant { get; set; }

    /// <summary>Quantum readiness: 0 unknown / not applicable, 1 false, 2 true.</summary>
    public byte QuantumSafe { get; set; }

    /// <summary>The quantum-vulnerable parts (<c>key_exchange:ECDHE</c>, <c>certificate:RSA-2048</c>), or null.</summary>
    public EncodedList? QuantumVulnerable { get; set; }

    /// <summary>
    /// The TLS algorithm names of the one derivation (contract §2.5): IBM's name when its code is non-zero and known,
    /// else the name derived from the negotiated suite, else the unknown(0xNNNN) label of a non-zero code. Every
    /// writer reads these, so ECS, LEEF and flat cannot disagree.
    /// </summary>
    public byte[]? TlsEncryption { get; private set; }
    public byte[]? TlsMac { get; private set; }
    public byte[]? TlsKeyExchange { get; private set; }

    private readonly byte[] _message = new byte[1024];
    private int _messageLength = -1;

    /// <summary>The one-line summary of the record (ECS <c>message</c>), built on first use and shared by the writers.</summary>
    public ReadOnlySpan<byte> Message()
    {
        if (_messageLength < 0) _messageLength = EventMessage.Write(this, Mappings ?? PendingMappings!, _message);
        return _message.AsSpan(0, _messageLength);
    }

    private MappingSet? PendingMappings { get; set; }

    /// <summary>The event id as UTF-8, computed once per record and shared by the writers and the envelope (<see cref="ZertNormalizer.Describe"/>).</summary>
    public ReadOnlySpan<byte> EventIdUtf8
    {
        get
        {
            if (!_hasEventIdUtf8)
            {
                ZertEventId.ComputeUtf8(Record.Bytes.Span, _eventIdUtf8);
                _hasEventIdUtf8 = true;
            }
            return _eventIdUtf8;
        }
    }

    public void Compute(ZertRecord record, MappingSet mappings)
    {
        Record = record;
        Mappings = null; // set last, so a half-computed record is never taken as done
        Subtype = record.Subtype;
        _hasEventIdUtf8 = false;
        _relatedIpsLength = -1;
        _addressCount = 0;
        _communityIdLength = -1;
        _messageLength = -1;
        PendingMappings = mappings;
        SystemId = record.Header.SystemId;
        var sub11 = Subtype == 11;
        record.TryGetUnsigned(sub11 ? ZertFields.SC_SAEvent_Type : ZertFields.SS_SAEvent_Type, out var eventType);
        EventType = (int)eventType;
        IsConnectionEvent = sub11 ? EventType is not (5 or 6) : EventType is not (2 or 3);
        record.TryGetUnsigned(sub11 ? ZertFields.SC_SAIPProto : ZertFields.SS_SAIPProto, out var ipProtocol);
        IpProtocol = (byte)ipProtocol;
        record.TryGetUnsigned(sub11 ? ZertFields.SC_SASecProtos : ZertFields.SS_SASecProtos, out var protection);
        SecurityProtocols = (byte)protection;
        Protection = (byte)(protection & 0xE0);

        // Record time: SMF header local time, converted with the system's configured offset (contract §1).
        RecordTime = null;
        if (record.Header.TryGetLocalTime(out var local))
        {
            if (!mappings.Options.UtcOffsets.TryGetValue(SystemId, out var offset)) mappings.NoteMissingUtcOffset(SystemId);
            RecordTime = DateTime.SpecifyKind(local - offset, DateTimeKind.Utc);
        }

        record.TryGetUnsigned(sub11 ? ZertFields.SC_SAFlags : ZertFields.SS_SAFlags, out var flags);
        // SAFlags' local server / client bits are TCP only (table V.3: 119-11 X'10' / X'08', 119-12 X'40' / X'20'): on
        // an Enterprise Extender record (UDP) they mean nothing, so they name no role there.
        var roleFlags = IpProtocol == 6 ? flags : 0;
        Start = End = null;
        Role = LocalRole.Unknown;
        RoleFromFlags = (roleFlags & (sub11 ? 0x18UL : 0x60UL)) != 0;
        if (sub11)
        {
            // 119-11 start/end are UTC already (layout §2.1); the end is absent when its date is zero.
            if (record.TryGetDate(ZertFields.SC_SASDate, out var sd) && record.TryGetTimeOfDay(ZertFields.SC_SASTime, out var st))
                Start = DateTime.SpecifyKind(sd.ToDateTime(st), DateTimeKind.Utc);
            if (record.TryGetDate(ZertFields.SC_SAEDate, out var ed) && record.TryGetTimeOfDay(ZertFields.SC_SAETime, out var et))
                End = DateTime.SpecifyKind(ed.ToDateTime(et), DateTimeKind.Utc);
            // Role: SAFlags X'10' / X'08' first, then the TLS handshake role (contract §2.3).
            if ((roleFlags & 0x10) != 0) Role = LocalRole.Server;
            else if ((roleFlags & 0x08) != 0) Role = LocalRole.Client;
            else if (record.TryGetUnsigned(ZertFields.SC_TLS_Handshake_Role, out var hr) && hr is 1 or 2 or 3)
                Role = hr == 1 ? LocalRole.Client : LocalRole.Server;
            // A header date or time that does not decode (a damaged SMF119DTE/SMF119TME) leaves the record without
            // its time; a connection record still says when the connection ended or began (UTC already), which is
            // when the record was written or just before, so @timestamp falls back to that (README "Time").
            RecordTime ??= End ?? Start;
            EnforcementReset = (flags & 0x20) != 0;
            TlsFailed = record.TryGetUnsigned(ZertFields.SC_TLS_Handshake_Type, out var ht) && ht == 3;
            SshFailed = record.TryGetUnsigned(ZertFields.SC_SSH_Flags, out var sf) && (sf & 0x80) != 0;
        }
        else
        {
            // 119-12: end = record time, start = end - interval duration (TOD >> 12 = microseconds), contract §1.
            // Only interval records have an interval; the enable/disable events carry just the record time.
            End = IsConnectionEvent ? RecordTime : null;
            if (RecordTime is { } end && IsConnectionEvent && record.TryGetUnsigned(ZertFields.SS_SAIntervalDuration, out var tod))
                Start = end.AddTicks(-(long)SmfTime.TodToMicroseconds(tod) * 10);
            if ((roleFlags & 0x40) != 0) Role = LocalRole.Server;
            else if ((roleFlags & 0x20) != 0) Role = LocalRole.Client;
            EnforcementReset = false;
            // A security session of failed handshakes (3.2+): SAEndFailedHsConnCnt > 0 and its TLS or SSH section holds
            // only Source (layout §3.1). TLS says so by Neg_Cipher FFFFFF (below); a summary's SSH section has no
            // SSH_Flags, only its protocol version left unknown (0), so that with the counter is the sign: without it an
            // SSH session of failed handshakes went out as a success (contract §2.2). Both are asked for, so a counter
            // beside a complete section (a session that also negotiated) is not called failed.
            TlsFailed = false;
            SshFailed = IsConnectionEvent && record.HasSection(ZertSection.Ssh)
                        && record.TryGetUnsigned(ZertFields.SS_SAEndFailedHsConnCnt, out var failed) && failed > 0
                        && record.TryGetUnsigned(ZertFields.SS_SSH_Prot_Ver, out var version) && version == 0;
        }

        CipherSuite? suite = null;
        Cipher = record.HasSection(ZertSection.Tls)
            ? mappings.Suites.Resolve(record.GetTextBytes(sub11 ? ZertFields.SC_TLS_Neg_Cipher : ZertFields.SS_TLS_Neg_Cipher), out suite)
            : CipherLookup.Absent;
        Suite = Cipher == CipherLookup.Known ? suite : null;
        if (Cipher == CipherLookup.UnknownMarker) TlsFailed = true; // FFFFFF: failed handshake (layout §2.3, §3.1)
        TlsEncryption = TlsMac = TlsKeyExchange = null;
        if (record.HasSection(ZertSection.Tls))
        {
            TlsEncryption = Algorithm(mappings.EncryptionTable, sub11 ? ZertFields.SC_TLS_CS_Enc_Alg : ZertFields.SS_TLS_CS_Enc_Alg, Suite?.EncryptionUtf8);
            TlsMac = Algorithm(mappings.MacTable, sub11 ? ZertFields.SC_TLS_CS_Msg_Auth : ZertFields.SS_TLS_CS_Msg_Auth, Suite?.MacUtf8);
            TlsKeyExchange = Algorithm(mappings.TlsKeyExchangeTable, sub11 ? ZertFields.SC_TLS_CS_Kex_Alg : ZertFields.SS_TLS_CS_Kex_Alg, Suite?.KeyExchangeUtf8);
        }

        mappings.Assessor.Assess(this);
        Mappings = mappings;
    }

    public bool IsFailure => TlsFailed || SshFailed || EnforcementReset;

    private byte[]? Algorithm(ValueTable table, ZertField field, byte[]? fromSuite)
    {
        if (!Record.TryGetUnsigned(field, out var code)) return null;
        if (code != 0 && table.TryGetNameUtf8((uint)code, out var name)) return name;
        if (fromSuite is not null) return fromSuite;
        return code == 0 ? null : System.Text.Encoding.UTF8.GetBytes(ValueTable.UnknownLabel((uint)code, field.Length));
    }

    /// <summary>Local address field (119-11) / server address (119-12), and the other end.</summary>
    public ReadOnlySpan<byte> LocalIpBytes => Record.TryGetBytes(Subtype == 11 ? ZertFields.SC_SALIP : ZertFields.SS_SASrvIP, out var b) ? b : default;

    public ReadOnlySpan<byte> RemoteIpBytes => Record.TryGetBytes(Subtype == 11 ? ZertFields.SC_SARIP : ZertFields.SS_SACltIP, out var b) ? b : default;

    public ulong LocalPort => Record.TryGetUnsigned(ZertFields.SC_SALPort, out var p) ? p : 0;

    public ulong RemotePort => Record.TryGetUnsigned(ZertFields.SC_SARPort, out var p) ? p : 0;

    public ulong Counter(ZertField field) => Record.TryGetUnsigned(field, out var v) ? v : 0;

    /// <summary>
    /// Community ID v1 (seed 0) over the local/remote addresses, ports and IP protocol (contract §2.3): SHA-1 over
    /// seed, the ordered (lower endpoint first) addresses, protocol, a zero pad byte and the ports; base64 with "1:".
    /// </summary>
    public ReadOnlySpan<byte> CommunityId()
    {
        if (_communityIdLength >= 0) return _communityId.AsSpan(0, _communityIdLength);
        _communityIdLength = 0;
        if (Subtype != 11 || IpProtocol == 0) return default;
        var localField = LocalIpBytes;
        var remoteField = RemoteIpBytes;
        if (localField.IsEmpty || remoteField.IsEmpty || Formatting.IsZero(localField) || Formatting.IsZero(remoteField)) return default;
        var v6 = Record.IsIpv6 || localField[4..].ContainsAnyExcept((byte)0) || remoteField[4..].ContainsAnyExcept((byte)0);
        var ipLength = v6 ? 16 : 4;
        var a = localField[..ipLength];
        var b = remoteField[..ipLength];
        var pa = (ushort)LocalPort;
        var pb = (ushort)RemotePort;
        var order = a.SequenceCompareTo(b);
        if (order > 0 || (order == 0 && pa > pb))
        {
            var t = a;
            a = b;
            b = t;
            (pa, pb) = (pb, pa);
        }
        Span<byte> input = stackalloc byte[2 + 32 + 2 + 4];
        var n = 0;
        input[n++] = 0;
        input[n++] = 0; // seed 0
        a.CopyTo(input[n..]);
        n += ipLength;
        b.CopyTo(input[n..]);
        n += ipLength;
        input[n++] = IpProtocol;
        input[n++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(input[n..], pa);
        n += 2;
        BinaryPrimitives.WriteUInt16BigEndian(input[n..], pb);
        n += 2;
        Span<byte> hash = stackalloc byte[20];
        Sha1SingleBlock.Hash(input[..n], hash);
        "1:"u8.CopyTo(_communityId);
        System.Buffers.Text.Base64.EncodeToUtf8(hash, _communityId.AsSpan(2), out _, out var written);
        _communityIdLength = 2 + written;
        return _communityId.AsSpan(0, _communityIdLength);
    }

    /// <summary>
    /// An address field as text (dotted IPv4, or IPv6 as RFC 5952 writes it, by the record's SAFlags), or empty when
    /// the field is absent or all zero. Formatted once per record: the same two addresses appear in about ten values of
    /// the outputs (client, server, source, destination, local, remote, related, the message, LEEF src and dst).
    /// </summary>
    public ReadOnlySpan<byte> AddressText(ZertField field)
    {
        for (var i = 0; i < _addressCount; i++)
        {
            if (ReferenceEquals(_addressFields[i], field)) return _addressText.AsSpan(i * AddressTextSize, _addressLengths[i]);
        }
        var slot = _addressCount < AddressSlots ? _addressCount : AddressSlots;
        var length = Record.TryGetBytes(field, out var bytes) && !Formatting.IsZero(bytes)
            ? Formatting.Ip(bytes, Record.IsIpv6, _addressText.AsSpan(slot * AddressTextSize, AddressTextSize))
            : 0;
        if (slot < AddressSlots)
        {
            _addressFields[slot] = field;
            _addressLengths[slot] = length;
            _addressCount++;
        }
        return _addressText.AsSpan(slot * AddressTextSize, length);
    }

    /// <summary>
    /// Every IP address the document carries, in document order, without repeats (contract §2.1), as UTF-8 text with
    /// the addresses separated by commas (no address contains one): written straight from the record bytes, without
    /// a string or a list per record. Empty when there is none.
    /// </summary>
    public ReadOnlySpan<byte> RelatedIps()
    {
        if (_relatedIpsLength >= 0) return _relatedIps.AsSpan(0, _relatedIpsLength);
        _relatedIpsLength = 0;
        if (Subtype == 11)
        {
            AddRelatedIp(ZertFields.SC_SALIP);
            AddRelatedIp(ZertFields.SC_SARIP);
            AddRelatedIp(ZertFields.SC_IPSec_IKETunLclEndpt);
            AddRelatedIp(ZertFields.SC_IPSec_IKETunRmtEndpt);
        }
        else
        {
            AddRelatedIp(ZertFields.SS_SASrvIP);
            AddRelatedIp(ZertFields.SS_SACltIP);
            AddRelatedIp(ZertFields.SS_IPSec_IKETunLclEndpt);
            AddRelatedIp(ZertFields.SS_IPSec_IKETunRmtEndpt);
        }
        return _relatedIps.AsSpan(0, _relatedIpsLength);
    }

    private void AddRelatedIp(ZertField field)
    {
        var text = AddressText(field);
        if (text.IsEmpty) return;
        var buffer = _relatedIps.AsSpan();
        var start = _relatedIpsLength == 0 ? 0 : _relatedIpsLength + 1;
        text.CopyTo(buffer[start..]);
        var length = text.Length;
        var ip = buffer.Slice(start, length);
        // Already listed? Compare with each earlier item.
        var rest = buffer[.._relatedIpsLength];
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf((byte)',');
            var item = comma < 0 ? rest : rest[..comma];
            if (item.SequenceEqual(ip)) return;
            rest = comma < 0 ? default : rest[(comma + 1)..];
        }
        if (start > 0) buffer[_relatedIpsLength] = (byte)',';
        _relatedIpsLength = start + length;
    }
}
