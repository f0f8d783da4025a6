namespace Cairn.Kv.Cluster;

/// <summary>
/// One shard group as the <c>CLUSTER</c> commands show it: the slot ranges it owns, its leader (Redis's "master")
/// and its other replicas. A node may lead some groups and follow others, so in <c>CLUSTER NODES</c> every node is
/// shown as a master of the slots of the groups it leads.
/// </summary>
/// <param name="GroupId">The shard group.</param>
/// <param name="Slots">Its slot ranges, inclusive, ascending.</param>
/// <param name="LeaderId">The <see cref="ClusterNodeView.Id"/> of its leader, or null when none is known.</param>
/// <param name="ReplicaIds">The ids of its other replicas.</param>
/// <param name="Migrating">Slots this group is moving out, with the id of the node leading the target group.</param>
/// <param name="Importing">Slots this group is taking in, with the id of the node leading the source group.</param>
public sealed record ClusterShardView(
    ulong GroupId,
    IReadOnlyList<(int Start, int End)> Slots,
    string? LeaderId,
    IReadOnlyList<string> ReplicaIds,
    IReadOnlyList<(int Slot, string NodeId)> Migrating,
    IReadOnlyList<(int Slot, string NodeId)> Importing);
