using Cairn.Raft.Hosting;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;

namespace Cairn.Raft.Tests.Hosting;

public sealed class SharedRaftLogTests
{
    private static Entry E(ulong index, ulong term, string data = "x") => new(term, index, EntryType.Normal, System.Text.Encoding.UTF8.GetBytes(data));

    private static SharedRaftLog Open(FaultInjectingFileSystem fs, long tailBytes = 1024) =>
        SharedRaftLog.Open("/raft", new LogStoreOptions { FileSystem = fs, BackgroundCompaction = false }, tailBytes);

    [Fact]
    public void Committed_rounds_of_many_groups_survive_a_crash_and_staged_ones_vanish_whole()
    {
        var fs = new FaultInjectingFileSystem(41);
        var log = Open(fs);
        var a = log.OpenGroup(1);
        var b = log.OpenGroup(2);
        a.Append([E(1, 1), E(2, 1)]);
        a.SetHardState(new HardState(1, 1, 2));
        b.Append([E(1, 3)]);
        log.Commit(); // one write and one fsync for both groups
        Assert.Equal(1, log.Commits);
        a.Append([E(3, 1)]);
        b.SetHardState(new HardState(3, 2, 1));

        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(log);
        using var reopened = Open(fs);
        Assert.Equal([1UL, 2UL], reopened.StoredGroups());
        var a2 = reopened.OpenGroup(1);
        var b2 = reopened.OpenGroup(2);
        Assert.Equal(2UL, a2.LastIndex);
        Assert.Equal(new HardState(1, 1, 2), a2.HardState);
        Assert.Equal(1UL, b2.LastIndex);
        Assert.Equal(3UL, b2.Term(1));
        Assert.Equal(HardState.Empty, b2.HardState); // staged with a3, lost with it
    }

    [Fact]
    public void A_replaced_suffix_is_gone_after_reopen_and_old_entries_are_read_back_from_disk()
    {
        var fs = new FaultInjectingFileSystem(42);
        using (var log = Open(fs, tailBytes: 0))
        {
            var group = log.OpenGroup(9);
            group.Append([.. Enumerable.Range(1, 10).Select(i => E((ulong)i, 1, $"old{i}"))]);
            log.Commit();
            group.Append([E(6, 2, "new6"), E(7, 2, "new7")]); // replaces 6..10
            Assert.Equal(7UL, group.LastIndex);
            log.Commit();

            // With no memory budget, entries below the tail come back from the engine.
            Assert.Equal("old2", System.Text.Encoding.UTF8.GetString(group.Entries(2, 3)[0].Data.Span));
            Assert.Equal(2UL, group.Term(7));
            Assert.Equal(1UL, group.Term(5));
        }

        fs.Restart();
        using var reopened = Open(fs);
        var again = reopened.OpenGroup(9);
        Assert.Equal(7UL, again.LastIndex);
        Assert.Equal(["old1", "old2", "old3", "old4", "old5", "new6", "new7"], again.Entries(1, 8).Select(e => System.Text.Encoding.UTF8.GetString(e.Data.Span)));
    }

    [Fact]
    public void Compaction_keeps_the_term_of_the_last_compacted_entry_across_reopen()
    {
        var fs = new FaultInjectingFileSystem(43);
        using (var log = Open(fs))
        {
            var group = log.OpenGroup(3);
            group.Append([E(1, 1), E(2, 1), E(3, 2), E(4, 2)]);
            group.SetHardState(new HardState(2, 1, 4));
            log.Commit();
            group.CreateSnapshot(new SnapshotMetadata(3, 2, ConfState.Empty));
            Assert.Throws<ArgumentOutOfRangeException>(() => group.CompactTo(5)); // entry 4 is not covered
            Assert.Equal(4UL, group.CompactTo(4));
            log.Commit();
            Assert.Throws<ArgumentOutOfRangeException>(() => group.Entries(2, 4));
        }

        fs.Restart();
        using var reopened = Open(fs);
        var again = reopened.OpenGroup(3);
        Assert.Equal(3UL, again.CompactedIndex);
        Assert.Equal(2UL, again.Term(3));
        Assert.Equal(4UL, again.LastIndex);
        Assert.Single(again.Entries(4, 5));
    }

    [Fact]
    public void A_committed_entry_is_never_overwritten_and_a_gap_is_refused()
    {
        var fs = new FaultInjectingFileSystem(44);
        using var log = Open(fs);
        var group = log.OpenGroup(1);
        group.Append([E(1, 1), E(2, 1)]);
        group.SetHardState(new HardState(1, 0, 2));
        Assert.Throws<InvalidOperationException>(() => group.Append([E(2, 2)]));
        Assert.Throws<InvalidOperationException>(() => group.Append([E(4, 1)]));
        Assert.Throws<InvalidOperationException>(() => group.SetHardState(new HardState(1, 0, 5)));
    }

    [Fact]
    public void A_flipped_bit_in_the_last_committed_round_is_refused_not_cut_as_a_torn_tail()
    {
        var fs = new FaultInjectingFileSystem(43);
        var log = Open(fs);
        var group = log.OpenGroup(1);
        group.Append([E(1, 1), E(2, 1)]);
        log.Commit();
        group.Append([E(3, 1, "acknowledged")]);
        group.SetHardState(new HardState(1, 1, 3));
        log.Commit(); // durable: the host may now acknowledge entry 3 to its leader

        fs.Crash(CrashMode.DropUnsynced); // the active segment has no hint: the next open scans it
        fs.RestartAfter(log);
        var segment = fs.AllFiles().Single(f => f.EndsWith(".log", StringComparison.Ordinal));
        fs.FlipBit(segment, fs.LengthOf(segment) - 16); // in the last round's record, just before its seal

        // Cutting the round would forget entry 3 and the commit of 3; the log refuses instead, on every open.
        var error = Assert.Throws<CorruptionException>(() => Open(fs));
        Assert.Contains("/raft", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a torn tail", error.Message, StringComparison.Ordinal);
        Assert.Throws<CorruptionException>(() => Open(fs));
    }

    [Fact]
    public void A_torn_uncommitted_round_is_cut_and_the_log_opens()
    {
        var fs = new FaultInjectingFileSystem(44);
        var log = Open(fs);
        var group = log.OpenGroup(1);
        group.Append([E(1, 1), E(2, 1)]);
        log.Commit();
        group.Append([E(3, 1, new string('x', 3000))]);
        fs.ScheduleCrash(1, CrashMode.TornTail); // the round's write happens, its fsync does not
        Assert.Throws<IOException>(log.Commit);
        fs.RestartAfter(log);

        using var reopened = Open(fs);
        var group1 = reopened.OpenGroup(1);
        Assert.InRange(group1.LastIndex, 2UL, 3UL);
        Assert.Equal(1UL, group1.Term(2));
    }

    [Fact]
    public void A_log_that_may_lose_acknowledged_appends_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => SharedRaftLog.Open("/nowhere", new LogStoreOptions { Sync = SyncPolicy.Periodic }));
        Assert.Contains("GroupCommit or Always", error.Message, StringComparison.Ordinal);
    }
}
