using System.Text;
using ZertForwarder.Smf;

namespace ZertForwarder.Mapping.Tests;

/// <summary>
/// <see cref="EnvelopeNames"/> reuses the strings of <see cref="ZertNormalizer.Describe"/> across records. Its caches
/// have 1,024 slots, so thousands of endpoints must share slots: a lookup must never answer with another endpoint's or
/// another job's strings.
/// </summary>
public sealed class EnvelopeNamesTests
{
    [Fact]
    public void Endpoints_that_share_a_slot_each_get_their_own_address_and_key()
    {
        var random = new Random(119);
        var endpoints = new List<(byte[] Address, bool Ipv6, ulong Port)>();
        for (var i = 0; i < 5000; i++)
        {
            var address = new byte[16];
            var ipv6 = i % 5 == 0;
            // IPv4 in the first four bytes, the rest zero (layout spec, SMF119SC_SALIP); neighbours differ in one byte.
            random.NextBytes(address.AsSpan(0, ipv6 ? 16 : 4));
            if (i % 3 == 0 && endpoints.Count > 0) endpoints[^1].Address.CopyTo(address, 0); // same address, other port
            endpoints.Add((address, ipv6, (ulong)random.Next(0, 65536)));
        }

        var shared = new EnvelopeNames();
        var scratch = new byte[256];
        for (var round = 0; round < 3; round++)
        {
            foreach (var (address, ipv6, port) in endpoints)
            {
                var cached = shared.EndpointOf(address, ipv6, port, scratch);
                var fresh = new EnvelopeNames().EndpointOf(address, ipv6, port, scratch);
                Assert.Equal(fresh.Ip, cached.Ip);
                Assert.Equal(fresh.Key, cached.Key);
                Assert.Equal(Encoding.UTF8.GetBytes(cached.Key), cached.KeyUtf8);
                Assert.EndsWith(":" + port, cached.Key, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Job_names_that_share_a_slot_each_decode_to_their_own_text_and_blank_is_null()
    {
        var random = new Random(1047);
        var shared = new EnvelopeNames();
        var names = Enumerable.Range(0, 4000).Select(_ =>
        {
            // EBCDIC upper-case letters and digits, blank-padded to 8 bytes like SMF119SC_SAJobname.
            var length = random.Next(1, 9);
            var field = Enumerable.Repeat((byte)0x40, 8).ToArray();
            for (var i = 0; i < length; i++) field[i] = random.Next(2) == 0 ? (byte)(0xC1 + random.Next(9)) : (byte)(0xF0 + random.Next(10));
            return field;
        }).Append(Enumerable.Repeat((byte)0x40, 8).ToArray()).ToList();

        for (var round = 0; round < 2; round++)
        {
            foreach (var field in names)
            {
                var expected = Ebcdic.Decode(field);
                Assert.Equal(expected.Length == 0 ? null : expected, shared.NameOf(field));
            }
        }
    }
}
