using Cairn.Cli.Node;
using Cairn.Kv.Cluster;
using Cairn.Meta;
using Cairn.Meta.Protocol;
using Google.Protobuf;

namespace Cairn.Cli.Tests;

/// <summary>The layout every node computes from the member list, and the router over the control group's state.</summary>
public sealed class ClusterLayoutTests
{
    private static readonly NodeMember[] Members =
    [
        new(1, "127.0.0.1", 7000, 17000, NodeRoles.Meta | NodeRoles.Kv),
        new(2, "127.0.0.1", 7001, 17001, NodeRoles.Meta | NodeRoles.Kv),
        new(3, "127.0.0.1", 7002, 17002, NodeRoles.Meta | NodeRoles.Kv),
        new(4, "127.0.0.1", 7003, 17003, NodeRoles.Kv),
    ];

    [Fact]
    public void Groups_spread_their_replicas_and_preferred_leaders_evenly()
    {
        var layout = InitialLayout.Compute(Members, replication: 3, groups: 8);
        Assert.Equal([1UL, 2, 3], layout.ControlVoters);
        Assert.Equal(8, layout.ShardGroups.Count);
        Assert.All(layout.ShardGroups.Values, replicas => Assert.Equal(3, replicas.Distinct().Count()));
        Assert.DoesNotContain(InitialLayout.ControlGroupId, layout.ShardGroups.Keys);

        // Every node holds 8 * 3 / 4 = 6 replicas and prefers to lead 2 groups, among its own.
        foreach (var member in Members)
        {
            Assert.Equal(6, layout.ShardGroups.Values.Count(r => r.Contains(member.NodeId)));
            Assert.Equal(2, layout.PreferredLeaders.Values.Count(l => l == member.NodeId));
        }

        Assert.All(layout.PreferredLeaders, p => Assert.Contains(p.Value, layout.ShardGroups[p.Key]));
        Assert.Equal(layout.ShardGroups, InitialLayout.Compute([.. Members.Reverse()], 3, 8).ShardGroups); // the same on every node
    }

    [Fact]
    public void Impossible_layouts_are_refused_with_the_reason()
    {
        Assert.Contains("replication 5", Assert.Throws<FormatException>(() => InitialLayout.Compute(Members, 5, 4)).Message);
        Assert.Contains("meta role", Assert.Throws<FormatException>(() => InitialLayout.Compute([Members[3]], 1, 1)).Message);
    }

    [Fact]
    public void The_router_redirects_by_the_control_groups_slot_table_and_leader_hints()
    {
        var layout = InitialLayout.Compute(Members, replication: 3, groups: 4);
        var control = new ControlStateMachine();
        var router = new ClusterRouter(self: 1);
        control.StateChanged += router.Update;
        Assert.Equal(SlotRouteKind.Down, router.Route(0, write: true, false, false).Kind); // not bootstrapped yet

        Apply(control, 1, layout.Bootstrap("test", Members));
        var group = router.GroupOf(0);
        Assert.Contains(group, layout.ShardGroups.Keys);
        Assert.False(router.Topology().StateOk); // no leader known yet

        var index = 2UL;
        foreach (var (id, replicas) in layout.ShardGroups)
        {
            Apply(control, index++, MetaCommands.SetLeaderHint(id, replicas[^1], 1));
        }

        var topology = router.Topology();
        Assert.True(topology.StateOk);
        Assert.Equal(ClusterRouter.NodeName(1), topology.MyId);
        Assert.Equal(4, topology.Nodes.Count);
        Assert.Equal(16384, topology.Shards.Sum(s => s.Slots.Sum(r => r.End - r.Start + 1)));

        // A node whose keyspace is not up yet answers CLUSTERDOWN rather than guess.
        var leader = layout.ShardGroups[group][^1];
        Assert.Equal(SlotRouteKind.Down, router.Route(0, true, false, false).Kind);
        Assert.Equal(ClusterRouter.NodeName(leader), topology.Shards.First(s => s.GroupId == group).LeaderId);
        Assert.Equal("0000000000000000000000000000000000000004", ClusterRouter.NodeName(4));
    }

    private static void Apply(ControlStateMachine control, ulong index, MetaCommand command)
    {
        var reply = MetaReply.Parser.ParseFrom(control.Apply(index, command.ToByteArray()));
        Assert.Equal(MetaStatus.Ok, reply.Status);
    }
}
