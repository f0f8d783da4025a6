using Cairn.Raft.Storage;
using Cairn.Storage;
using Cairn.Testing;
using static Cairn.Raft.Tests.Storage.DurableRaftLogTests;

namespace Cairn.Raft.Tests.Storage;

/// <summary>
/// A torn tail versus corruption of synced entries (ADR 0017): what a crash in the middle of an append leaves is cut
/// off; a bit flipped in bytes a seal vouches for — entries an append acknowledged — is refused, never dropped.
/// </summary>
public sealed class DurableRaftLogTornTailTests
{
    private static string FirstSegment => $"{Dir}/{1:D20}.rlog";

    /// <summary>An offset inside the data of the last entry of the segment (just before its closing seal).</summary>
    private static long InLastEntry(FaultInjectingFileSystem fs, string segment) => fs.LengthOf(segment) - RaftLogFormat.SealSize - 2;

    [Fact]
    public void A_bit_flip_in_the_last_synced_entry_is_refused_never_silently_dropped()
    {
        // Pinned by the simulator (seed 17 with bit flips in the last segment): a flip in the last synced frame
        // used to read as a torn tail, and the entry, acknowledged to a leader, was cut off on open.
        var fs = new FaultInjectingFileSystem(1);
        var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 3, 1));
        log.SetHardState(new HardState(1, 1, 2));
        var offset = InLastEntry(fs, FirstSegment);
        fs.FlipBit(FirstSegment, offset);
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(log);

        var error = Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
        var frameStart = fs.LengthOf(FirstSegment) - RaftLogFormat.SealSize - RaftLogFormat.FrameSize(E(3, 1).Data.Length);
        Assert.Contains(FirstSegment, error.Message);
        Assert.Contains($"offset {frameStart}", error.Message);
        Assert.Contains("valid seal", error.Message);
        Assert.Contains("not a torn tail", error.Message);

        // Nothing was cut: it keeps refusing, and flipping the bit back restores every entry.
        Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
        fs.FlipBit(FirstSegment, offset);
        using var repaired = Open(fs, segmentSize: 1 << 20);
        AssertEntries(Range(1, 3, 1), repaired.Entries(1, 4));
    }

    [Theory]
    [InlineData(0)] // magic
    [InlineData(5)] // length
    [InlineData(9)] // CRC
    [InlineData(14)] // term
    [InlineData(22)] // index
    [InlineData(28)] // type
    public void A_flip_anywhere_in_the_last_frame_is_refused(int byteInFrame)
    {
        var fs = new FaultInjectingFileSystem(2);
        var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 2, 1));
        log.Append(Range(3, 4, 1));
        var frameStart = fs.LengthOf(FirstSegment) - RaftLogFormat.SealSize - RaftLogFormat.FrameSize(E(4, 1).Data.Length);
        fs.FlipBit(FirstSegment, frameStart + byteInFrame, bit: 2);
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(log);

        var error = Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
        Assert.Contains(FirstSegment, error.Message);
    }

    [Fact]
    public void A_flipped_seal_at_the_tail_keeps_its_entries_and_is_sealed_again()
    {
        var fs = new FaultInjectingFileSystem(3);
        var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 3, 1));
        fs.FlipBit(FirstSegment, fs.LengthOf(FirstSegment) - 3); // in the seal's CRC: every frame still verifies
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(log);

        using (var reopened = Open(fs, segmentSize: 1 << 20))
        {
            AssertEntries(Range(1, 3, 1), reopened.Entries(1, 4));
        }

        // The damaged seal was replaced by a good one, so the last entry is protected again.
        fs.FlipBit(FirstSegment, InLastEntry(fs, FirstSegment));
        Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
    }

    [Theory]
    [InlineData(CrashMode.DropUnsynced)]
    [InlineData(CrashMode.TornTail)]
    [InlineData(CrashMode.Chaos)]
    public void A_crash_between_writing_entries_and_syncing_them_cuts_only_what_was_never_synced(CrashMode mode)
    {
        var cut = 0;
        for (var seed = 1; seed <= 40; seed++)
        {
            var fs = new FaultInjectingFileSystem(seed);
            var log = Open(fs, segmentSize: 1 << 20);
            log.Append(Range(1, 5, 1));
            var batch = Range(6, 6 + (ulong)(seed % 7), 1, $"/{seed}");
            fs.ScheduleCrash(1, mode); // the write happens, the fsync does not
            Assert.Throws<IOException>(() => log.Append(batch));
            fs.RestartAfter(log);

            using (var reopened = Open(fs, segmentSize: 1 << 20))
            {
                // The acknowledged append survives; of the torn one, only whole frames (a prefix) may remain.
                Assert.InRange(reopened.LastIndex, 5UL, batch[^1].Index);
                AssertEntries(Range(1, 5, 1).Concat(batch).Take((int)reopened.LastIndex), reopened.Entries(1, reopened.LastIndex + 1));
                cut += reopened.LastIndex < batch[^1].Index ? 1 : 0;
            }

            // What recovery kept is sealed: a flip in its last entry is now corruption, not a torn tail.
            fs.FlipBit(FirstSegment, InLastEntry(fs, FirstSegment));
            Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
        }

        Assert.True(cut > 0, "no seed lost or tore the unsynced append");
    }

    [Fact]
    public void A_torn_append_that_kept_whole_frames_is_sealed_on_open()
    {
        // Find a seed whose torn write kept some whole frames of the unsynced batch (and cut the rest).
        for (var seed = 1; seed <= 200; seed++)
        {
            var fs = new FaultInjectingFileSystem(seed);
            var log = Open(fs, segmentSize: 1 << 20);
            log.Append(Range(1, 2, 1));
            fs.ScheduleCrash(1, CrashMode.TornTail);
            Assert.Throws<IOException>(() => log.Append(Range(3, 12, 1)));
            fs.RestartAfter(log);
            using (var reopened = Open(fs, segmentSize: 1 << 20))
            {
                if (reopened.LastIndex is <= 2 or >= 12)
                {
                    continue;
                }

                // Those entries may now be acknowledged (a leader's probe matches them): keep them safe.
                reopened.SetHardState(new HardState(1, 1, reopened.LastIndex));
            }

            fs.FlipBit(FirstSegment, InLastEntry(fs, FirstSegment));
            var error = Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
            Assert.Contains("valid seal", error.Message);
            return;
        }

        Assert.Fail("no seed kept part of the torn append");
    }

    [Fact]
    public void Truncating_a_conflicting_suffix_seals_the_entries_kept_before_the_new_ones_arrive()
    {
        var fs = new FaultInjectingFileSystem(4);
        var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 5, 1)); // one batch: one seal, after 5
        log.SetHardState(new HardState(1, 1, 3));

        // A new leader replaces 4..: the cut leaves 1..3 (acknowledged) with no seal after them unless the cut adds
        // one. Crash after the cut is durable but before the new entries are written.
        fs.ScheduleCrash(3, CrashMode.DropUnsynced); // truncate, seal, fsync, then the crash at the new write
        Assert.Throws<IOException>(() => log.Append(Range(4, 6, 2)));
        fs.RestartAfter(log);
        fs.FlipBit(FirstSegment, InLastEntry(fs, FirstSegment));

        var error = Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
        Assert.Contains("not a torn tail", error.Message);
    }

    [Fact]
    public void After_a_truncation_and_new_entries_the_log_reopens_and_protects_its_last_entry()
    {
        var fs = new FaultInjectingFileSystem(5);
        var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 5, 1));
        log.Append(Range(4, 6, 2, "new"));
        log.Append(Range(7, 7, 2));
        log.Append(Range(7, 8, 3, "newer")); // the cut falls just after a seal: no second seal is needed
        log.Dispose();

        using (var reopened = Open(fs, segmentSize: 1 << 20))
        {
            AssertEntries(Range(1, 3, 1).Concat(Range(4, 6, 2, "new")).Concat(Range(7, 8, 3, "newer")), reopened.Entries(1, 9));
        }

        fs.FlipBit(FirstSegment, InLastEntry(fs, FirstSegment));
        Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
    }

    [Fact]
    public void After_compaction_a_flip_in_the_last_entry_is_refused()
    {
        var fs = new FaultInjectingFileSystem(6);
        var log = Open(fs);
        for (ulong first = 1; first <= 40; first += 4)
        {
            log.Append(Range(first, first + 3, 1));
        }

        log.SetHardState(new HardState(1, 1, 40));
        log.CreateSnapshot(new SnapshotMetadata(30, 1, new ConfState([1])));
        Assert.True(log.CompactTo(31) > 1);
        var last = Segments(fs)[^1];
        log.Dispose();

        using (var reopened = Open(fs))
        {
            Assert.Equal(40UL, reopened.LastIndex);
        }

        fs.FlipBit(last, InLastEntry(fs, last));
        var error = Assert.Throws<CorruptionException>(() => Open(fs));
        Assert.Contains(last, error.Message);
    }

    [Fact]
    public void After_a_snapshot_install_the_new_entries_are_sealed()
    {
        var fs = new FaultInjectingFileSystem(7);
        var log = Open(fs);
        log.Append(Range(1, 10, 1));
        log.ApplySnapshot(new SnapshotMetadata(50, 4, new ConfState([1, 2, 3])));
        Assert.Equal(0, log.SegmentCount);
        log.Dispose();

        // Installed and empty: opens with nothing to seal.
        var reopened = Open(fs);
        Assert.Equal(50UL, reopened.LastIndex);
        reopened.Append(Range(51, 53, 4));
        var segment = Segments(fs).Single();
        Assert.EndsWith($"{51:D20}.rlog", segment);
        fs.FlipBit(segment, InLastEntry(fs, segment));
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(reopened);

        var error = Assert.Throws<CorruptionException>(() => Open(fs));
        Assert.Contains(segment, error.Message);
    }

    [Fact]
    public void A_log_written_before_seals_existed_opens_and_its_tail_is_sealed()
    {
        // The earlier format: frames only. Its tail cannot be told from a torn write, so it opens as before; the
        // first open seals it, and from then on the last entry is protected.
        var fs = new FaultInjectingFileSystem(8);
        fs.CreateDirectory(Dir);
        var entries = Range(1, 4, 1);
        var bytes = new byte[entries.Sum(e => RaftLogFormat.FrameSize(e.Data.Length))];
        var at = 0;
        foreach (var entry in entries)
        {
            at += RaftLogFormat.WriteFrame(bytes.AsSpan(at), entry);
        }

        using (var file = fs.Open(FirstSegment, create: true))
        {
            file.Write(0, bytes);
            file.Sync();
        }

        fs.SyncDirectory(Dir);
        using (var log = Open(fs, segmentSize: 1 << 20))
        {
            AssertEntries(entries, log.Entries(1, 5));
        }

        Assert.Equal(bytes.Length + RaftLogFormat.SealSize, fs.LengthOf(FirstSegment));
        fs.FlipBit(FirstSegment, InLastEntry(fs, FirstSegment));
        Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
    }
}
