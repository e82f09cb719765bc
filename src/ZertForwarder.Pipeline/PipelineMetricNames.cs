namespace ZertForwarder.Pipeline;

/// <summary>Names of the metrics the runners register (all labelled <c>sink</c>).</summary>
public static class PipelineMetricNames
{
    public const string EventsPublished = "zertforwarder_events_published_total";
    public const string EventsDeadLettered = "zertforwarder_events_dead_lettered_total";
    public const string EventsDropped = "zertforwarder_events_dropped_total";
    public const string SinkRetries = "zertforwarder_sink_retries_total";
    public const string SinkSendErrors = "zertforwarder_sink_send_errors_total";
    public const string BatchDuration = "zertforwarder_batch_duration_seconds";
    public const string BufferItems = "zertforwarder_buffer_items";
    public const string BufferBytes = "zertforwarder_buffer_bytes";
    public const string BufferWaitingWriters = "zertforwarder_buffer_waiting_writers";
}
