using System.Text.Json.Nodes;
using ZertForwarder.Mapping.Tests.Support;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// Values computed from two counters of a record (output contract §2.3 network totals, §2.4 interval deltas) at the
/// edges of the counters' range: the 8-byte counters of layout §2.1 / §3.1 can hold up to 2^64 - 1, and nothing
/// says a life-to-date counter cannot be lower at the interval end than at its start.
/// </summary>
public sealed class CounterArithmeticTests
{
    private static (JsonNode Ecs, JsonNode Flat, string Leef) Render(byte[] bytes)
    {
        var record = TestMappings.Parse(bytes);
        var n = TestMappings.Normalizer;
        return (JsonNode.Parse(TestMappings.Render(n.WriteEcs, record))!,
            JsonNode.Parse(TestMappings.Render(n.WriteFlat, record))!,
            TestMappings.Render(n.WriteLeef, record));
    }

    private static string LeefValue(string line, string key) =>
        line.Split('\t').Single(a => a.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    [Fact]
    public void Network_bytes_and_packets_are_the_exact_sums_of_two_8_byte_counters_at_their_maximum()
    {
        var b = new SpecRecordBuilder(11);
        b.Common[0] = 3;    // connection termination
        b.Common[2] = 0x10; // local is the server
        b.Common[4] = 6;
        SpecRecordBuilder.Ip(b.Common, 48, "10.0.0.2");
        SpecRecordBuilder.Ip(b.Common, 64, "10.0.0.1");
        SpecRecordBuilder.U64(b.Common, 88, ulong.MaxValue); // SAInBytes
        SpecRecordBuilder.U64(b.Common, 96, 2);              // SAOutBytes
        SpecRecordBuilder.U64(b.Common, 104, ulong.MaxValue); // SAInSegDG
        SpecRecordBuilder.U64(b.Common, 112, ulong.MaxValue); // SAOutSegDG
        var (ecs, _, _) = Render(b.Build());

        // 2^64 - 1 + 2 and 2 x (2^64 - 1): the sums, not what is left of them after wrapping around at 2^64.
        Assert.Equal("18446744073709551617", ecs["network"]!["bytes"]!.ToJsonString());
        Assert.Equal("36893488147419103230", ecs["network"]!["packets"]!.ToJsonString());
        Assert.Equal("18446744073709551615", ecs["client"]!["bytes"]!.ToJsonString());
    }

    [Fact]
    public void Network_totals_below_the_8_byte_limit_stay_plain_numbers()
    {
        var b = new SpecRecordBuilder(11);
        b.Common[0] = 3;
        b.Common[4] = 6;
        SpecRecordBuilder.U64(b.Common, 88, ulong.MaxValue - 7);
        SpecRecordBuilder.U64(b.Common, 96, 7);
        var (ecs, _, _) = Render(b.Build());
        Assert.Equal(ulong.MaxValue, ecs["network"]!["bytes"]!.GetValue<ulong>());
        Assert.Equal(0UL, ecs["network"]!["packets"]!.GetValue<ulong>());
    }

    private static SpecRecordBuilder Summary(uint initConnections, uint endConnections, ulong initBytesIn, ulong endBytesIn)
    {
        var b = new SpecRecordBuilder(12);
        b.Common[8] = 1;    // interval record
        b.Common[9] = 0x40; // local is the server
        b.Common[10] = 0x00;
        b.Common[27] = 6;
        SpecRecordBuilder.Ip(b.Common, 28, "10.0.0.1");
        SpecRecordBuilder.Ip(b.Common, 44, "10.0.0.2");
        SpecRecordBuilder.U16(b.Common, 60, 443);
        SpecRecordBuilder.U16(b.Common, 62, 443);
        SpecRecordBuilder.U32(b.Common, 108, initConnections);
        SpecRecordBuilder.U32(b.Common, 156, endConnections);
        SpecRecordBuilder.U64(b.Common, 124, initBytesIn);
        SpecRecordBuilder.U64(b.Common, 172, endBytesIn);
        return b;
    }

    [Fact]
    public void An_interval_delta_of_a_counter_lower_at_the_end_is_negative_in_every_format()
    {
        // Contract §2.4: delta = end - start. 4 - 10 is -6, not 2^64 - 6 (which also no Elasticsearch long can hold).
        var (ecs, flat, leef) = Render(Summary(10, 4, 1000, 400).Build());

        Assert.Equal(-6L, ecs["zos"]!["zert"]!["summary"]!["connections"]!["delta"]!.GetValue<long>());
        Assert.Equal(-600L, ecs["zos"]!["zert"]!["summary"]!["bytes_in"]!["delta"]!.GetValue<long>());
        Assert.Equal(-6L, flat["SA_CONNECTION_CNT_DELTA"]!.GetValue<long>());
        Assert.Equal("-6", LeefValue(leef, "SA_CONNECTION_CNT_DELTA"));
        Assert.Contains(", -6 connections:", (string?)ecs["message"], StringComparison.Ordinal);
    }

    [Fact]
    public void An_interval_delta_stays_exact_at_the_edges_of_the_4_byte_counters_and_counts_an_8_byte_wrap_forward()
    {
        var (ecs, flat, _) = Render(Summary(0, uint.MaxValue, ulong.MaxValue, 4).Build());

        Assert.Equal((long)uint.MaxValue, ecs["zos"]!["zert"]!["summary"]!["connections"]!["delta"]!.GetValue<long>());
        Assert.Equal((long)uint.MaxValue, flat["SA_CONNECTION_CNT_DELTA"]!.GetValue<long>());
        // An 8-byte life-to-date counter that passed 2^64 - 1 and went on to 4 moved forward by 5.
        Assert.Equal(5L, ecs["zos"]!["zert"]!["summary"]!["bytes_in"]!["delta"]!.GetValue<long>());

        (ecs, _, _) = Render(Summary(uint.MaxValue, 0, 0, 0).Build());
        Assert.Equal(-(long)uint.MaxValue, ecs["zos"]!["zert"]!["summary"]!["connections"]!["delta"]!.GetValue<long>());
    }
}
