using System.Collections.Immutable;
using Cairn.Core;

namespace Cairn.Meta;

/// <summary>
/// An immutable view of the control group's state: nodes, shard groups, the slot table with its epochs, and the
/// migrations in progress, as of <see cref="Version"/>. Safe to share between threads; the state machine replaces
/// it with a new one after each command, so a reader holding one sees a consistent cut.
/// </summary>
public sealed class ClusterState
{
    private readonly ulong[] _slotOwners;
    private readonly ulong[] _slotEpochs;
    private ImmutableSortedDictionary<ulong, int>? _slotCounts;

    internal ClusterState(
        string clusterId,
        ulong version,
        ulong epoch,
        ImmutableSortedDictionary<ulong, NodeInfo> nodes,
        ImmutableSortedDictionary<ulong, ShardGroup> groups,
        ImmutableSortedDictionary<int, SlotMigration> migrations,
        ulong[] slotOwners,
        ulong[] slotEpochs)
    {
        ClusterId = clusterId;
        Version = version;
        Epoch = epoch;
        Nodes = nodes;
        Groups = groups;
        Migrations = migrations;
        _slotOwners = slotOwners;
        _slotEpochs = slotEpochs;
    }

    /// <summary>The state before bootstrap: nothing, version 0, epoch 0.</summary>
    public static ClusterState Empty { get; } = new(
        string.Empty,
        0,
        0,
        ImmutableSortedDictionary<ulong, NodeInfo>.Empty,
        ImmutableSortedDictionary<ulong, ShardGroup>.Empty,
        ImmutableSortedDictionary<int, SlotMigration>.Empty,
        new ulong[HashSlot.Count],
        new ulong[HashSlot.Count]);

    /// <summary>The cluster's name, set at bootstrap; empty before.</summary>
    public string ClusterId { get; }

    /// <summary>Whether the cluster has been bootstrapped.</summary>
    public bool IsBootstrapped => ClusterId.Length > 0;

    /// <summary>The control group's log index this state includes (the last applied command).</summary>
    public ulong Version { get; }

    /// <summary>
    /// The cluster epoch: bumped by every change of slot ownership or migration phase, never lowered. A copy whose
    /// epoch is behind a peer's is stale for routing.
    /// </summary>
    public ulong Epoch { get; }

    /// <summary>Every node ever added, removed ones included, by id.</summary>
    public ImmutableSortedDictionary<ulong, NodeInfo> Nodes { get; }

    /// <summary>The shard groups, by id.</summary>
    public ImmutableSortedDictionary<ulong, ShardGroup> Groups { get; }

    /// <summary>The migrations in progress, by slot.</summary>
    public ImmutableSortedDictionary<int, SlotMigration> Migrations { get; }

    /// <summary>The group that owns <paramref name="slot"/> (serves it now), or 0 when nobody does.</summary>
    public ulong OwnerOf(int slot) => _slotOwners[CheckSlot(slot)];

    /// <summary>The epoch of the last routing change of <paramref name="slot"/> (0 if it never had an owner).</summary>
    public ulong SlotEpoch(int slot) => _slotEpochs[CheckSlot(slot)];

    /// <summary>The migration of <paramref name="slot"/>, or null when it is not moving.</summary>
    public SlotMigration? MigrationOf(int slot) => Migrations.GetValueOrDefault(CheckSlot(slot));

    /// <summary>The node with <paramref name="id"/>, or null.</summary>
    public NodeInfo? NodeOrNull(ulong id) => Nodes.GetValueOrDefault(id);

    /// <summary>The group with <paramref name="id"/>, or null.</summary>
    public ShardGroup? GroupOrNull(ulong id) => Groups.GetValueOrDefault(id);

    /// <summary>The group that owns <paramref name="slot"/>, or null when nobody does.</summary>
    public ShardGroup? GroupOfSlot(int slot) => GroupOrNull(OwnerOf(slot));

    /// <summary>
    /// The voters of <paramref name="groupId"/>, the leader hint first, then ascending by id: the nodes a request for
    /// one of its slots should go to. Empty for an unknown group.
    /// </summary>
    public IReadOnlyList<NodeInfo> ReplicaNodes(ulong groupId)
    {
        if (!Groups.TryGetValue(groupId, out var group))
        {
            return [];
        }

        var result = new List<NodeInfo>(group.Voters.Length);
        if (group.LeaderHint != 0 && Nodes.TryGetValue(group.LeaderHint, out var leader))
        {
            result.Add(leader);
        }

        foreach (var voter in group.Voters)
        {
            if (voter != group.LeaderHint && Nodes.TryGetValue(voter, out var node))
            {
                result.Add(node);
            }
        }

        return result;
    }

    /// <summary>The ids of the groups with a replica (voter or learner) on <paramref name="nodeId"/>, ascending.</summary>
    public IReadOnlyList<ulong> GroupsOnNode(ulong nodeId)
    {
        var result = new List<ulong>();
        foreach (var group in Groups.Values)
        {
            if (group.HasReplica(nodeId))
            {
                result.Add(group.Id);
            }
        }

        return result;
    }

    /// <summary>How many slots <paramref name="groupId"/> owns.</summary>
    public int SlotCount(ulong groupId) => SlotCounts.GetValueOrDefault(groupId);

    /// <summary>How many slots each group owns (groups with none are absent); key 0 counts unowned slots.</summary>
    public ImmutableSortedDictionary<ulong, int> SlotCounts => _slotCounts ??= CountSlots();

    /// <summary>The slot table as runs of consecutive slots with the same owner, ascending.</summary>
    public IReadOnlyList<SlotRange> SlotRanges()
    {
        var result = new List<SlotRange>();
        var start = 0;
        for (var slot = 1; slot <= HashSlot.Count; slot++)
        {
            if (slot == HashSlot.Count || _slotOwners[slot] != _slotOwners[start])
            {
                result.Add(new SlotRange(start, slot - 1, _slotOwners[start]));
                start = slot;
            }
        }

        return result;
    }

    /// <summary>The owners of all slots, by slot. For the state machine and snapshots; never mutated.</summary>
    internal ReadOnlySpan<ulong> SlotOwners => _slotOwners;

    /// <summary>The epochs of all slots, by slot.</summary>
    internal ReadOnlySpan<ulong> SlotEpochs => _slotEpochs;

    /// <summary>A copy with <paramref name="version"/> as the applied index.</summary>
    internal ClusterState WithVersion(ulong version) =>
        new(ClusterId, version, Epoch, Nodes, Groups, Migrations, _slotOwners, _slotEpochs);

    /// <summary>A copy with the given parts replaced; slot arrays are taken as they are (the caller gives fresh ones).</summary>
    internal ClusterState With(
        string? clusterId = null,
        ulong? epoch = null,
        ImmutableSortedDictionary<ulong, NodeInfo>? nodes = null,
        ImmutableSortedDictionary<ulong, ShardGroup>? groups = null,
        ImmutableSortedDictionary<int, SlotMigration>? migrations = null,
        ulong[]? slotOwners = null,
        ulong[]? slotEpochs = null) =>
        new(
            clusterId ?? ClusterId,
            Version,
            epoch ?? Epoch,
            nodes ?? Nodes,
            groups ?? Groups,
            migrations ?? Migrations,
            slotOwners ?? _slotOwners,
            slotEpochs ?? _slotEpochs);

    private static int CheckSlot(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, HashSlot.Count);
        return slot;
    }

    private ImmutableSortedDictionary<ulong, int> CountSlots()
    {
        var counts = new SortedDictionary<ulong, int>();
        foreach (var owner in _slotOwners)
        {
            counts[owner] = counts.GetValueOrDefault(owner) + 1;
        }

        return counts.ToImmutableSortedDictionary();
    }
}
