using System.Buffers;
using System.Globalization;
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

    /// <summary>ASCII bytes the encoder writes as they are, asked of the encoder itself once per byte value.</summary>
    private static readonly bool[] PlainAscii = BuildPlainAscii();

    private static bool[] BuildPlainAscii()
    {
        var plain = new bool[128];
        for (var b = 0; b < 128; b++) plain[b] = Encoder.FindFirstCharacterToEncodeUtf8([(byte)b]) < 0;
        return plain;
    }

    /// <summary>
    /// True when the encoder would leave the value as it is. Pure ASCII is decided byte by byte from the encoder's own
    /// answers (for ASCII it decides per character); anything else is asked of the encoder.
    /// </summary>
    private static bool IsPlain(ReadOnlySpan<byte> utf8)
    {
        var plain = PlainAscii;
        foreach (var b in utf8)
        {
            if (b >= 128 || !plain[b]) return Encoder.FindFirstCharacterToEncodeUtf8(utf8) < 0;
        }
        return true;
    }

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

    private byte[] _buffer = new byte[16 * 1024];
    private int _length;
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
        output.Write(Written);
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

    public void WriteEndArray()
    {
        Reserve(1)[0] = (byte)']';
        _length++;
        _needsComma = true;
    }

    public void WriteNumber(byte[] name, ulong value)
    {
        WriteName(name);
        value.TryFormat(Reserve(20), out var n, default, CultureInfo.InvariantCulture);
        _length += n;
        _needsComma = true;
    }

    public void WriteNumber(byte[] name, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException("JSON has no representation for a non-finite number.", nameof(value));
        WriteName(name);
        // Utf8JsonWriter: invariant culture, default (shortest round-trip) format.
        value.TryFormat(Reserve(128), out var n, default, CultureInfo.InvariantCulture);
        _length += n;
        _needsComma = true;
    }

    public void WriteBoolean(byte[] name, bool value)
    {
        WriteName(name);
        WriteRaw(value ? "true"u8 : "false"u8);
        _needsComma = true;
    }

    public void WriteString(byte[] name, ReadOnlySpan<byte> utf8)
    {
        WriteName(name);
        WriteQuoted(utf8);
        _needsComma = true;
    }

    public void WriteStringValue(ReadOnlySpan<byte> utf8)
    {
        if (_needsComma) WriteRaw(","u8);
        WriteQuoted(utf8);
        _needsComma = true;
    }

    /// <param name="name">A <see cref="NamePrefix"/>.</param>
    private void WriteName(byte[] name)
    {
        ReadOnlySpan<byte> bytes = _needsComma ? name : name.AsSpan(1);
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    private void WriteQuoted(ReadOnlySpan<byte> utf8)
    {
        if (!IsPlain(utf8))
        {
            // Rare (a quote, backslash or control character in a text field): escaped exactly as the writer does.
            utf8 = JsonEncodedText.Encode(utf8, Encoder).EncodedUtf8Bytes;
        }
        var span = Reserve(utf8.Length + 2);
        span[0] = (byte)'"';
        utf8.CopyTo(span[1..]);
        span[utf8.Length + 1] = (byte)'"';
        _length += utf8.Length + 2;
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        return _buffer.AsSpan(_length);
    }
}
