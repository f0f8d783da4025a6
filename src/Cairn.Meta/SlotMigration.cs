namespace Cairn.Meta;

/// <summary>A slot being moved from one group to another.</summary>
/// <param name="Slot">The slot.</param>
/// <param name="SourceGroup">The group that owns it until the migration commits.</param>
/// <param name="TargetGroup">The group that owns it once the migration commits.</param>
/// <param name="Phase">How far it has got.</param>
/// <param name="Epoch">The slot's epoch when it entered this phase; the next step must name it.</param>
public sealed record SlotMigration(int Slot, ulong SourceGroup, ulong TargetGroup, MigrationPhase Phase, ulong Epoch);
