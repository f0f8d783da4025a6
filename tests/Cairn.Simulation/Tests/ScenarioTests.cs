using Cairn.Raft;
using Cairn.Simulation.World;
using Cairn.Testing;
using static Cairn.Simulation.Tests.Scenario;

namespace Cairn.Simulation.Tests;

/// <summary>
/// Faults injected by hand, step by step, in the manner of etcd-io/raft's interaction tests: each test reads as the
/// story it checks. Raft's invariants are still checked after every event underneath.
/// </summary>
public class ScenarioTests
{
    [Fact]
    public void A_partitioned_leader_cannot_commit_and_a_new_leader_takes_over()
    {
        var world = Quiet(seed: 1, nodes: 5);
        var old = ElectLeader(world);
        var oldTerm = old.Raft!.Term;

        // The leader and one follower end up in the minority.
        var buddy = world.NodeIds.First(id => id != old.Id);
        world.Network.Partition([old.Id, buddy]);
        var stranded = ProposePut(world, old.Id, seq: 1, key: 1, value: 42);
        Assert.True(stranded.Accepted);

        world.RunFor(2 * Second);

        // The minority cannot commit the put; check-quorum has made the old leader step down.
        Assert.True(old.Raft!.CommitIndex < stranded.Index);
        Assert.NotEqual(RaftRole.Leader, old.Raft.Role);

        // The majority elected a leader of a higher term, which commits.
        var leader = world.Leader!;
        Assert.NotEqual(old.Id, leader.Id);
        Assert.NotEqual(buddy, leader.Id);
        Assert.True(leader.Raft!.Term > oldTerm);
        var committed = ProposePut(world, leader.Id, seq: 2, key: 1, value: 7);
        Assert.True(world.RunUntil(() => leader.Raft!.CommitIndex >= committed.Index, Second));

        // On heal the old leader follows the new one and its stranded entry is overwritten, never applied.
        world.Network.Heal();
        Assert.True(world.RunUntil(() => CommittedEverywhere(world, committed.Index), 2 * Second));
        Assert.Equal(leader.Id, old.Raft!.LeaderId);
        Assert.Equal(leader.Raft.Term, old.Raft.Term);
        Assert.All(world.Nodes, n => Assert.Equal(7, n.Machine.ValueOf(1)));
        Assert.NotEqual(oldTerm, old.Mirror.TermAt(stranded.Index));
    }

    [Fact]
    public void Without_check_quorum_a_partitioned_leader_steps_down_when_the_partition_heals()
    {
        var world = Quiet(seed: 2, nodes: 3, checkQuorum: false);
        var old = ElectLeader(world);
        var oldTerm = old.Raft!.Term;

        world.Network.Isolate(old.Id);
        var stranded = ProposePut(world, old.Id, seq: 1, key: 1, value: 42);
        world.RunFor(2 * Second);

        // Nothing tells the isolated node it lost: it still leads its old term, and commits nothing.
        Assert.Equal(RaftRole.Leader, old.Raft!.Role);
        Assert.Equal(oldTerm, old.Raft.Term);
        Assert.True(old.Raft.CommitIndex < stranded.Index);
        var leader = world.Nodes.Single(n => n.IsLeader && n.Id != old.Id);
        Assert.True(leader.Raft!.Term > oldTerm);

        // The first message from the newer term makes it step down.
        world.Network.Heal();
        Assert.True(world.RunUntil(() => old.Raft!.Role == RaftRole.Follower, Second));
        Assert.True(world.RunUntil(() => old.Raft!.LeaderId == leader.Id, Second));
        Assert.Equal(0, old.Machine.ValueOf(1));
    }

    [Fact]
    public void Every_node_crashing_mid_load_loses_no_acknowledged_write()
    {
        var world = Quiet(seed: 3, nodes: 3, clients: 4);
        world.StartClients();
        world.RunFor(Second / 2);
        var acknowledged = world.History.Completed;
        Assert.True(acknowledged > 10, $"only {acknowledged} operations returned before the crash");

        // Power cut: every node dies at once; unsynced writes are torn.
        foreach (var id in world.NodeIds)
        {
            world.Kill(id, CrashMode.TornTail);
        }

        // Replies already on the wire still land; after that, with every node down, nothing completes.
        world.RunFor(50 * Millisecond);
        var landed = world.History.Completed;
        world.RunFor(Second / 5);
        Assert.Equal(landed, world.History.Completed);

        foreach (var id in world.NodeIds)
        {
            world.Restart(id);
        }

        world.RunFor(Second);
        Assert.True(world.History.Completed > acknowledged, "no progress after the restart");
        SimulationRun.Verify(world);
    }

    [Fact]
    public void Every_node_dying_in_the_middle_of_a_write_recovers_from_its_torn_log()
    {
        var world = Quiet(seed: 4, nodes: 3, clients: 4);
        world.StartClients();
        world.RunFor(Second / 2);

        // Each node dies at a different write of its own, leaving a torn tail or a half-replaced hard state.
        var k = 0;
        foreach (var node in world.Nodes)
        {
            node.Disk.ScheduleCrash(3 + (7 * k++), CrashMode.Chaos);
        }

        // Once two have died the last cannot commit, and a follower that cannot win a pre-vote writes nothing: kill it.
        Assert.True(world.RunUntil(() => world.Nodes.Count(n => n.Status == NodeStatus.Down) >= 2, Second));
        foreach (var id in world.NodeIds)
        {
            world.Kill(id, CrashMode.Chaos);
        }

        foreach (var id in world.NodeIds)
        {
            world.Restart(id);
        }

        world.RunFor(Second);
        SimulationRun.Verify(world);
    }

    [Fact]
    public void A_leader_that_hears_nothing_steps_down_and_the_rest_elect_a_new_one()
    {
        var world = Quiet(seed: 5, nodes: 3, clients: 2);
        var old = ElectLeader(world);

        // One-way: the leader's heartbeats still go out, but no answer comes back.
        world.Network.CutInbound(old.Id);
        world.StartClients();
        world.RunFor(2 * Second);

        var leader = world.Leader!;
        Assert.NotEqual(old.Id, leader.Id);
        Assert.NotEqual(RaftRole.Leader, old.Raft!.Role);
        var before = world.History.Completed;
        world.RunFor(Second);
        Assert.True(world.History.Completed > before, "the new leader does not commit");

        world.Network.Heal();
        SimulationRun.Verify(world);
    }

    [Fact]
    public void A_leader_whose_messages_are_lost_is_replaced_and_steps_down_on_hearing_the_new_term()
    {
        var world = Quiet(seed: 6, nodes: 3, clients: 2);
        var old = ElectLeader(world);

        // One-way the other way: the followers hear nothing from the leader; the leader still hears them.
        world.Network.CutOutbound(old.Id);
        world.StartClients();
        Assert.True(world.RunUntil(() => world.Leader is { } l && l.Id != old.Id, 2 * Second));
        Assert.True(world.RunUntil(() => !old.IsLeader, Second));

        world.Network.Heal();
        SimulationRun.Verify(world);
    }

    [Fact]
    public void Clogging_every_link_stalls_the_cluster_and_unclogging_in_random_order_lets_it_finish()
    {
        var world = Quiet(seed: 7, nodes: 5, clients: 3);
        ElectLeader(world);
        world.StartClients();
        world.RunFor(Second / 5);

        // Swizzle: clog the links one by one ...
        var links = world.NodeIds.SelectMany(a => world.NodeIds.Where(b => b != a).Select(b => (a, b))).ToList();
        foreach (var (from, to) in links)
        {
            world.Network.Clog(from, to);
            world.RunFor(10 * Millisecond);
        }

        // ... with everything clogged nothing commits (in-flight messages may still land) ...
        world.RunFor(100 * Millisecond);
        var stalledAt = world.Invariants.CommittedIndex;
        world.RunFor(Second / 2);
        Assert.Equal(stalledAt, world.Invariants.CommittedIndex);

        // ... then unclog them in a random order; held messages arrive late, out of order, all at once.
        foreach (var (from, to) in links.OrderBy(_ => world.Random.Next()).ToList())
        {
            world.Network.Unclog(from, to);
            world.RunFor(10 * Millisecond);
        }

        world.RunFor(Second);
        Assert.True(world.Invariants.CommittedIndex > stalledAt);
        SimulationRun.Verify(world);
    }
}
