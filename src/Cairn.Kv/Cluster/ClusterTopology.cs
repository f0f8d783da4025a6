namespace Cairn.Kv.Cluster;

/// <summary>The cluster as one node knows it at one moment, for <c>CLUSTER SLOTS|SHARDS|NODES|INFO</c>.</summary>
/// <param name="MyId">The answering node's <see cref="ClusterNodeView.Id"/>.</param>
/// <param name="CurrentEpoch">The cluster's configuration epoch.</param>
/// <param name="Nodes">Every node, in id order.</param>
/// <param name="Shards">Every shard group that owns slots, in group order.</param>
/// <param name="StateOk">Whether every slot is assigned to a group with a known leader (<c>cluster_state:ok</c>).</param>
public sealed record ClusterTopology(
    string MyId,
    ulong CurrentEpoch,
    IReadOnlyList<ClusterNodeView> Nodes,
    IReadOnlyList<ClusterShardView> Shards,
    bool StateOk);
