using ZertForwarder.Generator;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Commands;

/// <summary>
/// <c>generate --out FILE --count N [--seed S] [--container rdw|vbs]</c>: a synthetic SMF dump with N zERT records
/// (plus the dump program's own records and a few other SMF types, as real dumps have). Same arguments, same bytes.
/// </summary>
internal static class GenerateCommand
{
    private static readonly HashSet<string> ValueOptions = ["--out", "--count", "--seed", "--container", "--block-size"];

    public static int Execute(IReadOnlyList<string> args)
    {
        var a = new Arguments(args, ValueOptions, new HashSet<string>());
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        var path = a.Value("--out") ?? throw new UsageException("generate needs --out FILE");
        var count = a.Long("--count", -1);
        if (count < 0) throw new UsageException("generate needs --count N");
        if (count > int.MaxValue) throw new UsageException($"--count is at most {int.MaxValue}");
        var seed = (ulong)a.Long("--seed", (long)SmfDumpGenerator.DefaultSeed);
        var container = (a.Value("--container") ?? "rdw") switch
        {
            "rdw" => GeneratorContainer.Rdw,
            "vbs" => GeneratorContainer.Vbs,
            var other => throw new UsageException($"unknown container '{other}': use rdw or vbs"),
        };
        var blockSizeGiven = a.Value("--block-size") is not null;
        var blockSize = a.Long("--block-size", 27998);
        // Checked before the output is opened: opening it empties an existing file.
        if (blockSize is < 64 or > 32_760) throw new UsageException($"--block-size {blockSize} is outside 64..32,760 bytes (a VBS block's length field, §C.1)");
        if (blockSizeGiven && container != GeneratorContainer.Vbs) throw new UsageException("--block-size is for --container vbs (an RDW file has no blocks)");

        if (Directory.Exists(path)) throw new UsageException($"--out '{path}' is a directory; give a file name, e.g. {Path.Combine(path, "zert.smf")}");
        Stream output;
        try
        {
            output = path == "-" ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--out '{path}' cannot be written: {e.Message}");
        }
        using (output)
        using (var buffered = new BufferedStream(output, 1 << 16))
        {
            var written = SmfDumpGenerator.WriteDump(buffered, seed, (int)count, container, (int)blockSize);
            buffered.Flush();
            if (path != "-") Console.Error.WriteLine($"{path}: {count} zERT records ({written} SMF records in all), seed {seed}, {container.ToString().ToLowerInvariant()} container.");
        }
        return CommandLine.Success;
    }
}
