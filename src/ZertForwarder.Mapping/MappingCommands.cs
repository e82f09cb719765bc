using System.Buffers;
using ZertForwarder.Smf.Zert;

namespace ZertForwarder.Mapping;

/// <summary>The logic of the CLI verbs that belong to the mapping layer; the host wires arguments and streams.</summary>
public static class MappingCommands
{
    /// <summary>
    /// <c>validate-mappings [DIR]</c>: writes each problem to <paramref name="error"/> and returns 0 when there are none,
    /// 1 otherwise.
    /// </summary>
    public static int ValidateMappings(string directory, TextWriter output, TextWriter error)
    {
        var problems = MappingSet.Validate(directory);
        if (problems.Count == 0)
        {
            output.WriteLine($"{directory}: the mapping files are valid.");
            return 0;
        }
        error.WriteLine($"{directory}: {problems.Count} problem(s):");
        foreach (var p in problems) error.WriteLine("  - " + p);
        return 1;
    }

    /// <summary>Writes one record in <paramref name="format"/> (<c>ecs</c>, <c>leef</c> or <c>flat</c>) without a line end.</summary>
    public static void Write(ZertNormalizer normalizer, string format, ZertRecord record, IBufferWriter<byte> output)
    {
        switch (format)
        {
            case "ecs": normalizer.WriteEcs(record, output); break;
            case "leef": normalizer.WriteLeef(record, output); break;
            case "flat": normalizer.WriteFlat(record, output); break;
            default: throw new ArgumentException($"unknown format '{format}': use ecs, leef or flat", nameof(format));
        }
    }

    /// <summary>(Re)writes the Elasticsearch assets under <paramref name="mappingsDirectory"/> from the ECS rules.</summary>
    public static void WriteElasticsearchTemplates(MappingSet mappings, string mappingsDirectory)
    {
        foreach (var (path, json) in ElasticsearchTemplates.Build(mappings))
        {
            var full = Path.Combine(mappingsDirectory, "elasticsearch", path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, json);
        }
    }
}
