using System.Globalization;
using System.Text.Json;

namespace ZertForwarder.Smf.Zert;

/// <summary>
/// Writes a record in the raw <c>decode --format json</c> shape: keys are IBM's field names, integers are numbers,
/// character fields trimmed strings, addresses IP text, binary fields upper-case hex, dates ISO dates, times of day
/// ISO times; reserved fields are left out. DN entries are a list of objects with <c>..._DN_Type</c> and <c>..._DN</c>;
/// when the DN walk stopped early, <c>..._DN_UnwalkedCount</c> and <c>..._DN_Unwalked</c> (hex to the record end) follow.
/// </summary>
/// <remarks>
/// Values that do not decode (an invalid packed date, an unparsable certificate time) are written raw (hex or the
/// trimmed characters) rather than dropped, so a real record that disagrees with the spec shows how.
/// </remarks>
public static class ZertRawJsonWriter
{
    /// <summary>Writes one JSON object for <paramref name="record"/>.</summary>
    /// <param name="surfaceEnforcementRuleName">Also write the tentative S7 rule name (layout spec §2.6 feature flag).</param>
    public static void Write(Utf8JsonWriter writer, ZertRecord record, bool surfaceEnforcementRuleName = false)
    {
        var header = record.Header;
        var prefix = ZertFieldCatalog.Prefix(record.Subtype);
        writer.WriteStartObject();
        writer.WriteNumber("SMF119LEN", header.RecordLength);
        writer.WriteNumber("SMF119FLG", header.Flags);
        writer.WriteNumber("SMF119RTY", header.RecordType);
        if (header.TimeHundredths < SmfTime.HundredthsPerDay)
            writer.WriteString("SMF119TME", FormatTime(new TimeOnly(header.TimeHundredths * 100_000L)));
        else
            writer.WriteNumber("SMF119TME", header.TimeHundredths);
        if (header.TryGetDate(out var date))
            writer.WriteString("SMF119DTE", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        else
            writer.WriteString("SMF119DTE", "0x" + header.PackedDate.ToString("X8", CultureInfo.InvariantCulture));
        writer.WriteString("SMF119SID", header.SystemId);
        writer.WriteString("SMF119SSI", header.SubsystemId);
        writer.WriteNumber("SMF119STY", header.Subtype);
        writer.WriteNumber("SMF119SD_TRN", record.TripletCount);

        foreach (var field in ZertFieldCatalog.Fields(record.Subtype))
        {
            if (!record.TryGetBytes(field, out var bytes))
            {
                // A section that ends inside this field: its bytes are kept raw rather than dropped.
                var partial = record.PartialFieldBytes(field);
                if (!partial.IsEmpty) writer.WriteString(field.Name + "_Partial", Convert.ToHexString(partial));
                continue;
            }
            WriteField(writer, record, field, bytes);
        }

        if (record.DistinguishedNames.Count > 0)
        {
            writer.WriteStartArray(prefix + "DN_Entries");
            foreach (var dn in record.DistinguishedNames)
            {
                writer.WriteStartObject();
                writer.WriteNumber(prefix + "DN_Type", dn.Type);
                writer.WriteString(prefix + "DN", record.GetDnText(dn));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        if (record.UnwalkedDnCount > 0)
        {
            // The walk stopped early (§2.7): say how many entries were not read and keep their bytes, as for a tail.
            writer.WriteNumber(prefix + "DN_UnwalkedCount", record.UnwalkedDnCount);
            writer.WriteString(prefix + "DN_Unwalked", Convert.ToHexString(record.UnwalkedDnBytes));
        }

        var enforcement = record.SectionBytes(ZertSection.Enforcement);
        if (!enforcement.IsEmpty)
        {
            writer.WriteString("SMF119SC_Enforcement_Raw", Convert.ToHexString(enforcement));
            if (surfaceEnforcementRuleName && record.GetTentativeEnforcementRuleName() is { } rule)
                writer.WriteString("SMF119SC_Enforcement_RuleName", rule);
        }

        foreach (var section in Enum.GetValues<ZertSection>())
        {
            if (section != ZertSection.Enforcement)
            {
                var tail = record.UnknownTail(section);
                if (!tail.IsEmpty) writer.WriteString($"{prefix}{section}_UnknownTail", Convert.ToHexString(tail));
            }
            var further = record.FurtherInstances(section);
            if (!further.IsEmpty) writer.WriteString($"{prefix}{section}_FurtherInstances", Convert.ToHexString(further));
        }
        writer.WriteEndObject();
    }

    private static void WriteField(Utf8JsonWriter writer, ZertRecord record, ZertField field, ReadOnlySpan<byte> bytes)
    {
        switch (field.Kind)
        {
            case ZertFieldKind.Unsigned:
            case ZertFieldKind.Code:
            case ZertFieldKind.Flags:
            case ZertFieldKind.Tod:
                record.TryGetUnsigned(field, out var number);
                writer.WriteNumber(field.Name, number);
                break;
            case ZertFieldKind.Text:
                writer.WriteString(field.Name, Ebcdic.Decode(bytes));
                break;
            case ZertFieldKind.Hex:
                writer.WriteString(field.Name, Convert.ToHexString(record.GetSignificantBytes(field)));
                break;
            case ZertFieldKind.Ip:
                record.TryGetAddress(field, out var address);
                writer.WriteString(field.Name, address.ToString());
                break;
            case ZertFieldKind.PackedDate:
                if (record.TryGetDate(field, out var date))
                    writer.WriteString(field.Name, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                else if (bytes.ContainsAnyExcept((byte)0))
                    writer.WriteString(field.Name, "0x" + Convert.ToHexString(bytes));
                else
                    writer.WriteNull(field.Name); // zero: "not set" (§C.3)
                break;
            case ZertFieldKind.TimeOfDay:
                if (record.TryGetTimeOfDay(field, out var time))
                    writer.WriteString(field.Name, FormatTime(time));
                else
                    writer.WriteString(field.Name, "0x" + Convert.ToHexString(bytes));
                break;
            case ZertFieldKind.CertificateTime:
                if (record.TryGetCertificateTime(field, out var notAfter, out var raw))
                    writer.WriteString(field.Name, notAfter.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                else
                    writer.WriteString(field.Name, raw ?? "");
                break;
        }
    }

    private static string FormatTime(TimeOnly time) => time.ToString("HH:mm:ss.ff", CultureInfo.InvariantCulture);
}
