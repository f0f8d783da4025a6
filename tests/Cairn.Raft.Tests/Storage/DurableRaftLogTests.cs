using System.Text;
using Cairn.Raft.Storage;
using Cairn.Storage;
using Cairn.Testing;

namespace Cairn.Raft.Tests.Storage;

/// <summary>The durable Raft log's contract: reads, terms, segments, truncation, compaction, limits and refusals.</summary>
public sealed class DurableRaftLogTests
{
    internal const string Dir = "/raft/group-1";

    internal static DurableRaftLog Open(FaultInjectingFileSystem fs, long segmentSize = 300, int maxEntrySize = 1024) =>
        DurableRaftLog.Open(fs, Dir, new DurableRaftLogOptions { SegmentSize = segmentSize, MaxEntrySize = maxEntrySize });

    internal static Entry E(ulong index, ulong term, string tag = "") =>
        new(term, index, EntryType.Normal, Encoding.UTF8.GetBytes($"{index}@{term}{tag}"));

    internal static List<Entry> Range(ulong first, ulong last, ulong term, string tag = "") =>
        [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => E((ulong)i, term, tag))];

    internal static void AssertEntries(IEnumerable<Entry> expected, IReadOnlyList<Entry> actual)
    {
        var want = expected.ToList();
        Assert.Equal(want.Count, actual.Count);
        for (var i = 0; i < want.Count; i++)
        {
            Assert.Equal((want[i].Index, want[i].Term, want[i].Type), (actual[i].Index, actual[i].Term, actual[i].Type));
            Assert.True(want[i].Data.Span.SequenceEqual(actual[i].Data.Span), $"entry {want[i].Index} data differs");
        }
    }

    internal static List<string> Segments(FaultInjectingFileSystem fs) =>
        [.. fs.AllFiles().Where(f => f.EndsWith(".rlog", StringComparison.Ordinal))];

    [Fact]
    public void Appends_reads_and_terms_span_segments()
    {
        var fs = new FaultInjectingFileSystem(1);
        using var log = Open(fs);
        Assert.Equal(0UL, log.LastIndex);
        Assert.Equal(0UL, log.Term(0));
        var all = new List<Entry>();
        for (ulong first = 1; first <= 60; first += 5)
        {
            var batch = Range(first, first + 4, 1 + (first / 20));
            log.Append(batch);
            all.AddRange(batch);
        }

        Assert.Equal(60UL, log.LastIndex);
        Assert.True(log.SegmentCount >= 4, $"expected several segments, got {log.SegmentCount}");
        Assert.Equal(log.SegmentCount, Segments(fs).Count);
        Assert.Contains($"{Dir}/{1:D20}.rlog", Segments(fs));
        AssertEntries(all, log.Entries(1, 61));
        AssertEntries(all.Skip(12).Take(30), log.Entries(13, 43));
        Assert.Empty(log.Entries(7, 7));
        foreach (var entry in all)
        {
            Assert.Equal(entry.Term, log.Term(entry.Index));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => log.Term(61));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Entries(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Entries(5, 62));
    }

    [Fact]
    public void Each_append_is_one_fsync_of_its_segment()
    {
        var fs = new FaultInjectingFileSystem(1);
        using var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 1, 1)); // creates the segment
        var before = fs.FileSyncs;
        log.Append(Range(2, 40, 1));
        Assert.Equal(before + 1, fs.FileSyncs);
    }

    [Fact]
    public void Restart_restores_entries_and_hard_state()
    {
        var fs = new FaultInjectingFileSystem(2);
        var log = Open(fs);
        log.Append(Range(1, 25, 1));
        log.Append(Range(26, 31, 3));
        log.SetHardState(new HardState(3, 2, 27));
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(log);

        using var reopened = Open(fs);
        Assert.Equal(new HardState(3, 2, 27), reopened.HardState);
        Assert.Equal(31UL, reopened.LastIndex);
        AssertEntries(Range(1, 25, 1).Concat(Range(26, 31, 3)), reopened.Entries(1, 32));
        reopened.Append(Range(32, 33, 3));
        Assert.Equal(3UL, reopened.Term(33));
    }

    [Fact]
    public void A_fresh_directory_opens_empty()
    {
        var fs = new FaultInjectingFileSystem(3);
        using var log = Open(fs);
        Assert.Equal(HardState.Empty, log.HardState);
        Assert.Equal(0UL, log.LastIndex);
        Assert.Equal(1UL, log.FirstIndex);
    }

    [Fact]
    public void A_second_open_of_the_same_directory_is_refused()
    {
        var fs = new FaultInjectingFileSystem(3);
        using var log = Open(fs);
        Assert.Throws<IOException>(() => Open(fs));
    }

    [Fact]
    public void A_conflicting_suffix_is_truncated_across_a_segment_boundary_and_stays_truncated()
    {
        var fs = new FaultInjectingFileSystem(4);
        var log = Open(fs);
        for (ulong first = 1; first <= 30; first += 3)
        {
            log.Append(Range(first, first + 2, 1));
        }

        var segmentsBefore = log.SegmentCount;
        Assert.True(segmentsBefore >= 3);
        log.SetHardState(new HardState(1, 1, 10));

        // A new leader's entries replace 12.. (in an early segment); later segments go.
        log.Append(Range(12, 14, 2, "new"));
        Assert.Equal(14UL, log.LastIndex);
        Assert.True(log.SegmentCount < segmentsBefore);
        Assert.Equal(log.SegmentCount, Segments(fs).Count);
        AssertEntries(Range(1, 11, 1).Concat(Range(12, 14, 2, "new")), log.Entries(1, 15));

        fs.Crash(CrashMode.Chaos);
        fs.RestartAfter(log);
        using var reopened = Open(fs);
        Assert.Equal(14UL, reopened.LastIndex);
        AssertEntries(Range(1, 11, 1).Concat(Range(12, 14, 2, "new")), reopened.Entries(1, 15));
        reopened.Append(Range(15, 40, 2));
        AssertEntries(Range(12, 14, 2, "new").Concat(Range(15, 40, 2)), reopened.Entries(12, 41));
    }

    [Fact]
    public void Truncating_to_the_first_entry_of_a_segment_keeps_indexes_contiguous()
    {
        var fs = new FaultInjectingFileSystem(5);
        var log = Open(fs, segmentSize: 1);
        for (ulong i = 1; i <= 6; i++)
        {
            log.Append([E(i, 1)]); // one entry per segment
        }

        Assert.Equal(6, log.SegmentCount);
        log.Append([E(4, 2), E(5, 2)]);
        Assert.Equal(4, log.SegmentCount); // 1, 2, 3, and 4 cut to empty then refilled
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(log);
        using var reopened = Open(fs, segmentSize: 1);
        AssertEntries(Range(1, 3, 1).Concat(Range(4, 5, 2)), reopened.Entries(1, 6));
    }

    [Fact]
    public void Committed_entries_and_gaps_are_refused()
    {
        var fs = new FaultInjectingFileSystem(6);
        using var log = Open(fs);
        log.Append(Range(1, 5, 1));
        log.SetHardState(new HardState(1, 0, 3));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(3, 2)]));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(7, 1)]));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(6, 1), E(8, 1)]));
        Assert.Throws<InvalidOperationException>(() => log.SetHardState(new HardState(1, 0, 9)));
        Assert.Throws<InvalidOperationException>(() => log.SetHardState(new HardState(0, 0, 3)));
        log.Append([E(4, 2)]); // uncommitted: may be replaced
        Assert.Equal(4UL, log.LastIndex);
    }

    [Fact]
    public void Oversized_entries_are_refused_with_a_clear_error()
    {
        var fs = new FaultInjectingFileSystem(7);
        using var log = Open(fs, maxEntrySize: 100);
        var error = Assert.Throws<ArgumentException>(() => log.Append([new Entry(1, 1, EntryType.Normal, new byte[101])]));
        Assert.Contains("over the limit of 100", error.Message);
        log.Append([new Entry(1, 1, EntryType.Normal, new byte[100])]);
        Assert.Equal(100, log.Entries(1, 2)[0].Data.Length);
    }

    [Fact]
    public void CompactTo_drops_whole_segments_and_keeps_the_term_of_the_compaction_point()
    {
        var fs = new FaultInjectingFileSystem(8);
        var log = Open(fs);
        for (ulong start = 1; start <= 40; start += 4)
        {
            log.Append(Range(start, start + 3, start < 20 ? 1UL : 2UL));
        }

        var segments = log.SegmentCount;
        Assert.Throws<ArgumentOutOfRangeException>(() => log.CompactTo(25)); // nothing committed yet
        log.SetHardState(new HardState(2, 1, 30));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.CompactTo(25)); // no snapshot covers the entries yet
        log.CreateSnapshot(new SnapshotMetadata(24, 2, new ConfState([1])));
        var first = log.CompactTo(25);
        Assert.True(first > 1 && first <= 25, $"first index {first}");
        Assert.True(log.SegmentCount < segments);
        Assert.Equal(first, log.FirstIndex);
        Assert.Equal(first - 1 < 20 ? 1UL : 2UL, log.Term(first - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Term(first - 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Entries(first - 1, first + 1));
        Assert.Throws<InvalidOperationException>(() => log.Append([E(first - 1, 2)]));

        fs.Crash(CrashMode.TornTail);
        fs.RestartAfter(log);
        using var reopened = Open(fs);
        Assert.Equal(first, reopened.FirstIndex);
        Assert.Equal(first - 1 < 20 ? 1UL : 2UL, reopened.Term(first - 1));
        Assert.Equal(new HardState(2, 1, 30), reopened.HardState);
        AssertEntries(Enumerable.Range((int)first, 41 - (int)first).Select(i => E((ulong)i, i < 20 ? 1UL : 2UL)), reopened.Entries(first, 41));
        reopened.Append(Range(41, 42, 3));
        Assert.Equal(42UL, reopened.LastIndex);
    }

    [Fact]
    public void A_flipped_bit_in_a_middle_frame_is_refused_naming_file_and_offset()
    {
        var fs = new FaultInjectingFileSystem(9);
        var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 20, 1));
        log.Dispose();
        var frame = RaftLogFormat.FrameSize(E(1, 1).Data.Length);
        var path = $"{Dir}/{1:D20}.rlog";
        fs.FlipBit(path, (5 * frame) + 20, bit: 3);

        var error = Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20));
        Assert.Contains(path, error.Message);
        Assert.Contains($"offset {5 * frame}", error.Message);
        Assert.Throws<CorruptionException>(() => Open(fs, segmentSize: 1 << 20)); // and keeps refusing: nothing was cut
    }

    [Fact]
    public void A_bad_frame_in_an_earlier_segment_is_refused_even_at_its_end()
    {
        var fs = new FaultInjectingFileSystem(10);
        var log = Open(fs);
        for (ulong first = 1; first <= 30; first += 3)
        {
            log.Append(Range(first, first + 2, 1));
        }

        log.Dispose();
        var firstSegment = Segments(fs)[0];
        fs.FlipBit(firstSegment, fs.LengthOf(firstSegment) - 1);
        var error = Assert.Throws<CorruptionException>(() => Open(fs));
        Assert.Contains(firstSegment, error.Message);
    }

    [Fact]
    public void A_missing_segment_is_refused()
    {
        var fs = new FaultInjectingFileSystem(11);
        var log = Open(fs);
        for (ulong first = 1; first <= 30; first += 3)
        {
            log.Append(Range(first, first + 2, 1));
        }

        log.Dispose();
        var middle = Segments(fs)[1];
        fs.Delete(middle);
        var error = Assert.Throws<CorruptionException>(() => Open(fs));
        Assert.Contains("entries are missing", error.Message);
    }

    [Fact]
    public void A_flipped_bit_in_the_hard_state_is_refused()
    {
        var fs = new FaultInjectingFileSystem(12);
        var log = Open(fs);
        log.Append(Range(1, 3, 5));
        log.SetHardState(new HardState(5, 3, 2));
        log.Dispose();
        fs.FlipBit($"{Dir}/hardstate", 17); // in the vote

        var error = Assert.Throws<CorruptionException>(() => Open(fs));
        Assert.Contains($"{Dir}/hardstate", error.Message);
        Assert.Contains("vote", error.Message);
    }

    [Fact]
    public void A_frame_flipped_on_disk_after_open_is_refused_on_read()
    {
        var fs = new FaultInjectingFileSystem(13);
        using var log = Open(fs, segmentSize: 1 << 20);
        log.Append(Range(1, 10, 1));
        fs.FlipBit($"{Dir}/{1:D20}.rlog", RaftLogFormat.FrameSize(E(1, 1).Data.Length) + 25);
        Assert.Throws<CorruptionException>(() => log.Entries(1, 11));
        AssertEntries([E(1, 1)], log.Entries(1, 2));
    }
}
