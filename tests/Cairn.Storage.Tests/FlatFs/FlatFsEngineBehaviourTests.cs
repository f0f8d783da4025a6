using System.Text;
using Cairn.Core;
using Cairn.Storage.FlatFs;

namespace Cairn.Storage.Tests.FlatFs;

public sealed class FlatFsEngineBehaviourTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData("/repo/flatfs/shard/v1/fancy/2\n", "unknown function 'fancy'")]
    [InlineData("/repo/flatfs/shard/v2/prefix/2\n", "version 'v2'")]
    [InlineData("/repo/flatfs/shard/v1/prefix/two\n", "parameter 'two'")]
    [InlineData("next-to-last/2\n", "does not start with")]
    [InlineData("\n", "empty shard function")]
    public void A_store_with_an_unknown_or_malformed_shard_function_fails_to_open_with_a_one_line_error(string sharding, string reason)
    {
        Directory.CreateDirectory(_store.Path);
        File.WriteAllText(_store["SHARDING"], sharding);
        var error = Assert.Throws<InvalidDataException>(() => new FlatFsEngine(_store.Path));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains(_store.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("SHARDING", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_non_empty_directory_without_SHARDING_is_refused()
    {
        Directory.CreateDirectory(_store.Path);
        File.WriteAllText(_store["notes.txt"], "mine");
        var error = Assert.Throws<InvalidDataException>(() => new FlatFsEngine(_store.Path));
        Assert.Contains("no SHARDING file", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_store["SHARDING"]));
    }

    [Fact]
    public void Keys_go_ds_flatfs_refuses_round_trip_and_never_collide_with_valid_ones()
    {
        // "/a/b" encodes to base32 F5QS6YQ; "/F5QS6YQ" is a valid flatfs key spelling the same letters.
        byte[][] keys = [B("/a/b"), B("/F5QS6YQ"), B("/f5qs6yq"), B("/abc"), B("ABC"), B("/"), [], [0x00, 0xFF, 0x2F], B("/A B")];
        using (var engine = new FlatFsEngine(_store.Path))
        {
            foreach (var key in keys)
            {
                engine.Put(key, [.. key, (byte)'!']);
            }

            var paths = keys.Select(k => engine.GetRelativePath(k)).ToList();
            Assert.Equal(paths.Count, paths.Distinct(StringComparer.OrdinalIgnoreCase).Count());
            Assert.Equal("6Y/F5QS6YQ.data", engine.GetRelativePath(B("/F5QS6YQ")));
            Assert.Equal(1, paths.Count(p => p.EndsWith(".data", StringComparison.Ordinal)));
        }

        using var reopened = new FlatFsEngine(_store.Path);
        foreach (var key in keys)
        {
            Assert.Equal(key.Append((byte)'!').ToArray(), reopened.Get(key));
        }

        var listed = reopened.ScanAll(KeyRange.All).Select(e => e.Key).ToList();
        Assert.Equal(keys.OrderBy(k => k, ByteKeyComparer.Instance), listed);
    }

    [Fact]
    public void A_key_whose_file_name_would_pass_255_bytes_is_refused_naming_the_limit()
    {
        using var engine = new FlatFsEngine(_store.Path);
        Assert.Equal(156, engine.MaxKeySize);
        var longest = new byte[engine.MaxKeySize];
        Array.Fill(longest, (byte)'z');
        engine.Put(longest, B("fits"));
        Assert.Equal("fits", Encoding.UTF8.GetString(engine.Get(longest)!));
        Assert.True(Path.GetFileName(engine.GetRelativePath(longest)).Length <= 255);

        var error = Assert.Throws<LimitExceededException>(() => engine.Put(new byte[157], B("v")));
        Assert.Equal("key", error.What);
        Assert.Equal(156, error.Maximum);
        Assert.Null(engine.Get(new byte[400]));
    }

    [Fact]
    public void Stale_temp_files_are_ignored_by_reads_and_scans_and_removed_on_open()
    {
        using (var engine = new FlatFsEngine(_store.Path))
        {
            engine.Put(B("/KEEP"), B("kept"));
            File.WriteAllBytes(Path.Combine(_store[".temp"], "temp-1"), B("torn"));
            File.WriteAllBytes(Path.Combine(_store["EE"], "put-2"), B("torn"));
            Assert.Single(engine.ScanAll(KeyRange.All));
            Assert.Equal(1, engine.GetStats().Keys);
        }

        using var reopened = new FlatFsEngine(_store.Path);
        Assert.Equal(2, reopened.StaleTempFilesRemoved);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_store[".temp"]));
        Assert.Equal(["KEEP.data"], Directory.EnumerateFiles(_store["EE"]).Select(Path.GetFileName));
        Assert.Equal("kept", Encoding.UTF8.GetString(reopened.Get(B("/KEEP"))!));
    }

    [Fact]
    public void Writes_leave_no_temp_files_behind()
    {
        using var engine = new FlatFsEngine(_store.Path);
        engine.Put(B("/A1"), B("1"));
        engine.Write(new WriteBatch().Put(B("/B2"), B("2")).Put(B("/x/y"), B("3")).Delete(B("/A1")).Delete(B("/NEVER")));
        engine.Checkpoint(3);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_store[".temp"]));
        Assert.Null(engine.Get(B("/A1")));
        Assert.Equal(2, engine.GetStats().Keys);
    }

    [Fact]
    public void CHECKPOINT_is_written_atomically_and_survives_reopen()
    {
        using (var engine = new FlatFsEngine(_store.Path))
        {
            engine.Put(B("/A"), B("1"));
            engine.Checkpoint(41);
            engine.Checkpoint(ulong.MaxValue - 1);
            Assert.Equal(ulong.MaxValue - 1, engine.CheckpointIndex);
        }

        Assert.Equal((ulong.MaxValue - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", File.ReadAllText(_store["CHECKPOINT"]));
        using var reopened = new FlatFsEngine(_store.Path);
        Assert.Equal(ulong.MaxValue - 1, reopened.CheckpointIndex);
        Assert.Equal(ulong.MaxValue - 1, reopened.GetStats().CheckpointIndex);
    }

    [Fact]
    public void A_damaged_CHECKPOINT_is_reported_as_corruption()
    {
        using (new FlatFsEngine(_store.Path))
        {
        }

        File.WriteAllText(_store["CHECKPOINT"], "forty-two\n");
        var error = Assert.Throws<CorruptionException>(() => new FlatFsEngine(_store.Path));
        Assert.Contains("CHECKPOINT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_per_write_sync_Sync_and_Checkpoint_still_make_writes_durable()
    {
        var options = new FlatFsOptions { Sync = false };
        using (var engine = new FlatFsEngine(_store.Path, options))
        {
            for (var i = 0; i < 20; i++)
            {
                engine.Put(B($"/K{i}"), B($"v{i}"));
            }

            engine.Delete(B("/K3"));
            engine.Write(new WriteBatch().Put(B("/lower"), B("l")).Delete(B("/K4")));
            engine.Sync();
            engine.Sync(); // nothing left to do
            engine.Put(B("/K3"), B("again"));
            engine.Checkpoint(9);
        }

        using var reopened = new FlatFsEngine(_store.Path, options);
        Assert.Equal(9ul, reopened.CheckpointIndex);
        Assert.Equal(20, reopened.GetStats().Keys);
        Assert.Equal("again", Encoding.UTF8.GetString(reopened.Get(B("/K3"))!));
        Assert.Null(reopened.Get(B("/K4")));
    }

    [Fact]
    public void Stats_count_keys_bytes_and_files()
    {
        using var engine = new FlatFsEngine(_store.Path);
        engine.Put(B("/AAAA"), B("12345"));
        engine.Put(B("/a/b"), B("xy"));
        engine.Put(B("/AAAA"), B("123"));
        var stats = engine.GetStats();
        Assert.Equal("flatfs", stats.Engine);
        Assert.Equal(2, stats.Keys);
        Assert.Equal(2, stats.Files);
        Assert.Equal(5 + 3 + 4 + 2, stats.LiveBytes);
        Assert.Equal(3 + 2, stats.StoredBytes);
    }

    [Fact]
    public void An_existing_store_keeps_its_own_shard_function_whatever_the_options_say()
    {
        using (var engine = new FlatFsEngine(_store.Path, new FlatFsOptions { ShardFunction = FlatFsShardFunction.Suffix(2) }))
        {
            engine.Put(B("/ABCD"), B("1"));
        }

        using var reopened = new FlatFsEngine(_store.Path, new FlatFsOptions { ShardFunction = FlatFsShardFunction.Prefix(1) });
        Assert.Equal(FlatFsShardFunction.Suffix(2), reopened.ShardFunction);
        Assert.Equal("CD/ABCD.data", reopened.GetRelativePath(B("/ABCD")));
        Assert.Equal("1", Encoding.UTF8.GetString(reopened.Get(B("/ABCD"))!));
    }
}
