namespace Cairn.Raft;

/// <summary>
/// The work a <see cref="RawNode"/> hands its host. The host must, in this order:
/// <list type="number">
/// <item>if <see cref="Snapshot"/> is set: install it (<see cref="IRaftStorage.ApplySnapshot"/>) and restore the state
/// machine from the snapshot bytes received with it;</item>
/// <item>append <see cref="Entries"/> and then persist <see cref="HardState"/> (if not null) to stable storage,
/// durably — in one atomic write where the store allows (<see cref="MemoryRaftStorage.Append"/>, then
/// <see cref="MemoryRaftStorage.SetHardState"/>, which refuses a commit index beyond the stored entries);</item>
/// <item>only then send <see cref="Messages"/> — a vote or an append acknowledgement promises state that must
/// already be on disk (etcd's newer design overlaps the leader's own write with sending; Cairn keeps it simple);</item>
/// <item>apply <see cref="CommittedEntries"/> to the state machine, in order, and serve each of <see cref="ReadStates"/>
/// once its index is applied;</item>
/// <item>call <see cref="RawNode.Advance"/> with this value before asking for the next one.</item>
/// </list>
/// The order matters for safety: a leader counts its own log toward a quorum before the host has written it, which
/// is sound only because no follower can acknowledge an entry before the leader's messages go out, after the write.
/// <see cref="CommittedEntries"/> may include entries from <see cref="Entries"/> of the same value.
/// </summary>
public sealed class Ready
{
    internal Ready(
        HardState? hardState,
        IReadOnlyList<Entry> entries,
        IReadOnlyList<Entry> committedEntries,
        IReadOnlyList<Message> messages,
        SnapshotMetadata? snapshot = null,
        IReadOnlyList<ReadState>? readStates = null)
    {
        Snapshot = snapshot;
        ReadStates = readStates ?? [];
        HardState = hardState;
        Entries = entries;
        CommittedEntries = committedEntries;
        Messages = messages;
    }

    /// <summary>The hard state to persist, or null if it has not changed since the last <see cref="Ready"/>.</summary>
    public HardState? HardState { get; }

    /// <summary>Entries to append to stable storage; they may replace a conflicting suffix already stored.</summary>
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>Committed entries to apply, in index order, after <see cref="Entries"/> are persisted.</summary>
    public IReadOnlyList<Entry> CommittedEntries { get; }

    /// <summary>Messages to send, after <see cref="HardState"/> and <see cref="Entries"/> are persisted.</summary>
    public IReadOnlyList<Message> Messages { get; }

    /// <summary>A leader's snapshot to install before anything else, or null. Its bytes came beside the message.</summary>
    public SnapshotMetadata? Snapshot { get; }

    /// <summary>Linearizable reads confirmed since the last Ready, in the order they were asked.</summary>
    public IReadOnlyList<ReadState> ReadStates { get; }
}
