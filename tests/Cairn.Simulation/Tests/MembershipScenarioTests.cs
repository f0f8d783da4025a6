using Cairn.Raft;
using Cairn.Simulation.World;
using Cairn.Testing;
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

    [Fact]
    public void A_transfer_to_a_cut_off_follower_is_abandoned_and_the_leader_goes_on_serving()
    {
        var world = Quiet(seed: 16, nodes: 3, clients: 3);
        var leader = ElectLeader(world);
        var term = leader.Raft!.Term;
        world.StartClients();
        world.RunFor(Second / 4);

        // The target cannot be reached: the leader pauses proposals for at most an election timeout, then gives up.
        var target = world.Nodes.First(n => n.Id != leader.Id);
        world.Network.Isolate(target.Id);
        leader.Run(() => leader.Raft!.TransferLeadership(target.Id));
        Assert.Equal(target.Id, leader.Raft.LeadTransferee);
        var electionTimeout = world.Options.TickInterval * world.Options.ElectionTick;
        Assert.True(world.RunUntil(() => leader.Raft!.LeadTransferee == 0, 2 * electionTimeout), "the transfer was never abandoned");

        // Still the leader of the same term, and serving again.
        Assert.True(leader.IsLeader);
        Assert.Equal(term, leader.Raft!.Term);
        var completed = world.History.Completed;
        world.RunFor(Second / 2);
        Assert.True(world.History.Completed > completed, "no progress after the transfer was abandoned");

        world.Network.Heal();
        SimulationRun.Verify(world);
    }

    [Fact]
    public void A_new_node_joins_as_a_learner_is_promoted_and_an_old_voter_is_removed_across_a_partition()
    {
        var world = Quiet(seed: 12, nodes: 3, clients: 3);
        var leader = ElectLeader(world);
        world.StartClients();
        world.RunFor(Second / 4);

        // One follower is cut off while the membership starts to change.
        var cut = world.Nodes.First(n => n.Id != leader.Id);
        var other = world.Nodes.First(n => n.Id != leader.Id && n != cut);
        world.Network.Isolate(cut.Id);

        // A fresh node, empty disk, not a member: it waits for the leader.
        var fresh = world.AddNode();
        world.RunFor(Second / 10);
        Assert.NotEqual(RaftRole.Leader, fresh.Raft!.Role);
        Assert.Equal(0UL, fresh.Raft.LastIndex);

        // It joins as a learner: it gets the whole log but does not count toward the quorum.
        var added = world.ProposeConfChange(leader.Id, new ConfChange(ConfChangeType.AddLearner, fresh.Id));
        Assert.True(added.Accepted, $"{added}");
        Assert.True(world.RunUntil(() => fresh.Machine.AppliedIndex >= added.Index && leader.Raft!.CommitIndex >= added.Index, 2 * Second));
        Assert.True(leader.Raft!.ConfState.IsLearner(fresh.Id));
        Assert.True(fresh.Raft!.ConfState.IsLearner(fresh.Id));
        Assert.Equal(2, leader.Raft.ConfState.Quorum);

        // Promoted to voter while the follower is still cut: four voters, a quorum of three (leader, other, fresh).
        var promoted = world.ProposeConfChange(leader.Id, new ConfChange(ConfChangeType.AddVoter, fresh.Id));
        Assert.True(promoted.Accepted, $"{promoted}");
        Assert.True(world.RunUntil(() => leader.Raft!.CommitIndex >= promoted.Index, 2 * Second));
        Assert.True(leader.Raft!.ConfState.IsVoter(fresh.Id));
        Assert.Equal(3, leader.Raft.ConfState.Quorum);

        // The partition heals and the cut follower catches up, membership included.
        world.Network.Heal();
        Assert.True(world.RunUntil(() => cut.Raft!.ConfState.IsVoter(fresh.Id) && cut.Machine.AppliedIndex >= promoted.Index, 2 * Second));

        // The once-cut voter is removed; once that commits it is gone and stops.
        var removed = world.ProposeConfChange(leader.Id, new ConfChange(ConfChangeType.RemoveNode, cut.Id));
        Assert.True(removed.Accepted, $"{removed}");
        Assert.True(world.RunUntil(() => leader.Raft!.CommitIndex >= removed.Index, 2 * Second));
        Assert.False(leader.Raft!.ConfState.Contains(cut.Id));
        Assert.Equal(3, leader.Raft.ConfState.Voters.Count);
        world.Kill(cut.Id);

        // The removed node no longer counts: leader and fresh are a quorum of the three voters, with the other cut off.
        world.Network.Isolate(other.Id);
        var committedBefore = leader.Raft.CommitIndex;
        var completedBefore = world.History.Completed;
        world.RunFor(Second);
        Assert.True(leader.IsLeader);
        Assert.True(leader.Raft.CommitIndex > committedBefore, "the cluster stopped committing without the removed node");
        Assert.True(world.History.Completed > completedBefore, "the cluster stopped serving without the removed node");

        world.Network.Heal();
        SimulationRun.Verify(world);
    }

    [Fact]
    public void A_learner_added_after_the_leader_compacted_its_log_catches_up_from_a_snapshot_and_is_promoted()
    {
        var world = Quiet(seed: 13, nodes: 3, clients: 3);
        var leader = ElectLeader(world);
        world.StartClients();
        world.RunFor(Second);

        // The leader snapshots its state machine and drops the log segments the snapshot covers.
        var snapshotIndex = leader.TakeSnapshot();
        Assert.True(leader.Log!.FirstIndex > 1, $"compaction dropped nothing (snapshot at {snapshotIndex})");

        // A fresh node joins as a learner: the entries it needs first are gone, so the leader sends the snapshot.
        var fresh = world.AddNode();
        var added = world.ProposeConfChange(leader.Id, new ConfChange(ConfChangeType.AddLearner, fresh.Id));
        Assert.True(added.Accepted, $"{added}");
        Assert.True(world.RunUntil(() => fresh.SnapshotsInstalled > 0, 2 * Second), "no snapshot installed");
        Assert.True(fresh.Log!.FirstIndex > 1);
        Assert.Equal(snapshotIndex, fresh.Log.Snapshot.Index);

        // It catches up from there through ordinary appends, under load, to the same state.
        Assert.True(world.RunUntil(() => fresh.Machine.AppliedIndex >= added.Index, 2 * Second), "the learner does not catch up");
        Assert.True(fresh.Raft!.ConfState.IsLearner(fresh.Id));

        var promoted = world.ProposeConfChange(leader.Id, new ConfChange(ConfChangeType.AddVoter, fresh.Id));
        Assert.True(promoted.Accepted, $"{promoted}");
        Assert.True(world.RunUntil(() => fresh.Machine.AppliedIndex >= promoted.Index, 2 * Second));
        Assert.True(leader.Raft!.ConfState.IsVoter(fresh.Id));

        world.RunFor(Second / 2);
        SimulationRun.Verify(world);
        Assert.Equal(leader.Machine.StateHash, fresh.Machine.StateHash);
        Assert.Equal(1, fresh.SnapshotsInstalled);
    }

    // Writes 1 to 12 die before the log has durably switched to the snapshot: the learner restarts empty and the
    // leader sends the snapshot again. From 14 the log kept it (14 dies discarding the entries it replaces), and 40
    // dies appending what follows it: the learner restarts from the snapshot plus its log.
    [Theory]
    [InlineData(1, CrashMode.DropUnsynced)]
    [InlineData(4, CrashMode.TornTail)]
    [InlineData(8, CrashMode.Chaos)]
    [InlineData(12, CrashMode.TornTail)]
    [InlineData(14, CrashMode.DropUnsynced)]
    [InlineData(20, CrashMode.Chaos)]
    [InlineData(40, CrashMode.DropUnsynced)]
    public void A_learner_that_dies_while_installing_a_snapshot_restarts_and_still_converges(int writes, CrashMode mode)
    {
        var world = Quiet(seed: 14 + writes, nodes: 3, clients: 3);
        var leader = ElectLeader(world);
        world.StartClients();
        world.RunFor(Second);
        var snapshotIndex = leader.TakeSnapshot();
        Assert.True(leader.Log!.FirstIndex > 1);

        // The learner's process dies partway through its disk writes for the install.
        var fresh = world.AddNode();
        fresh.CrashInNextInstall = (writes, mode);
        var added = world.ProposeConfChange(leader.Id, new ConfChange(ConfChangeType.AddLearner, fresh.Id));
        Assert.True(added.Accepted, $"{added}");
        Assert.True(world.RunUntil(() => fresh.Status == NodeStatus.Down, 2 * Second), "the learner did not die");

        // Restarted from whatever its disk kept, it installs the snapshot again if it must, and catches up.
        world.RunFor(100 * Millisecond);
        world.Restart(fresh.Id);
        Assert.Equal(NodeStatus.Up, fresh.Status);
        Assert.True(world.RunUntil(() => fresh.Machine.AppliedIndex >= added.Index, 3 * Second), "the learner does not catch up after its restart");
        Assert.True(fresh.Log!.Snapshot.Index >= snapshotIndex);

        var promoted = world.ProposeConfChange(leader.Id, new ConfChange(ConfChangeType.AddVoter, fresh.Id));
        Assert.True(promoted.Accepted, $"{promoted}");
        Assert.True(world.RunUntil(() => fresh.Machine.AppliedIndex >= promoted.Index, 2 * Second));

        SimulationRun.Verify(world);
        Assert.Equal(leader.Machine.StateHash, fresh.Machine.StateHash);
    }

    [Fact]
    public void A_follower_restarted_behind_a_compacted_leader_catches_up_by_snapshot()
    {
        var world = Quiet(seed: 15, nodes: 3, clients: 3);
        var leader = ElectLeader(world);
        var behind = world.Nodes.First(n => n.Id != leader.Id);
        world.StartClients();
        world.RunFor(Second / 4);

        // A follower is down while the others go on writing, and the leader compacts past where it stopped.
        world.Kill(behind.Id);
        var stoppedAt = behind.Mirror.LastIndex;
        world.RunFor(Second);
        leader.TakeSnapshot();
        Assert.True(leader.Log!.FirstIndex > stoppedAt + 1, $"the leader kept index {stoppedAt + 1}");

        // Back up, it holds an old log the leader can no longer extend: it gets the snapshot, replacing its log.
        world.Restart(behind.Id);
        Assert.True(world.RunUntil(() => behind.SnapshotsInstalled > 0, 2 * Second), "no snapshot installed");
        Assert.True(behind.Log!.FirstIndex > stoppedAt + 1);

        // And after another restart it starts from that snapshot plus what followed it.
        world.RunFor(Second / 4);
        world.Kill(behind.Id);
        world.Restart(behind.Id);
        Assert.True(behind.Machine.AppliedIndex >= behind.Log!.Snapshot.Index);

        SimulationRun.Verify(world);
        Assert.Equal(leader.Machine.StateHash, behind.Machine.StateHash);
    }
}
