using Cairn.Meta;
using Cairn.Meta.Planning;
using Cairn.Meta.Protocol;

namespace Cairn.Cli.Node;

/// <summary>
/// The control group's scheduler at work: on the node leading the control group, plans with
/// <see cref="Rebalancer"/> against the current state and proposes the replica steps it returns (add a learner,
/// remove a replica). Promotions are left to each group's leader, which alone sees when a learner has caught up;
/// leadership is spread by preferred leaders; slot moves wait for the migration coordinator.
/// </summary>
internal sealed class PlacementScheduler
{
    private readonly ControlClient _control;
    private readonly RebalancerOptions _options;
    private readonly TimeProvider _clock;
    private readonly Action<string> _log;
    private readonly long _startedAtMs;

    public PlacementScheduler(ControlClient control, int replication, TimeSpan downAfter, TimeProvider clock, Action<string> log)
    {
        _control = control;
        _options = new RebalancerOptions { ReplicationFactor = replication, DownAfterMs = (long)downAfter.TotalMilliseconds, MaxSlotMoves = 0, MaxReplicaSteps = 4 };
        _clock = clock;
        _log = log;
        _startedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Plans once and proposes the replica steps; returns how many the control group took.</summary>
    public async Task<int> RunOnceAsync(ClusterState state, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (now - _startedAtMs < _options.DownAfterMs && state.Nodes.Values.Any(n => n.State != NodeState.Removed && n.LastSeenMs == 0))
        {
            return 0; // a node that has not sent its first heartbeat yet is not down: wait for it (up to the down time)
        }

        var steps = Rebalancer.Plan(state, new Dictionary<ulong, NodeLoad>(), now, _options);
        var taken = 0;
        foreach (var step in steps)
        {
            if (step.Kind is not (PlannedStepKind.AddLearner or PlannedStepKind.RemoveReplica) || step.ToCommand() is not { } command)
            {
                continue;
            }

            var reply = await _control.ProposeAsync(command, cancellationToken);
            if (reply.Status == MetaStatus.Ok)
            {
                taken++;
                _log($"scheduler: {step.Kind} node {step.NodeId} in group {step.GroupId} ({step.Reason})");
            }
        }

        return taken;
    }
}
