using ZertForwarder.Mapping;

namespace ZertForwarder.Commands;

/// <summary><c>validate-mappings [DIR]</c>: load and compile the mapping files, list every problem, run nothing.</summary>
internal static class ValidateMappingsCommand
{
    public static int Execute(IReadOnlyList<string> args)
    {
        // An option is no directory: '--bogus' was checked as one ("--bogus: mappings directory does not exist").
        var usage = new List<string>();
        var a = new Arguments(args, new HashSet<string>(), new HashSet<string>(), usage);
        if (a.Positional.Count > 1) usage.Add("validate-mappings takes at most one directory");
        if (usage.Count > 0) throw new UsageException(usage);
        var directory = a.Positional.FirstOrDefault() ?? MappingLoading.DefaultDirectory;
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
