namespace ZertForwarder.Generator.Encoding;

/// <summary>
/// Encodes text into EBCDIC for SMF character fields. Only the characters whose code points are identical in
/// IBM-037 and IBM-1047 are accepted (layout §0 "General encoding rules"): letters, digits, blank and the
/// punctuation listed in <see cref="IsEncodable"/>. Anything else is rejected so that a decoder using either code page
/// reads back exactly the text the generator put in.
/// </summary>
/// <remarks>This table is deliberately the generator's own, written from the code-page charts, not shared with the decoder.</remarks>
public static class EbcdicText
{
    /// <summary>EBCDIC blank (X'40'), the padding byte of every character field (layout §0).</summary>
    public const byte Blank = 0x40;

    // 0 means "not encodable"; no encodable character maps to X'00'.
    private static readonly byte[] AsciiToEbcdic = BuildTable();

    private static byte[] BuildTable()
    {
        var table = new byte[128];
        table[' '] = 0x40;
        table['.'] = 0x4B;
        table['<'] = 0x4C;
        table['('] = 0x4D;
        table['+'] = 0x4E;
        table['&'] = 0x50;
        table['$'] = 0x5B;
        table['*'] = 0x5C;
        table[')'] = 0x5D;
        table[';'] = 0x5E;
        table['-'] = 0x60;
        table['/'] = 0x61;
        table[','] = 0x6B;
        table['%'] = 0x6C;
        table['_'] = 0x6D;
        table['>'] = 0x6E;
        table['?'] = 0x6F;
        table[':'] = 0x7A;
        table['#'] = 0x7B;
        table['@'] = 0x7C;
        table['\''] = 0x7D;
        table['='] = 0x7E;
        table['"'] = 0x7F;
        for (var i = 0; i < 9; i++)
        {
            table['a' + i] = (byte)(0x81 + i);
            table['j' + i] = (byte)(0x91 + i);
            table['A' + i] = (byte)(0xC1 + i);
            table['J' + i] = (byte)(0xD1 + i);
        }

        for (var i = 0; i < 8; i++)
        {
            table['s' + i] = (byte)(0xA2 + i);
            table['S' + i] = (byte)(0xE2 + i);
        }

        for (var i = 0; i < 10; i++)
        {
            table['0' + i] = (byte)(0xF0 + i);
        }

        return table;
    }

    /// <summary>True when <paramref name="c"/> has the same code point in IBM-037 and IBM-1047 and is in this table.</summary>
    public static bool IsEncodable(char c) => c < 128 && AsciiToEbcdic[c] != 0;

    /// <summary>Encodes one character; throws <see cref="ArgumentException"/> for characters outside the common subset.</summary>
    public static byte Encode(char c)
    {
        if (c >= 128 || AsciiToEbcdic[c] == 0)
        {
            throw new ArgumentException($"Character U+{(int)c:X4} is not in the IBM-037/IBM-1047 common subset used for SMF text.", nameof(c));
        }

        return AsciiToEbcdic[c];
    }

    /// <summary>
    /// Writes <paramref name="text"/> into <paramref name="field"/>, left aligned and padded with EBCDIC blanks
    /// (layout §0). Throws when the text is longer than the field or holds a character outside the common subset.
    /// </summary>
    public static void WritePadded(Span<byte> field, string? text)
    {
        var length = text?.Length ?? 0;
        if (length > field.Length)
        {
            throw new ArgumentException($"Text '{text}' ({length} characters) does not fit a {field.Length}-byte field.", nameof(text));
        }

        for (var i = 0; i < length; i++)
        {
            field[i] = Encode(text![i]);
        }

        field[length..].Fill(Blank);
    }

    /// <summary>Encodes a whole string (no padding) into a new array.</summary>
    public static byte[] ToEbcdic(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            bytes[i] = Encode(text[i]);
        }

        return bytes;
    }
}
