using Cairn.Raft;
using Cairn.Simulation.Kv;
using Cairn.Simulation.World;

namespace Cairn.Simulation.Tests;

/// <summary>
/// Helpers that keep scenario tests readable: a quiet world (no nemesis, a perfect network unless the test breaks
/// it), waiting for a leader, and proposing a put straight at a node. Scenarios for features the core does not have
/// yet (membership change, snapshot install, leader transfer) will add their steps here, next to these.
/// </summary>
internal static class Scenario
{
    public const long Millisecond = 1_000;
    public const long Second = 1_000_000;

    public static SimulatedWorld Quiet(int seed, int nodes, int clients = 0, bool checkQuorum = true) =>
        new(seed, new SimulationOptions
        {
            Nodes = nodes,
            Clients = clients,
            Nemesis = false,
            CheckQuorum = checkQuorum,
            DropRate = 0,
            DuplicateRate = 0,
        });

    /// <summary>Runs until one node leads and every running node follows it; returns the leader.</summary>
    public static SimNode ElectLeader(SimulatedWorld world)
    {
        var elected = world.RunUntil(
            () => world.Leader is { } leader
                && world.Nodes.Where(n => n.Status == NodeStatus.Up && !world.Network.IsCut(leader.Id, n.Id))
                    .All(n => n.Raft!.LeaderId == leader.Id && n.Raft.Term == leader.Raft!.Term),
            5 * Second);
        Assert.True(elected, "no leader within 5 s");
        return world.Leader!;
    }

    /// <summary>A put by a pseudo-client (id 1..999 is clear of the simulated clients), proposed at <paramref name="node"/>.</summary>
    public static ProposeResult ProposePut(SimulatedWorld world, ulong node, int seq, int key, long value) =>
        world.Propose(node, new KvCommand(1, seq, KvOpKind.Put, key, value, 0));

    public static bool CommittedEverywhere(SimulatedWorld world, ulong index) =>
        world.Nodes.All(n => n.Status == NodeStatus.Up && n.Raft!.CommitIndex >= index && n.Machine.AppliedIndex >= index);
}
