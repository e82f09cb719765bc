namespace ZertForwarder.Commands;

/// <summary>Verb dispatch. Exit codes: 0 success, 1 some records were rejected or dead-lettered, 2 usage or configuration error.</summary>
internal static class CommandLine
{
    public const int Success = 0;
    public const int RecordsRejected = 1;
    public const int UsageError = 2;

    public const string Usage = """
        zertforwarder: forward IBM z/OS zERT records (SMF 119 subtypes 11 and 12) to SIEMs.

        Usage:
          zertforwarder run [--config FILE] [--once] [Section:Key=value ...]
              Move records from the configured inputs to the configured outputs. With no configuration, reads the
              bundled sample SMF file and writes ECS, LEEF and flat files under ./out, then prints a summary.
          zertforwarder decode FILE|- [--format json|ecs|leef|flat] [--container auto|rdw|vbs] [--mappings DIR]
              Print one line per zERT record. json = IBM field names; ecs/leef/flat = the normalized outputs.
          zertforwarder generate --out FILE --count N [--seed S] [--container rdw|vbs]
              Write a synthetic SMF dump (realistic zERT traffic) for tests, benchmarks and demos.
          zertforwarder validate-mappings [DIR]
              Load and check the mapping files, list every problem, run nothing.
          zertforwarder bench [--records N] [--kafka] [--splunk URL [--splunk-token-file F] [--ack]]
              Measure decode + ECS throughput (and file-to-Kafka against kcat with --kafka,
              file-to-Splunk HEC with --splunk).
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            if (args.Length == 0) return await RunCommand.ExecuteAsync([]);
            Console.Out.WriteLine(Usage);
            return Success;
        }
        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "decode" => DecodeCommand.Execute(rest),
                "generate" => GenerateCommand.Execute(rest),
                "validate-mappings" => ValidateMappingsCommand.Execute(rest),
                "run" => await RunCommand.ExecuteAsync(rest),
                "bench" => await BenchCommand.ExecuteAsync(rest),
                _ => Fail($"unknown verb '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"zertforwarder: {message}");
        Console.Error.WriteLine("Run 'zertforwarder --help' for usage.");
        return UsageError;
    }
}

/// <summary>A command line that cannot be run as given.</summary>
internal sealed class UsageException(string message) : Exception(message);
