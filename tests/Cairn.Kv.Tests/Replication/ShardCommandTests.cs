using System.Text;
using Cairn.Kv.Replication;
using Cairn.Storage;

namespace Cairn.Kv.Tests.Replication;

public sealed class ShardCommandTests
{
    [Fact]
    public void Puts_deletes_and_batches_round_trip()
    {
        var put = ShardCommand.Decode(ShardCommand.Put("k"u8, "value"u8));
        Assert.Equal("k", Encoding.UTF8.GetString(Assert.Single(put.Operations).Key));
        Assert.Equal("value", Encoding.UTF8.GetString(put.Operations[0].Value!));

        var delete = ShardCommand.Decode(ShardCommand.Delete("gone"u8));
        Assert.True(Assert.Single(delete.Operations).IsDelete);

        var batch = new WriteBatch().Put("a"u8, []).Delete("b"u8).Put("c"u8, new byte[300]);
        var decoded = ShardCommand.Decode(ShardCommand.Batch(batch));
        Assert.Equal(3, decoded.Count);
        Assert.Empty(decoded.Operations[0].Value!);
        Assert.True(decoded.Operations[1].IsDelete);
        Assert.Equal(300, decoded.Operations[2].Value!.Length);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 9, 1 })] // unknown version
    [InlineData(new byte[] { 1, 1, 7, 1, 65 })] // unknown operation kind
    [InlineData(new byte[] { 1, 1, 1, 5, 65 })] // key runs past the end
    [InlineData(new byte[] { 1, 2, 2, 1, 65 })] // fewer operations than counted
    [InlineData(new byte[] { 1, 1, 2, 1, 65, 0 })] // bytes after the last operation
    public void Malformed_commands_are_refused_with_a_format_error(byte[] bytes) =>
        Assert.Throws<FormatException>(() => ShardCommand.Decode(bytes));

    [Fact]
    public void Applying_a_malformed_command_changes_nothing()
    {
        using var machine = new ShardStateMachine(1, new Cairn.Storage.Memory.MemoryEngine());
        machine.Apply(1, ShardCommand.Put("k"u8, "v"u8));
        Assert.Throws<FormatException>(() => machine.Apply(2, new byte[] { 1, 1, 7 }));
        Assert.Equal("v", Encoding.UTF8.GetString(machine.Engine.Get("k"u8)!));
    }

    [Fact]
    public void A_snapshot_restores_into_a_replica_that_held_other_keys()
    {
        using var source = new ShardStateMachine(1, new Cairn.Storage.Memory.MemoryEngine());
        for (var i = 0; i < 3000; i++)
        {
            source.Apply((ulong)i + 1, ShardCommand.Put(Encoding.UTF8.GetBytes("key" + i), Encoding.UTF8.GetBytes("v" + i)));
        }

        source.Apply(3001, ShardCommand.Delete("key5"u8));
        using var snapshot = new MemoryStream();
        source.CaptureSnapshot()(snapshot);

        using var target = new ShardStateMachine(1, new Cairn.Storage.Memory.MemoryEngine());
        target.Apply(1, ShardCommand.Put("stale"u8, "x"u8));
        var restored = false;
        target.Restored += _ => restored = true;
        snapshot.Position = 0;
        target.RestoreSnapshot(snapshot);

        Assert.True(restored);
        Assert.Null(target.Engine.Get("stale"u8));
        Assert.Null(target.Engine.Get("key5"u8));
        Assert.Equal("v2999", Encoding.UTF8.GetString(target.Engine.Get("key2999"u8)!));
        Assert.Equal(2999, target.Engine.ScanAll(KeyRange.All, keysOnly: true, pageSize: 1000).Count());
    }

    [Fact]
    public void A_snapshot_that_is_not_a_shard_groups_is_refused()
    {
        using var target = new ShardStateMachine(1, new Cairn.Storage.Memory.MemoryEngine());
        Assert.Throws<FormatException>(() => target.RestoreSnapshot(new MemoryStream("NOTASNAPSHOT"u8.ToArray())));
        using var truncated = new MemoryStream();
        truncated.Write("CAIRNSHD1"u8);
        truncated.WriteByte(4); // a key of 3 bytes that never comes
        truncated.Position = 0;
        Assert.ThrowsAny<Exception>(() => target.RestoreSnapshot(truncated));
    }
}
