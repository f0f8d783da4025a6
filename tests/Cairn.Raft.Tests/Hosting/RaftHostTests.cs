using System.Text;
using Cairn.Raft.Hosting;

namespace Cairn.Raft.Tests.Hosting;

public sealed class RaftHostTests
{
    [Fact]
    public async Task Three_hosts_elect_a_leader_and_replicate_commands_to_every_state_machine()
    {
        using var cluster = new HostCluster(3, 7);
        for (var i = 0; i < 50; i++)
        {
            Assert.Null(await cluster.Set(7, $"k{i}", $"v{i}"));
        }

        Assert.Equal("v3", await cluster.Set(7, "k3", "again"));
        cluster.WaitApplied(7, "k49", "v49");
        cluster.WaitApplied(7, "k3", "again");
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(50, cluster.Machines[(node, 7)].Count);
        }
    }

    [Fact]
    public async Task A_follower_refuses_a_proposal_and_names_the_leader()
    {
        using var cluster = new HostCluster(3, 1);
        await cluster.Set(1, "warm", "up"); // a leader exists and every node has heard from it
        cluster.WaitApplied(1, "warm", "up");
        var leader = await cluster.LeaderOf(1);
        var follower = cluster.Nodes.First(n => n != leader);

        var refused = await Assert.ThrowsAsync<NotLeaderException>(() => cluster.Hosts[follower].ProposeAsync(1, "k=v"u8.ToArray()));
        Assert.Equal(leader, refused.LeaderId);
        Assert.Contains($"the leader is node {leader}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_groups_share_each_round_of_fsyncs()
    {
        var groups = Enumerable.Range(1, 20).Select(g => (ulong)g).ToArray();
        using var cluster = new HostCluster(3, groups);
        await Task.WhenAll(groups.Select(g => cluster.Set(g, "warm", "up")));
        var commitsBefore = cluster.Nodes.ToDictionary(n => n, n => cluster.Logs[n].Commits);

        // 20 groups × 10 concurrent writes: far fewer log commits (fsyncs) than writes on every node.
        await Task.WhenAll(groups.SelectMany(g => Enumerable.Range(0, 10).Select(i => cluster.Set(g, $"k{i}", "v"))));
        foreach (var node in cluster.Nodes)
        {
            var commits = cluster.Logs[node].Commits - commitsBefore[node];
            Assert.True(commits < 200, $"node {node} made {commits} log commits for 200 writes");
        }
    }

    [Fact]
    public async Task A_restarted_cluster_recovers_every_committed_command_from_its_logs()
    {
        using var cluster = new HostCluster(3, 5);
        for (var i = 0; i < 30; i++)
        {
            await cluster.Set(5, $"k{i}", $"v{i}");
        }

        foreach (var node in cluster.Nodes)
        {
            cluster.Stop(node);
        }

        foreach (var node in cluster.Nodes)
        {
            cluster.Start(node);
        }

        // The logs replay into fresh state machines once a leader commits in its new term.
        await cluster.Set(5, "after", "restart");
        cluster.WaitApplied(5, "after", "restart");
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal("v29", cluster.Machines[(node, 5)].Read("k29"));
            Assert.Equal(31, cluster.Machines[(node, 5)].Count);
        }
    }

    [Fact]
    public async Task An_isolated_leader_is_replaced_and_its_uncommitted_proposal_never_takes_effect()
    {
        using var cluster = new HostCluster(3, 2);
        await cluster.Set(2, "k", "1");
        var oldLeader = await cluster.LeaderOf(2);
        cluster.Network.Isolate(oldLeader);
        var stranded = cluster.Hosts[oldLeader].ProposeAsync(2, "k=stranded"u8.ToArray());

        // The other two elect a new leader and keep committing.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        ulong newLeader;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "no new leader");
            await Task.Delay(20);
            newLeader = await FindLeaderExcept(cluster, oldLeader);
        }
        while (newLeader == 0);

        Assert.Equal("1", Text(await cluster.Hosts[newLeader].ProposeAsync(2, "k=2"u8.ToArray())));
        cluster.Network.Isolate(oldLeader, false);

        // Healed, the old leader's stranded entry is overwritten: its proposer learns it was dropped.
        await Assert.ThrowsAsync<ProposalDroppedException>(() => stranded.WaitAsync(TimeSpan.FromSeconds(20)));
        await cluster.Set(2, "k", "3");
        cluster.WaitApplied(2, "k", "3");
        Assert.Equal("3", cluster.Machines[(oldLeader, 2)].Read("k"));
    }

    [Fact]
    public async Task A_command_over_the_size_limit_is_refused_with_the_limit()
    {
        using var cluster = new HostCluster(1, 1);
        await cluster.Set(1, "k", "v");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => cluster.Hosts[1].ProposeAsync(1, new byte[9 * 1024 * 1024]));
        Assert.Contains("the limit is 8388608", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_groups_hibernate_on_every_node_and_a_write_wakes_them()
    {
        var groups = Enumerable.Range(1, 10).Select(g => (ulong)g).ToArray();
        using var cluster = new HostCluster(3, groups, hibernateAfterTicks: 5);
        await Task.WhenAll(groups.Select(g => cluster.Set(g, "k", "v")));
        await WaitFor(async () => await AllHibernating(cluster, groups), "every group to hibernate on every node");

        Assert.Null(await cluster.Set(3, "other", "x")); // wakes group 3 only
        cluster.WaitApplied(3, "other", "x");
        Assert.Contains(cluster.Nodes, n => !cluster.Hosts[n].StatusAsync(3).Result.Hibernating);
        Assert.True((await cluster.Hosts[1].StatusAsync(4)).Hibernating);
        await WaitFor(async () => await AllHibernating(cluster, groups), "group 3 to hibernate again");
    }

    [Fact]
    public async Task A_hibernating_group_whose_leader_died_elects_another_once_a_client_wakes_it()
    {
        using var cluster = new HostCluster(3, [1], hibernateAfterTicks: 5);
        await cluster.Set(1, "k", "1");
        await WaitFor(async () => await AllHibernating(cluster, [1]), "the group to hibernate");
        var leader = await cluster.LeaderOf(1);
        cluster.Stop(leader); // the followers sleep and hear nothing: only a client can wake them

        var follower = cluster.Nodes.First(n => n != leader);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "the woken followers never elected a new leader");
            try
            {
                Assert.Equal("1", Text(await cluster.Hosts[follower].ProposeAsync(1, "k=2"u8.ToArray())));
                break;
            }
            catch (NotLeaderException e) when (e.LeaderId is RawNode.None || e.LeaderId == leader || cluster.Hosts.ContainsKey(e.LeaderId))
            {
                follower = e.LeaderId != RawNode.None && cluster.Hosts.ContainsKey(e.LeaderId) ? e.LeaderId : follower;
                await Task.Delay(20);
            }
        }
    }

    [Fact]
    public async Task A_read_index_on_the_leader_covers_every_completed_write_and_a_follower_names_the_leader()
    {
        using var cluster = new HostCluster(3, 4);
        for (var i = 0; i < 20; i++)
        {
            await cluster.Set(4, "k", $"v{i}");
            var leader = await cluster.LeaderOf(4);
            await cluster.Hosts[leader].ReadIndexAsync(4);
            Assert.Equal($"v{i}", cluster.Machines[(leader, 4)].Read("k")); // applied through the read index
        }

        var current = await cluster.LeaderOf(4);
        var follower = cluster.Nodes.First(n => n != current);
        var refused = await Assert.ThrowsAsync<NotLeaderException>(() => cluster.Hosts[follower].ReadIndexAsync(4));
        Assert.Equal(current, refused.LeaderId);
    }

    [Fact]
    public async Task An_isolated_leader_cannot_confirm_a_read()
    {
        using var cluster = new HostCluster(3, 6);
        await cluster.Set(6, "k", "v");
        var leader = await cluster.LeaderOf(6);
        cluster.Network.Isolate(leader);
        var read = cluster.Hosts[leader].ReadIndexAsync(6);

        // Without a quorum the read never completes as a success: check-quorum deposes the leader and fails it.
        await Assert.ThrowsAsync<NotLeaderException>(() => read.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Sleeping_followers_elect_a_new_leader_on_their_own_when_the_leaders_host_falls_silent()
    {
        using var cluster = new HostCluster(3, [8], hibernateAfterTicks: 5);
        await cluster.Set(8, "k", "v");
        await WaitFor(async () => await AllHibernating(cluster, [8]), "the group to hibernate");
        var leader = await cluster.LeaderOf(8);
        cluster.Stop(leader); // no client asks anything: only the host pings can reveal the silence

        await WaitFor(
            async () =>
            {
                foreach (var node in cluster.Hosts.Keys)
                {
                    if ((await cluster.Hosts[node].StatusAsync(8)).Role == RaftRole.Leader)
                    {
                        return true;
                    }
                }

                return false;
            },
            "a new leader elected without any client");
    }

    private static async Task<bool> AllHibernating(HostCluster cluster, ulong[] groups)
    {
        foreach (var node in cluster.Hosts.Keys)
        {
            foreach (var group in groups)
            {
                if (!(await cluster.Hosts[node].StatusAsync(group)).Hibernating)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static async Task WaitFor(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static async Task<ulong> FindLeaderExcept(HostCluster cluster, ulong except)
    {
        foreach (var node in cluster.Nodes.Where(n => n != except))
        {
            if ((await cluster.Hosts[node].StatusAsync(2)).Role == RaftRole.Leader)
            {
                return node;
            }
        }

        return 0;
    }

    private static string? Text(byte[]? value) => value is null ? null : Encoding.UTF8.GetString(value);
}
