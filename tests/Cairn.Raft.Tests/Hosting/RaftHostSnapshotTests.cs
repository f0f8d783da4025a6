using Cairn.Raft.Hosting;

namespace Cairn.Raft.Tests.Hosting;

/// <summary>Snapshots, membership changes and leadership transfer through the multi-raft host.</summary>
public class RaftHostSnapshotTests
{
    private const ulong Group = 7;

    private static HostCluster Cluster(int nodes, int snapshotEntries = 20, int catchUpEntries = 0) =>
        new(nodes, [Group], hibernateAfterTicks: 0, options => options with { SnapshotEntries = snapshotEntries, CatchUpEntries = catchUpEntries });

    [Fact]
    public async Task A_follower_that_missed_compacted_entries_catches_up_by_snapshot()
    {
        using var cluster = Cluster(3);
        await cluster.Set(Group, "k0", "v0");
        cluster.Stop(3);
        for (var i = 1; i <= 100; i++)
        {
            await cluster.Set(Group, $"k{i}", $"v{i}");
        }

        var leader = await cluster.LeaderOf(Group);
        Assert.True((await cluster.Hosts[leader].StatusAsync(Group)).FirstIndex > 2, "the leader compacted its log behind a snapshot");

        cluster.Start(3);
        cluster.WaitApplied(Group, "k100", "v100");
        var follower = cluster.Machines[(3, Group)];
        Assert.True(follower.SnapshotsRestored >= 1, "node 3 caught up from a snapshot, not from the log");
        Assert.Equal(101, follower.Count);

        // And it keeps following from the log afterwards.
        await cluster.Set(Group, "after", "yes");
        cluster.WaitApplied(Group, "after", "yes");
    }

    [Fact]
    public async Task A_restarted_cluster_restores_each_state_machine_from_its_snapshot_and_replays_the_rest()
    {
        using var cluster = Cluster(3, snapshotEntries: 25, catchUpEntries: 5);
        await WriteKeys(cluster, 60);

        cluster.WaitApplied(Group, "k59", "v59");
        foreach (var node in cluster.Nodes)
        {
            cluster.Stop(node);
        }

        foreach (var node in cluster.Nodes)
        {
            cluster.Start(node);
        }

        cluster.WaitApplied(Group, "k59", "v59");
        foreach (var node in cluster.Nodes)
        {
            var machine = cluster.Machines[(node, Group)];
            Assert.Equal(1, machine.SnapshotsRestored);
            Assert.Equal(60, machine.Count);
        }

        Assert.Equal("v59", await cluster.Set(Group, "k59", "again"));
    }

    [Fact]
    public async Task A_snapshot_can_be_taken_on_demand_and_the_log_is_compacted_behind_it()
    {
        using var cluster = Cluster(3, snapshotEntries: 0);
        await WriteKeys(cluster, 10);

        var leader = await cluster.LeaderOf(Group);
        var snapshot = await cluster.Hosts[leader].SnapshotAsync(Group);
        var status = await cluster.Hosts[leader].StatusAsync(Group);
        Assert.Equal(snapshot, status.Snapshot);
        Assert.Equal(snapshot.Index + 1, status.FirstIndex);
        Assert.Equal([1UL, 2UL, 3UL], snapshot.ConfState.Voters.Order());
    }

    [Fact]
    public async Task A_new_node_joins_as_a_learner_from_a_snapshot_is_promoted_and_an_old_voter_leaves()
    {
        using var cluster = Cluster(3);
        await WriteKeys(cluster, 50);

        var leader = await cluster.LeaderOf(Group);
        await cluster.Hosts[leader].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.AddLearner, 4));
        cluster.Start(4); // knows only the original voters: it waits for the leader
        cluster.WaitApplied(Group, "k49", "v49");
        Assert.True(cluster.Machines[(4, Group)].SnapshotsRestored >= 1);

        leader = await cluster.LeaderOf(Group);
        await cluster.Hosts[leader].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.AddVoter, 4));
        var removed = cluster.Nodes.First(n => n != leader);
        leader = await cluster.LeaderOf(Group);
        await cluster.Hosts[leader].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.RemoveNode, removed));
        cluster.Stop(removed);

        // Three voters remain, node 4 among them: the group still commits, and node 4 applies.
        await cluster.Set(Group, "after", "change");
        cluster.WaitApplied(Group, "after", "change");
        leader = await cluster.LeaderOf(Group);
        var status = await cluster.Hosts[leader].StatusAsync(Group);
        Assert.Equal(RaftRole.Leader, status.Role);
        Assert.Contains(4UL, status.Membership!.Voters);
        Assert.DoesNotContain(removed, status.Membership.Members);
    }

    [Fact]
    public async Task A_follower_names_the_leader_for_a_membership_change_and_an_invalid_change_is_refused()
    {
        using var cluster = Cluster(3);
        await cluster.Set(Group, "k", "v");
        var leader = await cluster.LeaderOf(Group);
        var follower = cluster.Nodes.First(n => n != leader);
        var refused = await Assert.ThrowsAsync<NotLeaderException>(() => cluster.Hosts[follower].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.AddLearner, 4)));
        Assert.Equal(leader, refused.LeaderId);

        var invalid = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.Hosts[leader].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.RemoveNode, 9)));
        Assert.Contains("ConfChangeInvalid", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leadership_moves_to_the_named_voter()
    {
        using var cluster = Cluster(3);
        await cluster.Set(Group, "k", "v");
        var leader = await cluster.LeaderOf(Group);
        var target = cluster.Nodes.First(n => n != leader);
        cluster.Hosts[leader].TransferLeadership(Group, target);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await cluster.Hosts[target].StatusAsync(Group)).Role != RaftRole.Leader)
        {
            Assert.True(DateTime.UtcNow < deadline, $"node {target} did not take over group {Group}");
            await Task.Delay(10);
        }

        Assert.Equal("v", await cluster.Set(Group, "k", "w"));
    }

    [Fact]
    public async Task A_snapshot_whose_bytes_do_not_verify_is_refused_and_nothing_is_installed()
    {
        using var cluster = Cluster(3);
        await cluster.Set(Group, "k", "v");
        cluster.WaitApplied(Group, "k", "v"); // on every node, so node 2's value below is not a race
        var host = cluster.Hosts[2];
        var message = new GroupMessage(Group, new Message
        {
            Type = MessageType.Snapshot,
            From = 1,
            To = 2,
            Term = 1,
            Snapshot = new SnapshotMetadata(1000, 1, new ConfState([1UL, 2UL, 3UL])),
        });
        using var garbage = new MemoryStream(new byte[4096]);
        await Assert.ThrowsAnyAsync<Exception>(() => host.ReceiveSnapshotAsync(message, garbage));
        Assert.Equal("v", cluster.Machines[(2, Group)].Read("k"));
        Assert.Equal(0, cluster.Machines[(2, Group)].SnapshotsRestored);

        // A snapshot for a group the node does not have, or a message that is not a snapshot, is refused too.
        await Assert.ThrowsAsync<ArgumentException>(() => host.ReceiveSnapshotAsync(message with { GroupId = 99 }, new MemoryStream()));
        await Assert.ThrowsAsync<ArgumentException>(() => host.ReceiveSnapshotAsync(message with { Message = new Message { Type = MessageType.Heartbeat, To = 2 } }, new MemoryStream()));
    }

    [Fact]
    public async Task A_snapshot_over_the_size_limit_is_refused_with_the_limit_named()
    {
        using var cluster = new HostCluster(3, [Group], hibernateAfterTicks: 0, options => options with { SnapshotEntries = 0, MaxSnapshotBytes = 1000 });
        await cluster.Set(Group, "k", "v");
        cluster.WaitApplied(Group, "k", "v");
        var message = new GroupMessage(Group, new Message
        {
            Type = MessageType.Snapshot,
            From = 1,
            To = 2,
            Term = 1,
            Snapshot = new SnapshotMetadata(1000, 1, new ConfState([1UL, 2UL, 3UL])),
        });
        using var big = new MemoryStream(new byte[5000]);
        var refused = await Assert.ThrowsAsync<Cairn.Core.LimitExceededException>(() => cluster.Hosts[2].ReceiveSnapshotAsync(message, big));
        Assert.Contains("MaxSnapshotBytes", refused.Message, StringComparison.Ordinal);
        Assert.Equal("v", cluster.Machines[(2, Group)].Read("k"));

        // The group can receive again afterwards: the refused transfer released it.
        using var garbage = new MemoryStream(new byte[10]);
        await Assert.ThrowsAnyAsync<Exception>(() => cluster.Hosts[2].ReceiveSnapshotAsync(message, garbage));
    }

    [Fact]
    public async Task Snapshots_asked_for_together_all_complete_with_the_recorded_snapshot()
    {
        using var cluster = Cluster(3, snapshotEntries: 0);
        await WriteKeys(cluster, 20);

        var leader = await cluster.LeaderOf(Group);
        var taken = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => cluster.Hosts[leader].SnapshotAsync(Group)));
        var status = await cluster.Hosts[leader].StatusAsync(Group);
        Assert.All(taken, snapshot => Assert.True(snapshot.Index <= status.Snapshot!.Index && snapshot.Index > 0));
        Assert.Equal(status.Snapshot, taken[^1]);
    }

    /// <summary>Writes k0=v0 … k(count-1)=v(count-1) through the leader, one after another.</summary>
    private static async Task WriteKeys(HostCluster cluster, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await cluster.Set(Group, $"k{i}", $"v{i}");
        }
    }
}
