using System.Globalization;
using ZertForwarder.Smf;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// The one readable line of a record (ECS <c>message</c>, flat <c>MESSAGE</c>): what happened, the protection, who
/// talked to whom, which job, and the verdict, e.g.
/// <c>connection-terminated: TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, client 192.168.7.20:51234 -> server
/// 10.1.1.1:443, job CICSPRD1: strong</c>. Built from the facts of the one derivation, so it never disagrees with the
/// fields beside it.
/// </summary>
internal static class EventMessage
{
    public static int Write(RecordFacts f, MappingSet m, Span<byte> destination)
    {
        var w = new SpanText(destination);
        Span<byte> scratch = stackalloc byte[256];
        var r = f.Record;
        var sub11 = f.Subtype == 11;
        var action = ValueEvaluator.Derive(Derived.EventAction, f, m, scratch);
        if (action.Kind == ValueKind.Utf8) w.Add(action.Utf8);
        else
        {
            w.Add("event "u8);
            w.Add(ValueEvaluator.Derive(Derived.EventCode, f, m, scratch).Utf8);
        }
        if (!f.IsConnectionEvent)
        {
            w.Add(" on "u8);
            w.Add(f.SystemId);
            var stack = r.GetTextBytes(ZertFields.TI_Stack);
            if (!stack.IsEmpty)
            {
                w.Add(" stack "u8);
                w.Add(scratch[..Ebcdic.TranscodeToUtf8(stack, scratch)]);
            }
            return w.Length;
        }
        w.Add(": "u8);
        WriteProtection(ref w, f, r, sub11);
        w.Add(", "u8);
        if (sub11 && f.Role == LocalRole.Unknown)
        {
            w.Add("local "u8);
            Endpoint(ref w, f, sub11 ? ZertFields.SC_SALIP : ZertFields.SS_SASrvIP, f.LocalPort);
            w.Add(" <-> remote "u8);
            Endpoint(ref w, f, ZertFields.SC_SARIP, f.RemotePort);
        }
        else
        {
            var client = ValueEvaluator.Derive(Derived.ClientIp, f, m, scratch);
            w.Add("client "u8);
            w.Add(client.Kind == ValueKind.Utf8 ? client.Utf8 : "?"u8);
            var clientPort = ValueEvaluator.Derive(Derived.ClientPort, f, m, scratch);
            if (clientPort.Kind == ValueKind.Number) w.Add(':', clientPort.Number);
            w.Add(" -> server "u8);
            var server = ValueEvaluator.Derive(Derived.ServerIp, f, m, scratch);
            w.Add(server.Kind == ValueKind.Utf8 ? server.Utf8 : "?"u8);
            var serverPort = ValueEvaluator.Derive(Derived.ServerPort, f, m, scratch);
            if (serverPort.Kind == ValueKind.Number) w.Add(':', serverPort.Number);
        }
        var job = r.GetTextBytes(sub11 ? ZertFields.SC_SAJobname : ZertFields.SS_SAJobname);
        if (!job.IsEmpty)
        {
            w.Add(", job "u8);
            w.Add(scratch[..Ebcdic.TranscodeToUtf8(job, scratch)]);
        }
        if (!sub11 && r.TryGetUnsigned(ZertFields.SS_SAEndLifeConnCnt, out var end) && r.TryGetUnsigned(ZertFields.SS_SAInitLifeConnCnt, out var begin))
        {
            w.Add(", "u8);
            w.Add(ValueEvaluator.Delta(end, begin));
            w.Add(" connections"u8);
        }
        w.Add(": "u8);
        w.Add(m.LevelUtf8[(int)f.Level]);
        var reasons = m.Policy.EncodedReasonList(f.ReasonBits);
        if (reasons.Count > 0)
        {
            w.Add(" ("u8);
            w.Add(reasons.Joined);
            w.Add(")"u8);
        }
        return w.Length;
    }

    private static void WriteProtection(ref SpanText w, RecordFacts f, ZertRecord r, bool sub11)
    {
        if (f.Protection == 0)
        {
            w.Add("cleartext"u8);
            return;
        }
        var first = true;
        if (r.HasSection(ZertSection.Tls))
        {
            first = false;
            var ok = r.TryGetUnsigned(sub11 ? ZertFields.SC_TLS_Prot_Ver : ZertFields.SS_TLS_Prot_Ver, out var v);
            w.Add(!ok ? "TLS"u8 : v switch
            {
                0x0200 => "SSL 2.0"u8,
                0x0300 => "SSL 3.0"u8,
                0x0301 => "TLS 1.0"u8,
                0x0302 => "TLS 1.1"u8,
                0x0303 => "TLS 1.2"u8,
                0x0304 => "TLS 1.3"u8,
                _ => "TLS"u8,
            });
            if (f.TlsFailed) w.Add(" handshake failed"u8);
            else if (f.Suite is { } suite)
            {
                w.Add(" "u8);
                w.Add(suite.NameUtf8);
            }
        }
        if (r.HasSection(ZertSection.Ssh))
        {
            if (!first) w.Add(" + "u8);
            first = false;
            var ok = r.TryGetUnsigned(sub11 ? ZertFields.SC_SSH_Prot_Ver : ZertFields.SS_SSH_Prot_Ver, out var v);
            w.Add(ok && v == 1 ? "SSHv1"u8 : ok && v == 2 ? "SSHv2"u8 : "SSH"u8);
            if (f.SshFailed) w.Add(" handshake failed"u8);
        }
        if (r.HasSection(ZertSection.Ipsec))
        {
            if (!first) w.Add(" + "u8);
            first = false;
            w.Add("IPsec"u8);
            if (sub11 && r.TryGetUnsigned(ZertFields.SC_IPSec_IKEMajVer, out var ike) && ike is 1 or 2) w.Add(ike == 1 ? " IKEv1"u8 : " IKEv2"u8);
        }
        if (first)
        {
            // Protection flags without a section (an older or shorter record): name what the flags say.
            var list = ValueEvaluator.ProtectionList(f.Protection);
            for (var i = 0; i < list.Count; i++)
            {
                if (i > 0) w.Add(" + "u8);
                w.Add(list[i]);
            }
        }
    }

    private static void Endpoint(ref SpanText w, RecordFacts f, ZertField field, ulong port)
    {
        var ip = f.AddressText(field);
        w.Add(ip.IsEmpty ? "?"u8 : ip);
        if (port != 0) w.Add(':', port);
    }

    /// <summary>Appends to a fixed buffer; what does not fit is dropped (the buffer is sized for the longest line).</summary>
    private ref struct SpanText(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        public int Length { get; private set; }

        public void Add(scoped ReadOnlySpan<byte> text)
        {
            var n = Math.Min(text.Length, _buffer.Length - Length);
            text[..n].CopyTo(_buffer[Length..]);
            Length += n;
        }

        public void Add(string text)
        {
            if (System.Text.Encoding.UTF8.GetMaxByteCount(text.Length) <= _buffer.Length - Length) Length += System.Text.Encoding.UTF8.GetBytes(text, _buffer[Length..]);
        }

        public void Add(ulong number)
        {
            if (number.TryFormat(_buffer[Length..], out var w, default, CultureInfo.InvariantCulture)) Length += w;
        }

        public void Add(long number)
        {
            if (number.TryFormat(_buffer[Length..], out var w, default, CultureInfo.InvariantCulture)) Length += w;
        }

        public void Add(char separator, ulong number)
        {
            if (Length >= _buffer.Length) return;
            _buffer[Length++] = (byte)separator;
            Add(number);
        }
    }
}
