using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ZertForwarder.Smf;

namespace ZertForwarder.Mapping;

/// <summary>
/// The strings <see cref="ZertNormalizer.Describe"/> returns for every record that repeat from record to record: an
/// endpoint's address text, its Kafka key (<c>ip:port</c>, output contract §6) with the key's UTF-8 bytes, and job
/// names. A workload's records name a few hundred servers and jobs, so each is made once and reused instead of
/// formatting and allocating them per record.
/// </summary>
/// <remarks>
/// Two small direct-mapped caches, as <c>SmfHeader</c> keeps system ids: an entry holds its whole key, so a lookup
/// either matches exactly or makes the strings again and takes the slot. Entries are immutable and written whole, so
/// the mapping workers share the caches without locks; a racing write only costs one more formatting. The returned
/// strings and arrays are shared by every event that names the same endpoint: nothing may change them (the Kafka sink
/// hands the key bytes to librdkafka, which copies them).
/// </remarks>
internal sealed class EnvelopeNames
{
    private const int SlotBits = 10;

    public sealed class Endpoint(UInt128 address, ulong portAndFamily, string ip, string key)
    {
        public readonly UInt128 Address = address;
        public readonly ulong PortAndFamily = portAndFamily;

        /// <summary>The address as <see cref="Formatting.Ip"/> writes it.</summary>
        public readonly string Ip = ip;

        /// <summary><c>ip:port</c>, or <c>[ipv6]:port</c> (RFC 3986 style).</summary>
        public readonly string Key = key;

        public readonly byte[] KeyUtf8 = Encoding.UTF8.GetBytes(key);
    }

    private sealed class Name(ulong ebcdic, string? text)
    {
        public readonly ulong Ebcdic = ebcdic;
        public readonly string? Text = text;
    }

    private readonly Endpoint?[] _endpoints = new Endpoint?[1 << SlotBits];
    private readonly Name?[] _names = new Name?[1 << SlotBits];

    /// <summary>
    /// The endpoint of a 16-byte address field (SMF119SC_SALIP / SC_SARIP / SS_SASrvIP, IPv4 in its first four bytes)
    /// and a port. <paramref name="scratch"/> receives the formatted address when the endpoint is new.
    /// </summary>
    public Endpoint EndpointOf(ReadOnlySpan<byte> address, bool ipv6, ulong port, Span<byte> scratch)
    {
        if (address.Length != 16) return NewEndpoint(default, 0, address, ipv6, port, scratch);
        var value = BinaryPrimitives.ReadUInt128BigEndian(address);
        var portAndFamily = (port << 1) | (ipv6 ? 1UL : 0UL);
        var hash = (ulong)value ^ (ulong)(value >> 64) ^ (portAndFamily * 0x9E3779B97F4A7C15UL);
        var slot = (int)((hash * 0x9E3779B97F4A7C15UL) >> (64 - SlotBits));
        var entry = Volatile.Read(ref _endpoints[slot]);
        if (entry is not null && entry.Address == value && entry.PortAndFamily == portAndFamily) return entry;
        entry = NewEndpoint(value, portAndFamily, address, ipv6, port, scratch);
        Volatile.Write(ref _endpoints[slot], entry);
        return entry;
    }

    private static Endpoint NewEndpoint(UInt128 value, ulong portAndFamily, ReadOnlySpan<byte> address, bool ipv6, ulong port, Span<byte> scratch)
    {
        var ip = address.IsEmpty ? "" : Encoding.ASCII.GetString(scratch[..Formatting.Ip(address, ipv6, scratch)]);
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var key = ipv6 || ip.Contains(':', StringComparison.Ordinal) ? "[" + ip + "]:" + portText : ip + ":" + portText;
        return new Endpoint(value, portAndFamily, ip, key);
    }

    /// <summary>
    /// A trimmed 8-byte EBCDIC name (a job name, SMF119SC_SAJobname / SS_SAJobname) as text; null when blank, as
    /// <see cref="Smf.Zert.ZertRecord.GetText"/> gives it. Other lengths are decoded each time.
    /// </summary>
    public string? NameOf(ReadOnlySpan<byte> field)
    {
        if (field.Length != 8) return Decode(field);
        var value = BinaryPrimitives.ReadUInt64BigEndian(field);
        var slot = (int)((value * 0x9E3779B97F4A7C15UL) >> (64 - SlotBits));
        var entry = Volatile.Read(ref _names[slot]);
        if (entry is not null && entry.Ebcdic == value) return entry.Text;
        entry = new Name(value, Decode(field));
        Volatile.Write(ref _names[slot], entry);
        return entry.Text;
    }

    private static string? Decode(ReadOnlySpan<byte> field)
    {
        var text = Ebcdic.Decode(field);
        return text.Length == 0 ? null : text;
    }
}
