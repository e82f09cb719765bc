using System.Buffers.Binary;
using System.Text.Json;
using ZertForwarder.Smf.Tests.Spec;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Smf.Tests.Decoding;

/// <summary>
/// Property: no byte sequence derived from a valid record makes the parser, the accessors or the raw JSON writer
/// throw (layout spec §6 step 8: "never throw"). Deterministic: a fixed seed, so a failure replays exactly.
/// </summary>
public sealed class RandomMutationTests
{
    private const int Seed = 119_1112;
    private const int Mutations = 20_000;

    /// <param name="EncodedFields">Absolute offsets and kinds of certificate times and dates, for value-aware pokes.</param>
    private sealed record Template(byte[] Bytes, int[] LengthFieldOffsets, (int Offset, SpecField Field, int Partner)[] EncodedFields);

    private static List<Template> Templates()
    {
        var templates = new List<Template>();

        void Add(SpecRecordBuilder builder)
        {
            var bytes = builder.Build();
            var offsets = new List<int> { 0, 24 }; // SMF119LEN, SMF119SD_TRN
            for (var t = 0; t < builder.TripletCount; t++)
            {
                offsets.Add(28 + t * 8);     // Off (4) -- poked as its low halfword below
                offsets.Add(28 + t * 8 + 2);
                offsets.Add(28 + t * 8 + 4); // Len
                offsets.Add(28 + t * 8 + 6); // Num
            }
            if (builder.Offsets.TryGetValue("DN", out var dn))
            {
                // Every entry's DN_Len, so that the walk (§2.7) also stops after some entries were read.
                var entries = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(28 + SpecLayout.DnTripletIndex(builder.Subtype) * 8 + 6));
                for (int k = 0, entry = dn; k < entries; k++, entry += BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(entry))) offsets.Add(entry);
            }
            foreach (var (name, hexLength) in new[] { ("Tls", 7), ("Tls", 79), ("Ssh", 56), ("Ssh", 58) })
            {
                if (builder.Subtype == 11 && builder.Offsets.TryGetValue(name, out var at)) offsets.Add(at + hexLength - (hexLength is 7 or 79 ? 1 : 0));
            }
            var encoded = new List<(int, SpecField, int)>();
            foreach (var section in SpecLayout.Sections(builder.Subtype))
            {
                if (!builder.Offsets.TryGetValue(section.Name, out var start)) continue;
                var length = builder.SectionBytes(section.Name).Length;
                foreach (var field in section.Fields.Where(f => f.Kind is SpecKind.CertTime or SpecKind.PackedDate or SpecKind.Hundredths && f.Offset + f.Length <= length))
                {
                    var partner = field.Partner is null ? -1 : start + SpecLayout.Find(builder.Subtype, field.Partner).Field.Offset;
                    encoded.Add((start + field.Offset, field, partner));
                }
            }
            templates.Add(new Template(bytes, [.. offsets], [.. encoded]));
        }

        var full11 = SpecRecordBuilder.ConnectionDetail();
        FieldPlan.FillAll(full11, ipv6: false, "Identification", "Common", "IpFilter", "Tls", "Ssh", "Ipsec");
        Add(full11.AddDn(5, "CN=a,O=b").AddDn(6, "CN=issuer").AddDn(9, "CN=ssh"));

        var v6 = SpecRecordBuilder.ConnectionDetail();
        FieldPlan.FillAll(v6, ipv6: true, "Common", "Tls", "Ipsec");
        Add(v6.WithEnforcement(SpecEncoding.EbcdicField("RULE-X", 48)).WithFutureSection([1, 2, 3]));

        Add(SpecRecordBuilder.ConnectionDetail());

        var full12 = SpecRecordBuilder.Summary();
        FieldPlan.FillAll(full12, ipv6: true, "Identification", "Common", "Tls", "Ssh", "Ipsec");
        Add(full12.AddDn(1, "CN=l").AddDn(3, "CN=r"));

        var old12 = SpecRecordBuilder.Summary();
        FieldPlan.FillAll(old12, ipv6: false, "Common", "Tls", "Ipsec");
        Add(old12.Section("Common", 204).Section("Tls", 36).Section("Ipsec", 74));

        return templates;
    }

    [Fact]
    public void Twenty_thousand_mutations_of_valid_records_never_throw()
    {
        var random = new Random(Seed);
        var templates = Templates();
        var statuses = new Dictionary<ZertParseStatus, int>();
        var stoppedWalks = 0;

        for (var n = 0; n < Mutations; n++)
        {
            var template = templates[random.Next(templates.Count)];
            var bytes = Mutate(template, random);
            try
            {
                if (Exercise(bytes, statuses)) stoppedWalks++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {n} threw {e.GetType().Name}: {e.Message}\nrecord: {Convert.ToHexString(bytes)}");
            }
        }

        // The property only means something if both outcomes are common.
        Assert.True(statuses.GetValueOrDefault(ZertParseStatus.Decoded) > Mutations / 10, $"decoded: {statuses.GetValueOrDefault(ZertParseStatus.Decoded)}");
        Assert.True(statuses.GetValueOrDefault(ZertParseStatus.Malformed) > Mutations / 10, $"malformed: {statuses.GetValueOrDefault(ZertParseStatus.Malformed)}");
        Assert.True(stoppedWalks > Mutations / 100, $"decoded with a stopped DN walk: {stoppedWalks}");
    }

    private static byte[] Mutate(Template template, Random random)
    {
        var bytes = (byte[])template.Bytes.Clone();
        var steps = 1 + random.Next(3);
        for (var s = 0; s < steps; s++)
        {
            switch (random.Next(6))
            {
                case 5 when template.EncodedFields.Length > 0: // a plausible-looking but odd certificate time / date / time
                {
                    var (at, field, partner) = template.EncodedFields[random.Next(template.EncodedFields.Length)];
                    if (at + field.Length > bytes.Length) break;
                    if (field.Kind == SpecKind.CertTime)
                    {
                        // Calendar edge values in the UTCTime / GeneralizedTime shapes (year 0000, month 13, 31 April...).
                        var timeType = random.Next(5) switch { 0 => random.Next(4), 1 or 2 => 1, _ => 2 };
                        string Pick(params string[] values) => values[random.Next(values.Length)];
                        var year = timeType == 2 ? Pick("0000", "0001", "1950", "2049", "2100", "9999") : Pick("00", "49", "50", "99");
                        var text = year + Pick("00", "01", "02", "04", "12", "13") + Pick("00", "01", "28", "29", "30", "31", "32")
                            + Pick("00", "23", "24") + Pick("00", "59", "60") + Pick("00", "59", "61") + Pick("Z", "Z", "0", " ");
                        for (var k = 0; k < field.Length; k++) bytes[at + k] = k < text.Length ? SpecEncoding.EbcdicOf(text[k]) : SpecEncoding.EbcdicBlank;
                        if (partner >= 0 && partner < bytes.Length) bytes[partner] = (byte)timeType;
                    }
                    else
                    {
                        for (var k = 0; k < field.Length; k++) bytes[at + k] = (byte)(random.Next(16) << 4 | random.Next(16));
                    }
                    break;
                }
                case 0: // flip a few bytes anywhere
                    for (var k = random.Next(1, 4); k > 0 && bytes.Length > 0; k--) bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                    break;
                case 1: // truncate, keeping or fixing the RDW
                    bytes = bytes[..random.Next(bytes.Length + 1)];
                    if (bytes.Length >= 2 && random.Next(2) == 0) BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)bytes.Length);
                    break;
                case 2: // poke a length / offset / count field with a boundary or random value
                case 3:
                {
                    var at = template.LengthFieldOffsets[random.Next(template.LengthFieldOffsets.Length)];
                    if (at + 2 > bytes.Length) break;
                    ushort[] boundaries = [0, 1, 3, 4, 5, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF,
                        (ushort)(bytes.Length - 1), (ushort)bytes.Length, (ushort)(bytes.Length + 1), (ushort)random.Next(65536)];
                    BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), boundaries[random.Next(boundaries.Length)]);
                    break;
                }
                default: // grow with random bytes and a matching RDW
                {
                    var extra = new byte[random.Next(1, 64)];
                    random.NextBytes(extra);
                    bytes = [.. bytes, .. extra];
                    if (bytes.Length <= ushort.MaxValue) BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)bytes.Length);
                    break;
                }
            }
        }
        return bytes;
    }

    /// <summary>
    /// Parse, then read every field through every accessor and write the raw JSON (which must parse). True when the
    /// record decoded with a DN walk that stopped early.
    /// </summary>
    private static bool Exercise(byte[] bytes, Dictionary<ZertParseStatus, int> statuses)
    {
        var result = ZertRecordParser.Parse(bytes);
        statuses[result.Status] = statuses.GetValueOrDefault(result.Status) + 1;
        if (result.Status == ZertParseStatus.Malformed) Assert.False(string.IsNullOrEmpty(result.Error));
        if (result.Record is not { } record) return false;

        foreach (var field in ZertFieldCatalog.Fields(record.Subtype))
        {
            record.TryGetBytes(field, out _);
            record.TryGetUnsigned(field, out _);
            record.GetText(field);
            record.GetHex(field);
            record.TryGetAddress(field, out _);
            record.TryGetDate(field, out _);
            record.TryGetTimeOfDay(field, out _);
            record.TryGetCertificateTime(field, out _, out _);
        }
        foreach (var dn in record.DistinguishedNames) record.GetDnText(dn);
        foreach (var section in Enum.GetValues<ZertSection>()) record.UnknownTail(section);
        record.GetTentativeEnforcementRuleName();
        record.Header.TryGetLocalTime(out _);
        ZertEventId.Compute(bytes);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) ZertRawJsonWriter.Write(writer, record, surfaceEnforcementRuleName: true);
        using var parsed = JsonDocument.Parse(buffer.ToArray());
        Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
        return record.UnwalkedDnCount > 0;
    }
}
