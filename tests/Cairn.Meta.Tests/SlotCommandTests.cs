using Cairn.Core;
using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;
using static Cairn.Meta.Tests.Support.ControlHarness;

namespace Cairn.Meta.Tests;

public class SlotCommandTests
{
    private static ControlHarness TwoGroups()
    {
        var h = new ControlHarness();
        h.Ok(MetaCommands.Bootstrap("c", [NodeSpec(1), NodeSpec(2)], [MetaCommands.Group(1, 1), MetaCommands.Group(2, 2)]));
        return h;
    }

    [Fact]
    public void Assign_slots_takes_unowned_slots_and_bumps_the_epoch()
    {
        var h = new ControlHarness();
        h.Ok(MetaCommands.Bootstrap("c", [NodeSpec(1)], []));
        h.Ok(MetaCommands.CreateGroup(MetaCommands.Group(1, 1)));

        var reply = h.Ok(MetaCommands.AssignSlots(1, [5, 6, 7]));

        Assert.Equal(2UL, h.State.Epoch);
        Assert.Equal(2UL, reply.ClusterEpoch);
        Assert.Equal(1UL, h.State.OwnerOf(6));
        Assert.Equal(2UL, h.State.SlotEpoch(6));
        Assert.Equal(0UL, h.State.SlotEpoch(8));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.AssignSlots(1, [5, 6])).Status);
        h.Ok(MetaCommands.AssignSlots(1, [6, 8]));
        Assert.Equal(2UL, h.State.SlotEpoch(6));
        Assert.Equal(3UL, h.State.SlotEpoch(8));
    }

    [Fact]
    public void Assign_slots_refuses_owned_out_of_range_and_repeated_slots()
    {
        var h = TwoGroups();

        h.Refused(MetaCommands.AssignSlots(2, [0]), MetaStatus.Conflict);
        h.Refused(MetaCommands.AssignSlots(1, [HashSlot.Count]), MetaStatus.Invalid);
        h.Refused(MetaCommands.AssignSlots(1, [1, 1]), MetaStatus.Invalid);
        h.Refused(MetaCommands.AssignSlots(1, []), MetaStatus.Invalid);
        h.Refused(MetaCommands.AssignSlots(9, [1]), MetaStatus.NotFound);
    }

    [Fact]
    public void Slot_ranges_and_counts_describe_the_table()
    {
        var h = TwoGroups();

        Assert.Equal(8192, h.State.SlotCount(1));
        Assert.Equal(8192, h.State.SlotCount(2));
        Assert.Equal(2UL, h.State.GroupOfSlot(HashSlot.Count - 1)!.Id);
        Assert.Equal("10.0.0.2:6379", h.State.ReplicaNodes(h.State.OwnerOf(HashSlot.Count - 1))[0].ClientAddress);
        Assert.Empty(h.State.ReplicaNodes(42));
        Assert.Equal([1UL], h.State.GroupsOnNode(1));
    }
}
