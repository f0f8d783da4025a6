using System.Text;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;

namespace Cairn.Storage.Tests.LogStore;

/// <summary>
/// A torn tail versus damage to written records (ADR 0017): every write to a segment ends with a seal, so a record
/// that fails its checksum with a seal after it was written in full — perhaps synced and acknowledged — and is
/// reported as corruption, never cut off as a torn tail. Only bytes with nothing valid after them are cut.
/// </summary>
public sealed class LogStoreTornTailTests
{
    private const string Dir = "/store";

    private static LogStoreOptions Options(FaultInjectingFileSystem fs, SyncPolicy sync = SyncPolicy.Always) => new()
    {
        FileSystem = fs,
        Sync = sync,
        BackgroundCompaction = false,
    };

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static Cairn.Storage.LogStore.LogStore Open(FaultInjectingFileSystem fs, SyncPolicy sync = SyncPolicy.Always) =>
        Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, sync));

    private static string OnlySegment(FaultInjectingFileSystem fs) => fs.AllFiles().Single(f => f.EndsWith(".log", StringComparison.Ordinal));

    /// <summary>Ten synced puts, then a crash: the active segment has no hint, so the next open scans it.</summary>
    private static FaultInjectingFileSystem TenSyncedPutsThenACrash(int seed, SyncPolicy sync)
    {
        var fs = new FaultInjectingFileSystem(seed);
        var store = Open(fs, sync);
        for (var i = 0; i < 10; i++)
        {
            store.Put(B($"/k{i}"), B($"value {i}"));
        }

        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(store);
        return fs;
    }

    [Theory]
    [InlineData(SyncPolicy.Always)]
    [InlineData(SyncPolicy.GroupCommit)]
    public void A_flipped_bit_in_the_last_synced_record_is_reported_not_cut_as_a_torn_tail(SyncPolicy sync)
    {
        var fs = TenSyncedPutsThenACrash(1, sync);
        var segment = OnlySegment(fs);
        var length = fs.LengthOf(segment);
        fs.FlipBit(segment, length - RecordFormat.SealSize - 2); // in /k9's value, the last acknowledged write

        using (var store = Open(fs, sync))
        {
            Assert.Equal(1, store.Recovery.CorruptRegions);
            Assert.Equal(0, store.Recovery.TruncatedBytes);
            Assert.Null(store.Get(B("/k9"))); // never served damaged
            Assert.Equal(B("value 8"), store.Get(B("/k8")));
        }

        Assert.Equal(length, fs.LengthOf(segment)); // the damaged bytes are kept for the operator

        // The damaged segment gets no hint, so every open reports the damage again.
        using var again = Open(fs, sync);
        Assert.Equal(1, again.Recovery.CorruptRegions);
    }

    [Fact]
    public void A_flipped_seal_at_the_tail_keeps_every_record()
    {
        var fs = TenSyncedPutsThenACrash(2, SyncPolicy.Always);
        var segment = OnlySegment(fs);
        fs.FlipBit(segment, fs.LengthOf(segment) - 2); // in the last seal's checksum: every frame still verifies

        using var store = Open(fs);
        Assert.Equal(0, store.Recovery.CorruptRegions);
        Assert.Equal(B("value 9"), store.Get(B("/k9")));
    }

    [Theory]
    [InlineData(CrashMode.TornTail)]
    [InlineData(CrashMode.Chaos)]
    public void A_torn_unsynced_write_is_cut_and_what_it_kept_is_sealed(CrashMode mode)
    {
        var cut = 0;
        for (var seed = 1; seed <= 30; seed++)
        {
            var fs = new FaultInjectingFileSystem(seed);
            var store = Open(fs, SyncPolicy.None);
            store.Put(B("/synced"), B("before"));
            store.Sync();

            // Several frames in one write (the write buffer), torn by the crash before any fsync.
            for (var i = 0; i < 8; i++)
            {
                store.PutDeferred(B($"/d{i}"), B(new string('v', 100 + i)));
            }

            store.Flush();
            fs.Crash(mode);
            fs.RestartAfter(store);

            using (var reopened = Open(fs, SyncPolicy.None))
            {
                Assert.Equal(0, reopened.Recovery.CorruptRegions);
                Assert.Equal(B("before"), reopened.Get(B("/synced")));
                cut += reopened.Recovery.TruncatedBytes > 0 ? 1 : 0;
            }

            // Whatever was kept now ends with a seal: without its hint, a flip in its last record reads as corruption.
            var segment = fs.AllFiles().Where(f => f.EndsWith(".log", StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();
            foreach (var hint in fs.AllFiles().Where(f => f.EndsWith(".hint", StringComparison.Ordinal)))
            {
                fs.Delete(hint);
            }

            fs.FlipBit(segment, fs.LengthOf(segment) - RecordFormat.SealSize - 2);
            using var flipped = Open(fs, SyncPolicy.None);
            Assert.Equal(1, flipped.Recovery.CorruptRegions);
            Assert.Equal(0, flipped.Recovery.TruncatedBytes);
        }

        Assert.True(cut > 0, "no seed tore the unsynced write");
    }

    [Fact]
    public void A_segment_written_before_seals_existed_opens_and_is_sealed()
    {
        // Version 1 segments have frames only; their tail cannot be told from a torn write, so it opens as before,
        // and the first open seals it.
        var fs = new FaultInjectingFileSystem(3);
        var store = Open(fs);
        store.Put(B("/a"), B("1"));
        store.Put(B("/b"), B("2"));
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(store);

        // Rewrite the segment as version 1 wrote it: the header says 1, and no seals.
        var segment = OnlySegment(fs);
        var bytes = new byte[fs.LengthOf(segment)];
        using (var file = fs.Open(segment, create: false))
        {
            file.Read(0, bytes);
        }

        var frames = new List<byte>(bytes.AsSpan(0, RecordFormat.SegmentHeaderSize).ToArray());
        frames[8] = 1;
        var at = RecordFormat.SegmentHeaderSize;
        while (at < bytes.Length)
        {
            Assert.True(RecordFormat.TryReadFrameHeader(bytes.AsSpan(at), out var payload, out _, out _));
            frames.AddRange(bytes.AsSpan(at, RecordFormat.FrameHeaderSize + payload).ToArray());
            at += RecordFormat.FrameHeaderSize + payload;
            Assert.True(RecordFormat.IsSeal(bytes.AsSpan(at), at));
            at += RecordFormat.SealSize;
        }

        fs.Delete(segment);
        using (var file = fs.Open(segment, create: true))
        {
            file.Write(0, frames.ToArray());
            file.Sync();
        }

        fs.SyncDirectory(Dir);
        using (var reopened = Open(fs))
        {
            Assert.Equal(B("2"), reopened.Get(B("/b")));
            Assert.Equal(0, reopened.Recovery.CorruptRegions);
        }

        Assert.Equal(frames.Count + RecordFormat.SealSize, fs.LengthOf(segment));
    }
}
