using System.IO.Compression;
using CsvHelper;

namespace ZertForwarder.Host.Tests.Reporting;

/// <summary>Reads what <c>report</c> wrote: CSV files by header name, and PNG screenshots as RGB pixels.</summary>
internal static class ReportFiles
{
    /// <summary>The rows of a CSV file, each a map from the header's column names to the field text.</summary>
    public static List<Dictionary<string, string>> ReadCsv(string path)
    {
        using var reader = CsvReader.FromFile(path);
        var rows = new List<Dictionary<string, string>>();
        var header = reader.Headers.ToArray();
        while (reader.Read())
        {
            Assert.Equal(header.Length, reader.FieldCount);
            rows.Add(header.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => reader.GetString(p.i), StringComparer.Ordinal));
        }
        return rows;
    }

    public static long Long(this Dictionary<string, string> row, string column) => long.Parse(row[column], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are) into pixels, so a test can
    /// count the pixels a chart painted in its colours. PNG spec: IHDR, concatenated IDAT zlib stream, per-row filters.
    /// </summary>
    public static (int Width, int Height, byte[] Rgb) ReadPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var pos = 8; pos < bytes.Length;)
        {
            var length = (bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3];
            var type = System.Text.Encoding.ASCII.GetString(bytes, pos + 4, 4);
            if (type == "IHDR")
            {
                width = (bytes[pos + 8] << 24) | (bytes[pos + 9] << 16) | (bytes[pos + 10] << 8) | bytes[pos + 11];
                height = (bytes[pos + 12] << 24) | (bytes[pos + 13] << 16) | (bytes[pos + 14] << 8) | bytes[pos + 15];
                Assert.Equal(8, bytes[pos + 16]);
                channels = bytes[pos + 17] switch { 2 => 3, 6 => 4, var t => throw new InvalidDataException($"PNG colour type {t}") };
                Assert.Equal(0, bytes[pos + 20]);
            }
            else if (type == "IDAT")
            {
                idat.Write(bytes, pos + 8, length);
            }
            pos += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        var raw = inflated.ToArray();
        var stride = width * channels;
        var current = new byte[stride];
        var previous = new byte[stride];
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            Array.Copy(raw, (y * (stride + 1)) + 1, current, 0, stride);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? current[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                current[i] = (byte)(current[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                });
            }
            for (var x = 0; x < width; x++)
            {
                Array.Copy(current, x * channels, rgb, ((y * width) + x) * 3, 3);
            }
            (previous, current) = (current, previous);
        }
        return (width, height, rgb);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
