using System.Net;
using System.Text.Json;
using ZertForwarder.Generator;
using ZertForwarder.Generator.Model;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;
using DecodedRecord = ZertForwarder.Smf.Zert.ZertRecord;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;
using GeneratorModel = ZertForwarder.Generator.Model.ZertRecord;

namespace ZertForwarder.Smf.Tests.RoundTrip;

/// <summary>
/// Generator (its own reading of the spec) → containers → reader → parser: over many seeds both containers give the
/// same logical records, none malformed, and every decoded field equals the fact the generator put in.
/// </summary>
public sealed class GeneratorRoundTripTests
{
    private const int Seeds = 50;
    private const int RecordsPerSeed = 200;

    public static TheoryData<ulong> SeedBatches() => [0UL, 10UL, 20UL, 30UL, 40UL];

    private static List<byte[]> ReadRecords(byte[] dump, SmfContainer expectedContainer)
    {
        using var reader = new SmfRecordReader(new MemoryStream(dump));
        var records = new List<byte[]>();
        while (reader.TryReadNext(out var frame))
        {
            Assert.True(frame.Error is null, $"error frame at {frame.Offset}: {frame.Error}");
            records.Add(frame.Record.ToArray());
        }
        Assert.Equal(expectedContainer, reader.Container);
        return records;
    }

    [Theory]
    [MemberData(nameof(SeedBatches))]
    public void Both_containers_give_the_generated_records_and_every_zert_record_decodes_to_its_facts(ulong firstSeed)
    {
        for (var seed = firstSeed + 1; seed <= firstSeed + Seeds / 5; seed++)
        {
            var generated = SmfDumpGenerator.GenerateRecords(seed, RecordsPerSeed);
            var rdw = ReadRecords(SmfDumpGenerator.GenerateDump(seed, RecordsPerSeed, GeneratorContainer.Rdw), SmfContainer.Rdw);
            var vbs = ReadRecords(SmfDumpGenerator.GenerateDump(seed, RecordsPerSeed, GeneratorContainer.Vbs), SmfContainer.Vbs);
            var smallBlocks = ReadRecords(SmfDumpGenerator.GenerateDump(seed, RecordsPerSeed, GeneratorContainer.Vbs, blockSize: 512), SmfContainer.Vbs);

            Assert.Equal(generated.Count, rdw.Count);
            Assert.Equal(generated.Count, vbs.Count);
            Assert.Equal(generated.Count, smallBlocks.Count);
            var zert = 0;
            for (var i = 0; i < generated.Count; i++)
            {
                Assert.Equal(generated[i].Bytes, rdw[i]);
                Assert.Equal(rdw[i], vbs[i]);
                Assert.Equal(rdw[i], smallBlocks[i]);

                var result = ZertRecordParser.Parse(rdw[i]);
                if (generated[i].Zert is null)
                {
                    Assert.NotEqual(ZertParseStatus.Decoded, result.Status);
                    Assert.NotEqual(ZertParseStatus.Malformed, result.Status);
                    continue;
                }
                zert++;
                Assert.True(result.Status == ZertParseStatus.Decoded, $"seed {seed} record {i}: {result.Status} {result.Error}");
                AssertFacts(result.Record!, generated[i], $"seed {seed} record {i}");
            }
            Assert.Equal(RecordsPerSeed, zert);
        }
    }

    [Fact]
    public void Generated_dumps_cover_every_section_kind_and_both_release_forms()
    {
        var seen = new HashSet<string>();
        foreach (var g in SmfDumpGenerator.GenerateRecords(7, 400))
        {
            if (ZertRecordParser.Parse(g.Bytes).Record is not { } r) continue;
            foreach (var section in Enum.GetValues<ZertSection>())
            {
                if (r.HasSection(section)) seen.Add($"{r.Subtype}:{section}:{r.SectionBytes(section).Length}");
            }
            if (r.DistinguishedNames.Count > 0) seen.Add($"{r.Subtype}:DN");
            if (r.IsIpv6) seen.Add($"{r.Subtype}:IPv6");
        }
        string[] expected =
        [
            "11:Common:128", "11:IpFilter:100", "11:Tls:168", "11:Ssh:284", "11:Ipsec:236", "11:DN", "11:IPv6",
            "12:Common:212", "12:Common:204", "12:Tls:116", "12:Tls:36", "12:Ssh:46", "12:Ipsec:148", "12:Ipsec:74", "12:DN",
        ];
        Assert.Empty(expected.Except(seen));
    }

    // ---- facts → expected values ------------------------------------------------------------------------------

    private static void AssertFacts(DecodedRecord record, GeneratedRecord generated, string where)
    {
        var model = generated.Zert!;
        Assert.Equal(model.Subtype, record.Subtype);
        var plan = new Dictionary<string, PlannedValue>(StringComparer.Ordinal);
        var missing = new List<string>(); // beyond an older release's section: not in the JSON at all
        var blankTimes = new List<string>(); // certificate time of type 0: nothing to parse
        var nullDates = new List<string>();
        var ipv6 = model switch
        {
            ZertConnectionRecord c => (c.Common.Flags & 0x80) != 0,
            ZertSummaryRecord s => (s.Common.Flags & 0x80) != 0,
            _ => false,
        };
        void Put(string name, object value) => plan[name] = new(SpecLayout.Find(model.Subtype, name).Field, value);
        void Text(string name, string value) => Put(name, value.TrimEnd(' '));
        void Ip(string name, IPAddress? value) => Put(name, value ?? (ipv6 ? IPAddress.IPv6Any : IPAddress.Any));
        void Hex(string name, byte[] value)
        {
            Put(name, Convert.ToHexString(value));
            Put(SpecLayout.Find(model.Subtype, name).Field.Partner!, (ulong)value.Length);
        }
        void Cert(string prefix, CertificateAttributes? cert, bool hasSerialAndTime, string sign, string enc)
        {
            Put($"{prefix}_{sign}", (ulong)(cert?.SignatureMethod ?? 0));
            Put($"{prefix}_{enc}", (ulong)(cert?.EncryptionMethod ?? 0));
            Put($"{prefix}_Digest_Alg", (ulong)(cert?.DigestAlgorithm ?? 0));
            Put($"{prefix}_Key_Type", (ulong)(cert?.KeyType ?? 0));
            Put($"{prefix}_Key_Len", (ulong)(cert?.KeyLength ?? 0));
            if (hasSerialAndTime) SerialAndTime(prefix, cert);
        }
        void SerialAndTime(string prefix, CertificateAttributes? cert)
        {
            Hex($"{prefix}_Serial", cert?.Serial ?? []);
            Put($"{prefix}_Time_Type", (ulong)(cert?.TimeType ?? 0));
            if (cert is { TimeType: 1 or 2 }) Put($"{prefix}_Time", new DateTimeOffset(DateTime.SpecifyKind(cert.NotAfter, DateTimeKind.Utc)));
            else blankTimes.Add($"{prefix}_Time");
        }

        var id = model.Identification;
        Text("SMF119TI_SYSName", id.SystemName);
        Text("SMF119TI_SysplexName", id.SysplexName);
        Text("SMF119TI_Stack", id.StackName);
        Text("SMF119TI_ReleaseID", id.ReleaseId);
        Text("SMF119TI_Comp", id.Component);
        Text("SMF119TI_ASName", id.AddressSpaceName);
        Text("SMF119TI_UserID", id.UserId);
        Put("SMF119TI_ASID", (ulong)id.Asid);
        Put("SMF119TI_Reason", (ulong)id.Reason);

        if (model is ZertConnectionRecord c11)
        {
            const string p = "SMF119SC_";
            var cm = c11.Common;
            Put(p + "SAEvent_Type", (ulong)cm.EventType);
            Put(p + "SASecProtos", (ulong)cm.SecurityProtocols);
            Put(p + "SAFlags", (ulong)cm.Flags);
            Put(p + "SASecFlags", (ulong)cm.SecurityFlags);
            Put(p + "SAIPProto", (ulong)cm.IpProtocol);
            Text(p + "SAJobname", cm.JobName);
            Text(p + "SAJobID", cm.JobId);
            Text(p + "SAUserID", cm.UserId);
            Put(p + "SASTime", cm.StartTime);
            Put(p + "SAETime", cm.EndTime);
            if (cm.StartDate is { } sd) Put(p + "SASDate", sd); else nullDates.Add(p + "SASDate");
            if (cm.EndDate is { } ed) Put(p + "SAEDate", ed); else nullDates.Add(p + "SAEDate");
            Ip(p + "SARIP", cm.RemoteIp);
            Ip(p + "SALIP", cm.LocalIp);
            Put(p + "SARPort", (ulong)cm.RemotePort);
            Put(p + "SALPort", (ulong)cm.LocalPort);
            Put(p + "SAConnID", (ulong)cm.ConnectionId);
            Put(p + "SAInBytes", cm.InBytes);
            Put(p + "SAOutBytes", cm.OutBytes);
            Put(p + "SAInSegDG", cm.InSegments);
            Put(p + "SAOutSegDG", cm.OutSegments);

            Assert.Equal(c11.IpFilter is not null, record.HasSection(ZertSection.IpFilter));
            if (c11.IpFilter is { } f)
            {
                Put(p + "IPFlt_OutAct", (ulong)f.OutboundAction);
                Put(p + "IPFlt_InbAct", (ulong)f.InboundAction);
                Text(p + "IPFlt_OutRuleName", f.OutboundRuleName);
                Text(p + "IPFlt_OutRuleExt", f.OutboundRuleExtension);
                Text(p + "IPFlt_InRuleName", f.InboundRuleName);
                Text(p + "IPFlt_InRuleExt", f.InboundRuleExtension);
            }
            Assert.Equal(c11.Tls is not null, record.HasSection(ZertSection.Tls));
            if (c11.Tls is { } t)
            {
                Put(p + "TLS_Prot_Ver", (ulong)t.ProtocolVersion);
                Put(p + "TLS_Source", (ulong)t.Source);
                Put(p + "TLS_Handshake_Type", (ulong)t.HandshakeType);
                Put(p + "TLS_Handshake_Role", (ulong)t.HandshakeRole);
                Hex(p + "TLS_Session_ID", t.SessionId);
                Text(p + "TLS_Protocol_Provider", t.ProtocolProvider);
                Text(p + "TLS_Neg_Cipher", t.NegotiatedCipher);
                Put(p + "TLS_CS_Enc_Alg", (ulong)t.CipherEncryptionAlgorithm);
                Put(p + "TLS_CS_Msg_Auth", (ulong)t.CipherMessageAuthentication);
                Put(p + "TLS_CS_Kex_Alg", (ulong)t.CipherKeyExchange);
                Put(p + "TLS_FIPS_Mode", (ulong)t.FipsMode);
                Put(p + "TLS_CryptoFlags", (ulong)t.CryptoFlags);
                Cert(p + "TLS_SCert", t.ServerCertificate, true, "Signature_Method", "Enc_Method");
                Cert(p + "TLS_CCert", t.ClientCertificate, true, "Signature_Method", "Enc_Method");
            }
            Assert.Equal(c11.Ssh is not null, record.HasSection(ZertSection.Ssh));
            if (c11.Ssh is { } s)
            {
                Put(p + "SSH_Prot_Ver", (ulong)s.ProtocolVersion);
                Put(p + "SSH_Source", (ulong)s.Source);
                Put(p + "SSH_FIPS_Mode", (ulong)s.FipsMode);
                Put(p + "SSH_CryptoFlags", (ulong)s.CryptoFlags);
                Put(p + "SSH_Flags", (ulong)s.SshFlags);
                Text(p + "SSH_Comp", s.Component);
                Text(p + "SSH_Protocol_Provider", s.ProtocolProvider);
                Put(p + "SSH_Auth_Method", (ulong)s.AuthMethod);
                Put(p + "SSH_Auth_Method2", (ulong)s.AuthMethod2);
                Put(p + "SSH_In_Enc_Alg", (ulong)s.InboundEncryptionAlgorithm);
                Put(p + "SSH_In_Msg_Auth", (ulong)s.InboundMessageAuthentication);
                Put(p + "SSH_Kex_Method", (ulong)s.KeyExchangeMethod);
                Put(p + "SSH_Out_Enc_Alg", (ulong)s.OutboundEncryptionAlgorithm);
                Put(p + "SSH_Out_Msg_Auth", (ulong)s.OutboundMessageAuthentication);
                Put(p + "SSH_SKey_Type", (ulong)s.ServerKeyType);
                Put(p + "SSH_SKey_Len", (ulong)s.ServerKeyLength);
                Put(p + "SSH_CKey_Type", (ulong)s.ClientKeyType);
                Put(p + "SSH_CKey_Len", (ulong)s.ClientKeyLength);
                Hex(p + "SSH_SKey_FP", s.ServerKeyFingerprint);
                Hex(p + "SSH_CKey_FP", s.ClientKeyFingerprint);
                Cert(p + "SSH_SCert", s.ServerCertificate, true, "Signature_Method", "Enc_Method");
                Cert(p + "SSH_CCert", s.ClientCertificate, true, "Signature_Method", "Enc_Method");
            }
            Assert.Equal(c11.Ipsec is not null, record.HasSection(ZertSection.Ipsec));
            if (c11.Ipsec is { } ip)
            {
                Put(p + "IPSec_IKETunID", (ulong)ip.IkeTunnelId);
                Put(p + "IPSec_IKEMajVer", (ulong)(ip.IkeMajorVersion & 0x0F));
                Put(p + "IPSec_IKEMinVer", (ulong)(ip.IkeMinorVersion & 0x0F));
                Text(p + "IPSec_IKETunKeyExchRule", ip.IkeKeyExchangeRule);
                Ip(p + "IPSec_IKETunLclEndpt", ip.IkeLocalEndpoint);
                Ip(p + "IPSec_IKETunRmtEndpt", ip.IkeRemoteEndpoint);
                Put(p + "IPSec_IKETunLclAuthMeth", (ulong)ip.IkeLocalAuthMethod);
                Put(p + "IPSec_IKETunRmtAuthMeth", (ulong)ip.IkeRemoteAuthMethod);
                Put(p + "IPSec_IKETunAuthAlg", (ulong)ip.IkeAuthAlgorithm);
                Put(p + "IPSec_IKETunEncAlg", (ulong)ip.IkeEncryptionAlgorithm);
                Put(p + "IPSec_IKETunDHGroup", (ulong)ip.IkeDhGroup);
                Put(p + "IPSec_IKETunPseudoRandFunc", (ulong)ip.IkePseudoRandomFunction);
                Put(p + "IPSec_IKETunLifesize", (ulong)ip.IkeLifesize);
                Put(p + "IPSec_IKETunLifetime", (ulong)ip.IkeLifetime);
                Put(p + "IPSec_IKETunReauthIntvl", (ulong)ip.IkeReauthInterval);
                Cert(p + "IPSec_LclCert", ip.LocalCertificate, true, "Sign_Meth", "Enc_Meth");
                Cert(p + "IPSec_RmtCert", ip.RemoteCertificate, true, "Sign_Meth", "Enc_Meth");
                Put(p + "IPSec_TunID", (ulong)ip.TunnelId);
                Put(p + "IPSec_TunFlags", (ulong)ip.TunnelFlags);
                Put(p + "IPSec_TunType", (ulong)ip.TunnelType);
                Put(p + "IPSec_TunState", (ulong)ip.TunnelState);
                Put(p + "IPSec_EncapMode", (ulong)ip.EncapsulationMode);
                Put(p + "IPSec_AuthProto", (ulong)ip.AuthProtocol);
                Put(p + "IPSec_AuthAlg", (ulong)ip.AuthAlgorithm);
                Put(p + "IPSec_EncAlg", (ulong)ip.EncryptionAlgorithm);
                Put(p + "IPSec_PFSGroup", (ulong)ip.PfsGroup);
                Put(p + "IPSec_Lifesize", (ulong)ip.Lifesize);
                Put(p + "IPSec_Lifetime", (ulong)ip.Lifetime);
                Put(p + "IPSec_VPNLifeExpire", (ulong)ip.VpnLifeExpire);
            }
            Assert.Equal(c11.Enforcement is not null, record.HasSection(ZertSection.Enforcement));
            if (c11.Enforcement is { } raw) Assert.Equal(raw, record.SectionBytes(ZertSection.Enforcement).ToArray());
            Assert.Equal(c11.Enforcement is not null || c11.TripletCountOverride == 8 ? 8 : 7, record.TripletCount);
        }
        else if (model is ZertSummaryRecord c12)
        {
            const string p = "SMF119SS_";
            var cm = c12.Common;
            Assert.Equal(cm.IncludeFailedHandshakeCounters ? 212 : 204, record.SectionBytes(ZertSection.Common).Length);
            Put(p + "SAIntervalDuration", cm.IntervalDuration);
            Put(p + "SAEvent_Type", (ulong)cm.EventType);
            Put(p + "SAFlags", (ulong)cm.Flags);
            Put(p + "SASecProtos", (ulong)cm.SecurityProtocol);
            Text(p + "SAJobname", cm.JobName);
            Text(p + "SAUserID", cm.UserId);
            Put(p + "SAIPProto", (ulong)cm.IpProtocol);
            Ip(p + "SASrvIP", cm.ServerIp);
            Ip(p + "SACltIP", cm.ClientIp);
            Put(p + "SASrvPortStart", (ulong)cm.ServerPortStart);
            Put(p + "SASrvPortEnd", (ulong)cm.ServerPortEnd);
            Text(p + "SASessionID", cm.SessionId);
            Put(p + "SAInitLifeConnCnt", (ulong)cm.InitConnections);
            Put(p + "SAInitLifePartialConnCnt", (ulong)cm.InitPartialConnections);
            Put(p + "SAInitLifeShortConnCnt", (ulong)cm.InitShortConnections);
            Put(p + "SAInitActiveConnCnt", (ulong)cm.InitActiveConnections);
            Put(p + "SAInitLifeInBytes", cm.InitInBytes);
            Put(p + "SAInitLifeOutBytes", cm.InitOutBytes);
            Put(p + "SAInitLifeInSegDG", cm.InitInSegments);
            Put(p + "SAInitLifeOutSegDG", cm.InitOutSegments);
            Put(p + "SAEndLifeConnCnt", (ulong)cm.EndConnections);
            Put(p + "SAEndLifePartialConnCnt", (ulong)cm.EndPartialConnections);
            Put(p + "SAEndLifeShortConnCnt", (ulong)cm.EndShortConnections);
            Put(p + "SAEndActiveConnCnt", (ulong)cm.EndActiveConnections);
            Put(p + "SAEndLifeInBytes", cm.EndInBytes);
            Put(p + "SAEndLifeOutBytes", cm.EndOutBytes);
            Put(p + "SAEndLifeInSegDG", cm.EndInSegments);
            Put(p + "SAEndLifeOutSegDG", cm.EndOutSegments);
            if (cm.IncludeFailedHandshakeCounters)
            {
                Put(p + "SAInitFailedHsConnCnt", (ulong)cm.InitFailedHandshakes);
                Put(p + "SAEndFailedHsConnCnt", (ulong)cm.EndFailedHandshakes);
            }
            else
            {
                missing.AddRange([p + "SAInitFailedHsConnCnt", p + "SAEndFailedHsConnCnt"]);
            }

            Assert.Equal(c12.Tls is not null, record.HasSection(ZertSection.Tls));
            if (c12.Tls is { } t)
            {
                Assert.Equal(t.IncludeCertificateDetails ? 116 : 36, record.SectionBytes(ZertSection.Tls).Length);
                Put(p + "TLS_Source", (ulong)t.Source);
                Put(p + "TLS_CryptoFlags", (ulong)t.CryptoFlags);
                Put(p + "TLS_Prot_Ver", (ulong)t.ProtocolVersion);
                Text(p + "TLS_Neg_Cipher", t.NegotiatedCipher);
                Put(p + "TLS_CS_Enc_Alg", (ulong)t.CipherEncryptionAlgorithm);
                Put(p + "TLS_CS_Msg_Auth", (ulong)t.CipherMessageAuthentication);
                Put(p + "TLS_CS_Kex_Alg", (ulong)t.CipherKeyExchange);
                Cert(p + "TLS_SCert", t.ServerCertificate, false, "Signature_Method", "Enc_Method");
                Cert(p + "TLS_CCert", t.ClientCertificate, false, "Signature_Method", "Enc_Method");
                if (t.IncludeCertificateDetails)
                {
                    Put(p + "TLS_Unknown36", "000000000000"); // §3.2 bytes 36-41: the generator writes zeros
                    SerialAndTime(p + "TLS_SCert", t.ServerCertificate);
                    SerialAndTime(p + "TLS_CCert", t.ClientCertificate);
                }
                else
                {
                    missing.AddRange([p + "TLS_Unknown36", p + "TLS_SCert_Serial", p + "TLS_CCert_Time"]);
                }
            }
            Assert.Equal(c12.Ssh is not null, record.HasSection(ZertSection.Ssh));
            if (c12.Ssh is { } s)
            {
                Put(p + "SSH_Source", (ulong)s.Source);
                Put(p + "SSH_Prot_Ver", (ulong)s.ProtocolVersion);
                Put(p + "SSH_CryptoFlags", (ulong)s.CryptoFlags);
                Put(p + "SSH_Auth_Method", (ulong)s.AuthMethod);
                Put(p + "SSH_Auth_Method2", (ulong)s.AuthMethod2);
                Put(p + "SSH_In_Enc_Alg", (ulong)s.InboundEncryptionAlgorithm);
                Put(p + "SSH_In_Msg_Auth", (ulong)s.InboundMessageAuthentication);
                Put(p + "SSH_Kex_Method", (ulong)s.KeyExchangeMethod);
                Put(p + "SSH_Out_Enc_Alg", (ulong)s.OutboundEncryptionAlgorithm);
                Put(p + "SSH_Out_Msg_Auth", (ulong)s.OutboundMessageAuthentication);
                Put(p + "SSH_SKey_Type", (ulong)s.ServerKeyType);
                Put(p + "SSH_SKey_Len", (ulong)s.ServerKeyLength);
                Put(p + "SSH_CKey_Type", (ulong)s.ClientKeyType);
                Put(p + "SSH_CKey_Len", (ulong)s.ClientKeyLength);
                Cert(p + "SSH_SCert", s.ServerCertificate, false, "Signature_Method", "Enc_Method");
                Cert(p + "SSH_CCert", s.ClientCertificate, false, "Signature_Method", "Enc_Method");
            }
            Assert.Equal(c12.Ipsec is not null, record.HasSection(ZertSection.Ipsec));
            if (c12.Ipsec is { } ip)
            {
                Assert.Equal(ip.IncludeCertificateDetails ? 148 : 74, record.SectionBytes(ZertSection.Ipsec).Length);
                Put(p + "IPSec_IKEMajVer", (ulong)(ip.IkeMajorVersion & 0x0F));
                Put(p + "IPSec_IKEMinVer", (ulong)(ip.IkeMinorVersion & 0x0F));
                Ip(p + "IPSec_IKETunLclEndpt", ip.IkeLocalEndpoint);
                Ip(p + "IPSec_IKETunRmtEndpt", ip.IkeRemoteEndpoint);
                Put(p + "IPSec_IKETunLclAuthMeth", (ulong)ip.IkeLocalAuthMethod);
                Put(p + "IPSec_IKETunRmtAuthMeth", (ulong)ip.IkeRemoteAuthMethod);
                Put(p + "IPSec_IKETunAuthAlg", (ulong)ip.IkeAuthAlgorithm);
                Put(p + "IPSec_IKETunEncAlg", (ulong)ip.IkeEncryptionAlgorithm);
                Put(p + "IPSec_IKETunDHGroup", (ulong)ip.IkeDhGroup);
                Put(p + "IPSec_IKETunPseudoRandFunc", (ulong)ip.IkePseudoRandomFunction);
                Cert(p + "IPSec_LclCert", ip.LocalCertificate, false, "Sign_Meth", "Enc_Meth");
                Cert(p + "IPSec_RmtCert", ip.RemoteCertificate, false, "Sign_Meth", "Enc_Meth");
                Put(p + "IPSec_PFSGroup", (ulong)ip.PfsGroup);
                Put(p + "IPSec_EncapMode", (ulong)ip.EncapsulationMode);
                Put(p + "IPSec_AuthProto", (ulong)ip.AuthProtocol);
                Put(p + "IPSec_AuthAlg", (ulong)ip.AuthAlgorithm);
                Put(p + "IPSec_EncAlg", (ulong)ip.EncryptionAlgorithm);
                if (ip.IncludeCertificateDetails)
                {
                    SerialAndTime(p + "IPSec_LclCert", ip.LocalCertificate);
                    SerialAndTime(p + "IPSec_RmtCert", ip.RemoteCertificate);
                }
                else
                {
                    missing.AddRange([p + "IPSec_LclCert_Serial", p + "IPSec_RmtCert_Time_Type"]);
                }
            }
        }

        try
        {
            DecodedAssert.Accessors(record, plan);
            var json = DecodedAssert.RawJson(record);
            DecodedAssert.Json(json, plan);
            AssertHeaderAndDns(json, record, generated, model);
            foreach (var name in nullDates) Assert.Equal(JsonValueKind.Null, json.GetProperty(name).ValueKind);
            foreach (var name in missing) Assert.False(json.TryGetProperty(name, out _), $"{name} must be absent");
            foreach (var name in blankTimes) Assert.Equal("", json.GetProperty(name).GetString());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"{where}: {e.Message}");
        }
    }

    private static void AssertHeaderAndDns(JsonElement json, DecodedRecord record, GeneratedRecord generated, GeneratorModel model)
    {
        Assert.Equal(SpecEncoding.FormatHundredths(model.Header.Time), json.GetProperty("SMF119TME").GetString());
        Assert.Equal(DecodedAssert.IsoDate(model.Header.Date), json.GetProperty("SMF119DTE").GetString());
        Assert.Equal(model.Header.SystemId.TrimEnd(' '), json.GetProperty("SMF119SID").GetString());
        Assert.Equal(generated.SystemId, record.Header.SystemId);
        Assert.Equal(model.Header.SubsystemId.TrimEnd(' '), json.GetProperty("SMF119SSI").GetString());
        Assert.Equal(model.Header.Flags, json.GetProperty("SMF119FLG").GetInt32());
        Assert.True(record.Header.TryGetLocalTime(out var local));
        Assert.Equal(generated.RecordTimeUtc, local - generated.UtcOffset);

        Assert.Equal(model.DistinguishedNames.Select(d => ((int)d.Type, d.Name.TrimEnd(' '))), record.DistinguishedNames.Select(d => ((int)d.Type, record.GetDnText(d))));
    }
}
