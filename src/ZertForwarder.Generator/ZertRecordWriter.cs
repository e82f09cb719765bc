using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ZertForwarder.Generator.Encoding;
using ZertForwarder.Generator.Model;

namespace ZertForwarder.Generator;

/// <summary>
/// Serialises a <see cref="ZertRecord"/> model into one complete logical SMF 119 record, RDW included
/// (SMF119LEN = total length, SMF119SEG = 0). Sections are laid out back to back after the self-defining section,
/// identification section first, then S1, S2, … in triplet order; absent sections get an all-zero triplet
/// (layout §1, §1.2, §1.3). All offsets are measured from byte 0 of the RDW.
/// </summary>
/// <remarks>Offsets here are the generator's own transcription of the layout spec, independent of the decoder.</remarks>
public static class ZertRecordWriter
{
    /// <summary>Largest logical SMF record (layout §C.1: 32,756 bytes).</summary>
    public const int MaxLogicalRecordLength = 32_756;

    /// <summary>SMF record type 119 (X'77').</summary>
    public const byte SmfType119 = 119;

    // Layout §1.1: standard header is 24 bytes; the self-defining section starts with TRN(2) + reserved(2).
    private const int HeaderLength = 24;
    private const int TripletsStart = 28;
    private const int TripletLength = 8;

    /// <summary>Section lengths of subtype 11 (layout §1.2 / §2).</summary>
    public static class Subtype11Lengths
    {
        /// <summary>TCP/IP identification section.</summary>
        public const int Identification = 64;
        /// <summary>S1 common section.</summary>
        public const int Common = 128;
        /// <summary>S2 IP filter section.</summary>
        public const int IpFilter = 100;
        /// <summary>S3 TLS section.</summary>
        public const int Tls = 168;
        /// <summary>S4 SSH section.</summary>
        public const int Ssh = 284;
        /// <summary>S5 IPsec section.</summary>
        public const int Ipsec = 236;
    }

    /// <summary>Section lengths of subtype 12 (layout §1.3 / §3).</summary>
    public static class Subtype12Lengths
    {
        /// <summary>S1 before z/OS 3.2.</summary>
        public const int Common = 204;
        /// <summary>S1 from z/OS 3.2 (SMF119SS_S1Len_V2).</summary>
        public const int CommonV32 = 212;
        /// <summary>S2 TLS before 3.2.</summary>
        public const int Tls = 36;
        /// <summary>S2 TLS from 3.2.</summary>
        public const int TlsV32 = 116;
        /// <summary>S3 SSH.</summary>
        public const int Ssh = 46;
        /// <summary>S4 IPsec before 3.2.</summary>
        public const int Ipsec = 74;
        /// <summary>S4 IPsec from 3.2.</summary>
        public const int IpsecV32 = 148;
    }

    /// <summary>Returns the total logical record length (RDW included) that <see cref="Write"/> will produce.</summary>
    public static int GetLength(ZertRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record switch
        {
            ZertConnectionRecord c => TripletsStart + (ConnectionTripletCount(c) * TripletLength) + Subtype11Lengths.Identification
                + Subtype11Lengths.Common
                + (c.IpFilter is null ? 0 : Subtype11Lengths.IpFilter)
                + (c.Tls is null ? 0 : Subtype11Lengths.Tls)
                + (c.Ssh is null ? 0 : Subtype11Lengths.Ssh)
                + (c.Ipsec is null ? 0 : Subtype11Lengths.Ipsec)
                + DnBytes(c) + (c.Enforcement?.Length ?? 0),
            ZertSummaryRecord s => TripletsStart + (6 * TripletLength) + Subtype11Lengths.Identification
                + SummaryCommonLength(s.Common)
                + (s.Tls is null ? 0 : TlsSummaryLength(s.Tls))
                + (s.Ssh is null ? 0 : Subtype12Lengths.Ssh)
                + (s.Ipsec is null ? 0 : IpsecSummaryLength(s.Ipsec))
                + DnBytes(s),
            _ => throw new ArgumentException($"Unsupported record type {record.GetType().Name}.", nameof(record)),
        };
    }

    /// <summary>Serialises <paramref name="record"/> into a new array.</summary>
    public static byte[] ToArray(ZertRecord record)
    {
        var bytes = new byte[GetLength(record)];
        Write(record, bytes);
        return bytes;
    }

    /// <summary>
    /// Serialises <paramref name="record"/> into <paramref name="destination"/> and returns the number of bytes written.
    /// Throws <see cref="ArgumentException"/> when a value does not fit its field or the record exceeds
    /// <see cref="MaxLogicalRecordLength"/>.
    /// </summary>
    public static int Write(ZertRecord record, Span<byte> destination)
    {
        var length = GetLength(record);
        if (length > MaxLogicalRecordLength)
        {
            throw new ArgumentException($"Record length {length} exceeds the SMF maximum of {MaxLogicalRecordLength}.", nameof(record));
        }

        if (destination.Length < length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; the record needs {length}.", nameof(destination));
        }

        var rec = destination[..length];
        rec.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(rec, (ushort)length);
        WriteHeader(rec, record.Header, record.Subtype);
        switch (record)
        {
            case ZertConnectionRecord c:
                WriteConnection(rec, c);
                break;
            case ZertSummaryRecord s:
                WriteSummary(rec, s);
                break;
        }

        return length;
    }

    private static int ConnectionTripletCount(ZertConnectionRecord c)
    {
        if (c.TripletCountOverride is { } forced)
        {
            if (forced is not (7 or 8))
            {
                throw new ArgumentException("SMF119SD_TRN for subtype 11 is 7 or 8.", nameof(c));
            }

            if (forced == 7 && c.Enforcement is not null)
            {
                throw new ArgumentException("An enforcement section needs 8 triplets.", nameof(c));
            }

            return forced;
        }

        return c.Enforcement is null ? 7 : 8;
    }

    private static int DnBytes(ZertRecord r)
    {
        var total = 0;
        foreach (var dn in r.DistinguishedNames)
        {
            total += 4 + (dn.Name?.Length ?? 0);
        }

        return total;
    }

    private static int SummaryCommonLength(SummaryCommonSection s) => s.IncludeFailedHandshakeCounters ? Subtype12Lengths.CommonV32 : Subtype12Lengths.Common;

    private static int TlsSummaryLength(TlsSummarySection s) => s.IncludeCertificateDetails ? Subtype12Lengths.TlsV32 : Subtype12Lengths.Tls;

    private static int IpsecSummaryLength(IpsecSummarySection s) => s.IncludeCertificateDetails ? Subtype12Lengths.IpsecV32 : Subtype12Lengths.Ipsec;

    private static void WriteHeader(Span<byte> rec, SmfRecordHeader h, ushort subtype)
    {
        // Layout §1.1: FLG(4) RTY(5) TME(6-9) DTE(10-13) SID(14-17) SSI(18-21) STY(22-23).
        rec[4] = h.Flags;
        rec[5] = SmfType119;
        BinaryPrimitives.WriteUInt32BigEndian(rec[6..], h.Time);
        BinaryPrimitives.WriteUInt32BigEndian(rec[10..], SmfTimeEncoding.PackDate(h.Date));
        EbcdicText.WritePadded(rec.Slice(14, 4), h.SystemId);
        EbcdicText.WritePadded(rec.Slice(18, 4), h.SubsystemId);
        BinaryPrimitives.WriteUInt16BigEndian(rec[22..], subtype);
    }

    private static void WriteTriplet(Span<byte> rec, int index, int offset, int length, int number)
    {
        var t = rec.Slice(TripletsStart + (index * TripletLength), TripletLength);
        BinaryPrimitives.WriteUInt32BigEndian(t, (uint)offset);
        BinaryPrimitives.WriteUInt16BigEndian(t[4..], (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(t[6..], (ushort)number);
    }

    private static void WriteIdentification(Span<byte> s, TcpIpIdentification id)
    {
        // Layout §1.4.
        EbcdicText.WritePadded(s[..8], id.SystemName);
        EbcdicText.WritePadded(s.Slice(8, 8), id.SysplexName);
        EbcdicText.WritePadded(s.Slice(16, 8), id.StackName);
        EbcdicText.WritePadded(s.Slice(24, 8), id.ReleaseId);
        EbcdicText.WritePadded(s.Slice(32, 8), id.Component);
        EbcdicText.WritePadded(s.Slice(40, 8), id.AddressSpaceName);
        EbcdicText.WritePadded(s.Slice(48, 8), id.UserId);
        BinaryPrimitives.WriteUInt16BigEndian(s[58..], id.Asid);
        s[60] = id.Reason;
    }

    private static void WriteConnection(Span<byte> rec, ZertConnectionRecord c)
    {
        var trn = ConnectionTripletCount(c);
        BinaryPrimitives.WriteUInt16BigEndian(rec[24..], (ushort)trn);
        var ipv6 = (c.Common.Flags & 0x80) != 0;
        var pos = TripletsStart + (trn * TripletLength);

        WriteTriplet(rec, 0, pos, Subtype11Lengths.Identification, 1);
        WriteIdentification(rec.Slice(pos, Subtype11Lengths.Identification), c.Identification);
        pos += Subtype11Lengths.Identification;

        WriteTriplet(rec, 1, pos, Subtype11Lengths.Common, 1);
        WriteConnectionCommon(rec.Slice(pos, Subtype11Lengths.Common), c.Common, ipv6);
        pos += Subtype11Lengths.Common;

        if (c.IpFilter is { } f)
        {
            WriteTriplet(rec, 2, pos, Subtype11Lengths.IpFilter, 1);
            WriteIpFilter(rec.Slice(pos, Subtype11Lengths.IpFilter), f);
            pos += Subtype11Lengths.IpFilter;
        }

        if (c.Tls is { } tls)
        {
            WriteTriplet(rec, 3, pos, Subtype11Lengths.Tls, 1);
            WriteTlsConnection(rec.Slice(pos, Subtype11Lengths.Tls), tls);
            pos += Subtype11Lengths.Tls;
        }

        if (c.Ssh is { } ssh)
        {
            WriteTriplet(rec, 4, pos, Subtype11Lengths.Ssh, 1);
            WriteSshConnection(rec.Slice(pos, Subtype11Lengths.Ssh), ssh);
            pos += Subtype11Lengths.Ssh;
        }

        if (c.Ipsec is { } ipsec)
        {
            WriteTriplet(rec, 5, pos, Subtype11Lengths.Ipsec, 1);
            WriteIpsecConnection(rec.Slice(pos, Subtype11Lengths.Ipsec), ipsec, ipv6);
            pos += Subtype11Lengths.Ipsec;
        }

        pos = WriteDistinguishedNames(rec, c, 6, pos);

        if (c.Enforcement is { } enforcement)
        {
            WriteTriplet(rec, 7, pos, enforcement.Length, 1);
            enforcement.CopyTo(rec[pos..]);
        }
    }

    private static int WriteDistinguishedNames(Span<byte> rec, ZertRecord r, int tripletIndex, int pos)
    {
        if (r.DistinguishedNames.Count == 0)
        {
            return pos;
        }

        var start = pos;
        foreach (var dn in r.DistinguishedNames)
        {
            var nameLength = dn.Name?.Length ?? 0;
            if (nameLength > 1024)
            {
                throw new ArgumentException($"DN text is {nameLength} characters; the maximum is 1024 (layout §2.7).", nameof(r));
            }

            // Layout §2.7: DN_Len(2) includes itself and DN_Type(2); text follows.
            BinaryPrimitives.WriteUInt16BigEndian(rec[pos..], (ushort)(4 + nameLength));
            BinaryPrimitives.WriteUInt16BigEndian(rec[(pos + 2)..], dn.Type);
            EbcdicText.WritePadded(rec.Slice(pos + 4, nameLength), dn.Name);
            pos += 4 + nameLength;
        }

        var tripletLength = r.DnTripletLengthOverride ?? (ushort)(pos - start);
        WriteTriplet(rec, tripletIndex, start, tripletLength, r.DistinguishedNames.Count);
        return pos;
    }

    private static void WriteConnectionCommon(Span<byte> s, ConnectionCommonSection c, bool ipv6)
    {
        // Layout §2.1.
        s[0] = c.EventType;
        s[1] = c.SecurityProtocols;
        s[2] = c.Flags;
        s[3] = c.SecurityFlags;
        s[4] = c.IpProtocol;
        EbcdicText.WritePadded(s.Slice(8, 8), c.JobName);
        EbcdicText.WritePadded(s.Slice(16, 8), c.JobId);
        EbcdicText.WritePadded(s.Slice(24, 8), c.UserId);
        BinaryPrimitives.WriteUInt32BigEndian(s[32..], c.StartTime);
        BinaryPrimitives.WriteUInt32BigEndian(s[36..], c.StartDate is { } sd ? SmfTimeEncoding.PackDate(sd) : 0);
        BinaryPrimitives.WriteUInt32BigEndian(s[40..], c.EndTime);
        BinaryPrimitives.WriteUInt32BigEndian(s[44..], c.EndDate is { } ed ? SmfTimeEncoding.PackDate(ed) : 0);
        WriteIp(s.Slice(48, 16), c.RemoteIp, ipv6);
        WriteIp(s.Slice(64, 16), c.LocalIp, ipv6);
        BinaryPrimitives.WriteUInt16BigEndian(s[80..], c.RemotePort);
        BinaryPrimitives.WriteUInt16BigEndian(s[82..], c.LocalPort);
        BinaryPrimitives.WriteUInt32BigEndian(s[84..], c.ConnectionId);
        BinaryPrimitives.WriteUInt64BigEndian(s[88..], c.InBytes);
        BinaryPrimitives.WriteUInt64BigEndian(s[96..], c.OutBytes);
        BinaryPrimitives.WriteUInt64BigEndian(s[104..], c.InSegments);
        BinaryPrimitives.WriteUInt64BigEndian(s[112..], c.OutSegments);
    }

    private static void WriteIpFilter(Span<byte> s, IpFilterSection f)
    {
        // Layout §2.2.
        s[0] = f.OutboundAction;
        s[1] = f.InboundAction;
        EbcdicText.WritePadded(s.Slice(4, 40), f.OutboundRuleName);
        EbcdicText.WritePadded(s.Slice(44, 8), f.OutboundRuleExtension);
        EbcdicText.WritePadded(s.Slice(52, 40), f.InboundRuleName);
        EbcdicText.WritePadded(s.Slice(92, 8), f.InboundRuleExtension);
    }

    private static void WriteTlsConnection(Span<byte> s, TlsConnectionSection t)
    {
        // Layout §2.3.
        BinaryPrimitives.WriteUInt16BigEndian(s, t.ProtocolVersion);
        s[2] = t.Source;
        s[3] = t.HandshakeType;
        s[4] = t.HandshakeRole;
        WriteLengthPrefixed(s.Slice(7, 1), s.Slice(8, 32), t.SessionId, "TLS session ID");
        EbcdicText.WritePadded(s.Slice(40, 16), t.ProtocolProvider);
        EbcdicText.WritePadded(s.Slice(56, 6), t.NegotiatedCipher);
        BinaryPrimitives.WriteUInt16BigEndian(s[62..], t.CipherEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[64..], t.CipherMessageAuthentication);
        BinaryPrimitives.WriteUInt16BigEndian(s[66..], t.CipherKeyExchange);
        s[68] = t.FipsMode;
        s[69] = t.CryptoFlags;
        WriteCertificateGroup(s.Slice(72, 48), t.ServerCertificate);
        WriteCertificateGroup(s.Slice(120, 48), t.ClientCertificate);
    }

    private static void WriteSshConnection(Span<byte> s, SshConnectionSection h)
    {
        // Layout §2.4.
        s[0] = h.ProtocolVersion;
        s[1] = h.Source;
        s[2] = h.FipsMode;
        s[3] = h.CryptoFlags;
        s[4] = h.SshFlags;
        EbcdicText.WritePadded(s.Slice(8, 8), h.Component);
        EbcdicText.WritePadded(s.Slice(16, 16), h.ProtocolProvider);
        BinaryPrimitives.WriteUInt16BigEndian(s[32..], h.AuthMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[34..], h.AuthMethod2);
        BinaryPrimitives.WriteUInt16BigEndian(s[36..], h.InboundEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[38..], h.InboundMessageAuthentication);
        BinaryPrimitives.WriteUInt16BigEndian(s[40..], h.KeyExchangeMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[42..], h.OutboundEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[44..], h.OutboundMessageAuthentication);
        BinaryPrimitives.WriteUInt16BigEndian(s[48..], h.ServerKeyType);
        BinaryPrimitives.WriteUInt16BigEndian(s[50..], h.ServerKeyLength);
        BinaryPrimitives.WriteUInt16BigEndian(s[52..], h.ClientKeyType);
        BinaryPrimitives.WriteUInt16BigEndian(s[54..], h.ClientKeyLength);
        WriteFingerprint(s.Slice(56, 2), s.Slice(60, 64), h.ServerKeyFingerprint);
        WriteFingerprint(s.Slice(58, 2), s.Slice(124, 64), h.ClientKeyFingerprint);
        WriteCertificateGroup(s.Slice(188, 48), h.ServerCertificate);
        WriteCertificateGroup(s.Slice(236, 48), h.ClientCertificate);
    }

    private static void WriteIpsecConnection(Span<byte> s, IpsecConnectionSection p, bool ipv6)
    {
        // Layout §2.5.
        BinaryPrimitives.WriteUInt32BigEndian(s, p.IkeTunnelId);
        s[4] = p.IkeMajorVersion;
        s[5] = p.IkeMinorVersion;
        EbcdicText.WritePadded(s.Slice(8, 48), p.IkeKeyExchangeRule);
        WriteIp(s.Slice(56, 16), p.IkeLocalEndpoint, ipv6);
        WriteIp(s.Slice(72, 16), p.IkeRemoteEndpoint, ipv6);
        BinaryPrimitives.WriteUInt16BigEndian(s[88..], p.IkeLocalAuthMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[90..], p.IkeRemoteAuthMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[92..], p.IkeAuthAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[94..], p.IkeEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[96..], p.IkeDhGroup);
        BinaryPrimitives.WriteUInt16BigEndian(s[98..], p.IkePseudoRandomFunction);
        BinaryPrimitives.WriteUInt32BigEndian(s[100..], p.IkeLifesize);
        BinaryPrimitives.WriteUInt32BigEndian(s[104..], p.IkeLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(s[108..], p.IkeReauthInterval);
        WriteCertificateGroup(s.Slice(112, 48), p.LocalCertificate);
        WriteCertificateGroup(s.Slice(160, 48), p.RemoteCertificate);
        BinaryPrimitives.WriteUInt32BigEndian(s[208..], p.TunnelId);
        s[212] = p.TunnelFlags;
        s[213] = p.TunnelType;
        s[214] = p.TunnelState;
        s[216] = p.EncapsulationMode;
        s[217] = p.AuthProtocol;
        BinaryPrimitives.WriteUInt16BigEndian(s[218..], p.AuthAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[220..], p.EncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[222..], p.PfsGroup);
        BinaryPrimitives.WriteUInt32BigEndian(s[224..], p.Lifesize);
        BinaryPrimitives.WriteUInt32BigEndian(s[228..], p.Lifetime);
        BinaryPrimitives.WriteUInt32BigEndian(s[232..], p.VpnLifeExpire);
    }

    private static void WriteSummary(Span<byte> rec, ZertSummaryRecord r)
    {
        const int trn = 6;
        BinaryPrimitives.WriteUInt16BigEndian(rec[24..], trn);
        var ipv6 = (r.Common.Flags & 0x80) != 0;
        var pos = TripletsStart + (trn * TripletLength);

        WriteTriplet(rec, 0, pos, Subtype11Lengths.Identification, 1);
        WriteIdentification(rec.Slice(pos, Subtype11Lengths.Identification), r.Identification);
        pos += Subtype11Lengths.Identification;

        var commonLength = SummaryCommonLength(r.Common);
        WriteTriplet(rec, 1, pos, commonLength, 1);
        WriteSummaryCommon(rec.Slice(pos, commonLength), r.Common, ipv6);
        pos += commonLength;

        if (r.Tls is { } tls)
        {
            var len = TlsSummaryLength(tls);
            WriteTriplet(rec, 2, pos, len, 1);
            WriteTlsSummary(rec.Slice(pos, len), tls);
            pos += len;
        }

        if (r.Ssh is { } ssh)
        {
            WriteTriplet(rec, 3, pos, Subtype12Lengths.Ssh, 1);
            WriteSshSummary(rec.Slice(pos, Subtype12Lengths.Ssh), ssh);
            pos += Subtype12Lengths.Ssh;
        }

        if (r.Ipsec is { } ipsec)
        {
            var len = IpsecSummaryLength(ipsec);
            WriteTriplet(rec, 4, pos, len, 1);
            WriteIpsecSummary(rec.Slice(pos, len), ipsec, ipv6);
            pos += len;
        }

        WriteDistinguishedNames(rec, r, 5, pos);
    }

    private static void WriteSummaryCommon(Span<byte> s, SummaryCommonSection c, bool ipv6)
    {
        // Layout §3.1.
        BinaryPrimitives.WriteUInt64BigEndian(s, c.IntervalDuration);
        s[8] = c.EventType;
        s[9] = c.Flags;
        s[10] = c.SecurityProtocol;
        EbcdicText.WritePadded(s.Slice(11, 8), c.JobName);
        EbcdicText.WritePadded(s.Slice(19, 8), c.UserId);
        s[27] = c.IpProtocol;
        WriteIp(s.Slice(28, 16), c.ServerIp, ipv6);
        WriteIp(s.Slice(44, 16), c.ClientIp, ipv6);
        BinaryPrimitives.WriteUInt16BigEndian(s[60..], c.ServerPortStart);
        BinaryPrimitives.WriteUInt16BigEndian(s[62..], c.ServerPortEnd);
        EbcdicText.WritePadded(s.Slice(64, 42), c.SessionId);
        BinaryPrimitives.WriteUInt32BigEndian(s[108..], c.InitConnections);
        BinaryPrimitives.WriteUInt32BigEndian(s[112..], c.InitPartialConnections);
        BinaryPrimitives.WriteUInt32BigEndian(s[116..], c.InitShortConnections);
        BinaryPrimitives.WriteUInt32BigEndian(s[120..], c.InitActiveConnections);
        BinaryPrimitives.WriteUInt64BigEndian(s[124..], c.InitInBytes);
        BinaryPrimitives.WriteUInt64BigEndian(s[132..], c.InitOutBytes);
        BinaryPrimitives.WriteUInt64BigEndian(s[140..], c.InitInSegments);
        BinaryPrimitives.WriteUInt64BigEndian(s[148..], c.InitOutSegments);
        BinaryPrimitives.WriteUInt32BigEndian(s[156..], c.EndConnections);
        BinaryPrimitives.WriteUInt32BigEndian(s[160..], c.EndPartialConnections);
        BinaryPrimitives.WriteUInt32BigEndian(s[164..], c.EndShortConnections);
        BinaryPrimitives.WriteUInt32BigEndian(s[168..], c.EndActiveConnections);
        BinaryPrimitives.WriteUInt64BigEndian(s[172..], c.EndInBytes);
        BinaryPrimitives.WriteUInt64BigEndian(s[180..], c.EndOutBytes);
        BinaryPrimitives.WriteUInt64BigEndian(s[188..], c.EndInSegments);
        BinaryPrimitives.WriteUInt64BigEndian(s[196..], c.EndOutSegments);
        if (c.IncludeFailedHandshakeCounters)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s[204..], c.InitFailedHandshakes);
            BinaryPrimitives.WriteUInt32BigEndian(s[208..], c.EndFailedHandshakes);
        }
    }

    private static void WriteTlsSummary(Span<byte> s, TlsSummarySection t)
    {
        // Layout §3.2.
        s[0] = t.Source;
        s[1] = t.CryptoFlags;
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], t.ProtocolVersion);
        EbcdicText.WritePadded(s.Slice(4, 6), t.NegotiatedCipher);
        BinaryPrimitives.WriteUInt16BigEndian(s[10..], t.CipherEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[12..], t.CipherMessageAuthentication);
        BinaryPrimitives.WriteUInt16BigEndian(s[14..], t.CipherKeyExchange);
        WriteCertificateAlgorithms(s.Slice(16, 10), t.ServerCertificate);
        WriteCertificateAlgorithms(s.Slice(26, 10), t.ClientCertificate);
        if (t.IncludeCertificateDetails)
        {
            // Bytes 36-41 are unexplained in the 3.2 deck (layout §8 gap 5): left zero.
            WriteCertificateSerialAndTime(s.Slice(42, 37), t.ServerCertificate);
            WriteCertificateSerialAndTime(s.Slice(79, 37), t.ClientCertificate);
        }
    }

    private static void WriteSshSummary(Span<byte> s, SshSummarySection h)
    {
        // Layout §3.3.
        s[0] = h.Source;
        s[2] = h.ProtocolVersion;
        s[3] = h.CryptoFlags;
        BinaryPrimitives.WriteUInt16BigEndian(s[4..], h.AuthMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[6..], h.AuthMethod2);
        BinaryPrimitives.WriteUInt16BigEndian(s[8..], h.InboundEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[10..], h.InboundMessageAuthentication);
        BinaryPrimitives.WriteUInt16BigEndian(s[12..], h.KeyExchangeMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[14..], h.OutboundEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[16..], h.OutboundMessageAuthentication);
        BinaryPrimitives.WriteUInt16BigEndian(s[18..], h.ServerKeyType);
        BinaryPrimitives.WriteUInt16BigEndian(s[20..], h.ServerKeyLength);
        BinaryPrimitives.WriteUInt16BigEndian(s[22..], h.ClientKeyType);
        BinaryPrimitives.WriteUInt16BigEndian(s[24..], h.ClientKeyLength);
        WriteCertificateAlgorithms(s.Slice(26, 10), h.ServerCertificate);
        WriteCertificateAlgorithms(s.Slice(36, 10), h.ClientCertificate);
    }

    private static void WriteIpsecSummary(Span<byte> s, IpsecSummarySection p, bool ipv6)
    {
        // Layout §3.4.
        s[0] = p.IkeMajorVersion;
        s[1] = p.IkeMinorVersion;
        WriteIp(s.Slice(2, 16), p.IkeLocalEndpoint, ipv6);
        WriteIp(s.Slice(18, 16), p.IkeRemoteEndpoint, ipv6);
        BinaryPrimitives.WriteUInt16BigEndian(s[34..], p.IkeLocalAuthMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[36..], p.IkeRemoteAuthMethod);
        BinaryPrimitives.WriteUInt16BigEndian(s[38..], p.IkeAuthAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[40..], p.IkeEncryptionAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[42..], p.IkeDhGroup);
        BinaryPrimitives.WriteUInt16BigEndian(s[44..], p.IkePseudoRandomFunction);
        WriteCertificateAlgorithms(s.Slice(46, 10), p.LocalCertificate);
        WriteCertificateAlgorithms(s.Slice(56, 10), p.RemoteCertificate);
        BinaryPrimitives.WriteUInt16BigEndian(s[66..], p.PfsGroup);
        s[68] = p.EncapsulationMode;
        s[69] = p.AuthProtocol;
        BinaryPrimitives.WriteUInt16BigEndian(s[70..], p.AuthAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(s[72..], p.EncryptionAlgorithm);
        if (p.IncludeCertificateDetails)
        {
            WriteCertificateSerialAndTime(s.Slice(74, 37), p.LocalCertificate);
            WriteCertificateSerialAndTime(s.Slice(111, 37), p.RemoteCertificate);
        }
    }

    /// <summary>119-11 48-byte certificate group (layout §2.3 offsets 72-119, reused by §2.4 and §2.5).</summary>
    private static void WriteCertificateGroup(Span<byte> g, CertificateAttributes? cert)
    {
        if (cert is null)
        {
            return;
        }

        BinaryPrimitives.WriteUInt16BigEndian(g, cert.SignatureMethod);
        BinaryPrimitives.WriteUInt16BigEndian(g[2..], cert.EncryptionMethod);
        BinaryPrimitives.WriteUInt16BigEndian(g[4..], cert.DigestAlgorithm);
        WriteLengthPrefixed(g.Slice(7, 1), g.Slice(8, 20), cert.Serial, "certificate serial");
        g[28] = cert.TimeType;
        WriteCertificateTime(g.Slice(29, 15), cert);
        BinaryPrimitives.WriteUInt16BigEndian(g[44..], cert.KeyType);
        BinaryPrimitives.WriteUInt16BigEndian(g[46..], cert.KeyLength);
    }

    /// <summary>119-12 10-byte group: Signature(2) Enc(2) Digest(2) Key_Type(2) Key_Len(2).</summary>
    private static void WriteCertificateAlgorithms(Span<byte> g, CertificateAttributes? cert)
    {
        if (cert is null)
        {
            return;
        }

        BinaryPrimitives.WriteUInt16BigEndian(g, cert.SignatureMethod);
        BinaryPrimitives.WriteUInt16BigEndian(g[2..], cert.EncryptionMethod);
        BinaryPrimitives.WriteUInt16BigEndian(g[4..], cert.DigestAlgorithm);
        BinaryPrimitives.WriteUInt16BigEndian(g[6..], cert.KeyType);
        BinaryPrimitives.WriteUInt16BigEndian(g[8..], cert.KeyLength);
    }

    /// <summary>119-12 3.2 37-byte group: Serial_Len(1) Serial(20) Time_Type(1) Time(15).</summary>
    private static void WriteCertificateSerialAndTime(Span<byte> g, CertificateAttributes? cert)
    {
        if (cert is null)
        {
            return;
        }

        WriteLengthPrefixed(g[..1], g.Slice(1, 20), cert.Serial, "certificate serial");
        g[21] = cert.TimeType;
        WriteCertificateTime(g.Slice(22, 15), cert);
    }

    /// <summary>
    /// notAfter as EBCDIC characters (layout §2.3): type 1 YYMMDDhhmmssZ + 2 blanks, type 2 YYYYMMDDhhmmssZ,
    /// type 0 all zero. Written digit by digit to avoid a string per certificate.
    /// </summary>
    private static void WriteCertificateTime(Span<byte> field, CertificateAttributes cert)
    {
        var t = cert.NotAfter;
        int pos;
        switch (cert.TimeType)
        {
            case 0:
                return;
            case 1:
                if (t.Year is < 1950 or > 2049)
                {
                    throw new ArgumentException($"UTCTime covers 1950-2049; notAfter {t:O} needs time type 2.", nameof(cert));
                }

                pos = Digits(field, 0, t.Year % 100, 2);
                break;
            case 2:
                pos = Digits(field, 0, t.Year, 4);
                break;
            default:
                throw new ArgumentException($"Certificate time type {cert.TimeType} is not 0, 1 or 2.", nameof(cert));
        }

        pos = Digits(field, pos, t.Month, 2);
        pos = Digits(field, pos, t.Day, 2);
        pos = Digits(field, pos, t.Hour, 2);
        pos = Digits(field, pos, t.Minute, 2);
        pos = Digits(field, pos, t.Second, 2);
        field[pos++] = EbcdicText.Encode('Z');
        field[pos..].Fill(EbcdicText.Blank);
    }

    private static int Digits(Span<byte> field, int pos, int value, int width)
    {
        for (var i = width - 1; i >= 0; i--)
        {
            field[pos + i] = (byte)(0xF0 + (value % 10));
            value /= 10;
        }

        return pos + width;
    }

    private static void WriteLengthPrefixed(Span<byte> lengthByte, Span<byte> field, byte[]? value, string what)
    {
        var v = value ?? [];
        if (v.Length > field.Length)
        {
            throw new ArgumentException($"The {what} is {v.Length} bytes; the field holds {field.Length}.", nameof(value));
        }

        lengthByte[0] = (byte)v.Length;
        v.CopyTo(field);
    }

    private static void WriteFingerprint(Span<byte> lengthField, Span<byte> field, byte[]? value)
    {
        var v = value ?? [];
        if (v.Length > field.Length)
        {
            throw new ArgumentException($"The SSH key fingerprint is {v.Length} bytes; the field holds {field.Length}.", nameof(value));
        }

        BinaryPrimitives.WriteUInt16BigEndian(lengthField, (ushort)v.Length);
        v.CopyTo(field);
    }

    /// <summary>
    /// Address fields (layout §0): IPv6 flag off → IPv4 in bytes 0-3, rest zero; on → all 16 bytes IPv6
    /// (an IPv4-mapped address must be given as IPv6, e.g. ::ffff:10.1.1.1).
    /// </summary>
    private static void WriteIp(Span<byte> field, IPAddress? address, bool ipv6)
    {
        if (address is null)
        {
            return;
        }

        var expected = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (address.AddressFamily != expected)
        {
            throw new ArgumentException($"Address {address} does not match the record's IPv6 flag ({(ipv6 ? "on" : "off")}).", nameof(address));
        }

        if (!address.TryWriteBytes(field, out _))
        {
            throw new ArgumentException($"Address {address} could not be written.", nameof(address));
        }
    }
}
