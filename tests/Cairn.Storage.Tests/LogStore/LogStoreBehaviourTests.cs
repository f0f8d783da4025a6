using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Cairn.Storage;
using Cairn.Storage.LogStore;
using Cairn.Testing;
using Xunit.Abstractions;

namespace Cairn.Storage.Tests.LogStore;

/// <summary>LogStore behaviour beyond the shared contract: restart from hints, compaction, locking, memory.</summary>
/// <remarks>Not run in parallel with other classes: the memory test measures the whole process's heap.</remarks>
[Collection(MemoryMeasurement.Name)]
public sealed class LogStoreBehaviourTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cairn-logstore-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Key(int i)
    {
        var key = new byte[16];
        "/key/"u8.CopyTo(key);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), i);
        return key;
    }

    [Fact]
    public void Restart_with_a_million_keys_rebuilds_the_index_from_hints_without_reading_values()
    {
        const int count = 1_000_000;
        var options = new LogStoreOptions { Sync = SyncPolicy.None, BackgroundCompaction = false };
        using (var store = Cairn.Storage.LogStore.LogStore.Open(_dir, options))
        {
            var batch = new WriteBatch();
            var value = new byte[16];
            for (var i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(value, i);
                batch.Put(Key(i), value);
                if (batch.Count == 10_000)
                {
                    store.Write(batch);
                    batch.Clear();
                }
            }
        }

        using var reopened = Cairn.Storage.LogStore.LogStore.Open(_dir, options);
        output.WriteLine($"open: {reopened.Recovery}");
        Assert.Equal(0, reopened.Recovery.SegmentBytesScanned);
        Assert.True(reopened.Recovery.SegmentsFromHints >= 1);
        Assert.Equal(count, reopened.GetStats().Keys);
        Assert.Equal(123_456, BinaryPrimitives.ReadInt32LittleEndian(reopened.Get(Key(123_456))));
        Assert.Equal(count - 1, BinaryPrimitives.ReadInt32LittleEndian(reopened.Get(Key(count - 1))));
    }

    [Fact]
    public void Index_memory_is_at_most_64_bytes_a_key_besides_the_key()
    {
        const int count = 200_000;
        var options = new LogStoreOptions { Sync = SyncPolicy.None, BackgroundCompaction = false };
        using (var store = Cairn.Storage.LogStore.LogStore.Open(_dir, options))
        {
            var batch = new WriteBatch();
            for (var i = 0; i < count; i++)
            {
                batch.Put(Key(i), "v"u8);
                if (batch.Count == 10_000)
                {
                    store.Write(batch);
                    batch.Clear();
                }
            }
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open(_dir, options);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perKey = (double)(after - before) / count;
        var estimate = (double)reopened.GetStats().IndexBytes / count;
        output.WriteLine($"measured {perKey:F1} bytes/key, estimated {estimate:F1} bytes/key, key length 16");
        Assert.True(perKey <= 64 + 16, $"the index takes {perKey:F1} bytes a key (16-byte keys)");
        Assert.True(estimate <= 64 + 16, $"the index estimate is {estimate:F1} bytes a key");
        GC.KeepAlive(reopened);
    }

    [Fact]
    public void A_second_open_of_the_same_directory_is_refused_with_a_clear_error()
    {
        using var first = Cairn.Storage.LogStore.LogStore.Open(_dir);
        var error = Assert.Throws<IOException>(() => Cairn.Storage.LogStore.LogStore.Open(_dir));
        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_a_missing_directory_without_create_says_so()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() =>
            Cairn.Storage.LogStore.LogStore.Open(_dir, new LogStoreOptions { CreateIfMissing = false }));
        Assert.Contains(_dir, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compaction_reclaims_overwritten_space_and_keeps_every_live_value_across_reopen()
    {
        var options = new LogStoreOptions { Sync = SyncPolicy.None, SegmentSize = 64 * 1024, BackgroundCompaction = false };
        long storedBefore;
        using (var store = Cairn.Storage.LogStore.LogStore.Open(_dir, options))
        {
            for (var round = 0; round < 10; round++)
            {
                for (var i = 0; i < 200; i++)
                {
                    store.Put(B($"/k{i:D3}"), B($"/k{i:D3} round {round}".PadRight(200, '.')));
                }
            }

            for (var i = 0; i < 200; i += 4)
            {
                store.Delete(B($"/k{i:D3}"));
            }

            storedBefore = SegmentBytes();
            var result = store.Compact(0);
            output.WriteLine($"{result}; segments {storedBefore} -> {SegmentBytes()} bytes");
            Assert.True(result.ReclaimedBytes > 0);
            Assert.True(SegmentBytes() < storedBefore / 2, "most of the overwritten space is given back");
            Assert.Equal(150, store.GetStats().Keys);
        }

        using var reopened = Cairn.Storage.LogStore.LogStore.Open(_dir, options);
        for (var i = 0; i < 200; i++)
        {
            var value = reopened.Get(B($"/k{i:D3}"));
            if (i % 4 == 0)
            {
                Assert.Null(value);
            }
            else
            {
                Assert.Equal($"/k{i:D3} round 9".PadRight(200, '.'), Encoding.UTF8.GetString(value!));
            }
        }
    }

    [Fact]
    public void Compacting_a_store_without_garbage_does_not_grow_it()
    {
        var options = new LogStoreOptions { Sync = SyncPolicy.None, SegmentSize = 64 * 1024, BackgroundCompaction = false };
        using var store = Cairn.Storage.LogStore.LogStore.Open(_dir, options);
        for (var b = 0; b < 100; b++)
        {
            var batch = new WriteBatch();
            for (var i = 0; i < 20; i++)
            {
                batch.Put(B($"/b{b:D3}/{i:D2}"), new byte[50]);
            }

            store.Write(batch);
        }

        var before = SegmentBytes();
        var result = store.Compact(0);
        Assert.True(result.SegmentsCompacted > 0);
        Assert.True(result.BytesAfter <= result.BytesBefore, $"{result}");
        Assert.True(SegmentBytes() <= before, $"the segments grew from {before} to {SegmentBytes()} bytes");
        Assert.Equal(2000, store.ScanAll(KeyRange.All, keysOnly: true).Count());
    }

    [Fact]
    public void Opening_a_store_to_read_it_writes_no_files()
    {
        using (var store = Cairn.Storage.LogStore.LogStore.Open(_dir))
        {
            store.Put(B("/a"), B("1"));
        }

        var files = Directory.GetFiles(_dir).Order().ToList();
        for (var i = 0; i < 3; i++)
        {
            using var store = Cairn.Storage.LogStore.LogStore.Open(_dir);
            Assert.Equal("1", Encoding.UTF8.GetString(store.Get(B("/a"))!));
            _ = store.GetStats();
        }

        Assert.Equal(files, Directory.GetFiles(_dir).Order().ToList());
    }

    [Fact]
    public void Compaction_racing_with_writers_and_readers_loses_nothing()
    {
        var options = new LogStoreOptions { Sync = SyncPolicy.None, SegmentSize = 32 * 1024, BackgroundCompaction = false };
        const int keys = 300;
        var latest = new int[keys];
        var errors = new ConcurrentQueue<string>();
        using (var store = Cairn.Storage.LogStore.LogStore.Open(_dir, options))
        {
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 2).Select(w => new Thread(() =>
            {
                // Writer w owns keys with i % 2 == w, so each key's versions only grow.
                for (var version = 1; version <= 60; version++)
                {
                    for (var i = w; i < keys; i += 2)
                    {
                        store.Put(B($"/r{i:D3}"), B($"{i}:{version}:".PadRight(100, 'x')));
                        Volatile.Write(ref latest[i], version);
                    }
                }
            })).ToList();
            var readers = Enumerable.Range(0, 2).Select(r => new Thread(() =>
            {
                var random = new Random(r);
                while (!stop.IsCancellationRequested)
                {
                    var i = random.Next(keys);
                    var floor = Volatile.Read(ref latest[i]);
                    var value = store.Get(B($"/r{i:D3}"));
                    if (floor > 0 && value is null)
                    {
                        errors.Enqueue($"/r{i:D3} vanished");
                        continue;
                    }

                    if (value is not null)
                    {
                        var parts = Encoding.UTF8.GetString(value).Split(':');
                        if (parts[0] != i.ToString(System.Globalization.CultureInfo.InvariantCulture) || int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) < floor)
                        {
                            errors.Enqueue($"/r{i:D3} read {parts[0]}:{parts[1]} after version {floor} was written");
                        }
                    }
                }
            })).ToList();
            var compactions = 0;
            var compactor = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    compactions += store.Compact(0.2).SegmentsCompacted;
                }
            });
            writers.ForEach(t => t.Start());
            readers.ForEach(t => t.Start());
            compactor.Start();
            writers.ForEach(t => t.Join());
            stop.Cancel();
            readers.ForEach(t => t.Join());
            compactor.Join();
            output.WriteLine($"{compactions} segments compacted while writing");
            Assert.True(compactions > 0, "the compactor ran during the writes");
            Assert.Empty(errors);
            for (var i = 0; i < keys; i++)
            {
                Assert.Equal($"{i}:60:".PadRight(100, 'x'), Encoding.UTF8.GetString(store.Get(B($"/r{i:D3}"))!));
            }
        }

        using var reopened = Cairn.Storage.LogStore.LogStore.Open(_dir, options);
        for (var i = 0; i < keys; i++)
        {
            Assert.Equal($"{i}:60:".PadRight(100, 'x'), Encoding.UTF8.GetString(reopened.Get(B($"/r{i:D3}"))!));
        }
    }

    [Fact]
    public void Background_compaction_gives_space_back_without_being_asked()
    {
        var options = new LogStoreOptions
        {
            Sync = SyncPolicy.None,
            SegmentSize = 16 * 1024,
            CompactionInterval = TimeSpan.FromMilliseconds(20),
        };
        using var store = Cairn.Storage.LogStore.LogStore.Open(_dir, options);
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < 50; i++)
            {
                store.Put(B($"/bg{i:D2}"), new byte[300]);
            }
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (store.GetStats().Compactions == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }

        var stats = store.GetStats();
        Assert.True(stats.Compactions > 0, "the background compactor ran");
        Assert.True(stats.ReclaimedBytes > 0);
        Assert.Equal(50, stats.Keys);
    }

    [Fact]
    public void After_a_crash_only_the_segment_without_a_hint_is_scanned()
    {
        var fs = new FaultInjectingFileSystem(9);
        var options = new LogStoreOptions { FileSystem = fs, Sync = SyncPolicy.GroupCommit, SegmentSize = 8 * 1024, BackgroundCompaction = false };
        var store = Cairn.Storage.LogStore.LogStore.Open("/s", options);
        for (var i = 0; i < 400; i++)
        {
            store.Put(B($"/c{i:D3}"), new byte[100]);
        }

        // Let the background hint writes of closed segments finish, then crash.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (fs.AllFiles().Count(f => f.EndsWith(".hint", StringComparison.Ordinal)) < fs.AllFiles().Count(f => f.EndsWith(".log", StringComparison.Ordinal)) - 1 && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }

        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(store);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open("/s", options);
        Assert.Equal(1, reopened.Recovery.SegmentsScanned);
        Assert.True(reopened.Recovery.SegmentsFromHints > 1);
        Assert.Equal(400, reopened.GetStats().Keys);
    }

    [Fact]
    public void A_checkpoint_survives_a_crash_with_every_write_before_it()
    {
        var fs = new FaultInjectingFileSystem(10);
        var options = new LogStoreOptions { FileSystem = fs, Sync = SyncPolicy.None, BackgroundCompaction = false };
        var store = Cairn.Storage.LogStore.LogStore.Open("/s", options);
        for (var i = 0; i < 100; i++)
        {
            store.Put(B($"/applied/{i:D3}"), B($"entry {i}"));
        }

        store.Checkpoint(100);
        for (var i = 100; i < 150; i++)
        {
            store.Put(B($"/applied/{i:D3}"), B($"entry {i}"));
        }

        fs.Crash(CrashMode.DropUnsynced);
        fs.RestartAfter(store);
        using var reopened = Cairn.Storage.LogStore.LogStore.Open("/s", options);
        Assert.Equal(100ul, reopened.CheckpointIndex);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal($"entry {i}", Encoding.UTF8.GetString(reopened.Get(B($"/applied/{i:D3}"))!));
        }
    }

    // Hint files are written (temp file, then rename) in the background after a segment closes, so only segment
    // files can be listed and measured without racing them.
    private long SegmentBytes() => new DirectoryInfo(_dir).EnumerateFiles("*.log").Sum(f => f.Length);
}
