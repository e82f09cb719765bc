using Microsoft.Extensions.Logging;
using ZertForwarder.Mapping;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Elasticsearch;
using ZertForwarder.Sinks.Files;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Sinks.Splunk;
using ZertForwarder.Sinks.Syslog;

namespace ZertForwarder.Forwarding;

/// <summary>
/// Every setting of <c>run</c>. Section and property names are the configuration keys (README "Configuration"):
/// JSON <c>{"Outputs":{"Kafka":{"Topic":...}}}</c>, environment <c>ZERTFORWARDER_Outputs__Kafka__Topic</c>, command line
/// <c>Outputs:Kafka:Topic=...</c>. An output or input is enabled by configuring its section.
/// </summary>
public sealed class ForwarderOptions
{
    public InputSettings Input { get; set; } = new();
    public OutputSettings Outputs { get; set; } = new();
    public DeadLetterSettings DeadLetter { get; set; } = new();
    public CheckpointSettings Checkpoint { get; set; } = new();
    public MappingSettings Mappings { get; set; } = new();
    public ZosSettings Zos { get; set; } = new();
    public AssessmentSettings Assessment { get; set; } = new();
    public MetricsSettings Metrics { get; set; } = new();
    public LoggingSettings Logging { get; set; } = new();
    public ShutdownSettings Shutdown { get; set; } = new();

    /// <summary>Kibana, for the <c>setup</c> verb only.</summary>
    public KibanaSettings? Kibana { get; set; }

    /// <summary>Buffering, batching and retry of every sink runner.</summary>
    public SinkRunnerOptions Pipeline { get; set; } = new();

    /// <summary>How much memory the managed heap of <c>run</c> may use (see the program's HeapLimit).</summary>
    public MemorySettings Memory { get; set; } = new();
}

public sealed class MemorySettings
{
    /// <summary>
    /// Managed heap limit in MB for <c>run</c>. Unset: 64 MB plus twice the buffer bytes of every configured output
    /// (<c>Pipeline:BufferBytes</c> each), unless the runtime already has a lower limit (a container memory limit,
    /// <c>DOTNET_GCHeapHardLimit</c>). 0: the forwarder sets none.
    /// </summary>
    public int? HeapLimitMB { get; set; }
}

public sealed class InputSettings
{
    /// <summary>SMF dump files or globs (<c>*</c>, <c>?</c> in the file name), read in order; <c>-</c> is standard input.</summary>
    public string[] Paths { get; set; } = [];

    /// <summary>auto | rdw | vbs (layout spec §C).</summary>
    public SmfContainer Container { get; set; } = SmfContainer.Auto;

    /// <summary>A directory watched for new dumps.</summary>
    public WatchSettings? Watch { get; set; }

    /// <summary>A Kafka topic of raw SMF records (one logical record with its RDW per message).</summary>
    public KafkaRecordSourceOptions? Kafka { get; set; }
}

public sealed class WatchSettings
{
    public string Directory { get; set; } = "";

    /// <summary>File-name pattern of dumps to pick up.</summary>
    public string Pattern { get; set; } = "*";

    /// <summary>What happens to a dump once every record is delivered: move (to CompletedDirectory), mark (a .done file beside it) or delete.</summary>
    public CompletedAction CompletedAction { get; set; } = CompletedAction.Move;

    public string? CompletedDirectory { get; set; }

    /// <summary>How often the directory is scanned.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A file is read only once its size has not changed for this long (it may still be landing).</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(2);
}

public sealed class OutputSettings
{
    public KafkaSinkOptions? Kafka { get; set; }
    public ElasticsearchSinkOptions? Elasticsearch { get; set; }
    public SyslogSinkOptions? Syslog { get; set; }
    public FileSinkOptions? File { get; set; }
    public SplunkHecSinkOptions? Splunk { get; set; }
}

public sealed class DeadLetterSettings
{
    /// <summary>Directory for dead-letter NDJSON files (default: under the checkpoint directory).</summary>
    public string? Directory { get; set; }

    /// <summary>Kafka topic for dead letters instead of files (uses the Outputs:Kafka connection).</summary>
    public string? KafkaTopic { get; set; }

    /// <summary>Also dead-letter malformed SMF records (raw bytes as hex with the reason).</summary>
    public bool MalformedRecords { get; set; } = true;

    /// <summary>Size past which the dead-letter file is renamed to <c>dead-letters.ndjson.N</c> and a new one begun (0: never).</summary>
    public long RotateBytes { get; set; } = FileDeadLetterOutput.DefaultRotateBytes;
}

public sealed class CheckpointSettings
{
    /// <summary>Where file-input checkpoints (byte offsets delivered) are kept.</summary>
    public string Directory { get; set; } = "state";

    /// <summary>Least time between two checkpoint writes.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Checkpoints of completed input files gone longer than this are dropped at start (0: never).</summary>
    public TimeSpan ForgetMissingAfter { get; set; } = TimeSpan.FromDays(30);
}

public sealed class MappingSettings
{
    /// <summary>Mapping files directory; default: the mappings shipped next to the program.</summary>
    public string? Directory { get; set; }

    /// <summary>Surface bytes 0-47 of the enforcement section as the rule name (layout spec §2.6, unconfirmed layout).</summary>
    public bool EnforcementRuleName { get; set; }

    /// <summary>none | hash | drop: how certificate subject / issuer DNs are written in ECS, LEEF and flat.</summary>
    public DnRedaction RedactDistinguishedNames { get; set; } = DnRedaction.None;

    /// <summary>Longest LEEF line in bytes (0 = no limit), with the syslog output the longest syslog message; longer lines get their longest DNs shortened.</summary>
    public int LeefMaxLineLength { get; set; } = ZertForwarder.Mapping.MappingOptions.DefaultLeefMaxLineLength;

    /// <summary>Write the raw enforcement section hex into LEEF lines too.</summary>
    public bool LeefEnforcementRaw { get; set; }
}

public sealed class AssessmentSettings
{
    /// <summary>default (mappings/assessment/policy.json) or a profile of mappings/assessment/profiles/ (nist-sp800-52r2, bsi-tr-02102-2).</summary>
    public string Profile { get; set; } = "default";
}

public sealed class ZosSettings
{
    /// <summary>UTC offset of each SMF system id's local time, e.g. <c>"SYSA": "-05:00"</c> (output contract §1). Default +00:00.</summary>
    public Dictionary<string, string> UtcOffsets { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class MetricsSettings
{
    /// <summary>Port of /metrics, /healthz and /readyz; 0 (the default) serves nothing.</summary>
    public int Port { get; set; }

    /// <summary>Address to listen on when Port is set.</summary>
    public string Address { get; set; } = "127.0.0.1";
}

public sealed class ShutdownSettings
{
    /// <summary>
    /// After SIGTERM/SIGINT, how long buffered events may take to be delivered before the run gives up on them (they
    /// stay unacknowledged and are read again on restart). Keep it below the pod's terminationGracePeriodSeconds.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class LoggingSettings
{
    /// <summary>Trace, Debug, Information, Warning, Error.</summary>
    public LogLevel Level { get; set; } = LogLevel.Information;

    /// <summary>auto (text on a terminal, JSON otherwise), text or json.</summary>
    public LogFormat Format { get; set; } = LogFormat.Auto;

    /// <summary>Show a progress bar for file inputs when stderr is a terminal.</summary>
    public bool Progress { get; set; } = true;
}

/// <summary>What happens to a watched dump once every record in it is delivered (<c>Input:Watch:CompletedAction</c>).</summary>
public enum CompletedAction
{
    /// <summary>Moved to <see cref="WatchSettings.CompletedDirectory"/>.</summary>
    Move,

    /// <summary>Left in place with a <c>.done</c> file beside it that names the file it marks (size, modification time, first bytes).</summary>
    Mark,

    /// <summary>Deleted.</summary>
    Delete,
}

/// <summary>How log lines are written to stderr (<c>Logging:Format</c>).</summary>
public enum LogFormat
{
    /// <summary>Text on a terminal, JSON lines otherwise.</summary>
    Auto,
    Text,
    Json,
}
