using Cairn.Meta;
using Cairn.Storage;

namespace Cairn.Cli.Node;

/// <summary>A member of the initial cluster, as every node's config lists it.</summary>
/// <param name="NodeId">Its id, 1 or more.</param>
/// <param name="Host">The host its ports are reached at.</param>
/// <param name="RespPort">Its Redis-protocol port.</param>
/// <param name="RaftPort">Its internal RPC (Raft) port.</param>
/// <param name="Roles">Its roles.</param>
internal sealed record NodeMember(ulong NodeId, string Host, int RespPort, int RaftPort, NodeRoles Roles)
{
    public string RespAddress => $"{Host}:{RespPort}";

    public string RaftAddress => $"{Host}:{RaftPort}";
}

/// <summary>What a cluster node runs with (from its config file).</summary>
internal sealed record NodeSettings
{
    public required string ClusterId { get; init; }

    public required ulong NodeId { get; init; }

    /// <summary>The absolute directory the node keeps its data in.</summary>
    public required string DataDirectory { get; init; }

    public required string BindAddress { get; init; }

    public required byte[] ClusterSecret { get; init; }

    public required IReadOnlyList<NodeMember> Members { get; init; }

    public int Replication { get; init; } = 3;

    public int ShardGroups { get; init; } = 6;

    public SyncPolicy Sync { get; init; } = SyncPolicy.GroupCommit;

    public int TickMs { get; init; } = 100;

    /// <summary>Applied entries between a shard group's snapshots.</summary>
    public int SnapshotEntries { get; init; } = 100_000;

    /// <summary>How long a node may miss heartbeats before the scheduler re-creates its replicas elsewhere.</summary>
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromMinutes(5);

    public NodeMember Self => Members.First(m => m.NodeId == NodeId);
}
