using Cairn.Raft;
using Cairn.Simulation.World;
using static Cairn.Simulation.Tests.Scenario;

namespace Cairn.Simulation.Tests;

/// <summary>
/// Gets served through ReadIndex instead of the log (<see cref="SimulationOptions.ReadIndexReads"/>): the history,
/// reads included, must still be linearizable, with the nemesis on and in a partition that strands a leader.
/// </summary>
public class ReadIndexTests
{
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(7001, 30)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Seed_with_reads_served_by_read_index_keeps_every_invariant(int seed) =>
        SimulationRun.Execute(seed, SimulationOptions.ForSeed(seed) with { ReadIndexReads = true });

    [Fact]
    public void A_stranded_leader_serves_no_read_and_the_majority_serves_fresh_ones()
    {
        // Without check-quorum a partitioned leader keeps believing it leads: only ReadIndex's quorum round stops it
        // from answering a read with a value the majority has since overwritten.
        var world = new SimulatedWorld(21, new SimulationOptions
        {
            Nodes = 3,
            Clients = 4,
            Nemesis = false,
            CheckQuorum = false,
            DropRate = 0,
            DuplicateRate = 0,
            ReadIndexReads = true,
        });
        var old = ElectLeader(world);
        world.StartClients();
        world.RunFor(Second / 2);

        world.Network.Isolate(old.Id);
        world.RunFor(2 * Second);
        Assert.Equal(RaftRole.Leader, old.Raft!.Role);
        var leader = world.Nodes.Single(n => n.IsLeader && n.Id != old.Id);
        var completed = world.History.Completed;
        world.RunFor(Second);
        Assert.True(world.History.Completed > completed, "the majority does not serve");

        world.Network.Heal();
        Assert.True(world.RunUntil(() => !old.IsLeader, Second));
        Assert.Equal(leader, world.Leader);
        SimulationRun.Verify(world);
        Assert.True(world.Nodes.Sum(n => n.ReadsServed) > 10, "few reads went through ReadIndex");
        Assert.True(world.Nodes.Count(n => n.ReadsServed > 0) > 1, "only one node served reads");
    }

    [Fact]
    public void A_read_answered_without_a_quorum_round_is_caught_as_a_stale_read()
    {
        // The checker must be able to fail: a node that answers gets from its own state at once breaks linearizability
        // on some seed.
        for (var seed = 7001; seed <= 7100; seed++)
        {
            var options = SimulationOptions.ForSeed(seed) with { ReadIndexReads = true, Sabotage = Sabotage.ReadWithoutQuorum };
            try
            {
                SimulationRun.Execute(seed, options);
            }
            catch (SimulationFailedException e)
            {
                Assert.Matches("linearizability", e.Message);
                return;
            }
        }

        Assert.Fail("no seed in 7001..7100 caught reads served without a quorum round");
    }
}
