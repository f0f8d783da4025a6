using Cairn.Core;

namespace Cairn.Meta;

/// <summary>
/// How a shard group settles its slot hand-over records against the control group's state (ADR 0026). Pure: the
/// same inputs give the same answer on every node and in the simulation.
/// </summary>
/// <remarks>
/// A record names the epoch the migration was fenced at. The control group gives every later routing change of the
/// slot a higher epoch, so a copy of the state whose slot epoch is still below the record's is simply behind
/// (<see cref="HandoverAction.Wait"/>); one at the record's epoch with the migration still fencing means it is in
/// progress (<see cref="HandoverAction.Keep"/>); anything later is the migration's outcome: the slot's owner says
/// whether it committed (the target owns it) or was aborted (the source does). Ownership may have moved again since;
/// the owner at the later epoch is still what decides whether this group keeps the keys.
/// </remarks>
public static class HandoverRules
{
    /// <summary>What group <paramref name="groupId"/> does with its <paramref name="kind"/> record of <paramref name="slot"/> at <paramref name="epoch"/>.</summary>
    public static HandoverAction Decide(ClusterState state, ulong groupId, int slot, HandoverKind kind, ulong epoch)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.IsBootstrapped || state.SlotEpoch(slot) < epoch)
        {
            return HandoverAction.Wait;
        }

        if (state.MigrationOf(slot) is { Phase: MigrationPhase.Fencing } migration && migration.Epoch == epoch
            && (kind == HandoverKind.Fenced ? migration.SourceGroup : migration.TargetGroup) == groupId)
        {
            return HandoverAction.Keep;
        }

        if (state.SlotEpoch(slot) == epoch)
        {
            return HandoverAction.Wait; // the epoch was the fence's; nothing else can be at it, so this copy is odd: look again later
        }

        var owns = state.OwnerOf(slot) == groupId;
        return kind switch
        {
            HandoverKind.Fenced => owns ? HandoverAction.Lift : HandoverAction.Release,
            _ => owns ? HandoverAction.Adopt : HandoverAction.Discard,
        };
    }
}
