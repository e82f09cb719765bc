using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ZertForwarder.Smf;

/// <summary>
/// EBCDIC text of SMF character fields (layout spec §0: code page IBM-1047; the characters zERT uses are the same
/// in IBM-037). Fixed 256-entry table, so no code-page provider has to be registered.
/// </summary>
public static class Ebcdic
{
    /// <summary>Code page 1047 to Unicode, generated from the .NET IBM01047 encoding.</summary>
    private const string Cp1047 =
        "\u0000\u0001\u0002\u0003\u009C\u0009\u0086\u007F\u0097\u008D\u008E\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u009D\u000A\u0008\u0087\u0018\u0019\u0092\u008F\u001C\u001D\u001E\u001F" +
        "\u0080\u0081\u0082\u0083\u0084\u0085\u0017\u001B\u0088\u0089\u008A\u008B\u008C\u0005\u0006\u0007" +
        "\u0090\u0091\u0016\u0093\u0094\u0095\u0096\u0004\u0098\u0099\u009A\u009B\u0014\u0015\u009E\u001A" +
        "\u0020\u00A0\u00E2\u00E4\u00E0\u00E1\u00E3\u00E5\u00E7\u00F1\u00A2\u002E\u003C\u0028\u002B\u007C" +
        "\u0026\u00E9\u00EA\u00EB\u00E8\u00ED\u00EE\u00EF\u00EC\u00DF\u0021\u0024\u002A\u0029\u003B\u005E" +
        "\u002D\u002F\u00C2\u00C4\u00C0\u00C1\u00C3\u00C5\u00C7\u00D1\u00A6\u002C\u0025\u005F\u003E\u003F" +
        "\u00F8\u00C9\u00CA\u00CB\u00C8\u00CD\u00CE\u00CF\u00CC\u0060\u003A\u0023\u0040\u0027\u003D\u0022" +
        "\u00D8\u0061\u0062\u0063\u0064\u0065\u0066\u0067\u0068\u0069\u00AB\u00BB\u00F0\u00FD\u00FE\u00B1" +
        "\u00B0\u006A\u006B\u006C\u006D\u006E\u006F\u0070\u0071\u0072\u00AA\u00BA\u00E6\u00B8\u00C6\u00A4" +
        "\u00B5\u007E\u0073\u0074\u0075\u0076\u0077\u0078\u0079\u007A\u00A1\u00BF\u00D0\u005B\u00DE\u00AE" +
        "\u00AC\u00A3\u00A5\u00B7\u00A9\u00A7\u00B6\u00BC\u00BD\u00BE\u00DD\u00A8\u00AF\u005D\u00B4\u00D7" +
        "\u007B\u0041\u0042\u0043\u0044\u0045\u0046\u0047\u0048\u0049\u00AD\u00F4\u00F6\u00F2\u00F3\u00F5" +
        "\u007D\u004A\u004B\u004C\u004D\u004E\u004F\u0050\u0051\u0052\u00B9\u00FB\u00FC\u00F9\u00FA\u00FF" +
        "\u005C\u00F7\u0053\u0054\u0055\u0056\u0057\u0058\u0059\u005A\u00B2\u00D4\u00D6\u00D2\u00D3\u00D5" +
        "\u0030\u0031\u0032\u0033\u0034\u0035\u0036\u0037\u0038\u0039\u00B3\u00DB\u00DC\u00D9\u00DA\u009F";

    private const byte Blank = 0x40;

    /// <summary>Maps one EBCDIC byte to its character.</summary>
    public static char ToChar(byte b) => Cp1047[b];

    /// <summary>
    /// Returns <paramref name="field"/> without leading and trailing EBCDIC blanks (X'40') and X'00' padding
    /// (layout spec §0: fields are blank padded; zeros are trimmed for safety).
    /// </summary>
    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> field)
    {
        var start = field.IndexOfAnyExcept(Blank, (byte)0);
        if (start < 0) return default;
        return field[start..(field.LastIndexOfAnyExcept(Blank, (byte)0) + 1)];
    }

    /// <summary>Decodes a trimmed character field; an all-blank field gives the empty string.</summary>
    public static string Decode(ReadOnlySpan<byte> field)
    {
        var text = Trim(field);
        if (text.IsEmpty) return string.Empty;
        // Fields are short (at most a few dozen characters, DNs a few hundred): decode on the stack, one allocation.
        Span<char> chars = text.Length <= 512 ? stackalloc char[text.Length] : new char[text.Length];
        for (var i = 0; i < text.Length; i++) chars[i] = Cp1047[text[i]];
        return new string(chars);
    }

    /// <summary>
    /// Writes the trimmed field as UTF-8 into <paramref name="writer"/> without allocating a string: the hot path
    /// of the JSON and LEEF writers. Returns the number of bytes written.
    /// </summary>
    public static int TranscodeToUtf8(ReadOnlySpan<byte> field, IBufferWriter<byte> writer)
    {
        var text = Trim(field);
        if (text.IsEmpty) return 0;
        var span = writer.GetSpan(text.Length * 3);
        var n = TranscodeToUtf8(text, span);
        writer.Advance(n);
        return n;
    }

    /// <summary>
    /// Transcodes <paramref name="text"/> (already trimmed) to UTF-8; <paramref name="destination"/> must hold
    /// three bytes per input byte in the worst case. Returns the number of bytes written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int TranscodeToUtf8(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        var n = 0;
        if (destination.Length >= text.Length)
        {
            // Fast path, the common case: every character is ASCII, one table load and one store per byte. The
            // lengths were checked above, so the references stay inside both spans.
            ref var table = ref MemoryMarshal.GetArrayDataReference(AsciiOf);
            ref var source = ref MemoryMarshal.GetReference(text);
            ref var target = ref MemoryMarshal.GetReference(destination);
            for (; n < text.Length; n++)
            {
                var a = Unsafe.Add(ref table, Unsafe.Add(ref source, n));
                if (a == 0) break;
                Unsafe.Add(ref target, n) = a;
            }
            if (n == text.Length) return n;
        }
        var ascii = AsciiOf;
        foreach (var b in text[n..])
        {
            // Fast path: the byte's ASCII character straight from a table (zero when it has none).
            var a = ascii[b];
            if (a != 0)
            {
                destination[n++] = a;
                continue;
            }
            var c = Cp1047[b];
            if (c < 0x80)
            {
                destination[n++] = (byte)c;
            }
            else
            {
                Span<char> one = [c];
                n += Encoding.UTF8.GetBytes(one, destination[n..]);
            }
        }
        return n;
    }

    private static readonly byte[] AsciiOf = BuildAsciiOf();

    private static byte[] BuildAsciiOf()
    {
        var table = new byte[256];
        for (var b = 0; b < 256; b++) table[b] = Cp1047[b] < 0x80 ? (byte)Cp1047[b] : (byte)0;
        return table;
    }

    /// <summary>Encodes text to EBCDIC (used by tests and tools, not by the decoder).</summary>
    public static byte[] Encode(string text)
    {
        var result = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var index = Cp1047.IndexOf(text[i], StringComparison.Ordinal);
            if (index < 0) throw new ArgumentException($"Character '{text[i]}' has no EBCDIC 1047 code.", nameof(text));
            result[i] = (byte)index;
        }
        return result;
    }
}
