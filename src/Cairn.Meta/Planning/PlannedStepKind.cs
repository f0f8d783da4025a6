namespace Cairn.Meta.Planning;

/// <summary>What a <see cref="PlannedStep"/> does.</summary>
public enum PlannedStepKind
{
    /// <summary>Add a learner to a group (the first step of a replica move or a re-replication).</summary>
    AddLearner,

    /// <summary>Promote a group's learner to voter, once the executor has seen it catch up.</summary>
    PromoteLearner,

    /// <summary>Remove a replica from a group.</summary>
    RemoveReplica,

    /// <summary>Transfer a group's leadership (a Raft action on the group, not a control command).</summary>
    TransferLeader,

    /// <summary>Move a slot to another group (begin a migration; a coordinator drives it to the end).</summary>
    MoveSlot,
}
