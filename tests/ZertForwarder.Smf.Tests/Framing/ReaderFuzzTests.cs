using System.Diagnostics;
using System.Globalization;
using ZertForwarder.Generator;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Smf.Tests.Framing;

/// <summary>
/// Random and mutated dumps through the reader and the decoder: the reader only ever reports a broken frame chain
/// (<see cref="SmfFramingException"/>) or a non-SMF input (<see cref="InvalidDataException"/>), every frame it yields
/// decodes without throwing, each input finishes in bounded time, and memory does not grow with the input.
/// CI runs a fast slice with a fixed seed (a failure replays exactly); set <c>ZERT_FUZZ_ITERATIONS</c> (and optionally
/// <c>ZERT_FUZZ_SEED</c>) for a long run.
/// </summary>
public sealed class ReaderFuzzTests
{
    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("ZERT_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 300;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("ZERT_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 8_119;

    [Fact]
    public void Mutated_and_random_dumps_never_throw_past_the_record_boundary_never_hang_and_keep_memory_bounded()
    {
        var random = new Random(Seed);
        var rdw = SmfDumpGenerator.GenerateDump(seed: 11, zertCount: 200, GeneratorContainer.Rdw);
        var vbs = SmfDumpGenerator.GenerateDump(seed: 12, zertCount: 200, GeneratorContainer.Vbs, blockSize: 4096);
        long frames = 0, brokenChains = 0, notSmf = 0;
        var slowest = TimeSpan.Zero;
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var input = Mutate(random, i % 3 == 0 ? rdw : i % 3 == 1 ? vbs : RandomBytes(random), random);
            var container = (SmfContainer)(i % 3); // Auto, Rdw, Vbs in turn
            var clock = Stopwatch.StartNew();
            using (var reader = new SmfRecordReader(new MemoryStream(input), container))
            {
                try
                {
                    while (reader.TryReadNext(out var frame))
                    {
                        frames++;
                        Assert.True(frame.Record.Length <= SmfRecordReader.MaxRecordLength);
                        if (!frame.IsError) _ = ZertRecordParser.Parse(frame.Record.ToArray()); // never throws (layout spec §6 step 8)
                        Assert.True(reader.Position <= input.Length, $"seed {Seed}, iteration {i}: read past the input");
                    }
                }
                catch (SmfFramingException e)
                {
                    brokenChains++;
                    Assert.InRange(e.Offset, 0, input.Length);
                }
                catch (InvalidDataException)
                {
                    notSmf++;
                }
            }

            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"seed {Seed}, iteration {i}: reading took {clock.Elapsed}");
            if (i % 50 == 49) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        }

        // Bounded memory: what stays reachable does not grow with the number of inputs read.
        Assert.True(peak < 32L * 1024 * 1024, $"memory grew by {peak} bytes");
        Console.WriteLine($"reader fuzz (seed {Seed}, {Iterations} inputs): {frames} frames, {brokenChains} broken chains, {notSmf} not SMF; slowest {slowest.TotalMilliseconds:0} ms");
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 70_000)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Byte flips, zeroed descriptors, truncation, inserted or dropped runs: what a damaged transfer does.</summary>
    private static byte[] Mutate(Random random, byte[] original, Random r)
    {
        var bytes = (byte[])original.Clone();
        var changes = random.Next(1, 8);
        for (var c = 0; c < changes && bytes.Length > 8; c++)
        {
            var at = r.Next(bytes.Length - 4);
            switch (r.Next(5))
            {
                case 0: bytes[at] ^= (byte)(1 << r.Next(8)); break;
                case 1: bytes[at] = 0; bytes[at + 1] = 0; break;
                case 2: bytes[at] = 0xFF; bytes[at + 1] = (byte)r.Next(256); break;
                case 3: bytes = bytes[..at]; break;
                default: bytes = [.. bytes[..at], .. new byte[r.Next(1, 300)], .. bytes[at..]]; break;
            }
        }
        return bytes;
    }
}
