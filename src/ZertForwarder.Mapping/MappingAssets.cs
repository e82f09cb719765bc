namespace ZertForwarder.Mapping;

/// <summary>Maintenance of the generated mapping assets (the golden-file switch regenerates the Elasticsearch templates with it).</summary>
public static class MappingAssets
{
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
