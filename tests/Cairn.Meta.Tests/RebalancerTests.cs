using Cairn.Core;
using Cairn.Meta.Planning;
using Cairn.Meta.Protocol;
using Cairn.Meta.Tests.Support;

namespace Cairn.Meta.Tests;

public class RebalancerTests
{
    private static void AssertSpread(IReadOnlyDictionary<ulong, int> counts, string what)
    {
        Assert.True(counts.Values.Max() - counts.Values.Min() <= 1, $"{what} are uneven: {string.Join(", ", counts)}");
    }

    private static void AssertHealthy(SimulatedCluster sim, int replicationFactor = 3)
    {
        foreach (var group in sim.State.Groups.Values)
        {
            Assert.Equal(replicationFactor, group.Voters.Length);
            Assert.Empty(group.Learners);
            Assert.All(group.Voters, v => Assert.Equal(NodeState.Up, sim.State.Nodes[v].State));
        }
    }

    [Fact]
    public void A_balanced_cluster_gets_an_empty_plan()
    {
        var sim = new SimulatedCluster(nodes: 3, groups: 3);
        sim.Converge(maxRounds: 10);

        Assert.Empty(Rebalancer.Plan(sim.State, new Dictionary<ulong, NodeLoad>(), sim.Now, sim.Options));
    }

    [Fact]
    public void Leaders_spread_over_the_nodes()
    {
        var sim = new SimulatedCluster(nodes: 3, groups: 6);
        Assert.Equal(6, sim.LeadersPerNode()[1]);

        sim.Converge(maxRounds: 5);

        AssertSpread(sim.LeadersPerNode(), "leaders");
    }

    [Fact]
    public void Growing_from_three_to_five_nodes_then_draining_one_converges_each_time()
    {
        var sim = new SimulatedCluster(nodes: 3, groups: 6);
        sim.Converge(maxRounds: 5);

        sim.AddNode(4);
        sim.AddNode(5);
        var rounds = sim.Converge(maxRounds: 30);
        Assert.True(rounds > 0);
        AssertHealthy(sim);
        AssertSpread(sim.ReplicasPerNode(), "replicas");
        AssertSpread(sim.LeadersPerNode(), "leaders");
        Assert.NotEmpty(sim.State.GroupsOnNode(5));

        sim.Harness.Ok(MetaCommands.DrainNode(5));
        sim.Plans.Clear();
        sim.Converge(maxRounds: 30);

        // The drain is served first: the first plan only repairs.
        Assert.All(sim.Plans[0], step => Assert.Contains("draining", step.Reason, StringComparison.Ordinal));
        Assert.Empty(sim.State.GroupsOnNode(5));
        AssertHealthy(sim);
        AssertSpread(sim.ReplicasPerNode(), "replicas");
        AssertSpread(sim.LeadersPerNode(), "leaders");
        Assert.All(sim.State.Groups.Values, g => Assert.NotEqual(0UL, g.LeaderHint));
        sim.Harness.Ok(MetaCommands.RemoveNode(5));
    }

    [Fact]
    public void The_replicas_of_a_node_down_longer_than_the_limit_are_recreated_elsewhere()
    {
        var sim = new SimulatedCluster(nodes: 5, groups: 5);
        sim.Converge(maxRounds: 20);
        var lost = sim.State.GroupsOnNode(2);
        Assert.NotEmpty(lost);

        sim.Kill(2);
        sim.Advance(sim.Options.DownAfterMs / 2);
        Assert.Empty(Rebalancer.Plan(sim.State, new Dictionary<ulong, NodeLoad>(), sim.Now, sim.Options));
        sim.Advance(sim.Options.DownAfterMs);

        Assert.True(sim.Converge(maxRounds: 30) > 0);

        Assert.Empty(sim.State.GroupsOnNode(2));
        Assert.All(sim.State.Groups.Values, g => Assert.Equal(3, g.Voters.Length));
        AssertSpread(sim.ReplicasPerNode(), "replicas");
        AssertSpread(sim.LeadersPerNode(), "leaders");
    }

    [Fact]
    public void A_new_group_gets_its_share_of_slots()
    {
        var sim = new SimulatedCluster(nodes: 3, groups: 3);
        sim.Harness.Ok(MetaCommands.CreateGroup(MetaCommands.Group(4, 1, 2, 3)));

        var rounds = sim.Converge(maxRounds: 80);

        Assert.True(rounds <= 70, $"{rounds} rounds");
        Assert.All(sim.State.Groups.Keys, g => Assert.InRange(sim.State.SlotCount(g), (HashSlot.Count / 4) - 1, (HashSlot.Count / 4) + 1));
        Assert.Empty(sim.State.Migrations);
    }

    [Fact]
    public void Replication_factor_one_moves_replicas_by_learner_promote_remove()
    {
        var sim = new SimulatedCluster(nodes: 1, groups: 4, new RebalancerOptions { ReplicationFactor = 1, DownAfterMs = 10_000 });
        sim.AddNode(2);

        sim.Converge(maxRounds: 10);

        AssertHealthy(sim, replicationFactor: 1);
        Assert.Equal(2, sim.State.GroupsOnNode(2).Count);
        var kinds = sim.Plans.SelectMany(p => p).Select(s => s.Kind).Where(k => k != PlannedStepKind.TransferLeader).Distinct();
        Assert.Equal([PlannedStepKind.AddLearner, PlannedStepKind.PromoteLearner, PlannedStepKind.RemoveReplica], kinds);
    }

    [Fact]
    public void A_new_replica_goes_to_an_unused_failure_domain_then_to_the_emptiest_node()
    {
        // Nodes 1..6 are in zones z1 z2 z3 z1 z2 z3; group 1 has voters in z1 and z2.
        var h = new ControlHarness();
        h.Ok(MetaCommands.Bootstrap("c", Enumerable.Range(1, 6).Select(i => ControlHarness.NodeSpec(i)), [MetaCommands.Group(1, 1, 2)]));
        var loads = new Dictionary<ulong, NodeLoad> { [3] = new(100, 100_000), [6] = new(5, 10) };

        var plan = Rebalancer.Plan(h.State, loads, nowMs: 1000, new RebalancerOptions { DownAfterMs = 10_000 });

        var step = Assert.Single(plan);
        Assert.Equal(PlannedStep.Replica(PlannedStepKind.AddLearner, 1, 6, step.Reason), step);
    }

    [Fact]
    public void Nodes_not_heard_from_are_not_chosen_and_nothing_is_planned_before_bootstrap()
    {
        var h = new ControlHarness();
        Assert.Empty(Rebalancer.Plan(h.State, new Dictionary<ulong, NodeLoad>(), 0));
        h.Ok(MetaCommands.Bootstrap("c", Enumerable.Range(1, 4).Select(i => ControlHarness.NodeSpec(i)), [MetaCommands.Group(1, 1, 2)]));
        h.Ok(MetaCommands.Heartbeat(1, 50_000));
        h.Ok(MetaCommands.Heartbeat(2, 50_000));
        h.Ok(MetaCommands.Heartbeat(4, 50_000));

        var plan = Rebalancer.Plan(h.State, new Dictionary<ulong, NodeLoad>(), nowMs: 50_000, new RebalancerOptions { DownAfterMs = 10_000 });

        Assert.Equal(4UL, Assert.Single(plan).NodeId);
    }

    [Fact]
    public void Plans_are_deterministic()
    {
        var a = new SimulatedCluster(nodes: 3, groups: 6);
        a.AddNode(4);
        var loads = new Dictionary<ulong, NodeLoad> { [1] = new(10, 1000), [4] = new(0, 0) };

        var first = Rebalancer.Plan(a.State, loads, a.Now, a.Options);
        var second = Rebalancer.Plan(a.State, loads, a.Now, a.Options);

        Assert.NotEmpty(first);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    public void The_planner_never_plans_a_step_the_state_machine_refuses(int seed)
    {
        var h = ControlHarness.Bootstrapped(nodes: 5, groups: 4);
        var commands = new RandomCommands(seed);
        var random = new Random(seed);
        var planned = 0;
        for (var step = 0; step < 600; step++)
        {
            h.RunRaw(commands.Next(h.State));
            if (step % 20 != 19 || !h.State.IsBootstrapped)
            {
                continue;
            }

            // On a copy, most nodes come up and heartbeat now; one stays silent and so is down.
            var copy = new ControlHarness();
            copy.Machine.RestoreSnapshot(new MemoryStream(h.Snapshot()));
            var now = h.State.Nodes.Values.Max(n => n.LastSeenMs) + 1000;
            var silent = h.State.Nodes.Keys.ElementAt(random.Next(h.State.Nodes.Count));
            foreach (var node in h.State.Nodes.Values.Where(n => n.State != NodeState.Removed && n.Id != silent))
            {
                Apply(copy, MetaCommands.Heartbeat(node.Id, now));
                if (random.Next(3) > 0)
                {
                    Apply(copy, MetaCommands.MarkNodeUp(node.Id));
                }
            }

            var plan = Rebalancer.Plan(copy.State, new Dictionary<ulong, NodeLoad>(), now, new RebalancerOptions { DownAfterMs = 500, ReplicationFactor = 1 + random.Next(3) });
            foreach (var planStep in plan)
            {
                if (planStep.ToCommand() is { } command)
                {
                    var reply = Apply(copy, command);
                    Assert.True(reply.Status == MetaStatus.Ok, $"seed {seed} step {step}: planned {planStep} was refused: {reply.Error}");
                    planned++;
                }
            }
        }

        Assert.True(planned > 10, $"seed {seed}: only {planned} steps planned");
    }

    private static MetaReply Apply(ControlHarness harness, MetaCommand command) =>
        harness.Machine.ApplyCommand(harness.State.Version + 1, Google.Protobuf.MessageExtensions.ToByteArray(command));
}
