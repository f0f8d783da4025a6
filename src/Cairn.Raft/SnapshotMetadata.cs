namespace Cairn.Raft;

/// <summary>
/// What a snapshot covers: every entry up to <see cref="Index"/> (whose term is <see cref="Term"/>) applied, and the
/// membership in effect at that point. The snapshot's bytes are the host's business (see <see cref="Storage.SnapshotStore"/>).
/// </summary>
/// <param name="Index">The last log index the snapshot covers; 0 for "no snapshot".</param>
/// <param name="Term">The term of the entry at <paramref name="Index"/>.</param>
/// <param name="ConfState">The membership after applying every entry up to <paramref name="Index"/>.</param>
public sealed record SnapshotMetadata(ulong Index, ulong Term, ConfState ConfState)
{
    /// <summary>No snapshot: nothing covered, membership from <see cref="RaftConfig.Peers"/>.</summary>
    public static SnapshotMetadata Empty { get; } = new(0, 0, ConfState.Empty);

    /// <summary>Whether this is <see cref="Empty"/> (covers no entry).</summary>
    public bool IsEmpty => Index == 0;
}
