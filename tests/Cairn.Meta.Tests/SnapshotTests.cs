using Cairn.Meta.Tests.Support;

namespace Cairn.Meta.Tests;

public class SnapshotTests
{
    private static ControlHarness Busy()
    {
        var h = ControlHarness.Bootstrapped(nodes: 5, groups: 4);
        h.Ok(MetaCommands.AddNode(ControlHarness.NodeSpec(6)));
        h.Ok(MetaCommands.Heartbeat(2, 12345));
        h.Ok(MetaCommands.AddLearner(1, 5));
        h.Ok(MetaCommands.SetLeaderHint(2, 3, 7));
        h.Ok(MetaCommands.DrainNode(4));
        h.Ok(MetaCommands.BeginMigration(7, 1, 3, 1));
        h.Ok(MetaCommands.BeginMigration(8, 1, 3, 1));
        h.Ok(MetaCommands.FenceMigration(8, 3, 3));
        return h;
    }

    [Fact]
    public void A_snapshot_restores_an_equal_state_that_encodes_to_the_same_bytes()
    {
        var h = Busy();
        var bytes = h.Snapshot();

        var copy = new ControlStateMachine(checkInvariants: true);
        copy.RestoreSnapshot(new MemoryStream(bytes));

        Assert.Equal(ControlHarness.Describe(h.State), ControlHarness.Describe(copy.State));
        Assert.Equal(h.State.Version, copy.State.Version);
        Assert.Equal(h.State.Nodes, copy.State.Nodes);
        Assert.Equal(h.State.Groups, copy.State.Groups);
        Assert.Equal(h.State.Migrations, copy.State.Migrations);
        using var again = new MemoryStream();
        copy.WriteSnapshot(again);
        Assert.Equal(bytes, again.ToArray());
    }

    [Fact]
    public void A_restored_machine_goes_on_applying_like_the_original()
    {
        var h = Busy();
        var copy = new ControlHarness();
        copy.Machine.RestoreSnapshot(new MemoryStream(h.Snapshot()));

        var a = h.Machine.ApplyCommand(h.State.Version + 1, Google.Protobuf.MessageExtensions.ToByteArray(MetaCommands.CommitMigration(8, 3, 4)));
        var b = copy.Machine.ApplyCommand(h.State.Version, Google.Protobuf.MessageExtensions.ToByteArray(MetaCommands.CommitMigration(8, 3, 4)));

        Assert.Equal(a, b);
        Assert.Equal(h.Snapshot(), copy.Snapshot());
    }

    [Fact]
    public void An_empty_machine_round_trips()
    {
        var h = new ControlHarness();
        var copy = new ControlStateMachine();
        copy.RestoreSnapshot(new MemoryStream(h.Snapshot()));

        Assert.False(copy.State.IsBootstrapped);
    }

    [Fact]
    public void Every_flipped_bit_is_refused_and_the_state_is_kept()
    {
        var bytes = Busy().Snapshot();
        var target = ControlHarness.Bootstrapped();
        var before = ControlHarness.Describe(target.State);

        // Every byte of the header and tail, and a stride through the body.
        var positions = Enumerable.Range(0, 24).Concat(Enumerable.Range(bytes.Length - 8, 8)).Concat(Enumerable.Range(0, bytes.Length).Where(i => i % 97 == 0));
        foreach (var position in positions.Distinct())
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[position] ^= 0x10;
            var error = Assert.Throws<InvalidDataException>(() => target.Machine.RestoreSnapshot(new MemoryStream(corrupt)));
            Assert.StartsWith("Refusing the control group snapshot", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, ControlHarness.Describe(target.State));
    }

    [Fact]
    public void Truncated_extended_and_foreign_snapshots_are_refused()
    {
        var bytes = Busy().Snapshot();
        var machine = new ControlStateMachine();

        foreach (var length in new[] { 0, 5, 16, 100, bytes.Length - 1 })
        {
            var error = Assert.Throws<InvalidDataException>(() => machine.RestoreSnapshot(new MemoryStream(bytes[..length])));
            Assert.Contains(length < 8 ? "truncated" : "", error.Message, StringComparison.Ordinal);
        }

        Assert.Throws<InvalidDataException>(() => machine.RestoreSnapshot(new MemoryStream([.. bytes, 0])));
        var foreign = Assert.Throws<InvalidDataException>(() => machine.RestoreSnapshot(new MemoryStream("NOTASNAPSHOT-AT-ALL"u8.ToArray())));
        Assert.Contains("not a control group snapshot", foreign.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_with_a_valid_checksum_but_an_inconsistent_state_is_refused()
    {
        // A group whose voter is a node that does not exist, framed correctly: only the state checks catch it.
        var body = new Protocol.ClusterSnapshot { ClusterId = "c", Bootstrapped = true, Version = 1, Epoch = 1 };
        body.Groups.Add(new Protocol.GroupRecord { Id = 1, Voters = { 9 }, ConfVersion = 1 });
        body.SlotOwners.AddRange(Enumerable.Repeat(1UL, Cairn.Core.HashSlot.Count));
        body.SlotEpochs.AddRange(Enumerable.Repeat(1UL, Cairn.Core.HashSlot.Count));

        var error = Assert.Throws<InvalidDataException>(() => new ControlStateMachine().RestoreSnapshot(new MemoryStream(Frame(body))));

        Assert.Contains("unknown node 9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_of_a_newer_format_is_refused_by_name()
    {
        var bytes = Busy().Snapshot();
        bytes[8] = 2;

        var error = Assert.Throws<InvalidDataException>(() => new ControlStateMachine().RestoreSnapshot(new MemoryStream(bytes)));

        Assert.Contains("format version 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("owner", "unknown group 99")]
    [InlineData("slot-epoch", "with the cluster at epoch")]
    [InlineData("two-learners", "learners")]
    [InlineData("no-voter", "no voter")]
    [InlineData("migration-epoch", "migration is at epoch")]
    [InlineData("migration-source", "migrates from group")]
    [InlineData("removed-replica", "removed node")]
    [InlineData("leader", "leader hint")]
    [InlineData("unsorted", "canonical")]
    [InlineData("node-state", "record is invalid")]
    [InlineData("short-table", "not 16384")]
    public void Each_broken_rule_in_a_well_framed_snapshot_is_named(string breakage, string expected)
    {
        var body = Protocol.ClusterSnapshot.Parser.ParseFrom(Busy().Snapshot().AsSpan(16..^4));
        switch (breakage)
        {
            case "owner": body.SlotOwners[3] = 99; break;
            case "slot-epoch": body.SlotEpochs[3] = body.Epoch + 1; break;
            case "two-learners": body.Groups[1].Learners.Add(5); body.Groups[1].Learners.Add(6); break;
            case "no-voter": body.Groups[2].Voters.Clear(); break;
            case "migration-epoch": body.Migrations[0].Epoch = 1; break;
            case "migration-source": body.Migrations[0].SourceGroup = 2; break;
            case "removed-replica": body.Nodes[0].State = (uint)NodeState.Removed; break;
            case "leader": body.Groups[0].LeaderHint = 5; break;
            case "unsorted": (body.Nodes[0], body.Nodes[1]) = (body.Nodes[1], body.Nodes[0]); break;
            case "node-state": body.Nodes[0].State = 9; break;
            case "short-table": body.SlotEpochs.RemoveAt(0); break;
        }

        var error = Assert.Throws<InvalidDataException>(() => new ControlStateMachine().RestoreSnapshot(new MemoryStream(Frame(body))));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static byte[] Frame(Protocol.ClusterSnapshot body)
    {
        var payload = Google.Protobuf.MessageExtensions.ToByteArray(body);
        var frame = new byte[16 + payload.Length + 4];
        "CAIRNCTL"u8.CopyTo(frame);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(12), (uint)payload.Length);
        payload.CopyTo(frame, 16);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(16 + payload.Length), Cairn.Core.Crc32C.Compute(frame.AsSpan(0, 16 + payload.Length)));
        return frame;
    }
}
