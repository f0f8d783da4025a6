namespace Cairn.Core;

/// <summary>
/// What a shard group records about a slot it is handing over or taking over in a slot migration (ADR 0026). The
/// record lives in the group's replicated state, so it survives crashes and leader changes.
/// </summary>
public enum HandoverKind : byte
{
    /// <summary>The group owned the slot and stopped serving it (reads and writes) at the record's epoch: the source.</summary>
    Fenced = 1,

    /// <summary>The group holds keys of the slot copied for the migration fenced at the record's epoch: the target.</summary>
    Imported = 2,
}
