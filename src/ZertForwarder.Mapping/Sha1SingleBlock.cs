using System.Buffers.Binary;
using System.Numerics;

namespace ZertForwarder.Mapping;

/// <summary>
/// SHA-1 (FIPS 180-4 §6.1) of a message that fits one 64-byte block (at most 55 bytes): the Community ID input
/// (contract §2.3) is at most 40 bytes. Computed in managed code because the platform hash goes through OpenSSL, and
/// for one block the native call's fixed cost (context reset, error-queue clearing) is most of the time. The value is an
/// identifier, not a security control; the mapping golden files pin its bytes.
/// </summary>
internal static class Sha1SingleBlock
{
    public const int MaxMessageLength = 55;

    public static void Hash(ReadOnlySpan<byte> message, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(message.Length, MaxMessageLength, nameof(message));
        Span<byte> block = stackalloc byte[64];
        block.Clear();
        message.CopyTo(block);
        block[message.Length] = 0x80; // padding: a one bit, zeros, then the length in bits (§5.1.1)
        BinaryPrimitives.WriteUInt64BigEndian(block[56..], (ulong)message.Length * 8);
        Span<uint> w = stackalloc uint[80];
        for (var t = 0; t < 16; t++) w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(4 * t)..]);
        for (var t = 16; t < 80; t++) w[t] = BitOperations.RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        uint a = 0x67452301, b = 0xEFCDAB89, c = 0x98BADCFE, d = 0x10325476, e = 0xC3D2E1F0;
        uint temp;
        for (var t = 0; t < 20; t++)
        {
            temp = BitOperations.RotateLeft(a, 5) + ((b & c) | (~b & d)) + e + 0x5A827999 + w[t];
            e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
        }
        for (var t = 20; t < 40; t++)
        {
            temp = BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + e + 0x6ED9EBA1 + w[t];
            e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
        }
        for (var t = 40; t < 60; t++)
        {
            temp = BitOperations.RotateLeft(a, 5) + ((b & c) | (b & d) | (c & d)) + e + 0x8F1BBCDC + w[t];
            e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
        }
        for (var t = 60; t < 80; t++)
        {
            temp = BitOperations.RotateLeft(a, 5) + (b ^ c ^ d) + e + 0xCA62C1D6 + w[t];
            e = d; d = c; c = BitOperations.RotateLeft(b, 30); b = a; a = temp;
        }
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0x67452301 + a);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], 0xEFCDAB89 + b);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], 0x98BADCFE + c);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], 0x10325476 + d);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], 0xC3D2E1F0 + e);
    }
}
