using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using ZertForwarder.Pipeline;

namespace ZertForwarder.Sinks.Splunk;

/// <summary>
/// Writes one HEC event envelope per event (<c>/services/collector/event</c> format): <c>time</c>, <c>host</c>,
/// <c>source</c>, <c>sourcetype</c>, <c>index</c>, indexed <c>fields</c> and the ECS document as <c>event</c>. The ECS
/// bytes are embedded as they are (no re-serialization); only the three values the envelope needs are read from them.
/// </summary>
internal sealed class HecEnvelopeWriter(string source, string? index)
{
    /// <summary>Sourcetype of subtype 11 (connection detail) records.</summary>
    public const string ConnectionSourcetype = "zos:zert:connection";

    /// <summary>Sourcetype of subtype 12 (security-session summary) records.</summary>
    public const string SummarySourcetype = "zos:zert:summary";

    /// <summary>Indexed field: the SMF system id (SMF119SID).</summary>
    public const string SystemField = "zert_system";

    /// <summary>Indexed field: the ECS dataset (<c>zos.zert_connection</c> / <c>zos.zert_summary</c>).</summary>
    public const string DatasetField = "zert_dataset";

    /// <summary>Indexed field: the crypto assessment level (<c>zos.zert.assessment.level</c>).</summary>
    public const string AssessmentField = "zert_assessment_level";

    /// <summary>The sourcetype of an event's dataset, or null for a dataset this sink does not know.</summary>
    public static string? SourcetypeOf(string dataset) => dataset switch
    {
        "zos.zert_connection" => ConnectionSourcetype,
        "zos.zert_summary" => SummarySourcetype,
        _ => null,
    };

    /// <summary>Appends the envelope of <paramref name="forwardedEvent"/> to <paramref name="output"/>; returns why it cannot be written, or null.</summary>
    public string? TryWrite(ForwardedEvent forwardedEvent, IBufferWriter<byte> output, Utf8JsonWriter writer)
    {
        if (forwardedEvent.Ecs.IsEmpty)
        {
            return "event has no ECS encoding";
        }

        var sourcetype = SourcetypeOf(forwardedEvent.Dataset);
        if (sourcetype is null)
        {
            return $"dataset '{forwardedEvent.Dataset}' has no Splunk sourcetype";
        }

        var facts = EcsFacts.Read(forwardedEvent.Ecs.Span);
        if (facts.EpochMilliseconds is not { } epochMilliseconds)
        {
            return "ECS document has no readable @timestamp";
        }

        writer.Reset(output);
        writer.WriteStartObject();
        // HEC `time`: epoch seconds with a fractional part; milliseconds are what @timestamp carries (output contract §1).
        writer.WritePropertyName("time"u8);
        Span<byte> number = stackalloc byte[32];
        writer.WriteRawValue(number[..FormatEpochSeconds(epochMilliseconds, number)], skipInputValidation: true);
        writer.WriteString("host"u8, facts.HostName ?? forwardedEvent.SmfSystemId);
        writer.WriteString("source"u8, source);
        writer.WriteString("sourcetype"u8, sourcetype);
        if (index is not null)
        {
            writer.WriteString("index"u8, index);
        }

        writer.WriteStartObject("fields"u8);
        writer.WriteString(SystemField, forwardedEvent.SmfSystemId);
        writer.WriteString(DatasetField, forwardedEvent.Dataset);
        if (facts.AssessmentLevel is not null)
        {
            writer.WriteString(AssessmentField, facts.AssessmentLevel);
        }

        writer.WriteEndObject();
        writer.WritePropertyName("event"u8);
        writer.WriteRawValue(forwardedEvent.Ecs.Span, skipInputValidation: true);
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8); // HEC accepts concatenated objects; a newline keeps a captured body readable
        return null;
    }

    /// <summary>
    /// Writes <c>seconds.mmm</c> (invariant, always three decimals) and returns its length. Before 1970 the sign goes in
    /// front of the whole number: -500 ms is <c>-0.500</c> (a floored second with a positive fraction read as -1.500).
    /// </summary>
    internal static int FormatEpochSeconds(long epochMilliseconds, Span<byte> destination)
    {
        var written = 0;
        if (epochMilliseconds < 0) destination[written++] = (byte)'-';
        var magnitude = epochMilliseconds < 0 ? (ulong)(-(epochMilliseconds + 1)) + 1 : (ulong)epochMilliseconds;
        var seconds = magnitude / 1000;
        var milliseconds = magnitude % 1000;
        Utf8Formatter.TryFormat(seconds, destination[written..], out var digits);
        written += digits;
        destination[written++] = (byte)'.';
        Utf8Formatter.TryFormat(milliseconds, destination[written..], out var fraction, new StandardFormat('D', 3));
        return written + fraction;
    }

    /// <summary>The values the envelope takes from the ECS document.</summary>
    internal readonly record struct EcsFacts(long? EpochMilliseconds, string? HostName, string? AssessmentLevel)
    {
        /// <summary>Reads <c>@timestamp</c>, <c>host.name</c> and <c>zos.zert.assessment.level</c> in one forward pass.</summary>
        public static EcsFacts Read(ReadOnlySpan<byte> ecs)
        {
            long? time = null;
            string? host = null, level = null;
            var reader = new Utf8JsonReader(ecs);
            // The property names on the way down from the root to the current value (depth 1 is the root object).
            Span<int> path = stackalloc int[4];
            try
            {
                while (reader.Read())
                {
                    if (reader.TokenType != JsonTokenType.PropertyName)
                    {
                        continue;
                    }

                    var depth = reader.CurrentDepth; // 1 for the root object's properties
                    if (depth > path.Length)
                    {
                        reader.Skip();
                        continue;
                    }

                    var name = NameOf(ref reader);
                    path[depth - 1] = name;
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        if (reader.TokenType is JsonTokenType.StartObject && IsOnPath(path, depth))
                        {
                            continue; // descend
                        }

                        reader.Skip();
                        continue;
                    }

                    if (depth == 1 && name == Timestamp &&
                        DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    {
                        time = parsed.ToUnixTimeMilliseconds();
                    }
                    else if (depth == 2 && path[0] == Host && name == Name)
                    {
                        host = reader.GetString();
                    }
                    else if (depth == 4 && path[0] == Zos && path[1] == Zert && path[2] == Assessment && name == Level)
                    {
                        level = reader.GetString();
                    }
                }
            }
            catch (JsonException)
            {
                // a truncated document: keep what was found; a missing @timestamp rejects the event
            }

            return new EcsFacts(time, host, level);
        }

        private const int Other = 0, Timestamp = 1, Host = 2, Name = 3, Zos = 4, Zert = 5, Assessment = 6, Level = 7;

        private static int NameOf(ref Utf8JsonReader reader) =>
            reader.ValueTextEquals("@timestamp"u8) ? Timestamp :
            reader.ValueTextEquals("host"u8) ? Host :
            reader.ValueTextEquals("name"u8) ? Name :
            reader.ValueTextEquals("zos"u8) ? Zos :
            reader.ValueTextEquals("zert"u8) ? Zert :
            reader.ValueTextEquals("assessment"u8) ? Assessment :
            reader.ValueTextEquals("level"u8) ? Level :
            Other;

        /// <summary>Whether the object just opened at <paramref name="depth"/> leads to one of the wanted values.</summary>
        private static bool IsOnPath(Span<int> path, int depth) => depth switch
        {
            1 => path[0] is Host or Zos,
            2 => path[0] == Zos && path[1] == Zert,
            3 => path[0] == Zos && path[1] == Zert && path[2] == Assessment,
            _ => false,
        };
    }
}
