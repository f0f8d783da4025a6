namespace Cairn.Raft.Tests;

public class LeadershipTransferTests
{
    [Fact]
    public void The_leader_brings_the_target_up_to_date_then_it_takes_over_at_once()
    {
        var cluster = new Cluster(3, seed: 51);
        var leader = cluster.ElectLeader();
        var target = cluster.Ids.First(id => id != leader.Id);
        cluster.Isolate(target);
        for (var i = 0; i < 5; i++)
        {
            cluster.Propose(leader.Id, $"e{i}");
        }

        cluster.Stabilize();
        cluster.Heal();

        leader.TransferLeadership(target);
        cluster.Collect();
        Assert.Equal(target, leader.LeadTransferee);
        Assert.Equal(ProposeRefusal.TransferringLeadership, leader.Propose(Cluster.Bytes("during")).Refusal);
        cluster.Stabilize();

        Assert.Equal(RaftRole.Leader, cluster[target].Role);
        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.Contains(cluster.Delivered, m => m.Type == MessageType.TimeoutNow && m.To == target);
        Assert.DoesNotContain(cluster.Delivered, m => m.From == target && m.Type == MessageType.PreVote); // pre-vote skipped
        Assert.True(cluster.Propose(target, "after").Accepted);
        cluster.WaitApplied(cluster[target].LastIndex);
    }

    [Fact]
    public void A_transfer_that_cannot_happen_is_abandoned_after_an_election_timeout()
    {
        var cluster = new Cluster(3, seed: 52);
        var leader = cluster.ElectLeader();
        var target = cluster.Ids.First(id => id != leader.Id);
        cluster.Propose(leader.Id, "x");
        cluster.Isolate(target);

        leader.TransferLeadership(target);
        Assert.Equal(target, leader.LeadTransferee);
        for (var tick = 0; tick < 10; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.Equal(RawNode.None, leader.LeadTransferee);
        Assert.True(cluster.Propose(leader.Id, "accepted again").Accepted);
    }

    [Fact]
    public void Transfers_to_a_learner_or_to_itself_or_from_a_follower_are_ignored()
    {
        var cluster = new Cluster(3, seed: 53);
        var leader = cluster.ElectLeader();
        cluster.AddNode(4);
        cluster.WaitApplied(cluster.ProposeConfChange(leader.Id, ConfChangeType.AddLearner, 4).Index, [1, 2, 3]);

        leader.TransferLeadership(4);
        leader.TransferLeadership(leader.Id);
        cluster[cluster.Ids.First(id => id != leader.Id && id != 4)].TransferLeadership(leader.Id);

        Assert.Equal(RawNode.None, leader.LeadTransferee);
    }
}
