using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>
/// Turns decoded zERT records into ECS JSON, LEEF 2.0 lines and flat zSecure-style JSON (output contract §2-5), and
/// describes them for routing. Thread-safe: per-thread scratch state is kept in thread-static fields, so one instance
/// serves every worker.
/// </summary>
public sealed class ZertNormalizer
{
    [ThreadStatic] private static Scratch? t_scratch;

    /// <summary>
    /// Size of each mapping thread's scratch buffer: room for the largest value, the hex of an enforcement section or the
    /// UTF-8 of a DN in a 32,756-byte record (§C.1). The program keeps arrays of this size off the large-object heap.
    /// </summary>
    internal const int ScratchBytes = 128 * 1024;

    private readonly MappingSet _set;
    private readonly EnvelopeNames _names = new();

    public ZertNormalizer(MappingSet mappings) => _set = mappings;

    public MappingSet Mappings => _set;

    private sealed class Scratch
    {
        public readonly RecordFacts Facts = new();
        public readonly byte[] Buffer = new byte[ScratchBytes];
        /// <summary>Names of the objects around the next value that are not written yet, by depth.</summary>
        public readonly PendingName[] Pending = new PendingName[16];

        /// <summary>The <see cref="PlanKey"/> of the record the facts describe.</summary>
        public int PlanKey;
        public readonly CompactJsonWriter Writer = new();

        /// <summary>The LEEF line being built, and where its DN values are (offset, length), for the length cap.</summary>
        public readonly ArrayBufferWriter<byte> Line = new(4096);
        public readonly (int Offset, int Length)[] DnValues = new (int, int)[16];
        public int DnCount;
    }

    /// <summary>
    /// The name of an object not written yet. A struct around the array so that storing it is a plain store: an array of
    /// arrays is covariant, and the runtime type-checks every store into one (1.5 % of <c>decode</c>'s CPU in perf).
    /// </summary>
    private struct PendingName
    {
        public byte[] Prefix;
    }

    private Scratch Prepare(ZertRecord record)
    {
        var s = t_scratch ??= new Scratch();
        // The host asks for Describe, ECS, LEEF and flat of the same record in a row: compute its facts once. A record
        // is an immutable view over its bytes, so the same instance with the same mapping set has the same facts.
        if (!ReferenceEquals(s.Facts.Record, record) || !ReferenceEquals(s.Facts.Mappings, _set))
        {
            s.Facts.Compute(record, _set);
            s.PlanKey = Mapping.PlanKey.Of(record, s.Facts.IsConnectionEvent);
        }
        return s;
    }

    private static CompactJsonWriter Writer(Scratch s)
    {
        s.Writer.Reset();
        return s.Writer;
    }

    /// <summary>One ECS document (compact JSON, no trailing newline).</summary>
    public void WriteEcs(ZertRecord record, IBufferWriter<byte> output) =>
        WriteDocument(record, record.Subtype == 11 ? _set.Ecs11 : _set.Ecs12, output);

    /// <summary>The rules of <paramref name="targets"/> (dotted ECS paths of values or of whole objects), compiled for <see cref="WriteEcs(ZertRecord, EcsTargets, IBufferWriter{byte})"/>.</summary>
    public EcsTargets SelectEcsTargets(IReadOnlyCollection<string> targets) => EcsTargets.Select(_set, targets);

    /// <summary>
    /// The ECS document of <paramref name="record"/> with only the values of <paramref name="targets"/>: the same bytes
    /// at those paths as <see cref="WriteEcs(ZertRecord, IBufferWriter{byte})"/> writes, and nothing else.
    /// </summary>
    public void WriteEcs(ZertRecord record, EcsTargets targets, IBufferWriter<byte> output) =>
        WriteDocument(record, record.Subtype == 11 ? targets.Connection : targets.Summary, output);

    private void WriteDocument(ZertRecord record, EcsPlan plan, IBufferWriter<byte> output)
    {
        var s = Prepare(record);
        var w = Writer(s);
        w.WriteStartObject();
        WriteSteps(plan.StepsFor(s.PlanKey), s, w);
        w.WriteEndObject();
        w.CopyTo(output);
    }

    /// <summary>
    /// Runs a compiled write list (<see cref="EcsPlan"/>). An object is opened only when its first value is written,
    /// so objects whose facts are all absent never appear (contract §2: absent facts are omitted).
    /// </summary>
    /// <remarks>
    /// This loop and the few methods it spends its time in (value evaluation, the JSON writer's name, number and string
    /// writes, field reads, hex, address and EBCDIC conversion) are marked
    /// <see cref="MethodImplOptions.AggressiveOptimization"/>: they are compiled optimized at their first call instead
    /// of running unoptimized until tiered compilation replaces them, which in a run of a million records took 6-8 %
    /// of the CPU. Measured: <c>decode</c> of 1 M records 5 % less CPU (7 of 8 alternated pairs), start-up +0.03 s
    /// (docs/performance.md). Tiered PGO is off (ZertForwarder.csproj), so these methods lose no profile.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteSteps(EcsStep[] steps, Scratch s, CompactJsonWriter w)
    {
        var opened = 0; // how many of the enclosing objects have been written
        var pending = s.Pending;
        var r = s.Facts.Record;
        foreach (ref readonly var step in steps.AsSpan())
        {
            switch (step.Kind)
            {
                case EcsStepKind.Number:
                {
                    var rule = step.Rule!;
                    if (!r.TryGetUnsigned(rule.Field!, out var n) || (n == 0 && rule.Convert == Converter.NumberNonZero)) break;
                    OpenEnclosing(w, pending, ref opened, step.Depth);
                    w.WriteNumber(step.NamePrefix, n);
                    break;
                }
                case EcsStepKind.Name:
                {
                    var rule = step.Rule!;
                    if (!r.TryGetUnsigned(rule.Field!, out var code) || (code == 0 && rule.Convert == Converter.NameNonZero)) break;
                    OpenEnclosing(w, pending, ref opened, step.Depth);
                    if (rule.NamesArePlain) w.WritePlainString(step.NamePrefix, rule.NameOf(code, s.Buffer));
                    else w.WriteString(step.NamePrefix, rule.NameOf(code, s.Buffer));
                    break;
                }
                case EcsStepKind.Text:
                {
                    var text = r.GetTextBytes(step.Rule!.Field!);
                    if (text.IsEmpty) break;
                    OpenEnclosing(w, pending, ref opened, step.Depth);
                    w.WriteEbcdicString(step.NamePrefix, text, s.Buffer);
                    break;
                }
                case EcsStepKind.Delta:
                {
                    var rule = step.Rule!;
                    if (!r.TryGetUnsigned(rule.Field!, out var end) || !r.TryGetUnsigned(rule.BaseField!, out var start)) break;
                    OpenEnclosing(w, pending, ref opened, step.Depth);
                    w.WriteNumber(step.NamePrefix, ValueEvaluator.Delta(end, start));
                    break;
                }
                case EcsStepKind.Member:
                    OpenEnclosing(w, pending, ref opened, step.Depth);
                    w.WriteEncodedMember(step.NamePrefix);
                    break;
                case EcsStepKind.Derived:
                {
                    var v = ValueEvaluator.Derive(step.Rule!.Derived, s.Facts, _set, s.Buffer);
                    if (v.Kind == ValueKind.None) break;
                    OpenEnclosing(w, pending, ref opened, step.Depth);
                    WriteJsonValue(w, step.NamePrefix, in v, joinLists: false);
                    break;
                }
                case EcsStepKind.Value:
                {
                    var v = ValueEvaluator.Evaluate(step.Rule!, s.Facts, _set, s.Buffer);
                    if (v.Kind == ValueKind.None) break;
                    OpenEnclosing(w, pending, ref opened, step.Depth);
                    WriteJsonValue(w, step.NamePrefix, in v, joinLists: false);
                    break;
                }
                case EcsStepKind.Open:
                    pending[step.Depth].Prefix = step.NamePrefix;
                    break;
                default:
                    if (opened > step.Depth)
                    {
                        w.WriteEndObject();
                        opened = step.Depth;
                    }
                    break;
            }
        }
    }

    /// <summary>Writes the objects around a value that are not written yet (a value is the first of its object).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OpenEnclosing(CompactJsonWriter w, PendingName[] pending, ref int opened, int depth)
    {
        for (; opened < depth; opened++) w.WriteStartObject(pending[opened].Prefix);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteJsonValue(CompactJsonWriter w, byte[] name, scoped in FieldValue v, bool joinLists)
    {
        switch (v.Kind)
        {
            case ValueKind.Number:
                w.WriteNumber(name, v.Number);
                break;
            case ValueKind.Float:
                w.WriteNumber(name, v.Float);
                break;
            case ValueKind.Signed:
                w.WriteNumber(name, v.SignedNumber);
                break;
            case ValueKind.Digits:
                w.WriteNumberDigits(name, v.Utf8);
                break;
            case ValueKind.Bool:
                w.WriteBoolean(name, v.Bool);
                break;
            case ValueKind.Utf8 when v.Plain:
                w.WritePlainString(name, v.Utf8);
                break;
            case ValueKind.Utf8:
                w.WriteString(name, v.Utf8);
                break;
            case ValueKind.Utf8Item when joinLists:
                w.WriteString(name, v.Utf8);
                break;
            case ValueKind.Utf8Item:
                w.WriteStartArray(name);
                w.WriteStringValue(v.Utf8);
                w.WriteEndArray();
                break;
            case ValueKind.Utf8List when joinLists:
                w.WriteString(name, v.Utf8);
                break;
            case ValueKind.Utf8List:
            {
                w.WriteStartArray(name);
                var rest = v.Utf8;
                while (true)
                {
                    var comma = rest.IndexOf((byte)',');
                    if (comma < 0) break;
                    w.WriteStringValue(rest[..comma]);
                    rest = rest[(comma + 1)..];
                }
                w.WriteStringValue(rest);
                w.WriteEndArray();
                break;
            }
            case ValueKind.List when joinLists:
                w.WriteString(name, v.List!.Joined);
                break;
            case ValueKind.List:
                w.WriteArrayOfEncodedItems(name, v.List!.JsonItems);
                break;
        }
    }

    /// <summary>One flat zSecure-style JSON object (contract §5): one level, scalar values, lists comma separated.</summary>
    public void WriteFlat(ZertRecord record, IBufferWriter<byte> output)
    {
        var s = Prepare(record);
        var w = Writer(s);
        w.WriteStartObject();
        foreach (var rule in (record.Subtype == 11 ? _set.FlatPlan11 : _set.FlatPlan12).For(s.PlanKey))
        {
            var v = ValueEvaluator.Evaluate(rule, s.Facts, _set, s.Buffer);
            if (v.Kind != ValueKind.None) WriteJsonValue(w, rule.TargetNamePrefix, in v, joinLists: true);
        }
        w.WriteEndObject();
        w.CopyTo(output);
    }

    /// <summary>
    /// One LEEF 2.0 line without a line end (contract §4, issue 10): header, the predefined keys, the assessment keys,
    /// the other flat fields, the DNs last; TAB separated, a control character inside a value becomes a space. A line
    /// longer than <see cref="MappingOptions.LeefMaxLineLength"/> has its longest DN values shortened and marked.
    /// </summary>
    public void WriteLeef(ZertRecord record, IBufferWriter<byte> output)
    {
        var s = Prepare(record);
        var leef = _set.Leef;
        var line = s.Line;
        line.ResetWrittenCount();
        s.DnCount = 0;
        line.Write(leef.HeaderPrefix);
        var ids = record.Subtype == 11 ? leef.EventIds11 : leef.EventIds12;
        var eventType = s.Facts.EventType;
        line.Write(eventType > 0 && eventType < ids.Length ? ids[eventType] : leef.UnknownEventId);
        line.Write("|x09|"u8);
        var first = true;
        foreach (var rule in leef.Predefined) WriteLeefAttribute(line, rule, s, ref first);
        foreach (var rule in (record.Subtype == 11 ? _set.LeefPlan11 : _set.LeefPlan12).For(s.PlanKey)) WriteLeefAttribute(line, rule, s, ref first);
        var max = _set.Options.LeefMaxLineLength;
        if (max <= 0 || line.WrittenCount <= max || s.DnCount == 0) output.Write(line.WrittenSpan);
        else LeefLineLimit.WriteShortened(line.WrittenSpan, s.DnValues.AsSpan(0, s.DnCount), max, output);
    }

    private void WriteLeefAttribute(ArrayBufferWriter<byte> output, FieldRule rule, Scratch s, ref bool first)
    {
        var v = ValueEvaluator.Evaluate(rule, s.Facts, _set, s.Buffer);
        if (v.Kind == ValueKind.None) return;
        if (!first) output.Write("\t"u8);
        first = false;
        output.Write(rule.TargetUtf8);
        output.Write("="u8);
        var valueStart = output.WrittenCount;
        switch (v.Kind)
        {
            case ValueKind.Number:
            {
                var span = output.GetSpan(20);
                v.Number.TryFormat(span, out var n, default, CultureInfo.InvariantCulture);
                output.Advance(n);
                break;
            }
            case ValueKind.Signed:
            {
                var span = output.GetSpan(20);
                v.SignedNumber.TryFormat(span, out var n, default, CultureInfo.InvariantCulture);
                output.Advance(n);
                break;
            }
            case ValueKind.Float:
            {
                var span = output.GetSpan(32);
                v.Float.TryFormat(span, out var n, "R", CultureInfo.InvariantCulture);
                output.Advance(n);
                break;
            }
            case ValueKind.Bool:
                output.Write(v.Bool ? "true"u8 : "false"u8);
                break;
            case ValueKind.Digits:
                output.Write(v.Utf8);
                break;
            case ValueKind.Utf8:
                WriteLeefText(output, v.Utf8);
                break;
            case ValueKind.List:
                WriteLeefText(output, v.List!.Joined);
                break;
            case ValueKind.Utf8List:
            case ValueKind.Utf8Item:
                WriteLeefText(output, v.Utf8);
                break;
        }
        if (rule.IsDn && s.DnCount < s.DnValues.Length) s.DnValues[s.DnCount++] = (valueStart, output.WrittenCount - valueStart);
    }

    /// <summary>
    /// Copies a value with every control character replaced by a space: TAB / CR / LF (contract §4) so a value never
    /// breaks the line or the attribute list, and the others too, which EBCDIC text carries as they are (X'3F' SUB
    /// where z/OS could not convert a certificate DN's character, X'25' as NEL, a stray X'00'): in a syslog message a
    /// NUL ends it at receivers that frame on NUL (RFC 6587 §3.4.2), and the others are raw bytes in QRadar's payload.
    /// </summary>
    private static void WriteLeefText(IBufferWriter<byte> output, ReadOnlySpan<byte> text)
    {
        var span = output.GetSpan(text.Length);
        if (text.IndexOfAny(LeefControlStarts) < 0)
        {
            text.CopyTo(span);
            output.Advance(text.Length);
            return;
        }
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            // C1 controls U+0080-U+009F are C2 80 - C2 9F in UTF-8: one space for the character.
            if (b == 0xC2 && i + 1 < text.Length && text[i + 1] is >= 0x80 and <= 0x9F) i++;
            else if (b >= 0x20 && b != 0x7F)
            {
                span[n++] = b;
                continue;
            }
            span[n++] = (byte)' ';
        }
        output.Advance(n);
    }

    /// <summary>The bytes a control character starts with in UTF-8: C0, DEL, and the lead byte of the C1 range.</summary>
    private static readonly SearchValues<byte> LeefControlStarts = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), 0x7F, 0xC2]);

    /// <summary>Routing facts of a record (contract §6) and the facts of the end-of-run table.</summary>
    public EventEnvelope Describe(ZertRecord record)
    {
        var s = Prepare(record);
        var f = s.Facts;
        var sub11 = record.Subtype == 11;
        string? serverIp = null;
        var serverPort = 0;
        EnvelopeNames.Endpoint endpoint;
        if (sub11)
        {
            // Unknown role: the local endpoint is the key (contract §6), and there is no server to name.
            var local = f.Role != LocalRole.Client;
            var port = local ? f.LocalPort : f.RemotePort;
            endpoint = EndpointOf(record, local ? ZertFields.SC_SALIP : ZertFields.SC_SARIP, port, s.Buffer);
            if (f.Role != LocalRole.Unknown)
            {
                serverIp = endpoint.Ip;
                serverPort = (int)port;
            }
        }
        else
        {
            serverPort = (int)f.Counter(ZertFields.SS_SASrvPortStart);
            endpoint = EndpointOf(record, ZertFields.SS_SASrvIP, (ulong)serverPort, s.Buffer);
            serverIp = endpoint.Ip;
        }
        var key = endpoint.Key;
        var keyUtf8 = endpoint.KeyUtf8;
        if (!f.IsConnectionEvent)
        {
            // zERT / aggregation enabled or disabled: no endpoint; keep one stack's configuration events in order.
            key = f.SystemId + "/" + (record.GetText(ZertFields.TI_Stack) ?? "");
            keyUtf8 = null;
        }
        return new EventEnvelope(
            f.EventIdUtf8.ToArray(),
            sub11 ? "zos.zert_connection" : "zos.zert_summary",
            key,
            f.SystemId,
            sub11,
            serverIp,
            serverPort,
            record.TryGetBytes(sub11 ? ZertFields.SC_SAJobname : ZertFields.SS_SAJobname, out var job) ? _names.NameOf(job) : null,
            ValueEvaluator.ProtectionList(f.Protection),
            AssessmentPolicy.LevelNames[(int)f.Level],
            f.Level is AssessmentLevel.Weak or AssessmentLevel.Cleartext,
            f.RecordTime)
        {
            KeyUtf8 = keyUtf8,
        };
    }

    /// <summary>The endpoint of an address field and a port; an absent address gives the empty address, as before.</summary>
    private EnvelopeNames.Endpoint EndpointOf(ZertRecord record, ZertField address, ulong port, Span<byte> scratch) =>
        _names.EndpointOf(record.TryGetBytes(address, out var bytes) ? bytes : default, record.IsIpv6, port, scratch);
}
