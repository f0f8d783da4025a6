using System.Collections.Concurrent;
using System.Text;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;
using Xunit.Abstractions;

namespace Cairn.Storage.Tests.LogStore;

/// <summary>
/// Crash safety on a fault-injecting disk: acknowledged writes survive, torn or corrupt records are never served,
/// batches are all or nothing, and the store always opens. Every test is driven by seeds; a failure names its seed.
/// </summary>
public sealed class LogStoreCrashTests(ITestOutputHelper output)
{
    private const string Dir = "/store";

    private static LogStoreOptions Options(FaultInjectingFileSystem fs, SyncPolicy sync, long segmentSize = 64 * 1024) => new()
    {
        FileSystem = fs,
        Sync = sync,
        SegmentSize = segmentSize,
        BackgroundCompaction = false,
    };

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A value that names its key and version, so a wrong or mixed-up value is recognisable.</summary>
    private static byte[] ValueFor(string key, int version, int padding = 40) =>
        B($"{key}#{version}#".PadRight(key.Length + padding, '.'));

    [Theory]
    [InlineData(SyncPolicy.GroupCommit, CrashMode.DropUnsynced)]
    [InlineData(SyncPolicy.GroupCommit, CrashMode.TornTail)]
    [InlineData(SyncPolicy.GroupCommit, CrashMode.Chaos)]
    [InlineData(SyncPolicy.Always, CrashMode.DropUnsynced)]
    [InlineData(SyncPolicy.Always, CrashMode.TornTail)]
    [InlineData(SyncPolicy.Always, CrashMode.Chaos)]
    public void Every_acknowledged_write_survives_a_crash_during_concurrent_writes(SyncPolicy sync, CrashMode mode) =>
        AcknowledgedWritesSurviveACrash(sync, mode, deferred: false);

    // Deferred writes gather in the write buffer and reach the file together when a writer waits for them.
    [Theory]
    [InlineData(SyncPolicy.GroupCommit, CrashMode.DropUnsynced)]
    [InlineData(SyncPolicy.GroupCommit, CrashMode.TornTail)]
    [InlineData(SyncPolicy.GroupCommit, CrashMode.Chaos)]
    [InlineData(SyncPolicy.Always, CrashMode.TornTail)]
    [InlineData(SyncPolicy.Always, CrashMode.Chaos)]
    public void Every_acknowledged_deferred_write_survives_a_crash_during_concurrent_writes(SyncPolicy sync, CrashMode mode) =>
        AcknowledgedWritesSurviveACrash(sync, mode, deferred: true);

    private void AcknowledgedWritesSurviveACrash(SyncPolicy sync, CrashMode mode, bool deferred)
    {
        for (var seed = 1; seed <= 12; seed++)
        {
            var fs = new FaultInjectingFileSystem(seed);
            var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, sync, segmentSize: 16 * 1024));
            var acknowledged = new ConcurrentDictionary<string, byte[]>();
            var random = new Random(seed);
            fs.ScheduleCrash(random.Next(50, 600), mode);
            var writers = Enumerable.Range(0, 4).Select(w => new Thread(() =>
            {
                for (var i = 0; i < 400; i++)
                {
                    var key = $"/w{w}/{i:D4}";
                    var value = ValueFor(key, 1, padding: 10 + (i * 7 % 300));
                    try
                    {
                        if (deferred)
                        {
                            store.WhenDurableAsync(store.PutDeferred(B(key), value)).AsTask().GetAwaiter().GetResult();
                        }
                        else
                        {
                            store.Put(B(key), value);
                        }
                    }
                    catch (IOException)
                    {
                        return; // the crash
                    }

                    acknowledged[key] = value;
                }
            })).ToList();
            writers.ForEach(t => t.Start());
            writers.ForEach(t => t.Join());
            if (fs.Crashes == 0)
            {
                fs.Crash(mode);
            }

            fs.RestartAfter(store);
            using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, sync));
            foreach (var (key, value) in acknowledged)
            {
                Assert.True(value.AsSpan().SequenceEqual(reopened.Get(B(key))), $"seed {seed}: acknowledged {key} lost");
            }

            // Whatever else survived must be intact: each value names its own key.
            foreach (var entry in reopened.ScanAll(KeyRange.All))
            {
                Assert.StartsWith(Encoding.UTF8.GetString(entry.Key) + "#", Encoding.UTF8.GetString(entry.Value!), StringComparison.Ordinal);
            }

            output.WriteLine($"seed {seed}: {acknowledged.Count} acknowledged, {reopened.GetStats().Keys} present, truncated {reopened.Recovery.TruncatedBytes} bytes");
        }
    }

    [Theory]
    [InlineData(CrashMode.TornTail)]
    [InlineData(CrashMode.Chaos)]
    public void A_batch_is_all_or_nothing_after_a_crash(CrashMode mode)
    {
        for (var seed = 1; seed <= 20; seed++)
        {
            var fs = new FaultInjectingFileSystem(seed);
            var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.None, segmentSize: 32 * 1024));
            for (var b = 0; b < 60; b++)
            {
                var batch = new WriteBatch();
                for (var k = 0; k < 10; k++)
                {
                    batch.Put(B($"/b{b:D2}/{k}"), ValueFor($"/b{b:D2}/{k}", b, padding: 100));
                }

                store.Write(batch);
                if (b == 20)
                {
                    store.Sync();
                }
            }

            fs.Crash(mode);
            fs.RestartAfter(store);
            using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.None));
            for (var b = 0; b < 60; b++)
            {
                var present = Enumerable.Range(0, 10).Count(k => reopened.Get(B($"/b{b:D2}/{k}")) is not null);
                Assert.True(present is 0 or 10, $"seed {seed}: batch {b} is torn ({present} of 10 keys)");
                if (b <= 20)
                {
                    Assert.True(present == 10, $"seed {seed}: batch {b} was synced but is gone");
                }
            }
        }
    }

    [Fact]
    public void A_flipped_bit_in_a_value_is_reported_and_never_served()
    {
        var fs = new FaultInjectingFileSystem(1);
        using (var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always)))
        {
            for (var i = 0; i < 100; i++)
            {
                store.Put(B($"/k{i:D3}"), ValueFor($"/k{i:D3}", 1));
            }
        }

        // Find /k050's value in the segment and flip a bit inside it.
        var segment = fs.AllFiles().Single(f => f.EndsWith(".log", StringComparison.Ordinal));
        var offset = FindInFile(fs, segment, B("/k050#1#"));
        fs.FlipBit(segment, offset + 3, bit: 2);

        using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always));
        var error = Assert.Throws<CorruptionException>(() => reopened.Get(B("/k050")));
        Assert.Contains(".log", error.Message, StringComparison.Ordinal);
        Assert.Equal(ValueFor("/k049", 1), reopened.Get(B("/k049")));
        Assert.Equal(ValueFor("/k051", 1), reopened.Get(B("/k051")));
        Assert.Throws<CorruptionException>(() => reopened.ScanAll(KeyRange.Prefix(B("/k05"))).ToList());
        Assert.True(reopened.GetStats().CorruptRecords > 0);
    }

    [Fact]
    public void A_corrupt_record_in_a_segment_without_hint_is_skipped_and_later_records_survive()
    {
        var fs = new FaultInjectingFileSystem(2);
        var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always));
        for (var i = 0; i < 100; i++)
        {
            store.Put(B($"/k{i:D3}"), ValueFor($"/k{i:D3}", 1));
        }

        fs.Crash(CrashMode.DropUnsynced); // no hint was written for the active segment
        fs.RestartAfter(store);
        var segment = fs.AllFiles().Single(f => f.EndsWith(".log", StringComparison.Ordinal));
        fs.FlipBit(segment, FindInFile(fs, segment, B("/k040#1#")), bit: 5);

        using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always));
        Assert.Equal(1, reopened.Recovery.CorruptRegions);
        Assert.Null(reopened.Get(B("/k040"))); // lost, and never served damaged
        Assert.Equal(99, reopened.GetStats().Keys);
        Assert.Equal(ValueFor("/k099", 1), reopened.Get(B("/k099")));
        Assert.Equal(0, reopened.Recovery.TruncatedBytes);
    }

    [Fact]
    public void A_torn_tail_is_cut_off_and_the_store_takes_writes_again()
    {
        var fs = new FaultInjectingFileSystem(3);
        var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.None));
        for (var i = 0; i < 50; i++)
        {
            store.Put(B($"/k{i:D3}"), ValueFor($"/k{i:D3}", 1, padding: 500));
        }

        store.Sync();
        store.Put(B("/torn"), ValueFor("/torn", 1, padding: 5000));
        var segment = fs.AllFiles().Single(f => f.EndsWith(".log", StringComparison.Ordinal));
        var fullLength = fs.LengthOf(segment);
        fs.ScheduleCrash(0, CrashMode.TornTail);
        Assert.Throws<IOException>(() => store.Put(B("/after"), B("x")));
        fs.RestartAfter(store);

        using (var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.None)))
        {
            Assert.Equal(50, reopened.ScanAll(KeyRange.Prefix(B("/k"))).Count());
            var torn = reopened.Get(B("/torn"));
            Assert.True(torn is null || torn.AsSpan().SequenceEqual(ValueFor("/torn", 1, padding: 5000)));
            Assert.True(fs.LengthOf(segment) <= fullLength);
            reopened.Put(B("/new"), B("fresh"));
        }

        using var again = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.None));
        Assert.Equal("fresh", Encoding.UTF8.GetString(again.Get(B("/new"))!));
    }

    [Fact]
    public void A_corrupt_hint_file_is_ignored_and_the_segment_is_scanned()
    {
        var fs = new FaultInjectingFileSystem(4);
        using (var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.GroupCommit)))
        {
            for (var i = 0; i < 200; i++)
            {
                store.Put(B($"/k{i:D3}"), ValueFor($"/k{i:D3}", 1));
            }
        }

        var hint = fs.AllFiles().First(f => f.EndsWith(".hint", StringComparison.Ordinal));
        fs.FlipBit(hint, fs.LengthOf(hint) / 2, bit: 1);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.GroupCommit));
        Assert.True(reopened.Recovery.SegmentsScanned >= 1);
        Assert.Equal(200, reopened.GetStats().Keys);
        Assert.Equal(ValueFor("/k123", 1), reopened.Get(B("/k123")));
    }

    [Fact]
    public void A_segment_with_a_corrupt_header_is_set_aside_and_the_store_opens()
    {
        var fs = new FaultInjectingFileSystem(5);
        using (var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always, segmentSize: 4096)))
        {
            for (var i = 0; i < 100; i++)
            {
                store.Put(B($"/k{i:D3}"), ValueFor($"/k{i:D3}", 1, padding: 200));
            }
        }

        var first = fs.AllFiles().First(f => f.EndsWith(".log", StringComparison.Ordinal));
        fs.Delete(first.Replace(".log", ".hint", StringComparison.Ordinal));
        fs.FlipBit(first, 2);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always));
        Assert.Equal(1, reopened.Recovery.SegmentsSetAside);
        Assert.Contains(first + ".corrupt", fs.AllFiles());
        Assert.InRange(reopened.GetStats().Keys, 1, 99);
        Assert.Equal(ValueFor("/k099", 1, padding: 200), reopened.Get(B("/k099")));
    }

    [Fact]
    public void A_full_disk_fails_the_write_clearly_and_loses_nothing()
    {
        var fs = new FaultInjectingFileSystem(6);
        using var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always));
        store.Put(B("/before"), ValueFor("/before", 1));
        fs.CapacityBytes = fs.AllFiles().Sum(fs.LengthOf) + 1000;
        var error = Assert.Throws<IOException>(() => store.Put(B("/big"), new byte[10_000]));
        Assert.Contains("No space left", error.Message, StringComparison.Ordinal);
        Assert.Null(store.Get(B("/big")));
        fs.CapacityBytes = null;
        store.Put(B("/after"), ValueFor("/after", 1));
        Assert.Equal(ValueFor("/before", 1), store.Get(B("/before")));
        Assert.Equal(ValueFor("/after", 1), store.Get(B("/after")));
    }

    [Fact]
    public async Task A_failed_sync_when_a_segment_closes_acknowledges_nothing_it_did_not_cover()
    {
        var fs = new FaultInjectingFileSystem(8);
        using var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.GroupCommit, segmentSize: 4096));
        var pending = store.PutDeferred(B("/pending"), new byte[1000]); // written, not yet synced
        fs.FailSync = path => path.EndsWith(".log", StringComparison.Ordinal);
        Assert.Throws<IOException>(() => store.Put(B("/rotates"), new byte[4000])); // closing the segment fails to sync
        fs.FailSync = null;

        // The write before it was never covered by a sync: it must not be reported durable, now or later.
        await Assert.ThrowsAsync<IOException>(() => store.WhenDurableAsync(pending).AsTask());
        Assert.Throws<IOException>(() => store.Put(B("/after"), B("x")));
    }

    [Fact]
    public void A_crash_at_any_step_of_a_compaction_loses_nothing()
    {
        // Count the disk operations one compaction makes, then crash at each of them in turn.
        var steps = CompactionScenario(new FaultInjectingFileSystem(0), crashAt: -1);
        Assert.True(steps > 5, $"the compaction made only {steps} disk operations");
        for (var crashAt = 0; crashAt <= steps; crashAt++)
        {
            CompactionScenario(new FaultInjectingFileSystem(crashAt), crashAt);
        }
    }

    [Fact]
    public void A_compaction_whose_old_segment_cannot_be_deleted_does_not_resurrect_deleted_keys()
    {
        var fs = new FaultInjectingFileSystem(7);
        var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always, segmentSize: 4096));
        for (var i = 0; i < 40; i++)
        {
            store.Put(B($"/k{i:D2}"), ValueFor($"/k{i:D2}", 1, padding: 60)); // the first segments: old puts
        }

        for (var i = 0; i < 40; i++)
        {
            store.Delete(B($"/k{i:D2}")); // later segments: tombstones
        }

        store.Put(B("/filler"), new byte[5000]); // closes the last tombstone segment

        // The oldest segment, holding the puts, refuses to be deleted; the others go.
        var oldest = fs.AllFiles().First(f => f.EndsWith(".log", StringComparison.Ordinal));
        fs.FailDelete = path => path == oldest;
        Assert.True(store.Compact(0).SegmentsCompacted > 1);
        fs.FailDelete = null;
        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(store);

        using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always));
        for (var i = 0; i < 40; i++)
        {
            Assert.True(reopened.Get(B($"/k{i:D2}")) is null, $"/k{i:D2} was deleted but is back");
        }
    }

    /// <returns>The disk operations the compaction made (when <paramref name="crashAt"/> is -1).</returns>
    private static long CompactionScenario(FaultInjectingFileSystem fs, long crashAt)
    {
        var expected = new Dictionary<string, byte[]?>();
        var store = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always, segmentSize: 4096));
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < 40; i++)
            {
                var key = $"/k{i:D2}";
                if ((i + round) % 5 == 0)
                {
                    store.Delete(B(key));
                    expected[key] = null;
                }
                else
                {
                    expected[key] = ValueFor(key, round, padding: 60);
                    store.Put(B(key), expected[key]!);
                }
            }
        }

        var before = fs.MutatingOperations;
        if (crashAt >= 0)
        {
            fs.ScheduleCrash(crashAt, CrashMode.Chaos);
            try
            {
                store.Compact(0);
            }
            catch (IOException)
            {
            }
        }
        else
        {
            Assert.True(store.Compact(0).SegmentsCompacted > 0);
        }

        var steps = fs.MutatingOperations - before;
        if (fs.Crashes == 0)
        {
            fs.Crash(CrashMode.Chaos);
        }

        fs.RestartAfter(store);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open(Dir, Options(fs, SyncPolicy.Always));
        foreach (var (key, value) in expected)
        {
            var found = reopened.Get(B(key));
            Assert.True(value is null ? found is null : value.AsSpan().SequenceEqual(found), $"crash at step {crashAt}: {key} is wrong");
        }

        Assert.Equal(expected.Count(e => e.Value is not null), reopened.GetStats().Keys);
        return steps;
    }

    private static long FindInFile(FaultInjectingFileSystem fs, string path, byte[] needle)
    {
        using var file = fs.Open(path, create: false);
        var data = new byte[file.Length];
        file.Read(0, data);
        var at = data.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"{Encoding.UTF8.GetString(needle)} is not in {path}");
        return at;
    }
}
