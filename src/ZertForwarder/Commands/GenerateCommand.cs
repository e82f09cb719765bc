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
        // Every usage error at once: the first one stopped the command, one more run per mistake.
        var problems = new List<string>();
        var a = new Arguments(args, ValueOptions, new HashSet<string>(), problems);
        if (a.Positional.Count > 0) problems.Add($"unexpected argument '{a.Positional[0]}'");
        // Given without its value, the option is already listed as needing one.
        var path = a.Value("--out");
        if (path is null && !a.Named("--out")) problems.Add("generate needs --out FILE");
        if (!a.Named("--count")) problems.Add("generate needs --count N");
        var count = a.Long("--count", 0);
        if (count > int.MaxValue) problems.Add($"--count is at most {int.MaxValue}");
        var seed = (ulong)a.Long("--seed", (long)SmfDumpGenerator.DefaultSeed);
        // Any case, as decode's --container is: 'generate --container VBS' was refused.
        GeneratorContainer? container = (a.Value("--container") ?? "rdw").ToLowerInvariant() switch
        {
            "rdw" => GeneratorContainer.Rdw,
            "vbs" => GeneratorContainer.Vbs,
            _ => null,
        };
        if (container is null) problems.Add($"unknown container '{a.Value("--container")}': use rdw or vbs");
        var blockSizeGiven = a.Value("--block-size") is not null;
        var blockSize = a.Long("--block-size", 27998);
        // Checked before the output is opened: opening it empties an existing file.
        if (blockSize is < 64 or > 32_760) problems.Add($"--block-size {blockSize} is outside 64..32,760 bytes (a VBS block's length field, §C.1)");
        if (blockSizeGiven && container == GeneratorContainer.Rdw) problems.Add("--block-size is for --container vbs (an RDW file has no blocks)");
        if (path is not null && Directory.Exists(path)) problems.Add($"--out '{path}' is a directory; give a file name, e.g. {Path.Combine(path, "zert.smf")}");
        if (problems.Count > 0 || path is null || container is null) throw new UsageException(problems);

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
            var written = SmfDumpGenerator.WriteDump(buffered, seed, (int)count, container.Value, (int)blockSize);
            buffered.Flush();
            if (path != "-") Console.Error.WriteLine($"{path}: {count} zERT records ({written} SMF records in all), seed {seed}, {container.Value.ToString().ToLowerInvariant()} container.");
        }
        return CommandLine.Success;
    }
}
