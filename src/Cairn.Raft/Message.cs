namespace Cairn.Raft;

/// <summary>A message between two Raft nodes. The host carries it; the core only produces and consumes it.</summary>
public sealed record Message
{
    /// <summary>The kind of message.</summary>
    public MessageType Type { get; init; }

    /// <summary>The sender's node id.</summary>
    public ulong From { get; init; }

    /// <summary>The recipient's node id.</summary>
    public ulong To { get; init; }

    /// <summary>The sender's term (for a pre-vote, the term the sender would campaign in).</summary>
    public ulong Term { get; init; }

    /// <summary>
    /// For votes: the term of the candidate's last entry. For appends: the term of the entry at <see cref="Index"/>.
    /// For a rejected append: the term of the follower's entry at <see cref="RejectHint"/>.
    /// </summary>
    public ulong LogTerm { get; init; }

    /// <summary>
    /// For votes: the candidate's last index. For appends: the index the entries follow.
    /// For append responses: the follower's last matching index, or the rejected <see cref="Index"/>.
    /// </summary>
    public ulong Index { get; init; }

    /// <summary>The entries of an append, in index order.</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];

    /// <summary>The leader's commit index (for heartbeats, capped at what the follower is known to hold).</summary>
    public ulong Commit { get; init; }

    /// <summary>Whether a response refuses the request.</summary>
    public bool Reject { get; init; }

    /// <summary>For a rejected append: the follower's best guess of where the logs may match (fast backup).</summary>
    public ulong RejectHint { get; init; }

    /// <summary>For <see cref="MessageType.Snapshot"/>: the snapshot to install (its bytes travel beside the message).</summary>
    public SnapshotMetadata? Snapshot { get; init; }

    /// <summary>
    /// For reads: the caller's context (<see cref="MessageType.ReadIndex"/> and its response), or the read round a
    /// heartbeat confirms (echoed by its response).
    /// </summary>
    public ReadOnlyMemory<byte> Context { get; init; }

    /// <summary>For a <see cref="MessageType.Vote"/>: the candidate campaigns because the leader handed over, so the leader lease does not apply.</summary>
    public bool LeaderTransfer { get; init; }
}
