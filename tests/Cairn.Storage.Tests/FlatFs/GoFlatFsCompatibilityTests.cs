using System.Text;
using Cairn.Storage.FlatFs;
using Cairn.Storage.Memory;

namespace Cairn.Storage.Tests.FlatFs;

/// <summary>Opens directories laid out exactly as go-ds-flatfs leaves them.</summary>
public sealed class GoFlatFsCompatibilityTests : IDisposable
{
    private const string Base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private readonly TempStore _store = new();
    private readonly SortedDictionary<string, byte[]> _blocks = new(StringComparer.Ordinal);

    public GoFlatFsCompatibilityTests()
    {
        // What `ipfs init` and a few `ipfs add`s leave in ~/.ipfs/blocks.
        Directory.CreateDirectory(_store.Path);
        File.WriteAllText(_store["SHARDING"], "/repo/flatfs/shard/v1/next-to-last/2\n");
        File.WriteAllText(_store["_README"], "This is a repository of IPLD objects.\n");
        File.WriteAllText(_store["diskUsage.cache"], "{\"diskUsage\":123456,\"accuracy\":\"initial-exact\"}\n");
        Directory.CreateDirectory(_store[".temp"]);
        File.WriteAllBytes(Path.Combine(_store[".temp"], "temp-2718281828"), [1, 2, 3]);

        var random = new Random(7);
        AddBlock("CIQA4XCGRCRTCCHV7XSGAZPZJOAOHLPOI6IQR3H6YQ", Encoding.UTF8.GetBytes("hello worlds\n"));
        AddBlock("AFKREIA22FLID5AJ2KU7URG47MDLROZIH6YF2KALU2PWEFPVI37YLKRSCA", []);
        for (var i = 0; i < 1500; i++)
        {
            var name = "AFKREI" + new string(Enumerable.Range(0, 53).Select(_ => Base32Upper[random.Next(32)]).ToArray());
            var value = new byte[random.Next(0, 600)];
            random.NextBytes(value);
            AddBlock(name, value);
        }

        // An older go-ds-flatfs wrote temp files next to the blocks.
        File.WriteAllBytes(Path.Combine(_store["6Y"], "put-314159"), [9, 9]);
    }

    public void Dispose() => _store.Dispose();

    [Fact]
    public void Opening_a_go_ds_flatfs_directory_reads_every_block()
    {
        using var engine = new FlatFsEngine(_store.Path);
        Assert.Equal(FlatFsShardFunction.NextToLast(2), engine.ShardFunction);
        foreach (var (name, value) in _blocks)
        {
            var key = Encoding.ASCII.GetBytes("/" + name);
            Assert.Equal(value, engine.Get(key));
            Assert.Equal(value.Length, engine.GetSize(key));
        }

        var stats = engine.GetStats();
        Assert.Equal(_blocks.Count, stats.Keys);
        Assert.Equal(_blocks.Count, stats.Files);
        Assert.Equal(_blocks.Values.Sum(v => (long)v.Length), stats.StoredBytes);
        Assert.Equal(_blocks.Sum(b => 1L + b.Key.Length + b.Value.Length), stats.LiveBytes);
    }

    [Fact]
    public void Opening_a_go_ds_flatfs_directory_lists_every_block_in_key_order()
    {
        using var engine = new FlatFsEngine(_store.Path);
        var listed = engine.ScanAll(KeyRange.All, keysOnly: true, pageSize: 100).ToList();
        Assert.Equal(_blocks.Keys.Select(k => "/" + k), listed.Select(e => Encoding.ASCII.GetString(e.Key)));
        Assert.Equal(_blocks.Values.Select(v => v.Length), listed.Select(e => e.Size));
    }

    [Fact]
    public void Opening_a_go_ds_flatfs_directory_removes_its_stale_temp_files_and_keeps_its_metadata()
    {
        using var engine = new FlatFsEngine(_store.Path);
        Assert.Equal(2, engine.StaleTempFilesRemoved);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_store[".temp"]));
        Assert.False(File.Exists(Path.Combine(_store["6Y"], "put-314159")));
        Assert.Equal("/repo/flatfs/shard/v1/next-to-last/2\n", File.ReadAllText(_store["SHARDING"]));
        Assert.Equal("This is a repository of IPLD objects.\n", File.ReadAllText(_store["_README"]));
        Assert.True(File.Exists(_store["diskUsage.cache"]));
    }

    [Fact]
    public void The_first_write_drops_go_ds_flatfs_s_disk_usage_cache_so_it_is_recomputed()
    {
        using var engine = new FlatFsEngine(_store.Path);
        engine.Put("/NEWBLOCK"u8, "x"u8);
        Assert.False(File.Exists(_store["diskUsage.cache"]));
        Assert.True(File.Exists(_store["OC/NEWBLOCK.data"]));
    }

    [Fact]
    public void Importing_a_go_ds_flatfs_directory_copies_every_block_and_reports_progress()
    {
        using var source = new FlatFsEngine(_store.Path);
        using var target = new MemoryEngine();
        var progress = new RecordingProgress();
        var result = FlatFsImport.Import(source, target, progress, CancellationToken.None);

        var totalBytes = _blocks.Sum(b => 1L + b.Key.Length + b.Value.Length);
        Assert.Equal(_blocks.Count, result.KeysCopied);
        Assert.Equal(totalBytes, result.BytesCopied);
        Assert.Equal(2, result.Batches); // 1502 keys in batches of at most 1000
        Assert.Equal(_blocks.Count, target.GetStats().Keys);
        foreach (var (name, value) in _blocks)
        {
            Assert.Equal(value, target.Get(Encoding.ASCII.GetBytes("/" + name)));
        }

        Assert.Equal(3, progress.Reports.Count);
        Assert.Equal(new ImportProgress(0, 0, _blocks.Count, totalBytes), progress.Reports[0]);
        Assert.Equal(1000, progress.Reports[1].KeysCopied);
        Assert.Equal(new ImportProgress(_blocks.Count, totalBytes, _blocks.Count, totalBytes), progress.Reports[^1]);
    }

    [Fact]
    public void Import_keeps_batches_under_eight_mebibytes()
    {
        using var source = new FlatFsEngine(_store.Path);
        var big = new byte[3 * 1024 * 1024];
        source.Put("/BIGA"u8, big);
        source.Put("/BIGB"u8, big);
        source.Put("/BIGC"u8, big);
        using var target = new MemoryEngine();
        var result = FlatFsImport.Import(source, target, null, CancellationToken.None);
        Assert.Equal(_blocks.Count + 3, result.KeysCopied);
        Assert.True(result.Batches >= 3, $"three 3 MiB values need at least two batch boundaries, got {result.Batches} batches");
        Assert.Equal(big.Length, target.GetSize("/BIGC"u8));
    }

    [Fact]
    public void A_cancelled_import_stops_with_OperationCanceledException()
    {
        using var source = new FlatFsEngine(_store.Path);
        using var target = new MemoryEngine();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => FlatFsImport.Import(source, target, null, cancel.Token));
        Assert.Equal(0, target.GetStats().Keys);
    }

    private void AddBlock(string name, byte[] value)
    {
        var shard = ("___" + name)[^3..^1];
        Directory.CreateDirectory(_store[shard]);
        File.WriteAllBytes(Path.Combine(_store[shard], name + ".data"), value);
        _blocks[name] = value;
    }
}
