using Cairn.Meta.Planning;
using Cairn.Meta.Protocol;

namespace Cairn.Meta.Tests.Support;

/// <summary>
/// A control state driven by the <see cref="Rebalancer"/>: each round the live nodes heartbeat, the planner plans,
/// and every step is taken at once (learners catch up instantly, migrations run to commit, leaders move), each one
/// asserted to be accepted by the state machine.
/// </summary>
internal sealed class SimulatedCluster
{
    private readonly HashSet<ulong> _dead = [];

    public SimulatedCluster(int nodes, int groups, RebalancerOptions? options = null)
    {
        Options = options ?? new RebalancerOptions { DownAfterMs = 10_000, MaxSlotMoves = 64 };
        Harness = new ControlHarness(checkInvariants: false);
        var specs = Enumerable.Range(1, nodes).Select(i => ControlHarness.NodeSpec(i)).ToList();
        var groupSpecs = Enumerable.Range(1, groups)
            .Select(g => MetaCommands.Group((ulong)g, [.. Enumerable.Range(0, Math.Min(3, nodes)).Select(r => (ulong)(((g - 1 + r) % nodes) + 1))]))
            .ToList();
        Harness.Ok(MetaCommands.Bootstrap("sim", specs, groupSpecs));
        foreach (var group in State.Groups.Values)
        {
            // Every group starts led by node 1 where it can be, so leaders start unbalanced.
            Harness.Ok(MetaCommands.SetLeaderHint(group.Id, group.Voters.Contains(1UL) ? 1UL : group.Voters[0], 1));
        }

        Tick();
    }

    public RebalancerOptions Options { get; }

    public ControlHarness Harness { get; }

    public ClusterState State => Harness.State;

    public long Now { get; private set; } = 1_000_000;

    public List<IReadOnlyList<PlannedStep>> Plans { get; } = [];

    public void AddNode(int id)
    {
        Harness.Ok(MetaCommands.AddNode(ControlHarness.NodeSpec(id)));
        Harness.Ok(MetaCommands.MarkNodeUp((ulong)id));
        Harness.Ok(MetaCommands.Heartbeat((ulong)id, Now));
    }

    public void Kill(ulong id) => _dead.Add(id);

    public void Advance(long ms)
    {
        Now += ms;
        Tick();
    }

    /// <summary>Plans and takes the steps until a plan is empty; returns the number of non-empty plans.</summary>
    public int Converge(int maxRounds)
    {
        for (var round = 0; round <= maxRounds; round++)
        {
            Advance(1000);
            var plan = Rebalancer.Plan(State, new Dictionary<ulong, NodeLoad>(), Now, Options);
            if (plan.Count == 0)
            {
                return round;
            }

            Plans.Add(plan);
            Take(plan);
            ClusterInvariants.Check(State, Harness.Machine.Limits);
        }

        Assert.Fail($"no balance after {maxRounds} plans; the last was: {string.Join("; ", Plans[^1])}");
        return -1;
    }

    public void Take(IReadOnlyList<PlannedStep> plan)
    {
        foreach (var step in plan)
        {
            if (step.ToCommand() is { } command)
            {
                var reply = Harness.Run(command);
                Assert.True(reply.Status == MetaStatus.Ok, $"planned {step} was refused: {reply.Status} {reply.Error}");
            }

            switch (step.Kind)
            {
                case PlannedStepKind.TransferLeader:
                    Harness.Ok(MetaCommands.SetLeaderHint(step.GroupId, step.NodeId, State.Groups[step.GroupId].LeaderTerm + 1));
                    break;
                case PlannedStepKind.MoveSlot:
                    var fenced = Harness.Ok(MetaCommands.FenceMigration(step.Slot, step.TargetGroupId, State.SlotEpoch(step.Slot)));
                    Harness.Ok(MetaCommands.CommitMigration(step.Slot, step.TargetGroupId, fenced.SlotEpoch));
                    break;
            }
        }

        // A group whose leader was removed elects another: its lowest live voter reports itself.
        foreach (var group in State.Groups.Values.Where(g => g.LeaderHint == 0 || _dead.Contains(g.LeaderHint)))
        {
            if (group.Voters.FirstOrDefault(v => !_dead.Contains(v)) is var voter and not 0)
            {
                Harness.Ok(MetaCommands.SetLeaderHint(group.Id, voter, group.LeaderTerm + 1));
            }
        }
    }

    public Dictionary<ulong, int> ReplicasPerNode() =>
        State.Nodes.Values.Where(n => n.State == NodeState.Up && !_dead.Contains(n.Id)).ToDictionary(n => n.Id, n => State.GroupsOnNode(n.Id).Count);

    public Dictionary<ulong, int> LeadersPerNode() =>
        State.Nodes.Values.Where(n => n.State == NodeState.Up && !_dead.Contains(n.Id)).ToDictionary(n => n.Id, n => State.Groups.Values.Count(g => g.LeaderHint == n.Id));

    private void Tick()
    {
        foreach (var node in State.Nodes.Values)
        {
            if (node.State != NodeState.Removed && !_dead.Contains(node.Id))
            {
                Harness.Ok(MetaCommands.Heartbeat(node.Id, Now));
            }
        }
    }
}
