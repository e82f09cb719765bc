using System.Text;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.Sinks.Files;
using ZertForwarder.TestKit;
using static ZertForwarder.TestKit.UnixModes;

namespace ZertForwarder.Pipeline.Tests.Files;

/// <summary>The tests that set the process's umask, which every test running beside them would share: run alone.</summary>
[CollectionDefinition(nameof(UmaskCollection), DisableParallelization = true)]
public sealed class UmaskCollection;

/// <summary>
/// zERT records carry addresses, user ids, job names and certificate names. The file output's files, the dead letters
/// and the checkpoint were created 0666 less the umask, so under the common umask 022 every local user could read them;
/// now a file the forwarder creates is 0600 (the file output's: Outputs:File:Permissions), the umask still removing
/// bits, and a file that exists keeps its mode.
/// </summary>
[Collection(nameof(UmaskCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CreatedFileModeTests : IDisposable
{
    private static readonly UnixFileMode Umask022 = Mode("022");
    private readonly string _directory = Directory.CreateTempSubdirectory("zert-modes-").FullName;
    private readonly ProcessUmask _umask = ProcessUmask.Set(Umask022);

    public void Dispose()
    {
        _umask.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task WriteAsync(FileSinkOptions options, IReadOnlyList<ForwardedEvent> events)
    {
        await using var sink = new FileSink(options);
        await sink.StartAsync(CancellationToken.None);
        foreach (var one in events.Chunk(2))
        {
            var outcome = new BatchOutcome(one.Length);
            await sink.SendAsync(one, outcome, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Output_dead_letter_and_checkpoint_files_and_the_files_after_a_rotation_are_created_0600()
    {
        var output = Path.Combine(_directory, "out");
        await WriteAsync(new FileSinkOptions { Directory = output, Formats = ["ecs", "leef"], RotateBytes = 200 }, TestEvents.Many(6));

        var deadLetters = Path.Combine(_directory, "dlq", "dead-letters.ndjson");
        var lineLength = FileDeadLetterOutput.Format(TestEvents.Create(0), "kafka", "retry limit exceeded", DateTimeOffset.UnixEpoch).Length + 1;
        await using (var dlq = new FileDeadLetterOutput(deadLetters, new ObservedTimeProvider(), rotateBytes: lineLength + 10))
        {
            for (var i = 0; i < 3; i++) await dlq.WriteAsync(TestEvents.Create(i), "kafka", "retry limit exceeded", CancellationToken.None);
        }

        var input = Path.Combine(_directory, "dump.smf");
        File.WriteAllBytes(input, new byte[100]);
        string checkpoint;
        using (var checkpoints = new FileCheckpointStore(Path.Combine(_directory, "state"), TimeSpan.Zero))
        {
            checkpoints.Commit(input, 100);
            checkpoints.Commit(input, 100); // written again: a new file renamed over the first
            checkpoint = checkpoints.CheckpointPath;
        }

        var outputs = Directory.GetFiles(output).Order(StringComparer.Ordinal).ToList();
        Assert.Contains(Path.Combine(output, "zert-ecs.ndjson.1"), outputs); // rotated: the current files were created by a rotation
        Assert.Contains(Path.Combine(output, "zert-leef.log.1"), outputs);
        var deadLetterFiles = Directory.GetFiles(Path.GetDirectoryName(deadLetters)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([deadLetters, deadLetters + ".1", deadLetters + ".2"], deadLetterFiles);
        var created = outputs.Concat(deadLetterFiles).Append(checkpoint).ToList();
        Assert.Equal(created.Select(file => (file, "0600")), created.Select(file => (file, ModeOf(file))));
    }

    [Theory]
    [InlineData("0640", "022", "0640")]
    [InlineData("640", "022", "0640")]
    [InlineData("0644", "027", "0640")] // the umask removes bits ...
    [InlineData("0640", "077", "0600")]
    [InlineData("0600", "000", "0600")] // ... and adds none
    public async Task Outputs_File_Permissions_is_the_mode_of_the_file_outputs_new_files_less_the_umask(string permissions, string umask, string expected)
    {
        var output = Path.Combine(_directory, "out");
        using (ProcessUmask.Set(Mode(umask)))
        {
            await WriteAsync(new FileSinkOptions { Directory = output, Formats = ["ecs", "flat"], RotateBytes = 200, Permissions = permissions }, TestEvents.Many(6));
        }

        var files = Directory.GetFiles(output);
        Assert.Contains(Path.Combine(output, "zert-ecs.ndjson.1"), files);
        Assert.All(files, file => Assert.Equal((file, expected), (file, ModeOf(file))));
    }

    [Fact]
    public async Task A_file_that_exists_keeps_its_mode_when_the_forwarder_writes_on_in_it()
    {
        // A restart appends to the files of the run before, made with the umask by an earlier version or by another
        // program (logrotate's "create 0640"): their mode is the operator's, whatever the setting says.
        var output = Path.Combine(_directory, "out");
        Directory.CreateDirectory(output);
        var ecs = Path.Combine(output, "zert-ecs.ndjson");
        var flat = Path.Combine(output, "zert-flat.ndjson");
        var deadLetters = Path.Combine(_directory, "dead-letters.ndjson");
        foreach (var (file, mode) in new[] { (ecs, "0644"), (flat, "0600"), (deadLetters, "0640") })
        {
            File.WriteAllText(file, "{\"earlier\":true}\n");
            File.SetUnixFileMode(file, Mode(mode));
        }

        await WriteAsync(new FileSinkOptions { Directory = output, Formats = ["ecs", "flat"], Permissions = "0640" }, TestEvents.Many(2));
        await using (var dlq = new FileDeadLetterOutput(deadLetters, new ObservedTimeProvider()))
        {
            await dlq.WriteAsync(TestEvents.Create(1), "kafka", "retry limit exceeded", CancellationToken.None);
        }

        Assert.Equal(3, File.ReadAllLines(ecs).Length);
        Assert.Equal(2, File.ReadAllLines(deadLetters).Length);
        Assert.Equal(("0644", "0600", "0640"), (ModeOf(ecs), ModeOf(flat), ModeOf(deadLetters)));
    }

    [Fact]
    public void A_handle_opened_through_NewFiles_stays_open_when_the_stream_that_opened_it_is_collected()
    {
        // NewFiles opens through a FileStream (File.OpenHandle takes no create mode) and hands out its handle only.
        var path = Path.Combine(_directory, "handle");
        using var handle = NewFiles.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        RandomAccess.Write(handle, "still open\n"u8, 0);
        RandomAccess.FlushToDisk(handle);
        Assert.Equal("still open\n", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }
}
