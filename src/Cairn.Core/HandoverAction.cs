namespace Cairn.Core;

/// <summary>What a shard group's leader does with one of its <see cref="HandoverKind"/> records, given the control state.</summary>
public enum HandoverAction
{
    /// <summary>The migration the record belongs to is still in progress: leave it.</summary>
    Keep,

    /// <summary>This node's copy of the control state is older than the record: decide once it has caught up.</summary>
    Wait,

    /// <summary>The migration was aborted and the group still owns the slot: serve it again (drop the record, keep the keys).</summary>
    Lift,

    /// <summary>The slot now belongs to another group: delete the group's keys of the slot and the record.</summary>
    Release,

    /// <summary>The migration committed and the group owns the slot: the imported keys are its own (drop the record).</summary>
    Adopt,

    /// <summary>The migration did not give the group the slot: delete the imported keys and the record.</summary>
    Discard,
}
