using System.Text;
using Cairn.Storage.FlatFs;

namespace Cairn.Storage.Tests.FlatFs;

public sealed class FlatFsLayoutTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [InlineData("/CIQA4XCGRCRTCCHV7XSGAZPZJOAOHLPOI6IQR3H6YQ", "6Y/CIQA4XCGRCRTCCHV7XSGAZPZJOAOHLPOI6IQR3H6YQ.data")]
    [InlineData("/AFKREIA22FLID5AJ2KU7URG47MDLROZIH6YF2KALU2PWEFPVI37YLKRSCA", "SC/AFKREIA22FLID5AJ2KU7URG47MDLROZIH6YF2KALU2PWEFPVI37YLKRSCA.data")]
    [InlineData("/ABC", "AB/ABC.data")]
    [InlineData("/AB", "_A/AB.data")]
    [InlineData("/A", "__/A.data")]
    [InlineData("/+-_=", "-_/+-_=.data")]
    public void Next_to_last_2_puts_a_key_under_the_two_characters_before_its_last(string key, string expected)
    {
        using var engine = new FlatFsEngine(_store.Path);
        Assert.Equal(expected, engine.GetRelativePath(B(key)));
        engine.Put(B(key), B("v"));
        Assert.True(File.Exists(_store[expected]));
    }

    [Theory]
    [InlineData("/CIQA4XCGRCRTCCHV7XSGAZPZJOAOHLPOI6IQR3H6YQ", "CI/CIQA4XCGRCRTCCHV7XSGAZPZJOAOHLPOI6IQR3H6YQ.data")]
    [InlineData("/AB", "AB_/AB.data")]
    [InlineData("/A", "A__/A.data")]
    public void Prefix_n_takes_the_first_characters_padded_on_the_right(string key, string expected)
    {
        var prefixLength = expected.IndexOf('/', StringComparison.Ordinal);
        using var engine = new FlatFsEngine(_store.Path, new FlatFsOptions { ShardFunction = FlatFsShardFunction.Prefix(prefixLength) });
        Assert.Equal(expected, engine.GetRelativePath(B(key)));
        engine.Put(B(key), B("v"));
        Assert.True(File.Exists(_store[expected]));
    }

    [Theory]
    [InlineData("/CIQA4XCGRCRTCCHV7XSGAZPZJOAOHLPOI6IQR3H6YQ", "YQ/CIQA4XCGRCRTCCHV7XSGAZPZJOAOHLPOI6IQR3H6YQ.data")]
    [InlineData("/AB", "_AB/AB.data")]
    [InlineData("/A", "__A/A.data")]
    public void Suffix_n_takes_the_last_characters_padded_on_the_left(string key, string expected)
    {
        var suffixLength = expected.IndexOf('/', StringComparison.Ordinal);
        using var engine = new FlatFsEngine(_store.Path, new FlatFsOptions { ShardFunction = FlatFsShardFunction.Suffix(suffixLength) });
        Assert.Equal(expected, engine.GetRelativePath(B(key)));
        engine.Put(B(key), B("v"));
        Assert.True(File.Exists(_store[expected]));
    }

    [Fact]
    public void Creating_a_store_writes_SHARDING_and_the_IPFS_README()
    {
        using (new FlatFsEngine(_store.Path))
        {
        }

        Assert.Equal("/repo/flatfs/shard/v1/next-to-last/2\n", File.ReadAllText(_store["SHARDING"]));
        var readme = File.ReadAllText(_store["_README"]);
        Assert.StartsWith("This is a repository of IPLD objects. Each IPLD object is in a single file,\n", readme, StringComparison.Ordinal);
        Assert.Contains("    SC/AFKREIA22FLID5AJ2KU7URG47MDLROZIH6YF2KALU2PWEFPVI37YLKRSCA.data\n", readme, StringComparison.Ordinal);
        Assert.EndsWith("beginning of the CIDv1 string is the multibase prefix that is not\nstored in the filename.\n", readme, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', readme);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(_store["_README"]));
        }

        Assert.True(Directory.Exists(_store[".temp"]));
    }

    [Fact]
    public void A_store_created_with_another_shard_function_records_it_and_has_no_README()
    {
        using (new FlatFsEngine(_store.Path, new FlatFsOptions { ShardFunction = FlatFsShardFunction.Prefix(3) }))
        {
        }

        Assert.Equal("/repo/flatfs/shard/v1/prefix/3\n", File.ReadAllText(_store["SHARDING"]));
        Assert.False(File.Exists(_store["_README"]));
        using var reopened = new FlatFsEngine(_store.Path);
        Assert.Equal(FlatFsShardFunction.Prefix(3), reopened.ShardFunction);
    }

    [Fact]
    public void Keys_go_ds_flatfs_refuses_get_a_dotted_lower_case_base32_name()
    {
        using var engine = new FlatFsEngine(_store.Path);
        var path = engine.GetRelativePath(B("/a/b"));
        var name = path[(path.IndexOf('/', StringComparison.Ordinal) + 1)..];
        Assert.Equal(".f5qs6yq.kv", name); // base32("/a/b") is F5QS6YQ
        Assert.Equal("6y", path[..path.IndexOf('/', StringComparison.Ordinal)]);
        Assert.Equal("__/..kv", engine.GetRelativePath([]));
    }

    [Fact]
    public void A_shard_function_parses_from_its_identifier_and_prints_back()
    {
        Assert.Equal(FlatFsShardFunction.NextToLast(2), FlatFsShardFunction.Parse("/repo/flatfs/shard/v1/next-to-last/2\n"));
        Assert.Equal(FlatFsShardFunction.Prefix(4), FlatFsShardFunction.Parse("  /repo/flatfs/shard/v1/prefix/4 "));
        Assert.Equal(FlatFsShardFunction.Suffix(1), FlatFsShardFunction.Parse("/repo/flatfs/shard/v1/suffix/1"));
        Assert.Equal("/repo/flatfs/shard/v1/suffix/1", FlatFsShardFunction.Suffix(1).ToString());
        Assert.Throws<FormatException>(() => FlatFsShardFunction.Parse("/repo/flatfs/shard/v2/prefix/2"));
        Assert.Throws<FormatException>(() => FlatFsShardFunction.Parse("next-to-last/2"));
        Assert.Throws<FormatException>(() => FlatFsShardFunction.Parse("/repo/flatfs/shard/v1/prefix/x"));
        Assert.Throws<FormatException>(() => FlatFsShardFunction.Parse("/repo/flatfs/shard/v1/prefix/-1"));
        Assert.Throws<FormatException>(() => FlatFsShardFunction.Parse(""));
    }
}
