using System.Runtime.InteropServices;

namespace ZertForwarder.TestKit;

/// <summary>
/// librdkafka's built-in mock cluster as a standalone set of brokers on 127.0.0.1 that any client reaches over TCP,
/// with fault injection. The forwarder's tests and its <c>bench --kafka</c> command use it, so neither needs a real
/// broker. The mock API is experimental, so Confluent.Kafka and librdkafka.redist are pinned to exact versions.
/// </summary>
/// <remarks>
/// The functions are bound with <see cref="NativeLibrary.GetExport"/> on the same file Confluent.Kafka loads
/// (<c>librdkafka.so</c>, else the static <c>centos8-librdkafka.so</c> on systems without libsasl2.so.3), instead of a
/// <c>DllImportResolver</c>, which can be installed only once per test assembly.
/// </remarks>
public sealed class MockKafkaCluster : IDisposable
{
    /// <summary>Kafka protocol ApiKey of Produce.</summary>
    public const short ProduceApiKey = 0;

    private readonly IntPtr _rk;
    private readonly IntPtr _mc;
    private bool _disposed;

    public MockKafkaCluster(int brokers = 3)
    {
        var errors = Marshal.AllocHGlobal(512);
        try
        {
            var conf = Native.ConfNew();
            Native.ConfSet(conf, "log_level", "3", errors, 512);
            _rk = Native.New(0 /* producer */, conf, errors, 512);
            if (_rk == IntPtr.Zero)
            {
                throw new InvalidOperationException("rd_kafka_new failed: " + Marshal.PtrToStringUTF8(errors));
            }
        }
        finally
        {
            Marshal.FreeHGlobal(errors);
        }

        _mc = Native.MockClusterNew(_rk, brokers);
        if (_mc == IntPtr.Zero)
        {
            Native.Destroy(_rk);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        BootstrapServers = Marshal.PtrToStringUTF8(Native.MockClusterBootstraps(_mc))!;
        // The mock delays the first group rebalance by 3 s like a real broker; tests need no such wait.
        Native.GroupInitialRebalanceDelayMs(_mc, 0);
    }

    public string BootstrapServers { get; }

    public void CreateTopic(string topic, int partitions, int replicationFactor = 3) =>
        Check(Native.TopicCreate(_mc, topic, partitions, replicationFactor), $"create topic {topic}");

    public void SetLeader(string topic, int partition, int brokerId) =>
        Check(Native.PartitionSetLeader(_mc, topic, partition, brokerId), $"set leader of {topic}[{partition}]");

    public void BrokerDown(int brokerId) => Check(Native.BrokerSetDown(_mc, brokerId), $"take broker {brokerId} down");

    public void BrokerUp(int brokerId) => Check(Native.BrokerSetUp(_mc, brokerId), $"bring broker {brokerId} up");

    /// <summary>The next requests of <paramref name="apiKey"/> (to any broker) fail with these Kafka error codes, in order.</summary>
    public void PushRequestErrors(short apiKey, params int[] errorCodes) =>
        Native.PushRequestErrorsArray(_mc, apiKey, (UIntPtr)errorCodes.Length, errorCodes);

    /// <summary>
    /// The next request of <paramref name="apiKey"/> to <paramref name="brokerId"/> is handled normally (appended)
    /// but answered only after <paramref name="rttMs"/>: with a lower socket timeout the client times out after append.
    /// </summary>
    public void DelayNextResponse(int brokerId, short apiKey, int rttMs) =>
        Check(Native.BrokerPushRequestErrorRtts(_mc, brokerId, apiKey, (UIntPtr)1, 0, rttMs), $"delay broker {brokerId}");

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Native.MockClusterDestroy(_mc);
        Native.Destroy(_rk);
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"mock cluster: {what} failed with error {error}");
        }
    }

    private static class Native
    {
        private static readonly IntPtr Library = Load();

        public static readonly ConfNewFn ConfNew = Bind<ConfNewFn>("rd_kafka_conf_new");
        public static readonly ConfSetFn ConfSet = Bind<ConfSetFn>("rd_kafka_conf_set");
        public static readonly NewFn New = Bind<NewFn>("rd_kafka_new");
        public static readonly PtrFn Destroy = Bind<PtrFn>("rd_kafka_destroy");
        public static readonly MockClusterNewFn MockClusterNew = Bind<MockClusterNewFn>("rd_kafka_mock_cluster_new");
        public static readonly PtrFn MockClusterDestroy = Bind<PtrFn>("rd_kafka_mock_cluster_destroy");
        public static readonly PtrToPtrFn MockClusterBootstraps = Bind<PtrToPtrFn>("rd_kafka_mock_cluster_bootstraps");
        public static readonly TopicCreateFn TopicCreate = Bind<TopicCreateFn>("rd_kafka_mock_topic_create");
        public static readonly TopicCreateFn PartitionSetLeader = Bind<TopicCreateFn>("rd_kafka_mock_partition_set_leader");
        public static readonly BrokerFn BrokerSetDown = Bind<BrokerFn>("rd_kafka_mock_broker_set_down");
        public static readonly BrokerFn BrokerSetUp = Bind<BrokerFn>("rd_kafka_mock_broker_set_up");
        public static readonly PushErrorsArrayFn PushRequestErrorsArray = Bind<PushErrorsArrayFn>("rd_kafka_mock_push_request_errors_array");
        public static readonly PushErrorRttsFn BrokerPushRequestErrorRtts = Bind<PushErrorRttsFn>("rd_kafka_mock_broker_push_request_error_rtts");
        public static readonly GroupDelayFn GroupInitialRebalanceDelayMs = Bind<GroupDelayFn>("rd_kafka_mock_group_initial_rebalance_delay_ms");

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr ConfNewFn();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int ConfSetFn(IntPtr conf, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, IntPtr errstr, nuint errstrSize);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr NewFn(int type, IntPtr conf, IntPtr errstr, nuint errstrSize);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void PtrFn(IntPtr handle);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr PtrToPtrFn(IntPtr handle);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr MockClusterNewFn(IntPtr rk, int brokerCount);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int TopicCreateFn(IntPtr mc, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int a, int b);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int BrokerFn(IntPtr mc, int brokerId);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void PushErrorsArrayFn(IntPtr mc, short apiKey, UIntPtr count, int[] errors);

        // C-variadic (count pairs of error, rtt); fixed int arguments are passed like variadic ones on x86-64 SysV.
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int PushErrorRttsFn(IntPtr mc, int brokerId, short apiKey, UIntPtr count, int error1, int rtt1);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void GroupDelayFn(IntPtr mc, int delayMs);

        private static T Bind<T>(string name)
            where T : Delegate =>
            Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(Library, name));

        /// <summary>Same candidates, same order as Confluent.Kafka's loader, so both resolve to the same file.</summary>
        private static IntPtr Load()
        {
            var directory = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
            foreach (var file in new[] { "librdkafka.so", "centos8-librdkafka.so" })
            {
                if (NativeLibrary.TryLoad(Path.Combine(directory, file), out var handle))
                {
                    return handle;
                }
            }

            throw new DllNotFoundException($"librdkafka not found in {directory}");
        }
    }
}
