using ZertForwarder.Sinks.Files;

namespace ZertForwarder.Forwarding;

/// <summary>Which encodings the configured sinks need, so that each record is only encoded into those.</summary>
internal readonly record struct OutputFormats(bool Ecs, bool Leef, bool Flat)
{
    /// <summary>A Kafka output is configured: the key and event id are also encoded to UTF-8 on the mapping workers.</summary>
    public bool KafkaFields { get; init; }

    public static OutputFormats For(OutputSettings outputs)
    {
        bool ecs = false, leef = false, flat = false;
        if (outputs.Kafka is { } kafka)
        {
            if (kafka.Format == Sinks.Kafka.KafkaValueFormat.Leef) leef = true; else ecs = true;
            if (!string.IsNullOrEmpty(kafka.LeefTopic)) leef = true;
        }
        if (outputs.Elasticsearch is not null) ecs = true;
        if (outputs.Syslog is not null) leef = true;
        if (outputs.Splunk is not null) ecs = true; // the HEC envelope embeds the ECS document
        if (outputs.File is { } file)
        {
            foreach (var format in file.EffectiveFormats())
            {
                switch (format)
                {
                    case FileFormat.Ecs: ecs = true; break;
                    case FileFormat.Leef: leef = true; break;
                    default: flat = true; break;
                }
            }
        }
        return new OutputFormats(ecs, leef, flat) { KafkaFields = outputs.Kafka is not null };
    }
}
