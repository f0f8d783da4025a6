using System.Text;

namespace Cairn.Raft.Tests;

/// <summary>Linearizable reads (ADR 0011): a quorum-confirmed read index, or the check-quorum lease.</summary>
public class ReadIndexTests
{
    private static byte[] Ctx(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadState state) => Encoding.UTF8.GetString(state.Context.Span);

    [Fact]
    public void A_leader_answers_a_read_after_a_quorum_confirms_it_still_leads()
    {
        var cluster = new Cluster(3, seed: 41);
        var leader = cluster.ElectLeader();
        cluster.Propose(leader.Id, "x");
        cluster.Stabilize();

        leader.ReadIndex(Ctx("r1"));
        cluster.Collect();

        Assert.False(cluster.ReadStates.ContainsKey(leader.Id)); // not before the heartbeat round
        var round = cluster.Network.Where(m => m.Type == MessageType.Heartbeat).ToList();
        Assert.Equal(2, round.Count);
        Assert.All(round, m => Assert.False(m.Context.IsEmpty));
        cluster.Stabilize();

        var read = Assert.Single(cluster.ReadStates[leader.Id]);
        Assert.Equal("r1", Text(read));
        Assert.Equal(leader.CommitIndex, read.Index);
    }

    [Fact]
    public void A_partitioned_leader_never_answers_a_read()
    {
        // Without check-quorum nothing tells the old leader it was deposed: only the read round protects the read.
        var cluster = new Cluster(3, seed: 42, c => c with { CheckQuorum = false });
        var old = cluster.ElectLeader();
        cluster.Stabilize();
        cluster.Isolate(old.Id);
        var next = cluster.ElectLeader();
        cluster.Propose(next.Id, "written by the new leader");
        cluster.Stabilize();

        old.ReadIndex(Ctx("stale?"));
        cluster.Stabilize();

        Assert.Equal(RaftRole.Leader, old.Role); // it still thinks it leads...
        Assert.False(cluster.ReadStates.ContainsKey(old.Id)); // ...but cannot confirm it, so serves nothing
    }

    [Fact]
    public void A_follower_forwards_its_read_to_the_leader_and_gets_the_index_back()
    {
        var cluster = new Cluster(3, seed: 43);
        var leader = cluster.ElectLeader();
        cluster.Propose(leader.Id, "x");
        cluster.Stabilize();
        var follower = cluster.Ids.First(id => id != leader.Id);

        cluster[follower].ReadIndex(Ctx("from follower"));
        cluster.Stabilize();

        var read = Assert.Single(cluster.ReadStates[follower]);
        Assert.Equal("from follower", Text(read));
        Assert.Equal(leader.CommitIndex, read.Index);
        Assert.Contains(cluster.Delivered, m => m.Type == MessageType.ReadIndexResponse && m.To == follower);
    }

    [Fact]
    public void A_new_leader_holds_reads_until_an_entry_of_its_term_commits()
    {
        var cluster = new Cluster(3, seed: 44);
        var leader = cluster.ElectLeader();
        cluster.Stabilize();
        cluster.Isolate(leader.Id);
        RawNode? next = null;
        for (var tick = 0; tick < 200 && next is null; tick++)
        {
            cluster.TickAll();
            cluster.DeliverSome(cluster.Network.Count);
            next = cluster.Leaders.FirstOrDefault(l => l.Id != leader.Id);
        }

        Assert.NotNull(next);
        Assert.True(next.CommitIndex < next.LastIndex); // its no-op is not committed yet

        next.ReadIndex(Ctx("early"));
        cluster.Collect();
        Assert.DoesNotContain(cluster.Network, m => m.Type == MessageType.Heartbeat && !m.Context.IsEmpty);

        cluster.Stabilize();
        cluster.TickAll();
        cluster.Stabilize();
        var read = Assert.Single(cluster.ReadStates[next.Id]);
        Assert.True(read.Index >= next.LastIndex - 1);
    }

    [Fact]
    public void A_single_voter_answers_at_once()
    {
        var cluster = new Cluster(1, seed: 45);
        var leader = cluster.ElectLeader();

        leader.ReadIndex(Ctx("solo"));
        cluster.Collect();

        Assert.Equal("solo", Text(Assert.Single(cluster.ReadStates[1])));
    }

    [Fact]
    public void With_lease_based_reads_the_leader_answers_without_a_round()
    {
        var cluster = new Cluster(3, seed: 46, c => c with { ReadOnlyOption = ReadOnlyOption.LeaseBased });
        var leader = cluster.ElectLeader();
        cluster.Stabilize();

        leader.ReadIndex(Ctx("lease"));
        cluster.Collect();

        Assert.Empty(cluster.Network);
        Assert.Equal("lease", Text(Assert.Single(cluster.ReadStates[leader.Id])));
    }

    [Fact]
    public void A_read_on_a_node_that_knows_no_leader_is_dropped()
    {
        var cluster = new Cluster(3, seed: 47);

        cluster[1].ReadIndex(Ctx("nobody"));
        cluster.Stabilize();

        Assert.Empty(cluster.ReadStates);
    }
}
