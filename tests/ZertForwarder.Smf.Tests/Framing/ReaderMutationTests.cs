using System.Buffers.Binary;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Tests.Spec;
using static ZertForwarder.Smf.Tests.Framing.Containers;

namespace ZertForwarder.Smf.Tests.Framing;

/// <summary>
/// Property: whatever the bytes, the reader either yields frames, or stops with the two documented exceptions
/// (SmfFramingException for a broken chain, InvalidDataException for an unrecognised container) — never another
/// exception, never an endless loop. Seeded, so a failure replays.
/// </summary>
public sealed class ReaderMutationTests
{
    private const int Seed = 0x119C1;
    private const int Mutations = 3_000;

    private static byte[][] Inputs()
    {
        var longRecord = SpecRecordBuilder.ConnectionDetail();
        for (ushort t = 1; t <= 6; t++) longRecord.AddDn(t, "CN=" + new string('Q', 300));
        var spanned = longRecord.Build();
        var a = SpecRecordBuilder.ConnectionDetail().AddDn(5, "CN=a").Build();
        var b = SpecRecordBuilder.Summary().Build();
        var other = OtherRecord(30, 4, 200);
        return
        [
            Concat(a, b, other, spanned, a),
            Concat(Block(Complete(a), Complete(b)), Block(Span(spanned, 500, 1000)[0]), Block(Span(spanned, 500, 1000)[1]),
                   Block(Span(spanned, 500, 1000)[2], Complete(other)), new byte[40]),
            Concat(ExtendedBlock(Complete(b)), Block(Span(a, 50))),
        ];
    }

    [Fact]
    public void Mutated_containers_give_frames_or_a_documented_exception_and_always_end()
    {
        var random = new Random(Seed);
        var inputs = Inputs();
        var outcomes = new Dictionary<string, int>();
        for (var n = 0; n < Mutations; n++)
        {
            var bytes = (byte[])inputs[random.Next(inputs.Length)].Clone();
            for (var steps = 1 + random.Next(3); steps > 0; steps--)
            {
                switch (random.Next(4))
                {
                    case 0:
                        if (bytes.Length > 0) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        bytes = bytes[..random.Next(bytes.Length + 1)];
                        break;
                    case 2: // a descriptor-sized value somewhere
                        if (bytes.Length >= 4)
                        {
                            ushort[] values = [0, 1, 3, 4, 5, 8, 0x7FFF, 0x8000, 0xFFFF, (ushort)random.Next(65536)];
                            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(random.Next(bytes.Length - 1)), values[random.Next(values.Length)]);
                        }
                        break;
                    default: // a segment control byte
                        if (bytes.Length > 8) bytes[random.Next(bytes.Length)] = (byte)random.Next(4);
                        break;
                }
            }
            var container = (SmfContainer)random.Next(3);
            var outcome = Read(bytes, container, n);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        Assert.True(outcomes.Count >= 3, string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
    }

    private static string Read(byte[] bytes, SmfContainer container, int n)
    {
        try
        {
            using var reader = new SmfRecordReader(new PipeLikeStream(new MemoryStream(bytes), 1 + n % 97), container);
            var frames = 0;
            while (reader.TryReadNext(out var frame))
            {
                Assert.True(++frames <= bytes.Length, $"mutation {n}: more frames than bytes, the reader is not advancing");
                Assert.True(frame.IsError || frame.Record.Length >= 6, $"mutation {n}: a record frame shorter than a header");
                Assert.True(frame.EndOffset <= bytes.Length, $"mutation {n}: frame ends past the input");
            }
            return "end";
        }
        catch (SmfFramingException e)
        {
            Assert.InRange(e.Offset, 0, bytes.Length);
            return "framing";
        }
        catch (InvalidDataException)
        {
            return "not-smf";
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"mutation {n} ({container}) threw {e.GetType().Name}: {e.Message}\ninput: {Convert.ToHexString(bytes)}");
            return "";
        }
    }
}
