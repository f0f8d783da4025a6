namespace Cairn.Raft.Tests;

public class ElectionTests
{
    [Fact]
    public void A_single_node_elects_itself_and_commits()
    {
        var cluster = new Cluster(1, seed: 1);
        var node = cluster[1];

        for (var tick = 0; tick < 20 && node.Role != RaftRole.Leader; tick++)
        {
            cluster.TickAll();
        }

        Assert.Equal(RaftRole.Leader, node.Role);
        Assert.Equal(1UL, node.Term);
        var result = cluster.Propose(1, "x");

        Assert.True(result.Accepted);
        Assert.Equal(2UL, result.Index); // Index 1 is the leader's no-op.
        Assert.Equal(2UL, node.CommitIndex);
        Assert.Equal(["x"], cluster.AppliedTexts(1));
        Assert.Equal(new HardState(1, 1, 2), cluster.Storages[1].HardState);
    }

    [Fact]
    public void A_node_waits_at_least_the_election_timeout_before_campaigning()
    {
        var cluster = new Cluster(1, seed: 7);
        for (var tick = 0; tick < 9; tick++)
        {
            cluster.TickAll();
            Assert.Equal(RaftRole.Follower, cluster[1].Role);
        }

        for (var tick = 0; tick < 10; tick++)
        {
            cluster.TickAll();
        }

        Assert.Equal(RaftRole.Leader, cluster[1].Role);
    }

    [Fact]
    public void Three_nodes_elect_one_leader_and_replicate()
    {
        var cluster = new Cluster(3, seed: 2);

        var leader = cluster.ElectLeader();

        Assert.Single(cluster.Leaders);
        Assert.All(cluster.Nodes.Values, n => Assert.Equal(leader.Id, n.LeaderId));
        Assert.All(cluster.Nodes.Values, n => Assert.Equal(leader.Term, n.Term));
        foreach (var text in new[] { "a", "b", "c" })
        {
            Assert.True(cluster.Propose(leader.Id, text).Accepted);
        }

        cluster.Stabilize();
        cluster.TickAll(); // A heartbeat carries the final commit index to the followers.
        cluster.Stabilize();

        foreach (var id in cluster.Ids)
        {
            Assert.Equal(["a", "b", "c"], cluster.AppliedTexts(id));
            Assert.Equal(4UL, cluster[id].CommitIndex);
        }
    }

    [Fact]
    public void Propose_on_a_follower_says_who_the_leader_is_and_forwards_to_it()
    {
        var cluster = new Cluster(3, seed: 3);
        var before = cluster[1].Propose(Cluster.Bytes("early"));
        Assert.False(before.Accepted);
        Assert.Equal(RawNode.None, before.LeaderId);
        Assert.Equal(ProposeRefusal.NotLeader, before.Refusal); // no leader known: dropped, not forwarded

        var leader = cluster.ElectLeader();
        var follower = cluster.Ids.First(id => id != leader.Id);
        var result = cluster.Propose(follower, "x");

        Assert.False(result.Accepted);
        Assert.Equal(leader.Id, result.LeaderId);
        Assert.Equal(ProposeRefusal.Forwarded, result.Refusal);
        Assert.Equal(0UL, result.Index);
        var forwarded = Assert.Single(cluster.Network, m => m.Type == MessageType.Propose);
        Assert.Equal((follower, leader.Id), (forwarded.From, forwarded.To));
        cluster.Stabilize();
        cluster.TickAll();
        cluster.Stabilize();
        Assert.All(cluster.Ids, id => Assert.Equal(["x"], cluster.AppliedTexts(id)));
    }

    [Fact]
    public void Propose_on_a_follower_with_forwarding_disabled_is_refused_and_sends_nothing()
    {
        var cluster = new Cluster(3, seed: 3, c => c with { DisableProposalForwarding = true });
        var leader = cluster.ElectLeader();
        var follower = cluster.Ids.First(id => id != leader.Id);

        var result = cluster.Propose(follower, "x");

        Assert.Equal(ProposeRefusal.NotLeader, result.Refusal);
        Assert.Equal(leader.Id, result.LeaderId);
        Assert.Empty(cluster.Network);
        cluster.Stabilize();
        Assert.Empty(cluster.AppliedTexts(follower));
    }

    [Fact]
    public void A_partitioned_leader_steps_down_with_check_quorum()
    {
        var cluster = new Cluster(3, seed: 4);
        var old = cluster.ElectLeader();
        var oldTerm = old.Term;

        cluster.Isolate(old.Id);
        // The leader checks once per election timeout (10 ticks) whether a quorum answered since the last check,
        // so it notices within two timeouts.
        var ticks = 0;
        for (; ticks < 20 && old.Role == RaftRole.Leader; ticks++)
        {
            old.Tick();
            cluster.Stabilize();
        }

        Assert.InRange(ticks, 10, 20);

        Assert.Equal(RaftRole.Follower, old.Role);
        Assert.Equal(RawNode.None, old.LeaderId);
        Assert.False(cluster.Propose(old.Id, "lost").Accepted);

        var next = cluster.ElectLeader();
        Assert.NotEqual(old.Id, next.Id);
        Assert.True(next.Term > oldTerm);

        cluster.Heal();
        Assert.True(cluster.Propose(next.Id, "after").Accepted);
        for (var tick = 0; tick < 3; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.Equal(next.Id, old.LeaderId);
        Assert.Equal(["after"], cluster.AppliedTexts(old.Id));
    }

    [Fact]
    public void Without_check_quorum_a_partitioned_leader_keeps_believing_it_leads()
    {
        var cluster = new Cluster(3, seed: 4, c => c with { CheckQuorum = false });
        var old = cluster.ElectLeader();

        cluster.Isolate(old.Id);
        for (var tick = 0; tick < 100; tick++)
        {
            old.Tick();
            cluster.Stabilize();
        }

        Assert.Equal(RaftRole.Leader, old.Role);
    }

    [Fact]
    public void Pre_vote_keeps_a_rejoining_partitioned_node_from_disrupting_the_leader()
    {
        var cluster = new Cluster(3, seed: 5);
        var leader = cluster.ElectLeader();
        var term = leader.Term;
        var follower = cluster[cluster.Ids.First(id => id != leader.Id)];

        cluster.Isolate(follower.Id);
        for (var tick = 0; tick < 100; tick++) // Many election timeouts: it pre-campaigns, never wins, never bumps its term.
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.Equal(term, follower.Term);
        Assert.NotEqual(RaftRole.Leader, follower.Role);

        cluster.Heal();
        for (var tick = 0; tick < 50; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.Equal(RaftRole.Leader, leader.Role);
        Assert.All(cluster.Nodes.Values, n => Assert.Equal(term, n.Term));
        Assert.Equal(leader.Id, follower.LeaderId);
    }

    [Fact]
    public void Without_pre_vote_a_rejoining_partitioned_node_forces_a_new_term()
    {
        var cluster = new Cluster(3, seed: 5, c => c with { PreVote = false });
        var leader = cluster.ElectLeader();
        var term = leader.Term;
        var follower = cluster[cluster.Ids.First(id => id != leader.Id)];

        cluster.Isolate(follower.Id);
        for (var tick = 0; tick < 100; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.True(follower.Term > term);
        cluster.Heal();
        cluster.ElectLeader();

        Assert.All(cluster.Nodes.Values, n => Assert.True(n.Term > term));
    }

    [Fact]
    public void A_node_with_a_stale_log_cannot_win_an_election()
    {
        var cluster = new Cluster(3, seed: 6);
        var leader = cluster.ElectLeader();
        var stale = cluster.Ids.First(id => id != leader.Id);
        cluster.Isolate(stale);
        Assert.True(cluster.Propose(leader.Id, "newer").Accepted);
        cluster.Stabilize();
        cluster.Heal();
        cluster.Isolate(leader.Id);

        // The stale node campaigns at once; the up-to-date voter refuses, so it cannot lead.
        cluster[stale].Campaign();
        cluster.Stabilize();

        Assert.NotEqual(RaftRole.Leader, cluster[stale].Role);
        var next = cluster.ElectLeader();
        Assert.NotEqual(stale, next.Id);
    }

    [Fact]
    public void A_restarted_node_keeps_its_term_vote_and_log()
    {
        var cluster = new Cluster(3, seed: 8);
        var leader = cluster.ElectLeader();
        Assert.True(cluster.Propose(leader.Id, "kept").Accepted);
        cluster.Stabilize();
        var term = leader.Term;

        cluster.Restart(leader.Id);
        var restarted = cluster[leader.Id];

        Assert.Equal(RaftRole.Follower, restarted.Role);
        Assert.Equal(term, restarted.Term);
        Assert.Equal(leader.Id, restarted.Vote);
        Assert.Equal(2UL, restarted.LastIndex);
        cluster.ElectLeader();
        for (var tick = 0; tick < 3; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.All(cluster.Ids, id => Assert.Equal(["kept"], cluster.AppliedTexts(id)));
    }
}
