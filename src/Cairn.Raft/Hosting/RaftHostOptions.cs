namespace Cairn.Raft.Hosting;

/// <summary>How a <see cref="RaftHost"/> runs its groups.</summary>
public sealed record RaftHostOptions
{
    /// <summary>This node's id, the same in every group it belongs to.</summary>
    public ulong NodeId { get; init; }

    /// <summary>The length of one Raft tick. Default 100 ms (with <see cref="RaftConfig.ElectionTick"/> 10: a 1 s election timeout).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Raft settings every group uses; <see cref="RaftConfig.Id"/> and <see cref="RaftConfig.Peers"/> are set per group.</summary>
    public RaftConfig Raft { get; init; } = new();

    /// <summary>Inbound messages and proposals waiting for the loop; beyond it messages are dropped and proposals refused. Default 100,000.</summary>
    public int MaxQueuedInputs { get; init; } = 100_000;

    /// <summary>Proposals of one group accepted but not yet applied; beyond it new ones are refused. Default 10,000.</summary>
    public int MaxPendingProposals { get; init; } = 10_000;

    /// <summary>The largest command accepted. Default 8 MiB.</summary>
    public int MaxCommandBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Ticks a led group may stay idle (nothing proposed, everything committed) before the leader stops ticking it
    /// and tells its followers to stop too, so thousands of idle groups cost almost nothing; anything for the group
    /// wakes it. Default 40 (4 election timeouts at the default settings); 0 never hibernates.
    /// </summary>
    public int HibernateAfterTicks { get; init; } = 40;

    /// <summary>
    /// Where the groups' snapshot files live, one directory per group (<c>g&lt;id&gt;</c>). Default: <c>snapshots</c>
    /// inside the shared log's directory.
    /// </summary>
    public string? SnapshotDirectory { get; init; }

    /// <summary>
    /// Entries applied since a group's last snapshot that make the host snapshot it and compact its log. Default
    /// 10,000 (etcd snapshots every 10,000 by default since 3.5); 0 never snapshots on its own.
    /// </summary>
    public int SnapshotEntries { get; init; } = 10_000;

    /// <summary>
    /// Entries kept in the log behind a new snapshot, so a follower slightly behind still catches up from the log
    /// rather than a whole snapshot. Default 5,000 (etcd's catch-up entries).
    /// </summary>
    public int CatchUpEntries { get; init; } = 5_000;

    /// <summary>The largest snapshot file this node accepts from a leader. Default 64 GiB.</summary>
    public long MaxSnapshotBytes { get; init; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Seeds the groups' election timeouts; null uses a random seed.</summary>
    public int? Seed { get; init; }
}
