using System.Text;
using System.Text.Json;
using ZertForwarder.Pipeline.Tests.Support;
using ZertForwarder.TestKit;

namespace ZertForwarder.Pipeline.Tests;

public sealed class FileCheckpointStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("zert-checkpoints-").FullName;

    private string CheckpointDirectory => Path.Combine(_root, "state");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string InputFile(string name, string content)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Records(int count, char fill = 'r') => new(fill, count * 100);

    [Fact]
    public void A_committed_offset_survives_a_restart()
    {
        var input = InputFile("smf.bin", Records(10));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero))
        {
            Assert.Equal(new FileResumePoint(0, false, false), store.GetResumePoint(input));
            store.Commit(input, 300);
        }

        using var restarted = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        Assert.Equal(new FileResumePoint(300, false, false), restarted.GetResumePoint(input));
    }

    [Fact]
    public void A_file_that_grew_is_resumed_and_a_completed_file_is_reported_completed()
    {
        var input = InputFile("smf.bin", Records(3));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero))
        {
            store.Commit(input, 300);
        }

        File.AppendAllText(input, Records(2));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero))
        {
            Assert.Equal(300, store.GetResumeOffset(input));
            store.MarkCompleted(input, 500);
        }

        using (var restarted = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero))
        {
            Assert.Equal(new FileResumePoint(500, true, false), restarted.GetResumePoint(input));
        }

        // Completed, then longer: read on from its end, not skipped.
        File.AppendAllText(input, Records(2));
        using var grown = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        Assert.Equal(new FileResumePoint(500, false, false), grown.GetResumePoint(input));
    }

    [Fact]
    public void A_file_renamed_goes_on_from_its_old_names_checkpoint_and_a_copy_does_not()
    {
        // A transfer that writes under a temporary name and renames when done: the part read under the temporary name
        // was read again, and sent again, from the start under the final one, and the old entry stayed for good.
        var partial = InputFile("dump.smf.part", Records(3, 'p'));
        using var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        store.GetResumePoint(partial);
        store.Commit(partial, 250);
        var copy = Path.Combine(_root, "copy.smf");
        File.Copy(partial, copy);
        Assert.Equal(new FileResumePoint(0, false, false), store.GetResumePoint(copy)); // the original is still there

        var final = Path.Combine(_root, "dump.smf");
        File.Move(partial, final);
        File.AppendAllText(final, Records(2, 'p'));
        var resumed = store.GetResumePoint(final);
        Assert.Equal(250, resumed.Offset);
        Assert.False(resumed.IsCompleted);
        store.Flush();
        var saved = File.ReadAllText(Path.Combine(CheckpointDirectory, FileCheckpointStore.FileName));
        Assert.DoesNotContain("dump.smf.part", saved, StringComparison.Ordinal);

        // Another dump that merely begins like it (its first 64 bytes) while the original is gone is not taken for it
        // when it is shorter than what was read.
        File.Delete(final);
        var shorter = InputFile("short.smf", Records(2, 'p'));
        Assert.Equal(0, store.GetResumePoint(shorter).Offset);
    }

    [Fact]
    public void A_late_commit_for_a_file_that_is_gone_and_has_no_entry_is_ignored()
    {
        // A reading's checkpoint timer can commit after the file's entry was forgotten or taken over by a new name;
        // looking up the identity of a file that is gone threw on the timer's thread and ended the process.
        var input = InputFile("gone.smf", Records(3));
        using var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        store.GetResumePoint(input);
        store.Forget(input);
        File.Delete(input);
        store.Commit(input, 200);
        store.Commit(input, 300, new Dictionary<string, long> { ["file"] = 300 });
        store.Flush();
        Assert.DoesNotContain("gone.smf", File.ReadAllText(Path.Combine(CheckpointDirectory, FileCheckpointStore.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_replaced_file_with_different_leading_bytes_starts_again_at_zero()
    {
        var input = InputFile("smf.bin", Records(10, 'a'));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero))
        {
            store.Commit(input, 700);
        }

        File.WriteAllText(input, Records(10, 'b')); // same path, same size, other content: a new dump
        using var restarted = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);

        Assert.Equal(new FileResumePoint(0, false, true), restarted.GetResumePoint(input));
    }

    [Fact]
    public void A_file_now_shorter_than_the_committed_offset_starts_again_at_zero()
    {
        var input = InputFile("smf.bin", Records(10));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero))
        {
            store.Commit(input, 900);
        }

        File.WriteAllText(input, Records(5)); // same leading bytes, but truncated
        using var restarted = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);

        Assert.Equal(new FileResumePoint(0, false, true), restarted.GetResumePoint(input));
    }

    [Fact]
    public void The_checkpoint_file_is_replaced_by_rename_so_a_reader_never_sees_a_torn_file()
    {
        var input = InputFile("smf.bin", Records(10));
        using var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        store.Commit(input, 100);

        // A handle on the current file keeps seeing the complete old version after the next write:
        // the new content went to another file that was renamed over it, not written in place.
        using var oldVersion = new FileStream(store.CheckpointPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        store.Commit(input, 200);

        using var reader = new StreamReader(oldVersion, Encoding.UTF8);
        Assert.Equal(100, OffsetIn(reader.ReadToEnd()));
        Assert.Equal(200, OffsetIn(File.ReadAllText(store.CheckpointPath)));
        Assert.False(File.Exists(store.CheckpointPath + ".tmp"));
    }

    [Fact]
    public void A_leftover_temporary_file_from_a_crash_is_ignored()
    {
        var input = InputFile("smf.bin", Records(10));
        string checkpointPath;
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero))
        {
            store.Commit(input, 400);
            checkpointPath = store.CheckpointPath;
        }

        File.WriteAllText(checkpointPath + ".tmp", "{\"version\":1,\"files\":[{\"pa"); // a write cut short before its rename
        using var restarted = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);

        Assert.Equal(400, restarted.GetResumeOffset(input));
    }

    [Fact]
    public void Commits_are_written_at_most_once_per_interval_and_the_last_one_is_not_lost()
    {
        var time = new ObservedTimeProvider();
        var input = InputFile("smf.bin", Records(10));
        var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.FromSeconds(5), time);
        store.Commit(input, 100); // first commit is written at once
        Assert.Equal(100, OffsetIn(File.ReadAllText(store.CheckpointPath)));

        store.Commit(input, 200);
        store.Commit(input, 300);
        Assert.Equal(100, OffsetIn(File.ReadAllText(store.CheckpointPath)));

        time.Advance(TimeSpan.FromSeconds(5)); // the pending write happens when the interval is over
        Assert.Equal(300, OffsetIn(File.ReadAllText(store.CheckpointPath)));

        store.Commit(input, 400);
        store.Dispose(); // shutdown writes what is pending
        Assert.Equal(400, OffsetIn(File.ReadAllText(store.CheckpointPath)));
    }

    [Fact]
    public void An_offset_never_moves_backwards()
    {
        var input = InputFile("smf.bin", Records(10));
        using var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        store.Commit(input, 500);
        store.Commit(input, 200);

        Assert.Equal(500, store.GetResumeOffset(input));
    }

    [Fact]
    public void A_forgotten_file_leaves_the_checkpoint_file_and_a_file_later_at_its_path_is_new()
    {
        var time = new ObservedTimeProvider();
        var done = InputFile("done.smf", Records(3));
        var other = InputFile("other.smf", Records(4));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.FromSeconds(5), time))
        {
            store.MarkCompleted(done, 300); // first change: written at once
            store.Commit(other, 200);
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal([Path.GetFullPath(done), Path.GetFullPath(other)], PathsIn(File.ReadAllText(store.CheckpointPath)));

            // A watched dump once moved away: it goes from the file at the next write, like any other change.
            File.Delete(done);
            store.Forget(done);
            Assert.Equal(2, PathsIn(File.ReadAllText(store.CheckpointPath)).Count);
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal([Path.GetFullPath(other)], PathsIn(File.ReadAllText(store.CheckpointPath)));
            store.Forget(Path.Combine(_root, "never-seen.smf")); // nothing to drop, nothing written
        }

        // A new dump under the same name is read from its start, as a file never seen (not "replaced").
        File.WriteAllText(done, Records(3));
        using var restarted = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        Assert.Equal(new FileResumePoint(0, false, false), restarted.GetResumePoint(done));
        Assert.Equal(200, restarted.GetResumeOffset(other));
    }

    [Fact]
    public void Completed_files_gone_longer_than_the_wait_are_forgotten_at_load_and_nothing_else_is()
    {
        var time = new ObservedTimeProvider();
        var deletedLongAgo = InputFile("old.smf", Records(2));
        var deletedLately = InputFile("recent.smf", Records(2));
        var unfinishedAndGone = InputFile("unfinished.smf", Records(2));
        var stillThere = InputFile("present.smf", Records(2));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero, time))
        {
            store.MarkCompleted(deletedLongAgo, 200);
            store.Commit(unfinishedAndGone, 100);
            store.MarkCompleted(stillThere, 200);
            time.Advance(TimeSpan.FromDays(20));
            store.MarkCompleted(deletedLately, 200);
        }

        foreach (var gone in new[] { deletedLongAgo, deletedLately, unfinishedAndGone }) File.Delete(gone);
        time.Advance(TimeSpan.FromDays(11)); // old.smf last seen 31 days ago, recent.smf 11
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero, time, forgetMissingAfter: TimeSpan.FromDays(30)))
        {
            // Only the completed file gone for longer than the wait; an unfinished one still holds where to resume.
            store.Flush();
        }
        Assert.Equal(new[] { deletedLately, stillThere, unfinishedAndGone }.Select(Path.GetFullPath).Order(StringComparer.Ordinal),
            PathsIn(File.ReadAllText(Path.Combine(CheckpointDirectory, FileCheckpointStore.FileName))));

        // Looking at a present file keeps it seen: 40 days on, a completed file still there is not forgotten once it
        // goes, until the wait has passed since it was last looked at.
        time.Advance(TimeSpan.FromDays(40));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero, time, forgetMissingAfter: TimeSpan.FromDays(30)))
        {
            Assert.True(store.GetResumePoint(stillThere).IsCompleted);
        }
        File.Delete(stillThere);
        time.Advance(TimeSpan.FromDays(29));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero, time, forgetMissingAfter: TimeSpan.FromDays(30))) store.Flush();
        Assert.Contains(Path.GetFullPath(stillThere), PathsIn(File.ReadAllText(Path.Combine(CheckpointDirectory, FileCheckpointStore.FileName))));
        time.Advance(TimeSpan.FromDays(2));
        using (var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero, time, forgetMissingAfter: TimeSpan.FromDays(30))) store.Flush();
        Assert.Equal([Path.GetFullPath(unfinishedAndGone)], PathsIn(File.ReadAllText(Path.Combine(CheckpointDirectory, FileCheckpointStore.FileName))));
    }

    [Fact]
    public void A_dump_named_through_a_symbolic_link_is_the_same_file()
    {
        var input = InputFile("dump.smf", Records(3));
        var link = Path.Combine(_root, "latest.smf");
        File.CreateSymbolicLink(link, input);
        using var store = new FileCheckpointStore(CheckpointDirectory, TimeSpan.Zero);
        store.MarkCompleted(input, 300);

        Assert.Equal(new FileResumePoint(300, true, false), store.GetResumePoint(link));
        Assert.Equal([Path.GetFullPath(input)], PathsIn(File.ReadAllText(store.CheckpointPath)));
    }

    private static List<string> PathsIn(string checkpointJson)
    {
        using var document = JsonDocument.Parse(checkpointJson);
        return document.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()!).ToList();
    }

    private static long OffsetIn(string checkpointJson)
    {
        using var document = JsonDocument.Parse(checkpointJson);
        return document.RootElement.GetProperty("files")[0].GetProperty("offset").GetInt64();
    }
}
