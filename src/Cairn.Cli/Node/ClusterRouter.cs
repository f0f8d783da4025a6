using System.Globalization;
using Cairn.Kv.Cluster;
using Cairn.Kv.Replication;
using Cairn.Meta;

namespace Cairn.Cli.Node;

/// <summary>
/// A node's answer to "who serves this slot": its cached copy of the control group's state (replaced whenever the
/// control group applies a command here) for which group owns the slot and where the other nodes are, and its
/// own shard groups' Raft state for who leads them right now. Groups it does not host are found by the leader hint
/// their leaders record in the control group.
/// </summary>
internal sealed class ClusterRouter : IClusterRouter
{
    private readonly ulong _self;
    private volatile ClusterState _state = ClusterState.Empty;

    public ClusterRouter(ulong self)
    {
        _self = self;
    }

    /// <summary>Whether this node's connection to a peer is up (for the <c>connected</c> flag of <c>CLUSTER NODES</c>).</summary>
    public Func<ulong, bool> IsConnected { get; set; } = _ => true;

    /// <summary>The node's keyspace, set once it exists (it needs this router first).</summary>
    public ReplicatedKvBackend? Backend { get; set; }

    public ClusterState State => _state;

    /// <summary>Redis's form of a node id: 40 hex digits.</summary>
    public static string NodeName(ulong id) => id.ToString("x40", CultureInfo.InvariantCulture);

    /// <summary>Takes a newer state of the control group (called on its apply thread).</summary>
    public void Update(ClusterState state) => _state = state;

    /// <summary>The shard group that owns <paramref name="slot"/>; 0 before the cluster is bootstrapped.</summary>
    public ulong GroupOf(int slot) => _state.IsBootstrapped ? _state.OwnerOf(slot) : 0;

    public SlotRoute Route(int slot, bool write, bool readOnlyConnection, bool asking)
    {
        var state = _state;
        if (!state.IsBootstrapped)
        {
            return new SlotRoute(SlotRouteKind.Down);
        }

        var group = state.OwnerOf(slot);
        var backend = Backend;
        if (group == 0 || backend is null)
        {
            return new SlotRoute(SlotRouteKind.Down);
        }

        if (backend.Serves(group))
        {
            return SlotRoute.Local;
        }

        var leader = backend.Hosts(group) ? backend.LeaderOf(group) : 0;
        if (leader == 0)
        {
            leader = state.GroupOrNull(group)?.LeaderHint ?? 0;
        }

        if (leader == _self)
        {
            return new SlotRoute(SlotRouteKind.TryAgain); // elected here, not serving yet: a moment
        }

        return leader != 0 && state.NodeOrNull(leader) is { } node
            ? new SlotRoute(SlotRouteKind.Moved, node.ClientAddress)
            : new SlotRoute(SlotRouteKind.Down);
    }

    public ClusterTopology Topology()
    {
        var state = _state;
        var nodes = new List<ClusterNodeView>();
        foreach (var node in state.Nodes.Values)
        {
            var (host, port) = Split(node.ClientAddress);
            var (_, busPort) = Split(node.RaftAddress);
            nodes.Add(new ClusterNodeView(NodeName(node.Id), host, port, busPort, node.Id == _self, node.State != NodeState.Removed && (node.Id == _self || IsConnected(node.Id)), state.Epoch));
        }

        var ranges = state.IsBootstrapped ? state.SlotRanges() : [];
        var shards = new List<ClusterShardView>();
        var covered = 0;
        foreach (var group in state.Groups.Values)
        {
            var slots = ranges.Where(r => r.GroupId == group.Id).Select(r => (r.Start, r.End)).ToList();
            if (slots.Count == 0)
            {
                continue;
            }

            var leader = group.LeaderHint;
            if (leader != 0)
            {
                covered += slots.Sum(s => s.End - s.Start + 1);
            }

            shards.Add(new ClusterShardView(
                group.Id,
                slots,
                leader == 0 ? null : NodeName(leader),
                [.. group.Voters.Concat(group.Learners).Where(id => id != leader).Select(NodeName)],
                [],
                []));
        }

        return new ClusterTopology(NodeName(_self), state.Epoch, nodes, shards, covered == Core.HashSlot.Count);
    }

    private static (string Host, int Port) Split(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? (address[..colon], port)
            : (address, 0);
    }
}
