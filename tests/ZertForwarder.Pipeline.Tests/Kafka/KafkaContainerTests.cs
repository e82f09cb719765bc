using System.Net.Sockets;
using DotNet.Testcontainers.Builders;
using Testcontainers.Kafka;
using ZertForwarder.Forwarding;
using ZertForwarder.Sinks.Kafka;

namespace ZertForwarder.Pipeline.Tests.Kafka;

/// <summary>Whether a Docker daemon is reachable, without asking Testcontainers (guide test-infrastructure §3).</summary>
/// <remarks>Not named <c>Docker</c>: that clashes with the Docker.DotNet namespace (CS0437).</remarks>
internal static class DockerProbe
{
    public static bool Available()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        var path = host is { } h && h.StartsWith("unix://", StringComparison.Ordinal) ? h["unix://".Length..]
            : host is null ? "/var/run/docker.sock"
            : null;
        if (path is null)
        {
            return true; // tcp://...: let Testcontainers decide
        }

        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>
/// The sink against a real Kafka broker (confluentinc/cp-kafka) in a container. Docker is not expected in CI, so
/// these skip with the reason when no daemon is reachable, also under ZERT_REQUIRE_TOOLS=1.
/// </summary>
public sealed class KafkaContainerTests
{
    private const string Image = "confluentinc/cp-kafka:7.5.0";

    [SkippableFact]
    public async Task Sink_delivers_to_a_real_broker_and_an_independent_consumer_reads_every_event_once()
    {
        Skip.IfNot(DockerProbe.Available(), "no Docker daemon (/var/run/docker.sock or DOCKER_HOST)");
        KafkaContainer container;
        try
        {
            container = new KafkaBuilder(Image).Build();
        }
        catch (DockerUnavailableException e)
        {
            throw new SkipException("no Docker daemon: " + e.Message.Split('\n')[0]);
        }

        await using (container)
        {
            await container.StartAsync();
            var bootstrap = container.GetBootstrapAddress();
            await using (var sink = new KafkaSink(new KafkaSinkOptions { BootstrapServers = bootstrap, Topic = "zert-real", Compression = "zstd" }))
            {
                await sink.StartAsync(CancellationToken.None);
                var batch = SampleEvents.Range(0, 300);
                var outcome = new BatchOutcome(batch.Count);
                await sink.SendAsync(batch, outcome, CancellationToken.None);
                Assert.All(Enumerable.Range(0, batch.Count), i => Assert.Equal(ItemOutcome.Delivered, outcome[i]));
            }

            var records = KafkaReadBack.ReadAll(bootstrap, "zert-real", 300, TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(0, 300), records.Select(r => r.Sequence).Order());
            Assert.All(records, r => Assert.Equal(SampleEvents.EventIdOf(r.Sequence), r.Headers["event_id"]));
        }
    }

    [SkippableFact]
    public async Task Source_commits_only_acknowledged_records_on_a_real_broker()
    {
        Skip.IfNot(DockerProbe.Available(), "no Docker daemon (/var/run/docker.sock or DOCKER_HOST)");
        KafkaContainer container;
        try
        {
            container = new KafkaBuilder(Image).Build();
        }
        catch (DockerUnavailableException e)
        {
            throw new SkipException("no Docker daemon: " + e.Message.Split('\n')[0]);
        }

        await using (container)
        {
            await container.StartAsync();
            var bootstrap = container.GetBootstrapAddress();
            using (var producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, byte[]>(
                new Confluent.Kafka.ProducerConfig { BootstrapServers = bootstrap }).Build())
            {
                for (var i = 0; i < 20; i++)
                {
                    producer.Produce("smf-real", new Confluent.Kafka.Message<Confluent.Kafka.Null, byte[]> { Value = [0, 8, 0, 0, (byte)i, 0, 0, 0] });
                }

                producer.Flush(TimeSpan.FromSeconds(30));
            }

            var options = new KafkaRecordSourceOptions { BootstrapServers = bootstrap, Topic = "smf-real", GroupId = "real" };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using (var first = new KafkaRecordSource(options, sinkCount: 1))
            {
                var seen = 0;
                await foreach (var record in first.ReadAsync(timeout.Token))
                {
                    if (record.Offset < 12)
                    {
                        record.Acknowledgement.Complete();
                    }

                    if (++seen == 20)
                    {
                        break;
                    }
                }
            }

            await using var second = new KafkaRecordSource(options, sinkCount: 1);
            await foreach (var record in second.ReadAsync(timeout.Token))
            {
                Assert.Equal(12, record.Offset);
                break;
            }
        }
    }
}
