using System.Text;

namespace Cairn.Raft.Tests;

public sealed class ProposeBatchTests
{
    private static ReadOnlyMemory<byte> B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void A_batch_takes_consecutive_indexes_and_reaches_each_follower_in_one_append()
    {
        var cluster = new Cluster(3, seed: 31);
        var leader = cluster.ElectLeader();
        cluster.Stabilize();
        var before = leader.LastIndex;

        var result = leader.ProposeBatch([B("a"), B("b"), B("c")]);

        Assert.True(result.Accepted);
        Assert.Equal(before + 1, result.Index);
        Assert.Equal(before + 3, leader.LastIndex);
        var appends = leader.Ready().Messages.Where(m => m.Type == MessageType.Append).ToList();
        Assert.Equal(2, appends.Count); // one per follower, not one per command
        Assert.All(appends, m => Assert.Equal(["a", "b", "c"], m.Entries.Select(e => Encoding.UTF8.GetString(e.Data.Span))));
    }

    [Fact]
    public void A_follower_refuses_a_batch_and_names_the_leader_without_forwarding_it()
    {
        var cluster = new Cluster(3, seed: 32);
        var leader = cluster.ElectLeader();
        cluster.Stabilize();
        var follower = cluster.Nodes.Values.First(n => n.Id != leader.Id);

        var result = follower.ProposeBatch([B("x")]);

        Assert.False(result.Accepted);
        Assert.Equal(leader.Id, result.LeaderId);
        Assert.False(follower.HasReady && follower.Ready().Messages.Any(m => m.Type == MessageType.Propose));
        Assert.Throws<ArgumentException>(() => leader.ProposeBatch([]));
    }
}
