namespace Cairn.Meta;

/// <summary>
/// The phases of a slot migration in progress. A migration ends by committing (the target owns the slot) or by
/// aborting (the source keeps it); both remove its record. See docs/decisions/0019-control-group-state.md.
/// </summary>
public enum MigrationPhase
{
    /// <summary>The source owns and serves the slot; its keys are being copied to the target (<c>-ASK</c> for misses).</summary>
    Migrating = 0,

    /// <summary>The source refuses writes to the slot while the target catches up on the last changes.</summary>
    Fencing = 1,
}
