using System.Buffers;
using BenchmarkDotNet.Attributes;
using ZertForwarder.Generator;
using ZertForwarder.Mapping;
using ZertForwarder.Pipeline;
using ZertForwarder.Sinks.Kafka;
using ZertForwarder.Smf.Framing;
using ZertForwarder.Smf.Zert;
using GeneratorContainer = ZertForwarder.Generator.Containers.SmfContainer;

namespace ZertForwarder.Benchmarks;

/// <summary>
/// Each stage of one record's way from dump bytes to a Kafka message, on the same generated records the product's
/// tests use. Figures are per operation (one record, or one dump of <see cref="DumpRecords"/> records for framing);
/// the memory diagnoser shows what each allocates.
/// </summary>
[MemoryDiagnoser]
public class RecordPathBenchmarks
{
    private const int DumpRecords = 1000;
    private const ulong Seed = 7;

    private byte[] _vbsDump = [];
    private byte[] _rdwDump = [];
    private byte[] _connection = [];
    private byte[] _summary = [];
    private ZertRecord _connectionRecord = null!;
    private ZertRecord _summaryRecord = null!;
    private ZertNormalizer _normalizer = null!;
    private readonly ArrayBufferWriter<byte> _output = new(1 << 16);
    private readonly KafkaMessageBuilder _messages = new();
    private ForwardedEvent _event = null!;
    private ForwardedEvent _prebuiltEvent = null!;
    private byte[] _ecs = [];
    private static readonly byte[] ContentType = "application/json"u8.ToArray();

    [GlobalSetup]
    public void Setup()
    {
        _vbsDump = SmfDumpGenerator.GenerateDump(Seed, DumpRecords, GeneratorContainer.Vbs);
        _rdwDump = SmfDumpGenerator.GenerateDump(Seed, DumpRecords, GeneratorContainer.Rdw);
        var records = SmfDumpGenerator.GenerateRecords(Seed, DumpRecords, includeForeignRecords: false);
        _connection = records.First(r => r.Subtype == 11).Bytes;
        _summary = records.First(r => r.Subtype == 12).Bytes;
        _connectionRecord = ZertRecordParser.Parse(_connection).Record!;
        _summaryRecord = ZertRecordParser.Parse(_summary).Record!;
        _normalizer = MappingSet.Load(Path.Combine(AppContext.BaseDirectory, "mappings"), new MappingOptions()).CreateNormalizer();
        var envelope = _normalizer.Describe(_connectionRecord);
        _output.ResetWrittenCount();
        _normalizer.WriteEcs(_connectionRecord, _output);
        _event = new ForwardedEvent
        {
            EventId = System.Text.Encoding.ASCII.GetString(envelope.EventIdUtf8),
            Dataset = envelope.Dataset,
            Key = envelope.Key,
            SmfSystemId = envelope.SmfSystemId,
            Ecs = _output.WrittenSpan.ToArray(),
        };
        _ecs = _event.Ecs.ToArray();
        _prebuiltEvent = new ForwardedEvent
        {
            Dataset = envelope.Dataset,
            Key = envelope.Key,
            SmfSystemId = envelope.SmfSystemId,
            Ecs = _ecs,
            KeyUtf8 = envelope.Key is null ? null : System.Text.Encoding.UTF8.GetBytes(envelope.Key),
            EventIdUtf8 = envelope.EventIdUtf8,
        };
    }

    /// <summary>Framing a VBS dump (block and segment descriptors, spanned records reassembled).</summary>
    [Benchmark(OperationsPerInvoke = DumpRecords)]
    public int FrameVbs() => Frame(_vbsDump);

    /// <summary>Framing an RDW dump.</summary>
    [Benchmark(OperationsPerInvoke = DumpRecords)]
    public int FrameRdw() => Frame(_rdwDump);

    [Benchmark]
    public ZertParseStatus DecodeSubtype11() => ZertRecordParser.Parse(_connection).Status;

    [Benchmark]
    public ZertParseStatus DecodeSubtype12() => ZertRecordParser.Parse(_summary).Status;

    [Benchmark]
    public int EcsSubtype11() => Write(_normalizer.WriteEcs, _connectionRecord);

    [Benchmark]
    public int EcsSubtype12() => Write(_normalizer.WriteEcs, _summaryRecord);

    [Benchmark]
    public int LeefSubtype11() => Write(_normalizer.WriteLeef, _connectionRecord);

    [Benchmark]
    public int FlatSubtype11() => Write(_normalizer.WriteFlat, _connectionRecord);

    /// <summary>The Kafka sink's work per message before librdkafka: key, headers, event id (bytes built by the host).</summary>
    [Benchmark]
    public int KafkaMessageBuild() => _messages.Build(_prebuiltEvent, _ecs, ContentType).Headers.Count;

    /// <summary>The same when the key and event id bytes are not built by the host (the sink encodes them).</summary>
    [Benchmark]
    public int KafkaMessageBuildEncodingKey() => _messages.Build(_event, _ecs, ContentType).Headers.Count;

    private static int Frame(byte[] dump)
    {
        using var reader = new SmfRecordReader(new MemoryStream(dump, writable: false));
        var count = 0;
        while (reader.TryReadNext(out var frame))
        {
            if (!frame.IsError) count++;
        }
        return count;
    }

    private int Write(Action<ZertRecord, IBufferWriter<byte>> write, ZertRecord record)
    {
        _output.ResetWrittenCount();
        write(record, _output);
        return _output.WrittenCount;
    }
}
