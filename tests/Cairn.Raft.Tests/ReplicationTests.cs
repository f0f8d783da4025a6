namespace Cairn.Raft.Tests;

public class ReplicationTests
{
    [Fact]
    public void A_lagging_follower_catches_up_after_conflicting_entries_are_overwritten()
    {
        var cluster = new Cluster(3, seed: 11);
        var old = cluster.ElectLeader();
        Assert.True(cluster.Propose(old.Id, "shared").Accepted);
        cluster.Stabilize();

        // The old leader, cut off, appends 30 entries no one else will ever see.
        cluster.Isolate(old.Id);
        for (var i = 0; i < 30; i++)
        {
            Assert.True(cluster.Propose(old.Id, $"orphan-{i}").Accepted);
        }

        cluster.Stabilize();
        Assert.Equal(32UL, old.LastIndex);
        Assert.Equal(2UL, old.CommitIndex);

        var first = cluster.ElectLeader();
        var kept = Enumerable.Range(0, 20).Select(i => $"kept-{i}").ToList();
        foreach (var text in kept)
        {
            Assert.True(cluster.Propose(first.Id, text).Accepted);
        }

        cluster.Stabilize();

        // A later leader starts probing the old one from the end of its own (longer) log.
        cluster.Restart(first.Id);
        var next = cluster.ElectLeader();
        cluster.Stabilize();
        var delivered = cluster.Delivered.Count;

        cluster.Heal();
        for (var tick = 0; tick < 5; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        // The old leader stepped down, dropped its orphans and took the new leader's log.
        Assert.Equal(next.Id, old.LeaderId);
        Assert.Equal(next.LastIndex, old.LastIndex);
        for (var index = 1UL; index <= next.LastIndex; index++)
        {
            Assert.Equal(cluster.Storages[next.Id].Term(index), cluster.Storages[old.Id].Term(index));
        }

        Assert.All(cluster.Ids, id => Assert.Equal(["shared", .. kept], cluster.AppliedTexts(id)));

        // Fast backup: one rejection skips the whole orphaned term, instead of one probe per missing entry.
        var rejections = cluster.Delivered.Skip(delivered).Count(m => m.Type == MessageType.AppendResponse && m.Reject);
        Assert.InRange(rejections, 1, 2);
    }

    [Fact]
    public void A_follower_that_missed_entries_is_probed_back_and_streamed_the_rest()
    {
        var cluster = new Cluster(3, seed: 12, c => c with { MaxBytesPerAppend = 1 });
        var leader = cluster.ElectLeader();
        var lagging = cluster.Ids.First(id => id != leader.Id);

        cluster.Isolate(lagging);
        for (var i = 0; i < 20; i++)
        {
            Assert.True(cluster.Propose(leader.Id, $"e{i}").Accepted);
        }

        cluster.Stabilize();
        cluster.Heal();
        for (var tick = 0; tick < 3; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.Equal(leader.LastIndex, cluster[lagging].LastIndex);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"e{i}"), cluster.AppliedTexts(lagging));
    }

    [Fact]
    public void A_leader_does_not_commit_entries_of_earlier_terms_by_counting_replicas()
    {
        // Figure 8 of the Raft paper. Node 1 led term 2 and appended index 2; node 5 led term 3 and appended its own
        // index 2. Node 1 now wins term 4 and copies its term-2 entry to a majority.
        var cluster = new Cluster(5, seed: 13, c => c with { MaxBytesPerAppend = 1 });
        cluster.Preload(1, new HardState(3, 0, 1), (1, 1), (2, 2));
        foreach (var id in new ulong[] { 2, 3, 4 })
        {
            cluster.Preload(id, new HardState(3, 0, 1), (1, 1));
        }

        cluster.Preload(5, new HardState(3, 0, 1), (1, 1), (2, 3));

        // Entries of term 4 (node 1's no-op) are lost in the network for now, and node 5 is cut off.
        cluster.Rewrite = m => m with { Entries = m.Entries.Where(e => e.Term != 4).ToList() };
        cluster.Isolate(5);
        cluster[1].Campaign();
        cluster.Stabilize();
        Assert.Equal(RaftRole.Leader, cluster[1].Role);
        Assert.Equal(4UL, cluster[1].Term);

        foreach (var id in new ulong[] { 2, 3, 4 })
        {
            Assert.Equal(2UL, cluster[id].LastIndex);
            Assert.Equal(2UL, cluster.Storages[id].Term(2));
        }

        // Index 2 is on four of five nodes, yet it is from term 2: counting replicas must not commit it,
        // because node 5 (whose log ends in term 3) could still be elected and overwrite it.
        Assert.All(cluster.Nodes.Values, n => Assert.Equal(1UL, n.CommitIndex));
        for (var tick = 0; tick < 3; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.All(cluster.Nodes.Values, n => Assert.Equal(1UL, n.CommitIndex));

        // Once an entry of the leader's own term reaches a majority, it commits, and everything before it.
        cluster.Rewrite = m => m;
        cluster.Heal();
        for (var tick = 0; tick < 3; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        Assert.All(cluster.Nodes.Values, n => Assert.Equal(3UL, n.CommitIndex));
        Assert.Equal(2UL, cluster.Storages[5].Term(2)); // Node 5's uncommitted term-3 entry was overwritten.
    }

    [Fact]
    public void An_entry_of_an_earlier_term_on_a_majority_can_still_be_overwritten_if_uncommitted()
    {
        // Figure 8 (d): why the previous test's leader was right not to commit.
        var cluster = new Cluster(5, seed: 14, c => c with { MaxBytesPerAppend = 1, CheckQuorum = false });
        cluster.Preload(1, new HardState(3, 0, 1), (1, 1), (2, 2));
        foreach (var id in new ulong[] { 2, 3, 4 })
        {
            cluster.Preload(id, new HardState(3, 0, 1), (1, 1));
        }

        cluster.Preload(5, new HardState(3, 0, 1), (1, 1), (2, 3));
        cluster.Rewrite = m => m with { Entries = m.Entries.Where(e => e.Term != 4).ToList() };
        cluster.Isolate(5);
        cluster[1].Campaign();
        cluster.Stabilize();
        Assert.All(new ulong[] { 1, 2, 3, 4 }, id => Assert.Equal(2UL, cluster.Storages[id].Term(2)));

        // Node 1 crashes; node 5's log (ending in term 3) is more up to date than the others' (ending in term 2).
        // Its first pre-vote (for term 4, where the others already voted) fails and teaches it term 4;
        // the second, for term 5, wins.
        cluster.Heal();
        cluster.Isolate(1);
        cluster.Rewrite = m => m;
        cluster[5].Campaign();
        cluster.Stabilize();
        cluster[5].Campaign();
        cluster.Stabilize();
        Assert.Equal(RaftRole.Leader, cluster[5].Role);
        for (var tick = 0; tick < 3; tick++)
        {
            cluster.TickAll();
            cluster.Stabilize();
        }

        foreach (var id in new ulong[] { 2, 3, 4, 5 })
        {
            Assert.Equal(3UL, cluster.Storages[id].Term(2));
            Assert.Equal(3UL, cluster[id].CommitIndex);
        }
    }

    [Fact]
    public void A_leader_keeps_at_most_max_inflight_appends_outstanding_to_a_follower()
    {
        var cluster = new Cluster(3, seed: 15, c => c with { MaxInflightMessages = 2 });
        var leader = cluster.ElectLeader();
        var follower = cluster.Ids.First(id => id != leader.Id);
        cluster.Stabilize(); // The follower acknowledged the no-op: the leader streams to it (replicate state).

        for (var i = 0; i < 10; i++)
        {
            Assert.True(cluster.Propose(leader.Id, $"p{i}").Accepted);
        }

        var appends = cluster.Network.Count(m => m.To == follower && m.Type == MessageType.Append && m.Entries.Count > 0);
        Assert.Equal(2, appends);

        cluster.Stabilize();
        cluster.TickAll();
        cluster.Stabilize();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"p{i}"), cluster.AppliedTexts(follower));
    }

    [Fact]
    public void A_heartbeat_never_tells_a_follower_to_commit_beyond_what_it_holds()
    {
        var cluster = new Cluster(3, seed: 16);
        var leader = cluster.ElectLeader();
        var behind = cluster.Ids.First(id => id != leader.Id);

        cluster.Drop = m => m.To == behind && m.Type == MessageType.Append;
        Assert.True(cluster.Propose(leader.Id, "x").Accepted);
        cluster.Stabilize();
        cluster.TickAll();
        cluster.Stabilize();

        Assert.Equal(2UL, leader.CommitIndex);
        Assert.Equal(1UL, cluster[behind].LastIndex);
        Assert.Equal(1UL, cluster[behind].CommitIndex);
    }
}
