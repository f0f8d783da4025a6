using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;
using static Cairn.Meta.Tests.Support.ControlHarness;

namespace Cairn.Meta.Tests;

public class GroupCommandTests
{
    [Fact]
    public void A_replica_moves_by_learner_promote_remove_and_each_step_bumps_the_conf_version()
    {
        var h = Bootstrapped(nodes: 4, groups: 1, replicas: 3);

        h.Ok(MetaCommands.AddLearner(1, 4));
        Assert.Equal([4UL], h.State.Groups[1].Learners.ToArray());
        h.Ok(MetaCommands.PromoteLearner(1, 4));
        Assert.Equal([1UL, 2UL, 3UL, 4UL], h.State.Groups[1].Voters.ToArray());
        Assert.Empty(h.State.Groups[1].Learners.ToArray());
        h.Ok(MetaCommands.RemoveReplica(1, 1));

        Assert.Equal([2UL, 3UL, 4UL], h.State.Groups[1].Voters.ToArray());
        Assert.Equal(4UL, h.State.Groups[1].ConfVersion);
        Assert.Equal(1UL, h.State.Epoch);
    }

    [Fact]
    public void Replica_commands_retried_are_already_applied()
    {
        var h = Bootstrapped(nodes: 4, groups: 1);

        h.Ok(MetaCommands.AddLearner(1, 4));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.AddLearner(1, 4)).Status);
        h.Ok(MetaCommands.PromoteLearner(1, 4));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.PromoteLearner(1, 4)).Status);
        h.Ok(MetaCommands.RemoveReplica(1, 4));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.RemoveReplica(1, 4)).Status);
    }

    [Fact]
    public void One_learner_at_a_time()
    {
        var h = Bootstrapped(nodes: 5, groups: 1);
        h.Ok(MetaCommands.AddLearner(1, 4));

        var reply = h.Refused(MetaCommands.AddLearner(1, 5), MetaStatus.Conflict);
        Assert.Contains("one change at a time", reply.Error, StringComparison.Ordinal);
        h.Ok(MetaCommands.RemoveReplica(1, 4));
        h.Ok(MetaCommands.AddLearner(1, 5));
    }

    [Fact]
    public void Learners_go_only_to_up_kv_nodes_that_are_not_voters()
    {
        var h = Bootstrapped(nodes: 3, groups: 1);
        h.Ok(MetaCommands.AddNode(NodeSpec(4)));
        h.Ok(MetaCommands.AddNode(NodeSpec(5, NodeRoles.Meta)));
        h.Ok(MetaCommands.MarkNodeUp(5));

        h.Refused(MetaCommands.AddLearner(1, 4), MetaStatus.Conflict);
        h.Refused(MetaCommands.AddLearner(1, 5), MetaStatus.Conflict);
        h.Refused(MetaCommands.AddLearner(1, 1), MetaStatus.Conflict);
        h.Refused(MetaCommands.AddLearner(1, 99), MetaStatus.NotFound);
        h.Refused(MetaCommands.AddLearner(99, 4), MetaStatus.NotFound);
    }

    [Fact]
    public void Promote_needs_a_learner_on_an_up_node()
    {
        var h = Bootstrapped(nodes: 4, groups: 1);

        h.Refused(MetaCommands.PromoteLearner(1, 4), MetaStatus.Conflict);
        h.Ok(MetaCommands.AddLearner(1, 4));
        h.Ok(MetaCommands.DrainNode(4));
        h.Refused(MetaCommands.PromoteLearner(1, 4), MetaStatus.Conflict);
    }

    [Fact]
    public void The_last_voter_is_never_removed()
    {
        var h = Bootstrapped(nodes: 1, groups: 1, replicas: 1);

        h.Refused(MetaCommands.RemoveReplica(1, 1), MetaStatus.Conflict);
    }

    [Fact]
    public void Group_size_is_limited()
    {
        var h = Bootstrapped(nodes: 4, groups: 1, replicas: 3, limits: new ControlLimits { MaxReplicas = 3 });

        h.Refused(MetaCommands.AddLearner(1, 4), MetaStatus.LimitExceeded);
    }

    [Fact]
    public void Create_group_validates_and_is_idempotent()
    {
        var h = Bootstrapped(nodes: 3, groups: 1, limits: new ControlLimits { MaxGroups = 2 });

        h.Ok(MetaCommands.CreateGroup(MetaCommands.Group(7, 3, 1)));
        Assert.Equal([1UL, 3UL], h.State.Groups[7].Voters.ToArray());
        Assert.Equal(0, h.State.SlotCount(7));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.CreateGroup(MetaCommands.Group(7, 1, 3))).Status);
        h.Refused(MetaCommands.CreateGroup(MetaCommands.Group(7, 2)), MetaStatus.Conflict);
        h.Refused(MetaCommands.CreateGroup(MetaCommands.Group(8, 2)), MetaStatus.LimitExceeded);
        h.Refused(new MetaCommand { CreateGroup = new CreateGroup() }, MetaStatus.Invalid);
    }

    [Fact]
    public void Create_group_refuses_bad_voters()
    {
        var h = Bootstrapped(nodes: 3, groups: 1);
        h.Ok(MetaCommands.DrainNode(3));

        h.Refused(MetaCommands.CreateGroup(MetaCommands.Group(0, 1)), MetaStatus.Invalid);
        h.Refused(MetaCommands.CreateGroup(MetaCommands.Group(5)), MetaStatus.Invalid);
        h.Refused(MetaCommands.CreateGroup(MetaCommands.Group(5, 1, 1)), MetaStatus.Invalid);
        h.Refused(MetaCommands.CreateGroup(MetaCommands.Group(5, 9)), MetaStatus.Invalid);
        h.Refused(MetaCommands.CreateGroup(MetaCommands.Group(5, 3)), MetaStatus.Invalid);
    }

    [Fact]
    public void Leader_hints_follow_terms_and_only_name_voters()
    {
        var h = Bootstrapped(nodes: 4, groups: 1);

        h.Ok(MetaCommands.SetLeaderHint(1, 2, 5));
        Assert.Equal(MetaStatus.AlreadyApplied, h.Run(MetaCommands.SetLeaderHint(1, 2, 5)).Status);
        h.Refused(MetaCommands.SetLeaderHint(1, 3, 5), MetaStatus.Conflict);
        h.Refused(MetaCommands.SetLeaderHint(1, 3, 4), MetaStatus.StaleEpoch);
        h.Refused(MetaCommands.SetLeaderHint(1, 4, 6), MetaStatus.Conflict);
        h.Ok(MetaCommands.SetLeaderHint(1, 3, 6));

        Assert.Equal(3UL, h.State.Groups[1].LeaderHint);
        Assert.Equal(3UL, h.State.ReplicaNodes(1)[0].Id);
    }

    [Fact]
    public void Removing_the_hinted_leader_clears_the_hint()
    {
        var h = Bootstrapped(nodes: 3, groups: 1);
        h.Ok(MetaCommands.SetLeaderHint(1, 2, 1));

        h.Ok(MetaCommands.RemoveReplica(1, 2));

        Assert.Equal(0UL, h.State.Groups[1].LeaderHint);
    }
}
