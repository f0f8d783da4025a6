using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;
using static Cairn.Meta.Tests.Support.ControlHarness;

namespace Cairn.Meta.Tests;

public class NodeCommandTests
{
    [Fact]
    public void A_node_joins_comes_up_drains_and_is_removed()
    {
        var h = Bootstrapped();

        h.Ok(MetaCommands.AddNode(NodeSpec(4)));
        Assert.Equal(NodeState.Joining, h.State.Nodes[4].State);
        h.Ok(MetaCommands.MarkNodeUp(4));
        Assert.Equal(NodeState.Up, h.State.Nodes[4].State);
        h.Ok(MetaCommands.DrainNode(4));
        Assert.Equal(NodeState.Draining, h.State.Nodes[4].State);
        h.Ok(MetaCommands.RemoveNode(4));
        Assert.Equal(NodeState.Removed, h.State.Nodes[4].State);
        Assert.Equal(1UL, h.State.Epoch);
    }

    [Fact]
    public void Retried_node_commands_are_already_applied()
    {
        var h = Bootstrapped();
        h.Ok(MetaCommands.AddNode(NodeSpec(4)));

        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.AddNode(NodeSpec(4))).Status);
        h.Ok(MetaCommands.MarkNodeUp(4));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.MarkNodeUp(4)).Status);
        h.Ok(MetaCommands.DrainNode(4));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.DrainNode(4)).Status);
        h.Ok(MetaCommands.RemoveNode(4));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.RemoveNode(4)).Status);
    }

    [Fact]
    public void A_drain_can_be_cancelled_by_marking_the_node_up()
    {
        var h = Bootstrapped();
        h.Ok(MetaCommands.DrainNode(1));
        h.Ok(MetaCommands.MarkNodeUp(1));

        Assert.Equal(NodeState.Up, h.State.Nodes[1].State);
    }

    [Fact]
    public void Add_node_refuses_conflicts_and_bad_specs()
    {
        var h = Bootstrapped();

        h.Refused(MetaCommands.AddNode(MetaCommands.Node(1, "elsewhere:1")), MetaStatus.Conflict);
        h.Refused(MetaCommands.AddNode(MetaCommands.Node(9, "10.0.0.1:7000")), MetaStatus.Conflict);
        h.Refused(MetaCommands.AddNode(MetaCommands.Node(0, "a:1")), MetaStatus.Invalid);
        h.Refused(MetaCommands.AddNode(MetaCommands.Node(9, "")), MetaStatus.Invalid);
        h.Refused(MetaCommands.AddNode(MetaCommands.Node(9, "a:1", roles: (NodeRoles)64)), MetaStatus.Invalid);
        h.Refused(new MetaCommand { AddNode = new AddNode() }, MetaStatus.Invalid);
    }

    [Fact]
    public void A_removed_node_id_is_never_reused()
    {
        var h = Bootstrapped();
        h.Ok(MetaCommands.AddNode(NodeSpec(4)));
        h.Ok(MetaCommands.RemoveNode(4));

        h.Refused(MetaCommands.AddNode(NodeSpec(4)), MetaStatus.Conflict);
        h.Refused(MetaCommands.MarkNodeUp(4), MetaStatus.Conflict);
        h.Refused(MetaCommands.DrainNode(4), MetaStatus.Conflict);
        h.Refused(MetaCommands.Heartbeat(4, 10), MetaStatus.Conflict);
    }

    [Fact]
    public void A_node_with_replicas_or_up_is_not_removed()
    {
        var h = Bootstrapped();

        h.Refused(MetaCommands.RemoveNode(1), MetaStatus.Conflict);
        h.Ok(MetaCommands.DrainNode(1));
        var reply = h.Refused(MetaCommands.RemoveNode(1), MetaStatus.Conflict);
        Assert.Contains("groups 1, 2, 3", reply.Error, StringComparison.Ordinal);
        h.Refused(MetaCommands.RemoveNode(99), MetaStatus.NotFound);
    }

    [Fact]
    public void Node_limits_count_live_nodes_and_records()
    {
        var h = Bootstrapped(limits: new ControlLimits { MaxNodes = 4, MaxNodeRecords = 5 });
        h.Ok(MetaCommands.AddNode(NodeSpec(4)));
        h.Refused(MetaCommands.AddNode(NodeSpec(5)), MetaStatus.LimitExceeded);
        h.Ok(MetaCommands.RemoveNode(4));
        h.Ok(MetaCommands.AddNode(NodeSpec(5)));
        h.Ok(MetaCommands.RemoveNode(5));

        h.Refused(MetaCommands.AddNode(NodeSpec(6)), MetaStatus.LimitExceeded);
    }

    [Fact]
    public void Heartbeats_only_move_last_seen_forward()
    {
        var h = Bootstrapped();

        h.Ok(MetaCommands.Heartbeat(1, 1000));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.Heartbeat(1, 900)).Status);
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.Heartbeat(1, 1000)).Status);
        h.Ok(MetaCommands.Heartbeat(1, 2000));

        Assert.Equal(2000, h.State.Nodes[1].LastSeenMs);
        h.Refused(MetaCommands.Heartbeat(1, -1), MetaStatus.Invalid);
        h.Refused(MetaCommands.Heartbeat(42, 1), MetaStatus.NotFound);
    }
}
