namespace Cairn.Raft;

/// <summary>
/// The persisted entries and hard state of one node: what <see cref="RawNode"/> reads on start and while running,
/// and what the host writes as <see cref="Ready"/> asks. <see cref="Append"/> may replace an uncommitted suffix,
/// never a committed entry. Entries below <see cref="FirstIndex"/> are covered by <see cref="Snapshot"/> and gone;
/// <see cref="Term"/> still answers for <c>FirstIndex - 1</c>, so the entry after a compaction can be matched.
/// </summary>
/// <remarks>
/// The snapshot members have defaults so that a store written before snapshots existed still compiles: it has no
/// snapshot, starts at index 1 and refuses to install one.
/// </remarks>
public interface IRaftStorage
{
    /// <summary>The persisted hard state.</summary>
    HardState HardState { get; }

    /// <summary>The index of the last persisted entry (0 when empty).</summary>
    ulong LastIndex { get; }

    /// <summary>The term of the entry at <paramref name="index"/>; index 0 has term 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is beyond <see cref="LastIndex"/> or no longer stored.</exception>
    ulong Term(ulong index);

    /// <summary>The entries in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not stored.</exception>
    IReadOnlyList<Entry> Entries(ulong low, ulong high);

    /// <summary>Appends entries with consecutive indexes, first dropping any stored entries at or after the first new index.</summary>
    /// <exception cref="InvalidOperationException">The entries leave a gap, are not consecutive, or would change a committed entry.</exception>
    void Append(IReadOnlyList<Entry> entries);

    /// <summary>Persists a hard state, after the entries it commits. Terms and commit indexes never go backwards.</summary>
    void SetHardState(HardState state);

    /// <summary>The index of the first stored entry: 1, or one past what a snapshot or compaction dropped.</summary>
    ulong FirstIndex => 1;

    /// <summary>The newest snapshot this store knows (<see cref="SnapshotMetadata.Empty"/> when none).</summary>
    SnapshotMetadata Snapshot => SnapshotMetadata.Empty;

    /// <summary>
    /// Installs a snapshot received from a leader (<see cref="Ready.Snapshot"/>): records it and discards every entry,
    /// since the core only installs a snapshot its log does not match. The host restores the state machine from the
    /// snapshot's bytes in the same step.
    /// </summary>
    /// <exception cref="InvalidOperationException">The snapshot is older than what the store holds committed.</exception>
    void ApplySnapshot(SnapshotMetadata snapshot) => throw new NotSupportedException($"{GetType().Name} does not install snapshots.");

    /// <summary>
    /// Records a snapshot the host took of its own state machine at <see cref="SnapshotMetadata.Index"/> (see
    /// <see cref="RawNode.SnapshotMetadataAt"/>). Entries are kept until <see cref="CompactTo"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The snapshot is not of a committed entry this store holds.</exception>
    void CreateSnapshot(SnapshotMetadata snapshot) => throw new NotSupportedException($"{GetType().Name} does not record snapshots.");

    /// <summary>Drops entries below <paramref name="index"/> (at most one past the snapshot); returns the new <see cref="FirstIndex"/>.</summary>
    ulong CompactTo(ulong index) => throw new NotSupportedException($"{GetType().Name} does not compact.");
}
