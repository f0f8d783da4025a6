namespace Cairn.Raft.Tests.Hosting;

/// <summary>Groups added to and removed from running hosts: how a replica moves to a new node.</summary>
public sealed class RaftHostDynamicGroupTests
{
    private const ulong Group = 7;

    [Fact]
    public async Task A_replica_moves_to_a_node_that_takes_the_group_while_running_and_the_old_node_drops_it()
    {
        using var cluster = new HostCluster(3, Group);
        for (var i = 0; i < 50; i++)
        {
            await cluster.Set(Group, "k" + i, "v" + i);
        }

        // Node 4 starts with no groups, then takes a replica of the group while running.
        cluster.Start(4, []);
        var machine = new RegisterMachine();
        await cluster.Hosts[4].AddGroupAsync(Group, [1, 2, 3], machine);
        cluster.Machines[(4, Group)] = machine;
        await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.Hosts[4].AddGroupAsync(Group, [1, 2, 3], new RegisterMachine()));

        var leader = await cluster.LeaderOf(Group);
        await cluster.Hosts[leader].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.AddLearner, 4));
        cluster.WaitApplied(Group, "k49", "v49");
        leader = await cluster.LeaderOf(Group);
        await cluster.Hosts[leader].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.AddVoter, 4));

        var removed = cluster.Nodes.First(n => n != leader);
        await cluster.Hosts[leader].ProposeConfChangeAsync(Group, new ConfChange(ConfChangeType.RemoveNode, removed));
        await cluster.Hosts[removed].RemoveGroupAsync(Group);
        cluster.Machines.Remove((removed, Group));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => cluster.Hosts[removed].StatusAsync(Group));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => cluster.Hosts[removed].RemoveGroupAsync(Group));
        Assert.DoesNotContain(Group, cluster.Logs[removed].StoredGroups());

        // The group goes on with node 4 as a voter.
        await cluster.Set(Group, "after", "move");
        cluster.WaitApplied(Group, "after", "move");
        var status = await cluster.Hosts[await cluster.LeaderOf(Group)].StatusAsync(Group);
        Assert.Contains(4UL, status.Membership!.Voters);
        Assert.DoesNotContain(removed, status.Membership.Members);

        // The old node restarts without the group: nothing of it is left in its log.
        cluster.Stop(removed);
        cluster.Start(removed, []);
        Assert.DoesNotContain(Group, cluster.Logs[removed].StoredGroups());
    }

    [Fact]
    public async Task A_group_added_while_running_keeps_its_log_across_a_restart()
    {
        using var cluster = new HostCluster(3);
        foreach (var node in cluster.Nodes)
        {
            var machine = new RegisterMachine();
            cluster.Machines[(node, Group)] = machine;
            await cluster.Hosts[node].AddGroupAsync(Group, cluster.Nodes, machine);
        }

        await cluster.Set(Group, "k", "v");
        cluster.WaitApplied(Group, "k", "v");
        cluster.Stop(1);
        cluster.Start(1, [Group]); // now it is there from the start
        cluster.WaitApplied(Group, "k", "v");
    }
}
