using Cairn.Raft;
using Cairn.Simulation.World;
using static Cairn.Simulation.Tests.Scenario;

namespace Cairn.Simulation.Tests;

/// <summary>
/// Scenarios for the core's newer features (leadership transfer, membership change, snapshots), told step by step
/// like <see cref="ScenarioTests"/>, with every checker running underneath.
/// </summary>
public class MembershipScenarioTests
{
    [Fact]
    public void Leadership_moves_to_the_chosen_follower_under_load_and_no_acknowledged_write_is_lost()
    {
        var world = Quiet(seed: 11, nodes: 3, clients: 4);
        var old = ElectLeader(world);
        world.StartClients();
        world.RunFor(Second / 2);
        var before = world.History.Completed;
        Assert.True(before > 10, $"only {before} operations returned before the transfer");

        // Hand leadership to a follower while the clients keep writing.
        var target = world.Nodes.First(n => n.Id != old.Id);
        var oldTerm = old.Raft!.Term;
        old.Run(() => old.Raft!.TransferLeadership(target.Id));

        // The target wins an election of the next term, without waiting for an election timeout.
        Assert.True(world.RunUntil(() => target.IsLeader, world.Options.TickInterval * world.Options.ElectionTick));
        Assert.True(target.Raft!.Term > oldTerm);
        Assert.Equal(target, world.Leader);
        Assert.True(world.RunUntil(() => !old.IsLeader, Second));

        // The new leader serves: operations keep completing.
        var atTransfer = world.History.Completed;
        world.RunFor(Second / 2);
        Assert.True(world.History.Completed > atTransfer, "no progress after the transfer");
        Assert.True(world.Invariants.LedTerm(target.Raft.Term, out var led) && led == target.Id);

        // Acknowledged writes are all in the committed log, and the history is linearizable.
        SimulationRun.Verify(world);
    }
}
