using Cairn.Core;
using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;
using static Cairn.Meta.Tests.Support.ControlHarness;

namespace Cairn.Meta.Tests;

public class BootstrapTests
{
    [Fact]
    public void Bootstrap_spreads_every_slot_evenly_in_contiguous_ranges_at_epoch_1()
    {
        var h = Bootstrapped(nodes: 3, groups: 3);

        Assert.True(h.State.IsBootstrapped);
        Assert.Equal(1UL, h.State.Epoch);
        Assert.Equal(1UL, h.State.Version);
        Assert.Equal([new SlotRange(0, 5461, 1), new SlotRange(5462, 10922, 2), new SlotRange(10923, 16383, 3)], h.State.SlotRanges());
        Assert.All(Enumerable.Range(0, HashSlot.Count), s => Assert.Equal(1UL, h.State.SlotEpoch(s)));
        Assert.All(h.State.Nodes.Values, n => Assert.Equal(NodeState.Up, n.State));
        Assert.Equal([1UL, 2UL, 3UL], h.State.Groups[1].Voters.ToArray());
    }

    [Fact]
    public void Bootstrap_without_groups_leaves_slots_unowned_for_assign_slots()
    {
        var h = new ControlHarness();
        h.Ok(MetaCommands.Bootstrap("c", [NodeSpec(1)], []));

        Assert.Equal([new SlotRange(0, HashSlot.Count - 1, 0)], h.State.SlotRanges());
    }

    [Fact]
    public void A_retried_bootstrap_is_already_applied_and_another_cluster_id_is_refused()
    {
        var h = Bootstrapped();

        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.Bootstrap("test", [NodeSpec(1)], [])).Status);
        h.Refused(MetaCommands.Bootstrap("other", [NodeSpec(1)], []), MetaStatus.Conflict);
    }

    [Fact]
    public void Commands_before_bootstrap_are_refused()
    {
        var h = new ControlHarness();

        h.Refused(MetaCommands.AddNode(NodeSpec(1)), MetaStatus.NotBootstrapped);
        h.Refused(MetaCommands.Heartbeat(1, 5), MetaStatus.NotBootstrapped);
        Assert.False(h.State.IsBootstrapped);
    }

    [Fact]
    public void Bootstrap_refuses_bad_input()
    {
        var h = new ControlHarness();

        h.Refused(MetaCommands.Bootstrap("", [NodeSpec(1)], []), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [], []), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [NodeSpec(1), NodeSpec(1)], []), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [NodeSpec(1), MetaCommands.Node(2, "10.0.0.1:7000")], []), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [MetaCommands.Node(0, "a:1")], []), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [MetaCommands.Node(1, "a:1", roles: NodeRoles.None)], []), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [NodeSpec(1)], [MetaCommands.Group(1, 2)]), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [NodeSpec(1)], [MetaCommands.Group(1, 1, 1)]), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [NodeSpec(1)], [MetaCommands.Group(1)]), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [NodeSpec(1)], [MetaCommands.Group(1, 1), MetaCommands.Group(1, 1)]), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap("c", [NodeSpec(1, NodeRoles.Meta)], [MetaCommands.Group(1, 1)]), MetaStatus.Invalid);
        h.Refused(MetaCommands.Bootstrap(new string('x', 300), [NodeSpec(1)], []), MetaStatus.Invalid);
        Assert.False(h.State.IsBootstrapped);
    }

    [Fact]
    public void Garbage_and_empty_commands_are_refused_without_throwing()
    {
        var h = Bootstrapped();

        Assert.Equal(MetaStatus.Invalid, h.RunRaw([0xff, 0xff, 0xff]).Status);
        Assert.Equal(MetaStatus.Invalid, h.RunRaw([]).Status);
        Assert.Equal(MetaStatus.Invalid, h.Run(new MetaCommand()).Status);
        h.Machine.CheckInvariants();
    }

    [Fact]
    public void A_command_larger_than_the_limit_is_refused()
    {
        var h = Bootstrapped(limits: new ControlLimits { MaxCommandSize = 200 });

        var reply = h.Run(MetaCommands.AssignSlots(1, Enumerable.Range(1000, 200)));

        Assert.Equal(MetaStatus.LimitExceeded, reply.Status);
        Assert.Contains("limit", reply.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_index_at_or_before_the_applied_one_changes_nothing()
    {
        var h = Bootstrapped();
        var machine = h.Machine;

        var bytes = machine.Apply(1, Google.Protobuf.MessageExtensions.ToByteArray(MetaCommands.DrainNode(1)));

        Assert.Equal(MetaStatus.AlreadyApplied, MetaReply.Parser.ParseFrom(bytes).Status);
        Assert.Equal(NodeState.Up, machine.State.Nodes[1].State);
    }
}
