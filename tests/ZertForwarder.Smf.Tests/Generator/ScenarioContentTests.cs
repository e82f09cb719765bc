using ZertForwarder.Generator;
using static ZertForwarder.Smf.Tests.Generator.IndependentSmfFraming;

namespace ZertForwarder.Smf.Tests.Generator;

/// <summary>
/// What a 2,000-record scenario contains, read back from the record bytes with the layout's offsets (not through the
/// generator's model), so coverage claims hold for the bytes consumers will see.
/// </summary>
public sealed class ScenarioContentTests
{
    private const int Count = 2_000;

    /// <summary>Triplets of one zERT record read straight from the bytes (layout §1.2 / §1.3).</summary>
    private sealed record Section(int Index, int Offset, int Length, int Number);

    private static List<Section> Triplets(byte[] r)
    {
        var trn = U16(r, 24);
        var list = new List<Section>();
        for (var i = 0; i < trn; i++)
        {
            list.Add(new Section(i, (int)U32(r, 28 + (8 * i)), U16(r, 32 + (8 * i)), U16(r, 34 + (8 * i))));
        }

        return list;
    }

    private static Section? Present(byte[] r, int index)
    {
        var t = Triplets(r);
        return index < t.Count && t[index].Number > 0 ? t[index] : null;
    }

    private static List<(int Type, string Name)> DistinguishedNames(byte[] r, int index)
    {
        var names = new List<(int, string)>();
        if (Present(r, index) is not { } dn)
        {
            return names;
        }

        var pos = dn.Offset;
        for (var i = 0; i < dn.Number; i++)
        {
            var length = U16(r, pos);
            names.Add((U16(r, pos + 2), Ebcdic(r, pos + 4, length - 4)));
            pos += length;
        }

        Assert.True(pos <= r.Length);
        return names;
    }

    private static List<byte[]> Detail(IReadOnlyList<GeneratedRecord> records) => records.Where(r => r.IsZert && r.Subtype == 11).Select(r => r.Bytes).ToList();

    private static List<byte[]> Summary(IReadOnlyList<GeneratedRecord> records) => records.Where(r => r.IsZert && r.Subtype == 12).Select(r => r.Bytes).ToList();

    [Theory]
    [InlineData(1UL)]
    [InlineData(20_261_125UL)]
    [InlineData(ulong.MaxValue)]
    public void Every_event_type_protocol_and_release_form_appears(ulong seed)
    {
        var records = SmfDumpGenerator.GenerateRecords(seed, Count);
        var detail = Detail(records);
        var summary = Summary(records);

        // 119-11 events 1-7 (V.2); common section is S1 (triplet 1), event type at +0.
        var events11 = detail.Select(r => (int)r[Present(r, 1)!.Offset]).ToHashSet();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], events11.Order());
        var events12 = summary.Select(r => (int)r[Present(r, 1)!.Offset + 8]).ToHashSet();
        Assert.Equal([1, 2, 3], events12.Order());

        // TLS versions (S3 +0), sources (+2), failed handshakes (+3 = 3 with 'FFFFFF' at +56).
        var tls = detail.Select(r => (Record: r, S: Present(r, 3))).Where(x => x.S is not null).Select(x => (x.Record, Offset: x.S!.Offset)).ToList();
        var versions = tls.Select(x => (int)U16(x.Record, x.Offset)).ToHashSet();
        foreach (var v in new[] { 0x0200, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304 })
        {
            Assert.Contains(v, versions);
        }

        Assert.Contains(tls, x => x.Record[x.Offset + 2] == 1);
        Assert.Contains(tls, x => x.Record[x.Offset + 2] == 2);
        Assert.Contains(tls, x => x.Record[x.Offset + 3] == 3 && Ebcdic(x.Record, x.Offset + 56, 6) == "FFFFFF" && U16(x.Record, x.Offset) == 0);
        Assert.Contains(tls, x => U16(x.Record, x.Offset) == 0x0200 && Ebcdic(x.Record, x.Offset + 56, 6).Length == 6);
        Assert.Contains(tls, x => U16(x.Record, x.Offset) == 0x0303 && Ebcdic(x.Record, x.Offset + 56, 6).Length == 4);

        // SSH (S4): CPP, observation, 3.2 failed flag at +4.
        var ssh = detail.Select(r => (Record: r, S: Present(r, 4))).Where(x => x.S is not null).Select(x => (x.Record, Offset: x.S!.Offset)).ToList();
        Assert.Contains(ssh, x => x.Record[x.Offset + 1] == 2 && Ebcdic(x.Record, x.Offset + 16, 16) == "IBM OpenSSH");
        Assert.Contains(ssh, x => x.Record[x.Offset + 1] == 1 && Ebcdic(x.Record, x.Offset + 16, 16) == "Observation");
        Assert.Contains(ssh, x => (x.Record[x.Offset + 4] & 0x80) != 0 && x.Record[x.Offset] == 0);

        // IPsec (S5): IKEv1, IKEv2, manual (TunType 1), tunnel and transport, ESP and AH; TLS over IPsec.
        var ipsec = detail.Select(r => (Record: r, S: Present(r, 5))).Where(x => x.S is not null).Select(x => (x.Record, Offset: x.S!.Offset)).ToList();
        Assert.Contains(ipsec, x => x.Record[x.Offset + 4] == 1);
        Assert.Contains(ipsec, x => x.Record[x.Offset + 4] == 2);
        Assert.Contains(ipsec, x => x.Record[x.Offset + 213] == 1 && x.Record[x.Offset + 4] == 0);
        Assert.Contains(ipsec, x => x.Record[x.Offset + 216] == 1);
        Assert.Contains(ipsec, x => x.Record[x.Offset + 216] == 2);
        Assert.Contains(ipsec, x => x.Record[x.Offset + 217] == 50);
        Assert.Contains(ipsec, x => x.Record[x.Offset + 217] == 51);
        Assert.Contains(detail, r => Present(r, 3) is not null && Present(r, 5) is not null);

        // Common section: cleartext connection events, EE over UDP, IPv6 and IPv4-mapped, 3.2 role flags, enforcement reset.
        var commons = detail.Select(r => (Record: r, Offset: Present(r, 1)!.Offset)).ToList();
        Assert.Contains(commons, x => x.Record[x.Offset] is >= 1 and <= 4 && x.Record[x.Offset + 1] == 0);
        Assert.Contains(commons, x => x.Record[x.Offset + 4] == 17);
        Assert.Contains(commons, x => (x.Record[x.Offset + 2] & 0x80) != 0 && x.Record[x.Offset + 48 + 10] != 0xFF);
        Assert.Contains(commons, x => (x.Record[x.Offset + 2] & 0x80) != 0 && x.Record[x.Offset + 48 + 10] == 0xFF && x.Record[x.Offset + 48 + 11] == 0xFF && x.Record[x.Offset + 48] == 0);
        Assert.Contains(commons, x => (x.Record[x.Offset + 2] & 0x10) != 0);
        Assert.Contains(commons, x => (x.Record[x.Offset + 2] & 0x08) != 0);
        Assert.Contains(commons, x => (x.Record[x.Offset + 2] & 0x20) != 0 && x.Record[x.Offset] == 7);
        Assert.Contains(commons, x => (x.Record[x.Offset + 2] & 0x20) != 0 && x.Record[x.Offset] == 4);

        // Triplet counts: 7 (pre-V2R5 or no enforcement section) and 8 with the S7 enforcement section on event 7.
        Assert.Contains(detail, r => U16(r, 24) == 7);
        Assert.All(detail.Where(r => r[Present(r, 1)!.Offset] == 7), r => Assert.True(U16(r, 24) == 8 && Present(r, 7) is not null));

        // DN types 1-12 (V.9) and records long enough to span blocks.
        var dnTypes = detail.SelectMany(r => DistinguishedNames(r, 6)).Select(d => d.Type).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 12), dnTypes.Order());
        Assert.Contains(detail, r => r.Length > 8_000);

        // 119-12 section lengths of both release forms, and all four security-protocol values.
        Assert.Contains(summary, r => Present(r, 1)!.Length == 204);
        Assert.Contains(summary, r => Present(r, 1)!.Length == 212);
        Assert.Contains(summary, r => Present(r, 2)?.Length == 36);
        Assert.Contains(summary, r => Present(r, 2)?.Length == 116);
        Assert.Contains(summary, r => Present(r, 3)?.Length == 46);
        Assert.Contains(summary, r => Present(r, 4)?.Length == 74);
        Assert.Contains(summary, r => Present(r, 4)?.Length == 148);
        var summaryProtocols = summary.Where(r => r[Present(r, 1)!.Offset + 8] == 1).Select(r => (int)r[Present(r, 1)!.Offset + 10]).ToHashSet();
        Assert.Equal([0x00, 0x20, 0x40, 0x80], summaryProtocols.Order());
    }

    [Fact]
    public void Triplets_point_inside_the_record_with_sections_back_to_back_after_the_self_defining_section()
    {
        foreach (var record in SmfDumpGenerator.GenerateRecords(5, Count).Where(r => r.IsZert))
        {
            var r = record.Bytes;
            var triplets = Triplets(r);
            var expectedTrn = record.Subtype == 11 ? new[] { 7, 8 } : [6];
            Assert.Contains(triplets.Count, expectedTrn);
            var id = triplets[0];
            Assert.Equal(28 + (8 * triplets.Count), id.Offset);
            Assert.Equal(64, id.Length);
            Assert.Equal(1, id.Number);

            var next = id.Offset;
            foreach (var t in triplets)
            {
                if (t.Number == 0)
                {
                    Assert.Equal(0, t.Offset);
                    Assert.Equal(0, t.Length);
                    continue;
                }

                Assert.Equal(next, t.Offset);
                var dnIndex = record.Subtype == 11 ? 6 : 5;
                var span = t.Index == dnIndex ? DistinguishedNames(r, dnIndex).Sum(d => 4 + d.Name.Length) : t.Length * t.Number;
                Assert.True(t.Offset + span <= r.Length, $"section {t.Index} ends past the record");
                next = t.Offset + span;
            }

            Assert.Equal(r.Length, next);
        }
    }

    [Fact]
    public void Records_are_in_time_order_and_header_times_are_local_while_connection_times_are_utc()
    {
        var records = SmfDumpGenerator.GenerateRecords(9, Count);
        var previous = DateTime.MinValue;
        var terminations = 0;
        foreach (var record in records)
        {
            Assert.True(record.RecordTimeUtc >= previous, "records must be in time order");
            previous = record.RecordTimeUtc;
            var r = record.Bytes;
            var local = UnpackDate(U32(r, 10)).ToDateTime(TimeOnly.MinValue).AddTicks(U32(r, 6) * 100_000L);
            Assert.Equal(record.RecordTimeUtc, DateTime.SpecifyKind(local - record.UtcOffset, DateTimeKind.Utc));

            if (record.Subtype == 11 && record.IsZert)
            {
                var s1 = Present(r, 1)!.Offset;
                if (r[s1] is 3 or 4)
                {
                    // Termination records are written when the connection ends: SAEDate/SAETime (UTC) = record time.
                    var end = UnpackDate(U32(r, s1 + 44)).ToDateTime(TimeOnly.MinValue).AddTicks(U32(r, s1 + 40) * 100_000L);
                    Assert.Equal(record.RecordTimeUtc, DateTime.SpecifyKind(end, DateTimeKind.Utc));
                    var start = UnpackDate(U32(r, s1 + 36)).ToDateTime(TimeOnly.MinValue).AddTicks(U32(r, s1 + 32) * 100_000L);
                    Assert.True(start <= end);
                    Assert.Equal(r[s1] == 4, end - start < TimeSpan.FromSeconds(10));
                    terminations++;
                }
                else if (r[s1] == 1)
                {
                    Assert.Equal(0u, U32(r, s1 + 44));
                }
            }
        }

        Assert.True(terminations > 100);
        Assert.Contains(records, r => r.UtcOffset != TimeSpan.Zero);
    }

    [Fact]
    public void Summary_counters_are_life_to_date_and_continue_from_one_interval_to_the_next()
    {
        var sessions = new Dictionary<string, byte[]>();
        var continued = 0;
        foreach (var r in Summary(SmfDumpGenerator.GenerateRecords(13, 6_000)))
        {
            var s1 = Present(r, 1)!.Offset;
            if (r[s1 + 8] != 1)
            {
                Assert.Null(Present(r, 2));
                continue;
            }

            // Init values at 108-155, end values at 156-203 (same order): every end value >= its init value.
            for (var i = 0; i < 4; i++)
            {
                if (i != 3)
                {
                    Assert.True(U32(r, s1 + 156 + (4 * i)) >= U32(r, s1 + 108 + (4 * i)));
                }
            }

            for (var i = 0; i < 4; i++)
            {
                Assert.True(U64(r, s1 + 172 + (8 * i)) >= U64(r, s1 + 124 + (8 * i)));
            }

            Assert.True(U64(r, s1) > 0, "interval duration");
            var id = Ebcdic(r, s1 + 64, 42);
            if (sessions.TryGetValue(id, out var before))
            {
                var b1 = Present(before, 1)!.Offset;
                Assert.Equal(before.AsSpan(b1 + 156, 48).ToArray(), r.AsSpan(s1 + 108, 48).ToArray());
                continued++;
            }

            sessions[id] = r;
        }

        Assert.True(continued > 50, "sessions must be reported across several intervals");
    }

    [Fact]
    public void Summary_short_connection_deltas_match_the_short_termination_records_of_the_same_stack()
    {
        // SYSA's stacks keep discovery and aggregation on during the first hours (the early toggles hit SYSB and PRD1),
        // so every short-termination record (event 4) of an interval must appear in that interval's 119-12 deltas,
        // once per security session of the connection (one per protocol present, or one cleartext session).
        var records = SmfDumpGenerator.GenerateRecords(17, 6_000, includeForeignRecords: false);
        var checkedIntervals = 0;
        foreach (var stack in new[] { "TCPIP", "TCPIPB" })
        {
            bool OnStack(byte[] r) => r.Length > 24 && Ebcdic(r, 14, 4) == "SYSA" && Ebcdic(r, (int)U32(r, 28) + 16, 8) == stack;
            var shortTerms = records.Where(r => r.Subtype == 11 && OnStack(r.Bytes) && r.Bytes[Present(r.Bytes, 1)!.Offset] == 4)
                .Select(r => (r.RecordTimeUtc, Sessions: Math.Max(1, System.Numerics.BitOperations.PopCount(r.Bytes[Present(r.Bytes, 1)!.Offset + 1]))))
                .ToList();
            var sets = records.Where(r => r.Subtype == 12 && OnStack(r.Bytes) && r.Bytes[Present(r.Bytes, 1)!.Offset + 8] == 1)
                .GroupBy(r => r.RecordTimeUtc)
                .Where(g => g.Last().Bytes[(int)U32(g.Last().Bytes, 28) + 60] == 0x80) // complete sets only
                .ToList();
            DateTime? previous = null;
            foreach (var set in sets)
            {
                var boundary = set.Key;
                var summaryDelta = set.Sum(r => (long)U32(r.Bytes, Present(r.Bytes, 1)!.Offset + 164) - U32(r.Bytes, Present(r.Bytes, 1)!.Offset + 116));
                if (previous is { } from)
                {
                    var detailCount = shortTerms.Where(t => t.RecordTimeUtc >= from && t.RecordTimeUtc < boundary).Sum(t => t.Sessions);
                    Assert.Equal(detailCount, summaryDelta);
                    checkedIntervals++;
                }

                previous = boundary;
            }
        }

        Assert.True(checkedIntervals >= 4, $"only {checkedIntervals} intervals checked");
    }
}
