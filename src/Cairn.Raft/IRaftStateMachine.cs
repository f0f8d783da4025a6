namespace Cairn.Raft;

/// <summary>
/// A replicated state machine a host drives from <see cref="Ready"/>: it applies committed entries in order, and
/// writes or restores snapshots of itself (see <see cref="Storage.SnapshotStore"/>). It must be deterministic: the
/// same entries from the same snapshot give the same state on every replica.
/// </summary>
public interface IRaftStateMachine
{
    /// <summary>Applies committed entries, in index order. No-ops (empty normal entries) and membership changes come too.</summary>
    void Apply(IReadOnlyList<Entry> entries);

    /// <summary>Writes the state as of the last applied entry to <paramref name="destination"/>.</summary>
    void CreateSnapshot(Stream destination);

    /// <summary>Replaces the whole state with what <see cref="CreateSnapshot"/> wrote to <paramref name="source"/>.</summary>
    void RestoreSnapshot(Stream source);
}
