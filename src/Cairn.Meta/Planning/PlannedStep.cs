using Cairn.Meta.Protocol;

namespace Cairn.Meta.Planning;

/// <summary>One step the <see cref="Rebalancer"/> wants taken.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="GroupId">The group changed, or for <see cref="PlannedStepKind.MoveSlot"/> the slot's source group.</param>
/// <param name="NodeId">The node added, promoted, removed or made leader; 0 for a slot move.</param>
/// <param name="Slot">The slot moved, or -1.</param>
/// <param name="TargetGroupId">The group the slot moves to, or 0.</param>
/// <param name="ExpectedSlotEpoch">The slot's epoch the move was planned at, or 0.</param>
/// <param name="Reason">Why, for the operator's log.</param>
public sealed record PlannedStep(
    PlannedStepKind Kind,
    ulong GroupId,
    ulong NodeId,
    int Slot,
    ulong TargetGroupId,
    ulong ExpectedSlotEpoch,
    string Reason)
{
    /// <summary>The control command that takes this step, or null for a leader transfer (which the group itself does,
    /// and then reports with <see cref="MetaCommands.SetLeaderHint"/>).</summary>
    public MetaCommand? ToCommand() => Kind switch
    {
        PlannedStepKind.AddLearner => MetaCommands.AddLearner(GroupId, NodeId),
        PlannedStepKind.PromoteLearner => MetaCommands.PromoteLearner(GroupId, NodeId),
        PlannedStepKind.RemoveReplica => MetaCommands.RemoveReplica(GroupId, NodeId),
        PlannedStepKind.MoveSlot => MetaCommands.BeginMigration(Slot, GroupId, TargetGroupId, ExpectedSlotEpoch),
        _ => null,
    };

    internal static PlannedStep Replica(PlannedStepKind kind, ulong groupId, ulong nodeId, string reason) =>
        new(kind, groupId, nodeId, -1, 0, 0, reason);

    internal static PlannedStep Move(int slot, ulong source, ulong target, ulong epoch, string reason) =>
        new(PlannedStepKind.MoveSlot, source, 0, slot, target, epoch, reason);
}
