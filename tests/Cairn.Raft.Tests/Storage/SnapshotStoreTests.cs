using System.Text;
using Cairn.Raft.Storage;
using Cairn.Storage;
using Cairn.Testing;

namespace Cairn.Raft.Tests.Storage;

public sealed class SnapshotStoreTests
{
    private static readonly SnapshotMetadata At10 = new(10, 2, new ConfState([1, 2, 3], [4]));

    [Fact]
    public void A_written_snapshot_reads_back_with_its_metadata_and_restores_the_state_machine()
    {
        var fs = new FaultInjectingFileSystem(1);
        var store = SnapshotStore.Open(fs, "/snap");
        var source = new TextStateMachine("a", "b", "c");

        store.Write(At10, source);

        Assert.Equal(At10, SnapshotStore.Open(fs, "/snap").Latest());
        var target = new TextStateMachine("stale");
        store.Restore(At10, target);
        Assert.Equal(["a", "b", "c"], target.Lines);
    }

    [Fact]
    public void A_flipped_bit_is_refused_and_the_state_machine_is_untouched()
    {
        var fs = new FaultInjectingFileSystem(2);
        var store = SnapshotStore.Open(fs, "/snap");
        store.Write(At10, new TextStateMachine("value"));
        var file = fs.AllFiles().Single(f => f.EndsWith(".snap", StringComparison.Ordinal));

        fs.FlipBit(file, fs.LengthOf(file) - 14); // a data byte
        var target = new TextStateMachine("kept");

        Assert.Throws<CorruptionException>(() => store.Restore(At10, target));
        Assert.Equal(["kept"], target.Lines);
    }

    [Fact]
    public void A_snapshot_streams_in_chunks_to_another_store_which_verifies_before_publishing()
    {
        var leader = SnapshotStore.Open(new FaultInjectingFileSystem(3), "/leader");
        leader.Write(At10, new TextStateMachine([.. Enumerable.Range(0, 500).Select(i => $"line {i}")]));
        var followerFs = new FaultInjectingFileSystem(4);
        var follower = SnapshotStore.Open(followerFs, "/follower");

        using (var receiver = follower.BeginReceive(At10))
        {
            var buffer = new byte[1000];
            for (long offset = 0; offset < leader.Length(At10);)
            {
                var read = leader.ReadChunk(At10, offset, buffer);
                receiver.WriteChunk(offset, buffer.AsSpan(0, read));
                receiver.WriteChunk(offset, buffer.AsSpan(0, read)); // a resent chunk is harmless
                offset += read;
            }

            Assert.Null(follower.Latest()); // nothing visible before Complete
            receiver.Complete();
        }

        var restored = new TextStateMachine();
        follower.Restore(At10, restored);
        Assert.Equal(500, restored.Lines.Count);

        // A chunk corrupted on the way is caught at Complete, and nothing is published.
        var other = SnapshotStore.Open(new FaultInjectingFileSystem(5), "/other");
        using var bad = other.BeginReceive(At10);
        var all = new byte[leader.Length(At10)];
        leader.ReadChunk(At10, 0, all);
        all[100] ^= 1;
        bad.WriteChunk(0, all);
        Assert.Throws<CorruptionException>(bad.Complete);
        Assert.Null(other.Latest());
        Assert.Throws<InvalidOperationException>(() => other.BeginReceive(At10).WriteChunk(5, all));
    }

    [Fact]
    public void A_crash_at_any_point_of_a_write_leaves_no_snapshot_or_the_whole_one()
    {
        for (var operations = 1; operations < 30; operations++)
        {
            var fs = new FaultInjectingFileSystem(operations);
            var store = SnapshotStore.Open(fs, "/snap");
            fs.ScheduleCrash(operations, CrashMode.Chaos);
            try
            {
                store.Write(At10, new TextStateMachine("x", "y"));
            }
            catch (IOException)
            {
            }

            fs.Crash(CrashMode.Chaos);
            fs.Restart();
            var reopened = SnapshotStore.Open(fs, "/snap");
            if (reopened.Latest() is { } latest)
            {
                var restored = new TextStateMachine();
                reopened.Restore(latest, restored);
                Assert.Equal(["x", "y"], restored.Lines);
            }

            Assert.DoesNotContain(fs.AllFiles(), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Older_snapshots_are_deleted_on_request()
    {
        var fs = new FaultInjectingFileSystem(6);
        var store = SnapshotStore.Open(fs, "/snap");
        var at20 = At10 with { Index = 20 };
        store.Write(At10, new TextStateMachine("old"));
        store.Write(at20, new TextStateMachine("new"));

        store.DeleteOlderThan(at20);

        Assert.Equal(at20, store.Latest());
        Assert.Single(fs.AllFiles(), f => f.EndsWith(".snap", StringComparison.Ordinal));
    }

    /// <summary>A state machine of text lines: each applied normal entry's data is one line.</summary>
    private sealed class TextStateMachine(params string[] lines) : IRaftStateMachine
    {
        public List<string> Lines { get; private set; } = [.. lines];

        public void Apply(IReadOnlyList<Entry> entries) =>
            Lines.AddRange(entries.Where(e => e.Type == EntryType.Normal && !e.Data.IsEmpty).Select(e => Encoding.UTF8.GetString(e.Data.Span)));

        public void CreateSnapshot(Stream destination)
        {
            using var writer = new StreamWriter(destination, Encoding.UTF8, leaveOpen: true);
            foreach (var line in Lines)
            {
                writer.WriteLine(line);
            }
        }

        public void RestoreSnapshot(Stream source)
        {
            using var reader = new StreamReader(source, Encoding.UTF8);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            Lines = lines;
        }
    }
}
