namespace Cairn.Raft.Hosting;

/// <summary>What one group looks like from this node, at one moment.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Role">This node's role in it.</param>
/// <param name="Term">The current term.</param>
/// <param name="LeaderId">The leader this node knows of, or <see cref="RawNode.None"/>.</param>
/// <param name="Commit">The commit index.</param>
/// <param name="Applied">The last index applied to the state machine.</param>
/// <param name="LastIndex">The last index in this node's log.</param>
/// <param name="Hibernating">Whether the group has stopped ticking here because it is idle.</param>
/// <param name="FirstIndex">The first entry still in this node's log (those before it are compacted behind a snapshot).</param>
/// <param name="Snapshot">The newest snapshot this node's log is based on, or null when it has none.</param>
/// <param name="Membership">The group's voters and learners as this node knows them.</param>
/// <param name="Matched">As leader, how far each member's log matches this one's; null on a follower.</param>
public readonly record struct RaftGroupStatus(
    ulong GroupId,
    RaftRole Role,
    ulong Term,
    ulong LeaderId,
    ulong Commit,
    ulong Applied,
    ulong LastIndex,
    bool Hibernating,
    ulong FirstIndex = 1,
    SnapshotMetadata? Snapshot = null,
    ConfState? Membership = null,
    IReadOnlyDictionary<ulong, ulong>? Matched = null);
