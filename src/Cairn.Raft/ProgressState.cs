namespace Cairn.Raft;

/// <summary>How a leader currently replicates to one follower.</summary>
internal enum ProgressState
{
    /// <summary>The leader does not know where the logs match: one append at a time, then wait for the answer.</summary>
    Probe = 0,

    /// <summary>The logs match up to <see cref="Progress.Match"/>: stream appends, up to the inflight window.</summary>
    Replicate = 1,

    /// <summary>The follower needs entries the leader compacted: a snapshot was sent; wait until it is installed.</summary>
    Snapshot = 2,
}
