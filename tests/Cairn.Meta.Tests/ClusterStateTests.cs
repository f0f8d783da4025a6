using Cairn.Core;
using Cairn.Meta.Tests.Support;

namespace Cairn.Meta.Tests;

public class ClusterStateTests
{
    [Fact]
    public void Replica_nodes_list_the_hinted_leader_first_then_the_voters_by_id()
    {
        var h = ControlHarness.Bootstrapped(nodes: 4, groups: 1);
        h.Ok(MetaCommands.AddLearner(1, 4));
        h.Ok(MetaCommands.SetLeaderHint(1, 3, 2));

        Assert.Equal([3UL, 1UL, 2UL], h.State.ReplicaNodes(1).Select(n => n.Id));
        Assert.Equal([1UL], h.State.GroupsOnNode(4));
    }

    [Fact]
    public void Slot_ranges_and_counts_follow_a_committed_migration()
    {
        var h = ControlHarness.Bootstrapped(groups: 2);
        h.Ok(MetaCommands.BeginMigration(0, 1, 2, 1));
        h.Ok(MetaCommands.FenceMigration(0, 2, 2));
        h.Ok(MetaCommands.CommitMigration(0, 2, 3));

        Assert.Equal([new SlotRange(0, 0, 2), new SlotRange(1, 8191, 1), new SlotRange(8192, HashSlot.Count - 1, 2)], h.State.SlotRanges());
        Assert.Equal(8191, h.State.SlotCount(1));
        Assert.Equal(8193, h.State.SlotCount(2));
        Assert.Equal(2UL, h.State.GroupOfSlot(0)!.Id);
    }

    [Fact]
    public void A_state_once_read_never_changes_and_watchers_see_each_new_one()
    {
        var h = ControlHarness.Bootstrapped(groups: 2);
        var seen = new List<ClusterState>();
        h.Machine.StateChanged += seen.Add;
        var before = h.State;

        h.Ok(MetaCommands.BeginMigration(0, 1, 2, 1));
        h.Ok(MetaCommands.DrainNode(3));

        Assert.Null(before.MigrationOf(0));
        Assert.Equal(NodeState.Up, before.Nodes[3].State);
        Assert.Equal(1UL, before.Epoch);
        Assert.Equal([h.State.Version - 1, h.State.Version], seen.Select(s => s.Version));
        Assert.Same(h.State, seen[^1]);
    }

    [Fact]
    public void Slot_lookups_refuse_slots_out_of_range()
    {
        var state = ControlHarness.Bootstrapped().State;

        Assert.Throws<ArgumentOutOfRangeException>(() => state.OwnerOf(HashSlot.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => state.SlotEpoch(-1));
    }
}
