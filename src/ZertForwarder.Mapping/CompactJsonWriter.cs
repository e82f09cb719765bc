using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ZertForwarder.Mapping;

/// <summary>
/// The subset of <see cref="Utf8JsonWriter"/> the ECS and flat writers use (compact output, no validation), written
/// straight into a reusable per-thread byte array. It produces the same bytes as <see cref="Utf8JsonWriter"/> with
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>: the same encoder decides whether a value needs escaping
/// and, when it does, <see cref="JsonEncodedText.Encode(ReadOnlySpan{byte}, JavaScriptEncoder)"/> escapes it the way
/// the writer does. Numbers are formatted as the writer formats them (invariant culture, shortest round-trip double).
/// </summary>
/// <remarks>
/// Why: every document has ~180 values, and the general writer's per-call bookkeeping (depth and comma state, buffer
/// requests through <see cref="IBufferWriter{T}"/>) cost more than the values themselves. The golden files of the
/// mapping tests pin the bytes.
/// </remarks>
internal sealed class CompactJsonWriter
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>
    /// The bytes after which the encoder must be asked: every non-ASCII byte and every ASCII byte the encoder does not
    /// write as it is (asked of the encoder itself once per byte value). A vectorized search over the whole value
    /// replaces a per-byte table walk; every document has ~1,500 bytes of values.
    /// </summary>
    private static readonly SearchValues<byte> NotPlain = BuildNotPlain();

    /// <summary>
    /// For each EBCDIC byte (code page 1047, <see cref="Smf.Ebcdic"/>), the ASCII character the encoder writes as it
    /// is, or 0 when the character is not ASCII or must be escaped (a quote, a backslash, a control character).
    /// </summary>
    private static readonly byte[] PlainAsciiOfEbcdic = BuildPlainAsciiOfEbcdic();

    private static byte[] BuildPlainAsciiOfEbcdic()
    {
        var table = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            var c = Smf.Ebcdic.ToChar((byte)b);
            if (c < 0x80 && !NotPlain.Contains((byte)c)) table[b] = (byte)c;
        }
        return table;
    }

    private static SearchValues<byte> BuildNotPlain()
    {
        var bytes = new List<byte>();
        for (var b = 0; b < 256; b++)
        {
            if (b >= 128 || Encoder.FindFirstCharacterToEncodeUtf8([(byte)b]) >= 0) bytes.Add((byte)b);
        }
        return SearchValues.Create([.. bytes]);
    }

    /// <summary>
    /// True when the encoder would leave the value as it is. Pure ASCII is decided from the encoder's own per-byte
    /// answers (for ASCII it decides per character); anything else is asked of the encoder.
    /// </summary>
    internal static bool IsPlain(ReadOnlySpan<byte> utf8) =>
        utf8.IndexOfAny(NotPlain) < 0 || Encoder.FindFirstCharacterToEncodeUtf8(utf8) < 0;

    /// <summary>
    /// A property name as written after a previous member: <c>,"name":</c> (the name already escaped). Computed once
    /// per rule, so writing a name is one copy; the leading comma is skipped for an object's first member.
    /// </summary>
    public static byte[] NamePrefix(JsonEncodedText name)
    {
        var bytes = name.EncodedUtf8Bytes;
        var prefix = new byte[bytes.Length + 4];
        prefix[0] = (byte)',';
        prefix[1] = (byte)'"';
        bytes.CopyTo(prefix.AsSpan(2));
        prefix[^2] = (byte)'"';
        prefix[^1] = (byte)':';
        return prefix;
    }

    private byte[] _buffer;
    private int _length;

    /// <param name="capacity">
    /// Initial buffer size; it grows as needed. A document writer starts at 16 KB; the writers that encode a short list
    /// once (<see cref="EncodedList"/>, thousands at start-up) start small.
    /// </param>
    public CompactJsonWriter(int capacity = 16 * 1024) => _buffer = new byte[capacity];
    private bool _needsComma;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void Reset()
    {
        _length = 0;
        _needsComma = false;
    }

    /// <summary>Copies the document to <paramref name="output"/> and resets.</summary>
    public void CopyTo(IBufferWriter<byte> output)
    {
        // One span of the full size: a writer that keeps each document contiguous (PayloadBlock) then moves nothing.
        var written = Written;
        written.CopyTo(output.GetSpan(written.Length));
        output.Advance(written.Length);
        Reset();
    }

    public void WriteStartObject()
    {
        var span = Reserve(2);
        var n = 0;
        if (_needsComma) span[n++] = (byte)',';
        span[n++] = (byte)'{';
        _length += n;
        _needsComma = false;
    }

    public void WriteStartObject(byte[] name)
    {
        WriteName(name);
        Reserve(1)[0] = (byte)'{';
        _length++;
        _needsComma = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteEndObject()
    {
        Reserve(1)[0] = (byte)'}';
        _length++;
        _needsComma = true;
    }

    public void WriteStartArray(byte[] name)
    {
        WriteName(name);
        Reserve(1)[0] = (byte)'[';
        _length++;
        _needsComma = false;
    }

    /// <summary>An array whose items were written once, ahead of time, by <see cref="WriteStringValue"/> (an <see cref="EncodedList"/>).</summary>
    public void WriteArrayOfEncodedItems(byte[] name, ReadOnlySpan<byte> items)
    {
        WriteName(name);
        var span = Reserve(items.Length + 2);
        span[0] = (byte)'[';
        items.CopyTo(span[1..]);
        span[items.Length + 1] = (byte)']';
        _length += items.Length + 2;
        _needsComma = true;
    }

    public void WriteEndArray()
    {
        Reserve(1)[0] = (byte)']';
        _length++;
        _needsComma = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteNumber(byte[] name, ulong value)
    {
        WriteName(name);
        value.TryFormat(Reserve(20), out var n, default, CultureInfo.InvariantCulture);
        _length += n;
        _needsComma = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteNumber(byte[] name, long value)
    {
        WriteName(name);
        value.TryFormat(Reserve(20), out var n, default, CultureInfo.InvariantCulture);
        _length += n;
        _needsComma = true;
    }

    /// <summary>An integer given as its decimal digits (one wider than <see cref="ulong"/>), written as a JSON number.</summary>
    public void WriteNumberDigits(byte[] name, ReadOnlySpan<byte> digits)
    {
        WriteName(name);
        WriteRaw(digits);
        _needsComma = true;
    }

    public void WriteNumber(byte[] name, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException("JSON has no representation for a non-finite number.", nameof(value));
        WriteName(name);
        int n;
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15 && !(value == 0 && double.IsNegative(value)))
        {
            // A whole number below 10^15 (the risk score): the shortest round-trip form is its integer digits.
            ((long)value).TryFormat(Reserve(20), out n, default, CultureInfo.InvariantCulture);
        }
        else
        {
            // Utf8JsonWriter: invariant culture, default (shortest round-trip) format.
            value.TryFormat(Reserve(128), out n, default, CultureInfo.InvariantCulture);
        }
        _length += n;
        _needsComma = true;
    }

    public void WriteBoolean(byte[] name, bool value)
    {
        WriteName(name);
        WriteRaw(value ? "true"u8 : "false"u8);
        _needsComma = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteString(byte[] name, ReadOnlySpan<byte> utf8)
    {
        WriteName(name);
        WriteQuoted(utf8);
        _needsComma = true;
    }

    /// <summary>
    /// A string known to need no escaping, written without the check: values the formatters make themselves (hex,
    /// addresses, dates, fixed words) and table names checked when the mapping was compiled. The check was about 5 % of
    /// <c>decode</c>'s CPU for every string value of every document.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WritePlainString(byte[] name, ReadOnlySpan<byte> utf8)
    {
        System.Diagnostics.Debug.Assert(IsPlain(utf8), "a value marked plain needs escaping");
        WriteName(name);
        WriteQuotedAsIs(utf8);
        _needsComma = true;
    }

    /// <summary>
    /// A whole member encoded ahead of time, <c>,"name":value</c> (a constant of the mapping, <see cref="EcsPlan"/>):
    /// one copy instead of a name, an escaping check and a value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteEncodedMember(byte[] member)
    {
        WriteName(member);
        _needsComma = true;
    }

    /// <summary><c>,"name":"value"</c> with both already escaped, for <see cref="WriteEncodedMember"/>.</summary>
    public static byte[] EncodedMember(byte[] namePrefix, ReadOnlySpan<byte> utf8Value)
    {
        var writer = new CompactJsonWriter(capacity: namePrefix.Length + utf8Value.Length + 8);
        writer.WriteStartObject();
        writer.WriteString(namePrefix, utf8Value);
        return [(byte)',', .. writer.Written[1..]];
    }

    /// <summary>
    /// A text field as a string, from its (trimmed) EBCDIC bytes: transcoded straight into the document in one pass
    /// when every character is ASCII that needs no escaping (names, job names, rule names nearly always are), which
    /// saves the escaping check's search and a copy. Any other character sends the whole value the general way:
    /// transcoded into <paramref name="scratch"/> (three bytes per input byte) and written by <see cref="WriteString"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteEbcdicString(byte[] name, ReadOnlySpan<byte> ebcdic, Span<byte> scratch)
    {
        WriteName(name);
        var span = Reserve(ebcdic.Length + 2);
        ref var table = ref MemoryMarshal.GetArrayDataReference(PlainAsciiOfEbcdic);
        for (var i = 0; i < ebcdic.Length; i++)
        {
            var a = Unsafe.Add(ref table, ebcdic[i]);
            if (a == 0)
            {
                WriteQuoted(scratch[..Smf.Ebcdic.TranscodeToUtf8(ebcdic, scratch)]);
                _needsComma = true;
                return;
            }
            span[i + 1] = a;
        }
        span[0] = (byte)'"';
        span[ebcdic.Length + 1] = (byte)'"';
        _length += ebcdic.Length + 2;
        _needsComma = true;
    }

    public void WriteStringValue(ReadOnlySpan<byte> utf8)
    {
        if (_needsComma) WriteRaw(","u8);
        WriteQuoted(utf8);
        _needsComma = true;
    }

    /// <param name="name">A <see cref="NamePrefix"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteName(byte[] name)
    {
        ReadOnlySpan<byte> bytes = _needsComma ? name : name.AsSpan(1);
        CopyShort(bytes, Reserve(bytes.Length));
        _length += bytes.Length;
    }

    private void WriteQuoted(ReadOnlySpan<byte> utf8)
    {
        if (!IsPlain(utf8))
        {
            // Rare (a quote, backslash or control character in a text field): escaped exactly as the writer does.
            utf8 = JsonEncodedText.Encode(utf8, Encoder).EncodedUtf8Bytes;
        }
        WriteQuotedAsIs(utf8);
    }

    /// <summary>Writes <c>"utf8"</c> with no escaping: the caller checked, or knows, that none is needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteQuotedAsIs(ReadOnlySpan<byte> utf8)
    {
        var span = Reserve(utf8.Length + 2);
        span[0] = (byte)'"';
        CopyShort(utf8, span[1..]);
        span[utf8.Length + 1] = (byte)'"';
        _length += utf8.Length + 2;
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>
    /// Copies a source of 4 to 32 bytes (most names and values) with two overlapping loads and stores, inline; anything
    /// else through <see cref="Span{T}.CopyTo"/>. The call into the general copy cost more than the copy itself for the
    /// ~300 short pieces of a document.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var length = source.Length;
        if (length > destination.Length || length < 4 || length > 32)
        {
            source.CopyTo(destination);
            return;
        }
        // Both halves lie inside [0, length) of each span, which the checks above guarantee.
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        if (length >= 16)
        {
            Unsafe.WriteUnaligned(ref to, Unsafe.ReadUnaligned<Vector128<byte>>(ref from));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, length - 16), Unsafe.ReadUnaligned<Vector128<byte>>(ref Unsafe.Add(ref from, length - 16)));
        }
        else if (length >= 8)
        {
            Unsafe.WriteUnaligned(ref to, Unsafe.ReadUnaligned<ulong>(ref from));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, length - 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, length - 8)));
        }
        else
        {
            Unsafe.WriteUnaligned(ref to, Unsafe.ReadUnaligned<uint>(ref from));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, length - 4), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref from, length - 4)));
        }
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        return _buffer.AsSpan(_length);
    }
}
