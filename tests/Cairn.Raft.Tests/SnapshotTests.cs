namespace Cairn.Raft.Tests;

/// <summary>Compaction and snapshot install (ADR 0011): the leader sends metadata, the host streams the bytes.</summary>
public class SnapshotTests
{
    /// <summary>A 3-node cluster where <paramref name="lagging"/> missed 20 entries that the leader then compacted away.</summary>
    private static (Cluster Cluster, RawNode Leader, SnapshotMetadata Snapshot) LaggingBehindACompaction(int seed, out ulong lagging)
    {
        var cluster = new Cluster(3, seed);
        var leader = cluster.ElectLeader();
        cluster.Propose(leader.Id, "seen by all");
        cluster.Stabilize();
        lagging = cluster.Ids.First(id => id != leader.Id);
        cluster.Isolate(lagging);
        for (var i = 0; i < 20; i++)
        {
            cluster.Propose(leader.Id, $"missed-{i}");
        }

        cluster.Stabilize();
        var snapshot = cluster.Compact(leader.Id);
        Assert.Equal(snapshot.Index + 1, cluster.Storages[leader.Id].FirstIndex);
        return (cluster, leader, snapshot);
    }

    [Fact]
    public void A_follower_behind_the_compaction_point_installs_a_snapshot_and_catches_up()
    {
        var (cluster, leader, snapshot) = LaggingBehindACompaction(31, out var lagging);

        cluster.Heal();
        cluster.Propose(leader.Id, "after");
        cluster.WaitApplied(leader.LastIndex);

        var sent = Assert.Single(cluster.Delivered, m => m.Type == MessageType.Snapshot);
        Assert.Equal(lagging, sent.To);
        Assert.Equal(snapshot, sent.Snapshot);
        Assert.Empty(sent.Entries); // metadata only: the bytes travel beside the message
        Assert.Equal(snapshot, cluster.Storages[lagging].Snapshot);
        Assert.Equal(snapshot.Index + 1, cluster.Storages[lagging].FirstIndex);
        Assert.Equal(cluster.AppliedTexts(leader.Id), cluster.AppliedTexts(lagging));
        Assert.Equal([1UL, 2UL, 3UL], cluster[lagging].ConfState.Voters);
    }

    [Fact]
    public void The_installed_snapshot_comes_out_of_Ready_before_any_entry_after_it_is_applied()
    {
        var (cluster, leader, snapshot) = LaggingBehindACompaction(32, out var lagging);
        cluster.Heal();
        cluster.TickAll();
        cluster.Stabilize(); // the probe is rejected, and the snapshot goes out
        var node = cluster[lagging];
        var message = cluster.Delivered.Last(m => m.Type == MessageType.Snapshot);

        Assert.Equal(snapshot.Index, node.CommitIndex);
        Assert.Equal(snapshot.Index, node.AppliedIndex);
        Assert.Equal(snapshot, cluster.Storages[lagging].Snapshot);
        var answer = cluster.Delivered.Last(m => m.From == lagging && m.Type == MessageType.AppendResponse);
        Assert.Equal(snapshot.Index, answer.Index);
        Assert.False(answer.Reject);
        Assert.Equal(leader.Id, message.From);
    }

    [Fact]
    public void A_snapshot_a_follower_already_covers_is_answered_with_its_commit_index_and_not_installed()
    {
        var cluster = new Cluster(3, seed: 33);
        var leader = cluster.ElectLeader();
        cluster.Propose(leader.Id, "x");
        cluster.WaitApplied(leader.LastIndex);
        var follower = cluster.Ids.First(id => id != leader.Id);
        var old = new SnapshotMetadata(1, leader.Term, leader.ConfState);

        cluster[follower].Step(new Message { Type = MessageType.Snapshot, From = leader.Id, To = follower, Term = leader.Term, Snapshot = old });
        cluster.Collect();

        Assert.True(cluster.Storages[follower].Snapshot.IsEmpty);
        var answer = Assert.Single(cluster.Network, m => m.From == follower);
        Assert.Equal(cluster[follower].CommitIndex, answer.Index);
    }

    [Fact]
    public void A_snapshot_whose_last_entry_the_follower_holds_only_moves_the_commit_index()
    {
        var cluster = new Cluster(3, seed: 34);
        var leader = cluster.ElectLeader();
        var follower = cluster.Ids.First(id => id != leader.Id);
        cluster.Propose(leader.Id, "x");
        cluster.Propose(leader.Id, "y");
        cluster.DeliverSome(cluster.Network.Count); // appends reach the followers; the commit does not yet
        var before = cluster[follower].CommitIndex;
        var last = cluster[follower].LastIndex;
        Assert.True(before < last);

        var covering = new SnapshotMetadata(last, leader.Term, leader.ConfState);
        cluster[follower].Step(new Message { Type = MessageType.Snapshot, From = leader.Id, To = follower, Term = leader.Term, Snapshot = covering });
        cluster.Collect();

        Assert.Equal(last, cluster[follower].CommitIndex);
        Assert.True(cluster.Storages[follower].Snapshot.IsEmpty); // nothing installed: the log already had it
        Assert.Equal(["x", "y"], cluster.AppliedTexts(follower));
    }

    [Fact]
    public void A_lost_snapshot_is_reported_by_the_host_and_sent_again()
    {
        var (cluster, leader, snapshot) = LaggingBehindACompaction(35, out var lagging);
        var lost = 0;
        cluster.Drop = m => m.Type == MessageType.Snapshot && lost++ == 0;
        cluster.Heal();

        cluster.WaitApplied(leader.LastIndex);

        Assert.Equal(1, lost - 1);
        Assert.Equal(snapshot, cluster.Storages[lagging].Snapshot);
    }

    [Fact]
    public void A_node_restarted_over_a_snapshot_applies_only_the_entries_after_it()
    {
        var cluster = new Cluster(3, seed: 36);
        var leader = cluster.ElectLeader();
        for (var i = 0; i < 5; i++)
        {
            cluster.Propose(leader.Id, $"e{i}");
        }

        cluster.WaitApplied(leader.LastIndex);
        var follower = cluster.Ids.First(id => id != leader.Id);
        var snapshot = cluster.Compact(follower);
        cluster.Propose(leader.Id, "later");
        cluster.WaitApplied(leader.LastIndex);

        cluster.Restart(follower);
        Assert.Equal(snapshot.Index, cluster[follower].AppliedIndex);
        cluster.WaitApplied(leader.LastIndex);

        Assert.Equal(cluster.AppliedTexts(leader.Id), cluster.AppliedTexts(follower));
    }

    [Fact]
    public void RaftConfig_Applied_keeps_a_restarted_node_from_handing_out_entries_its_state_machine_has()
    {
        var cluster = new Cluster(1, seed: 37);
        var leader = cluster.ElectLeader();
        cluster.Propose(leader.Id, "a");
        cluster.Propose(leader.Id, "b");
        var storage = cluster.Storages[1];

        var node = new RawNode(new RaftConfig { Id = 1, Peers = [1], Applied = 2 }, storage, new Random(1));

        var ready = node.Ready();
        Assert.Equal([3UL], ready.CommittedEntries.Select(e => e.Index));
        Assert.Throws<ArgumentException>(() => new RawNode(new RaftConfig { Id = 1, Peers = [1], Applied = 9 }, storage, new Random(1)));
    }

    [Fact]
    public void A_node_added_after_compaction_learns_the_membership_from_the_snapshot()
    {
        var cluster = new Cluster(3, seed: 38);
        var leader = cluster.ElectLeader();
        cluster.AddNode(4);
        var learner = cluster.ProposeConfChange(leader.Id, ConfChangeType.AddLearner, 4);
        cluster.Isolate(4);
        cluster.WaitApplied(learner.Index, [1, 2, 3]);
        cluster.Propose(leader.Id, "x");
        cluster.WaitApplied(leader.LastIndex, [1, 2, 3]);
        var snapshot = cluster.Compact(leader.Id);
        Assert.Equal([4UL], snapshot.ConfState.Learners);

        cluster.Heal();
        cluster.WaitApplied(leader.LastIndex);

        Assert.Equal([4UL], cluster[4].ConfState.Learners);
        Assert.Equal(["x"], cluster.AppliedTexts(4));
    }

    [Fact]
    public void MemoryRaftStorage_compacts_only_what_a_snapshot_covers_and_an_install_discards_the_log()
    {
        var storage = new MemoryRaftStorage();
        storage.Append([.. Enumerable.Range(1, 10).Select(i => new Entry(1, (ulong)i, EntryType.Normal, Cluster.Bytes($"{i}")))]);
        storage.SetHardState(new HardState(1, 1, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.CompactTo(3));
        Assert.Throws<InvalidOperationException>(() => storage.CreateSnapshot(new SnapshotMetadata(9, 1, new ConfState([1])))); // not committed

        storage.CreateSnapshot(new SnapshotMetadata(6, 1, new ConfState([1])));
        Assert.Equal(6UL, storage.CompactTo(6));
        Assert.Equal(1UL, storage.Term(5)); // the entry before the first still matches
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Term(4));
        Assert.Equal([6UL, 7UL], storage.Entries(6, 8).Select(e => e.Index));

        storage.ApplySnapshot(new SnapshotMetadata(20, 3, new ConfState([1, 2])));
        Assert.Equal(20UL, storage.LastIndex);
        Assert.Equal(21UL, storage.FirstIndex);
        Assert.Equal(3UL, storage.Term(20));
        Assert.Equal(20UL, storage.HardState.Commit);
        storage.Append([new Entry(3, 21, EntryType.Normal, Cluster.Bytes("next"))]);
        Assert.Equal(21UL, storage.LastIndex);
    }
}
