using System.Net;
using System.Text.Json;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Smf.Tests.Spec;

/// <summary>Compares what the decoder gives back with what a test put in (planned values).</summary>
public static class DecodedAssert
{
    /// <summary>The raw <c>decode --format json</c> object of a record, parsed back with System.Text.Json.</summary>
    public static JsonElement RawJson(ZertRecord record, bool surfaceEnforcementRuleName = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ZertRawJsonWriter.Write(writer, record, surfaceEnforcementRuleName);
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    public static ZertRecord Decode(byte[] record)
    {
        var result = ZertRecordParser.Parse(record);
        Assert.True(result.Status == ZertParseStatus.Decoded, $"expected a decoded record, got {result.Status}: {result.Error}");
        return result.Record!;
    }

    /// <summary>The decoder's descriptor for an IBM name; a missing one is a catalog omission.</summary>
    public static ZertField DecoderField(int subtype, string name)
    {
        Assert.True(ZertFieldCatalog.TryFind(subtype, name, out var field), $"the decoder has no field {name} (subtype {subtype})");
        return field;
    }

    /// <summary>Every planned value read back through the typed ZertRecord accessors.</summary>
    public static void Accessors(ZertRecord record, IReadOnlyDictionary<string, PlannedValue> plan)
    {
        foreach (var (name, planned) in plan)
        {
            var field = DecoderField(record.Subtype, name);
            switch (planned.Field.Kind)
            {
                case SpecKind.Number or SpecKind.Code or SpecKind.Flags or SpecKind.HexLength or SpecKind.TimeType or SpecKind.Low4 or SpecKind.Tod:
                    Assert.True(record.TryGetUnsigned(field, out var number), name);
                    Assert.True((ulong)planned.Value == number, $"{name}: expected {planned.Value}, decoded {number}");
                    break;
                case SpecKind.Text:
                    Assert.True(NullIfEmpty((string)planned.Value) == record.GetText(field), $"{name}: expected '{planned.Value}', decoded '{record.GetText(field)}'");
                    break;
                case SpecKind.Ip:
                    Assert.True(record.TryGetAddress(field, out var address), name);
                    Assert.True(((IPAddress)planned.Value).Equals(address), $"{name}: expected {planned.Value}, decoded {address}");
                    break;
                case SpecKind.PackedDate:
                    Assert.True(record.TryGetDate(field, out var date), name);
                    Assert.Equal((DateOnly)planned.Value, date);
                    break;
                case SpecKind.Hundredths:
                    Assert.True(record.TryGetTimeOfDay(field, out var time), name);
                    Assert.Equal(SpecEncoding.FormatHundredths((uint)planned.Value), time.ToString("HH:mm:ss.ff", System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case SpecKind.Hex or SpecKind.Opaque:
                    Assert.True(NullIfEmpty((string)planned.Value) == record.GetHex(field), $"{name}: expected {planned.Value}, decoded {record.GetHex(field)}");
                    break;
                case SpecKind.CertTime:
                    Assert.True(record.TryGetCertificateTime(field, out var notAfter, out var raw), $"{name}: '{raw}' did not parse");
                    Assert.Equal((DateTimeOffset)planned.Value, notAfter);
                    break;
                default:
                    throw new InvalidOperationException(planned.Field.Kind.ToString());
            }
        }
    }

    /// <summary>The accessors give null for blank text and for hex with no significant bytes.</summary>
    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    /// <summary>Every planned value compared with the raw JSON value under its IBM name.</summary>
    public static void Json(JsonElement json, IReadOnlyDictionary<string, PlannedValue> plan)
    {
        foreach (var (name, planned) in plan)
        {
            Assert.True(json.TryGetProperty(name, out var value), $"raw JSON has no key {name}");
            var expected = ExpectedJson(planned);
            var actual = value.ValueKind == JsonValueKind.Number ? value.GetUInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : value.ToString();
            Assert.True(expected == actual, $"{name}: expected {expected}, JSON has {value.GetRawText()}");
            Assert.Equal(ExpectedJsonKind(planned.Field.Kind), value.ValueKind);
        }
    }

    private static string ExpectedJson(PlannedValue planned) => planned.Field.Kind switch
    {
        SpecKind.Number or SpecKind.Code or SpecKind.Flags or SpecKind.HexLength or SpecKind.TimeType or SpecKind.Low4 or SpecKind.Tod =>
            ((ulong)planned.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
        SpecKind.Text or SpecKind.Hex or SpecKind.Opaque => (string)planned.Value,
        SpecKind.Ip => ((IPAddress)planned.Value).ToString(),
        SpecKind.PackedDate => IsoDate((DateOnly)planned.Value),
        SpecKind.Hundredths => SpecEncoding.FormatHundredths((uint)planned.Value),
        SpecKind.CertTime => IsoInstant((DateTimeOffset)planned.Value),
        _ => throw new InvalidOperationException(planned.Field.Kind.ToString()),
    };

    private static JsonValueKind ExpectedJsonKind(SpecKind kind) => kind switch
    {
        SpecKind.Number or SpecKind.Code or SpecKind.Flags or SpecKind.HexLength or SpecKind.TimeType or SpecKind.Low4 or SpecKind.Tod => JsonValueKind.Number,
        _ => JsonValueKind.String,
    };

    public static string IsoDate(DateOnly date) => $"{date.Year:D4}-{date.Month:D2}-{date.Day:D2}";

    public static string IsoInstant(DateTimeOffset t) => $"{t.Year:D4}-{t.Month:D2}-{t.Day:D2}T{t.Hour:D2}:{t.Minute:D2}:{t.Second:D2}Z";

    /// <summary>Keys of the raw JSON object.</summary>
    public static HashSet<string> Keys(JsonElement json) => [.. json.EnumerateObject().Select(p => p.Name)];
}
