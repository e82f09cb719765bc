using ZertForwarder.Mapping;

namespace ZertForwarder.Commands;

/// <summary><c>validate-mappings [DIR]</c>: load and compile the mapping files, list every problem, run nothing.</summary>
internal static class ValidateMappingsCommand
{
    public static int Execute(IReadOnlyList<string> args)
    {
        if (args.Count > 1) throw new UsageException("validate-mappings takes at most one directory");
        var directory = args.Count == 1 ? args[0] : MappingLoading.DefaultDirectory;
        var problems = MappingSet.Validate(directory).ToList();
        // The CBOM's algorithm table is read by report, not by the record path: checked here too, so that a broken one
        // is found before a report stops on it.
        try
        {
            Reporting.AlgorithmCatalog.Load(Reporting.ReportGenerator.AlgorithmTable(directory));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            problems.Add(e.Message);
        }
        if (problems.Count == 0)
        {
            Console.Out.WriteLine($"{directory}: mapping files are valid.");
            return CommandLine.Success;
        }
        Console.Error.WriteLine($"{directory}: {problems.Count} problem(s):");
        foreach (var problem in problems) Console.Error.WriteLine($"  - {problem}");
        return CommandLine.UsageError;
    }
}
