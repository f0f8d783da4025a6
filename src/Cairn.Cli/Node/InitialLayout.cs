using Cairn.Meta;
using Cairn.Meta.Protocol;

namespace Cairn.Cli.Node;

/// <summary>
/// The cluster's first shape, computed the same way on every node from the shared member list: the control group
/// (group 1, every meta node a voter) and the shard groups (2, 3, …), each on R consecutive KV nodes, starting one
/// node further along for each group so replicas and leaders spread evenly. The bootstrap command records it in
/// the control group; the slots are spread evenly over the shard groups there.
/// </summary>
internal sealed class InitialLayout
{
    /// <summary>The control group's Raft group id (0 is the host's own traffic).</summary>
    public const ulong ControlGroupId = 1;

    private InitialLayout(IReadOnlyList<ulong> controlVoters, IReadOnlyDictionary<ulong, ulong[]> shardGroups, IReadOnlyDictionary<ulong, ulong> preferredLeaders)
    {
        ControlVoters = controlVoters;
        ShardGroups = shardGroups;
        PreferredLeaders = preferredLeaders;
    }

    public IReadOnlyList<ulong> ControlVoters { get; }

    /// <summary>Shard group id → its replicas (node ids, ascending).</summary>
    public IReadOnlyDictionary<ulong, ulong[]> ShardGroups { get; }

    /// <summary>
    /// Shard group id → the replica that should lead it: the first node of its run, so each node prefers an equal
    /// share of the groups and leaders (where writes and reads are served) spread over the nodes.
    /// </summary>
    public IReadOnlyDictionary<ulong, ulong> PreferredLeaders { get; }

    public static InitialLayout Compute(IReadOnlyList<NodeMember> members, int replication, int groups)
    {
        var meta = members.Where(m => (m.Roles & NodeRoles.Meta) != 0).Select(m => m.NodeId).Order().ToArray();
        var kv = members.Where(m => (m.Roles & NodeRoles.Kv) != 0).Select(m => m.NodeId).Order().ToArray();
        if (meta.Length == 0 || kv.Length == 0)
        {
            throw new FormatException("The cluster needs at least one node with the meta role and one with the kv role.");
        }

        if (replication < 1 || replication > kv.Length)
        {
            throw new FormatException($"replication {replication} needs 1 to {kv.Length} kv nodes.");
        }

        var shards = new SortedDictionary<ulong, ulong[]>();
        var preferred = new SortedDictionary<ulong, ulong>();
        for (var g = 0; g < groups; g++)
        {
            var replicas = Enumerable.Range(0, replication).Select(j => kv[(g + j) % kv.Length]).Order().ToArray();
            shards[ControlGroupId + 1 + (ulong)g] = replicas;
            preferred[ControlGroupId + 1 + (ulong)g] = kv[g % kv.Length];
        }

        return new InitialLayout(meta, shards, preferred);
    }

    /// <summary>The command that bootstraps the cluster in this shape.</summary>
    public MetaCommand Bootstrap(string clusterId, IReadOnlyList<NodeMember> members) =>
        MetaCommands.Bootstrap(
            clusterId,
            members.Select(m => MetaCommands.Node(m.NodeId, m.RaftAddress, m.RespAddress, m.Roles)),
            ShardGroups.Select(g => MetaCommands.Group(g.Key, g.Value)));
}
