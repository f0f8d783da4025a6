using Cairn.Core;

namespace Cairn.Meta.Planning;

/// <summary>
/// The control group's scheduler: a pure, deterministic function from a <see cref="ClusterState"/>, the nodes'
/// reported load and the current time (a value, never read from a clock) to a short list of steps. The caller takes
/// the steps, lets the cluster move, and plans again; repeated, the plans converge to a balanced cluster.
/// </summary>
/// <remarks>
/// Priorities, in order: finish replica changes in progress (promote or drop a learner); repair groups (replicas on
/// draining or dead nodes are re-created elsewhere, then removed; groups below the replication factor grow; groups
/// above it shrink); move leaders off draining nodes; then, only once nothing needs repair, balance replicas per
/// node, leaders per node and slots per group. A group gets at most one replica change per plan, mirroring Raft's
/// one-at-a-time rule, and every step is one the state machine accepts against the state it was planned from.
/// </remarks>
public static class Rebalancer
{
    /// <summary>Plans the next steps for <paramref name="state"/> at time <paramref name="nowMs"/> (Unix ms).</summary>
    /// <param name="state">The control state the steps apply to.</param>
    /// <param name="loads">Reported load per node id; missing nodes count as empty.</param>
    /// <param name="nowMs">The current time, to tell which nodes are down.</param>
    /// <param name="options">How to plan; <see cref="RebalancerOptions.Default"/> when null.</param>
    /// <param name="limits">The state machine's limits the steps must respect; <see cref="ControlLimits.Default"/> when null.</param>
    public static IReadOnlyList<PlannedStep> Plan(
        ClusterState state,
        IReadOnlyDictionary<ulong, NodeLoad> loads,
        long nowMs,
        RebalancerOptions? options = null,
        ControlLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(loads);
        if (!state.IsBootstrapped)
        {
            return [];
        }

        var context = new Context(state, loads, nowMs, options ?? RebalancerOptions.Default, limits ?? ControlLimits.Default);
        context.Repair();
        context.MoveLeadersOffLeavingNodes();
        if (context.Steps.Count == 0)
        {
            context.BalanceReplicas();
            context.BalanceLeaders();
        }

        context.BalanceSlots();
        return context.Steps;
    }

    private sealed class Context
    {
        private readonly ClusterState _state;
        private readonly IReadOnlyDictionary<ulong, NodeLoad> _loads;
        private readonly long _now;
        private readonly RebalancerOptions _options;
        private readonly ControlLimits _limits;
        private readonly Dictionary<ulong, int> _replicas = [];
        private readonly Dictionary<ulong, int> _leaders = [];
        private readonly HashSet<ulong> _touched = [];
        private int _replicaSteps;

        public Context(ClusterState state, IReadOnlyDictionary<ulong, NodeLoad> loads, long now, RebalancerOptions options, ControlLimits limits)
        {
            _state = state;
            _loads = loads;
            _now = now;
            _options = options;
            _limits = limits;
            foreach (var group in state.Groups.Values)
            {
                foreach (var replica in group.Voters.Concat(group.Learners))
                {
                    _replicas[replica] = _replicas.GetValueOrDefault(replica) + 1;
                }

                if (group.LeaderHint != 0)
                {
                    _leaders[group.LeaderHint] = _leaders.GetValueOrDefault(group.LeaderHint) + 1;
                }
            }
        }

        public List<PlannedStep> Steps { get; } = [];

        private bool ReplicaBudgetLeft => _replicaSteps < _options.MaxReplicaSteps;

        /// <summary>Learners, then groups with replicas on leaving nodes or the wrong number of voters.</summary>
        public void Repair()
        {
            foreach (var group in _state.Groups.Values)
            {
                if (!ReplicaBudgetLeft)
                {
                    return;
                }

                if (group.Learners.Length > 0)
                {
                    var learner = group.Learners[0];
                    if (IsTarget(learner))
                    {
                        Add(PlannedStep.Replica(PlannedStepKind.PromoteLearner, group.Id, learner, $"learner {learner} of group {group.Id} is added; promote it"));
                    }
                    else
                    {
                        Add(PlannedStep.Replica(PlannedStepKind.RemoveReplica, group.Id, learner, $"learner {learner} of group {group.Id} is on a leaving node"));
                        _replicas[learner]--;
                    }

                    continue;
                }

                if (group.Voters.Length > _options.ReplicationFactor && group.Voters.Length > 1)
                {
                    var victim = group.Voters
                        .OrderByDescending(IsLeaving)
                        .ThenByDescending(v => _replicas.GetValueOrDefault(v))
                        .ThenBy(v => v == group.LeaderHint)
                        .ThenByDescending(v => Load(v).Bytes)
                        .ThenByDescending(v => v)
                        .First();
                    Add(PlannedStep.Replica(PlannedStepKind.RemoveReplica, group.Id, victim, $"group {group.Id} has {group.Voters.Length} voters, more than {_options.ReplicationFactor}"));
                    _replicas[victim]--;
                    continue;
                }

                var leaving = group.Voters.Count(IsLeaving);
                if ((leaving > 0 || group.Voters.Length < _options.ReplicationFactor)
                    && group.ReplicaCount < _limits.MaxReplicas
                    && BestTarget(group) is { } target)
                {
                    var why = leaving > 0
                        ? $"group {group.Id} has {leaving} replicas on draining or down nodes"
                        : $"group {group.Id} has {group.Voters.Length} voters, fewer than {_options.ReplicationFactor}";
                    Add(PlannedStep.Replica(PlannedStepKind.AddLearner, group.Id, target, why));
                    _replicas[target] = _replicas.GetValueOrDefault(target) + 1;
                }
            }
        }

        /// <summary>A draining node hands its leaderships to the least-leading live voter.</summary>
        public void MoveLeadersOffLeavingNodes()
        {
            foreach (var group in _state.Groups.Values)
            {
                if (!ReplicaBudgetLeft)
                {
                    return;
                }

                if (group.LeaderHint == 0 || !IsDraining(group.LeaderHint))
                {
                    continue;
                }

                var to = group.Voters.Where(IsTarget).OrderBy(v => _leaders.GetValueOrDefault(v)).ThenBy(v => v).FirstOrDefault();
                if (to != 0)
                {
                    TransferLeader(group, to, $"leader {group.LeaderHint} of group {group.Id} is draining");
                }
            }
        }

        /// <summary>Moves one replica at a time from the node with the most replicas to the one with the fewest.</summary>
        public void BalanceReplicas()
        {
            var nodes = _state.Nodes.Keys.Where(IsTarget).ToList();
            while (ReplicaBudgetLeft && nodes.Count >= 2)
            {
                var most = nodes.OrderByDescending(n => _replicas.GetValueOrDefault(n)).ThenByDescending(n => Load(n).Bytes).ThenBy(n => n).First();
                var moved = false;
                foreach (var least in nodes.OrderBy(n => _replicas.GetValueOrDefault(n)).ThenBy(n => Load(n).Bytes).ThenBy(n => n))
                {
                    if (_replicas.GetValueOrDefault(most) - _replicas.GetValueOrDefault(least) <= 1)
                    {
                        break;
                    }

                    var group = _state.Groups.Values.FirstOrDefault(g =>
                        !_touched.Contains(g.Id)
                        && g.Learners.Length == 0
                        && g.Voters.Contains(most)
                        && !g.HasReplica(least)
                        && g.ReplicaCount < _limits.MaxReplicas);
                    if (group is null)
                    {
                        continue;
                    }

                    Add(PlannedStep.Replica(PlannedStepKind.AddLearner, group.Id, least, $"node {most} has {_replicas.GetValueOrDefault(most)} replicas and node {least} {_replicas.GetValueOrDefault(least)}; group {group.Id} moves"));

                    // Count the move as done, so the next pick sees the cluster it will become.
                    _replicas[least] = _replicas.GetValueOrDefault(least) + 1;
                    _replicas[most]--;
                    moved = true;
                    break;
                }

                if (!moved)
                {
                    return;
                }
            }
        }

        /// <summary>Transfers leaderships from the node leading the most groups to a voter leading the fewest.</summary>
        public void BalanceLeaders()
        {
            var nodes = _state.Nodes.Keys.Where(IsTarget).ToList();
            while (ReplicaBudgetLeft && nodes.Count >= 2)
            {
                var most = nodes.OrderByDescending(n => _leaders.GetValueOrDefault(n)).ThenBy(n => n).First();
                var moved = false;
                foreach (var least in nodes.OrderBy(n => _leaders.GetValueOrDefault(n)).ThenBy(n => n))
                {
                    if (_leaders.GetValueOrDefault(most) - _leaders.GetValueOrDefault(least) <= 1)
                    {
                        break;
                    }

                    var group = _state.Groups.Values.FirstOrDefault(g => g.LeaderHint == most && g.Voters.Contains(least) && !_touched.Contains(g.Id));
                    if (group is null)
                    {
                        continue;
                    }

                    TransferLeader(group, least, $"node {most} leads {_leaders.GetValueOrDefault(most)} groups and node {least} {_leaders.GetValueOrDefault(least)}");
                    moved = true;
                    break;
                }

                if (!moved)
                {
                    return;
                }
            }
        }

        /// <summary>Moves slots from the group owning the most to the group owning the fewest, counting migrations in progress as done.</summary>
        public void BalanceSlots()
        {
            if (_state.Groups.Count < 2)
            {
                return;
            }

            var counts = _state.Groups.Keys.ToDictionary(g => g, _ => 0);
            var movable = _state.Groups.Keys.ToDictionary(g => g, _ => new Stack<int>());
            for (var slot = 0; slot < HashSlot.Count; slot++)
            {
                var owner = _state.OwnerOf(slot);
                if (_state.MigrationOf(slot) is { } migration)
                {
                    counts[migration.TargetGroup]++;
                }
                else if (owner != 0)
                {
                    counts[owner]++;
                    movable[owner].Push(slot);
                }
            }

            var budget = Math.Min(_options.MaxSlotMoves, _limits.MaxConcurrentMigrations - _state.Migrations.Count);
            for (var moves = 0; moves < budget; moves++)
            {
                var largest = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key).First().Key;
                var smallest = counts.OrderBy(c => c.Value).ThenBy(c => c.Key).First().Key;
                if (counts[largest] - counts[smallest] <= 1 || movable[largest].Count == 0)
                {
                    return;
                }

                // The highest slots first, so each group keeps few contiguous ranges.
                var slot = movable[largest].Pop();
                Steps.Add(PlannedStep.Move(slot, largest, smallest, _state.SlotEpoch(slot), $"group {largest} owns {counts[largest]} slots and group {smallest} {counts[smallest]}"));
                counts[largest]--;
                counts[smallest]++;
            }
        }

        private void TransferLeader(ShardGroup group, ulong to, string reason)
        {
            Add(PlannedStep.Replica(PlannedStepKind.TransferLeader, group.Id, to, reason));
            _leaders[group.LeaderHint]--;
            _leaders[to] = _leaders.GetValueOrDefault(to) + 1;
        }

        private void Add(PlannedStep step)
        {
            Steps.Add(step);
            _touched.Add(step.GroupId);
            _replicaSteps++;
        }

        /// <summary>The best node for a new replica of <paramref name="group"/>: a live up KV node without one, in a
        /// failure domain the group does not use yet if possible, then with the fewest replicas, then the least data.</summary>
        private ulong? BestTarget(ShardGroup group)
        {
            var domains = group.Voters.Where(v => !IsLeaving(v)).Select(v => _state.Nodes[v].FailureDomain).ToHashSet();
            var best = _state.Nodes.Values
                .Where(n => IsTarget(n.Id) && !group.HasReplica(n.Id))
                .OrderBy(n => domains.Contains(n.FailureDomain))
                .ThenBy(n => _replicas.GetValueOrDefault(n.Id))
                .ThenBy(n => Load(n.Id).Bytes)
                .ThenBy(n => n.Id)
                .FirstOrDefault();
            return best?.Id;
        }

        private NodeLoad Load(ulong node) => _loads.GetValueOrDefault(node);

        private bool IsDown(ulong id) => _now - _state.Nodes[id].LastSeenMs > _options.DownAfterMs;

        private bool IsDraining(ulong id) => _state.Nodes[id].State == NodeState.Draining;

        private bool IsLeaving(ulong id) => _state.Nodes[id].State != NodeState.Up || IsDown(id);

        private bool IsTarget(ulong id) => _state.Nodes[id].IsPlacementTarget && !IsDown(id);
    }
}
