using System.Globalization;

namespace Cairn.Cli.Admin;

/// <summary>What <c>cairn admin status</c> shows.</summary>
/// <param name="Seed">The seed that answered.</param>
/// <param name="State"><c>ok</c> or <c>fail</c>, the seed's <c>cluster_state</c>.</param>
/// <param name="NodesUp">The nodes that answered.</param>
/// <param name="NodesTotal">The nodes the seed lists.</param>
/// <param name="Groups">The shard groups.</param>
/// <param name="GroupsWithLeader">The shard groups that have a leader.</param>
/// <param name="SlotsAssigned">The slots some group owns.</param>
/// <param name="SlotsCovered">The slots a group with a leader owns: the ones clients can use.</param>
/// <param name="KeysTotal">The sum of the reachable nodes' <c>db0</c> keys.</param>
/// <param name="Warnings">One line per problem.</param>
internal sealed record StatusReport(
    string Seed,
    string State,
    int NodesUp,
    int NodesTotal,
    int Groups,
    int GroupsWithLeader,
    int SlotsAssigned,
    int SlotsCovered,
    long KeysTotal,
    IReadOnlyList<string> Warnings);

/// <summary>One node in <c>cairn admin nodes</c>.</summary>
/// <param name="Id">The Cairn node id (the hex id as a number), or null when the id is not a Cairn one.</param>
/// <param name="FullId">The 40-hex-digit Redis node id.</param>
/// <param name="Address">The client (RESP) address.</param>
/// <param name="InternalPort">The internal (Raft/RPC) port.</param>
/// <param name="Reachable">Whether it answered.</param>
/// <param name="GroupsLed">The groups it leads.</param>
/// <param name="ReplicaGroups">The groups it holds a replica of (without leading them).</param>
/// <param name="SlotsServed">The slots of the groups it leads.</param>
/// <param name="Keys">Its <c>db0</c> keys (of the groups it leads), or null when it did not answer.</param>
/// <param name="Error">Why it did not answer, or null.</param>
internal sealed record NodeReport(
    ulong? Id,
    string FullId,
    string Address,
    int InternalPort,
    bool Reachable,
    IReadOnlyList<string> GroupsLed,
    IReadOnlyList<string> ReplicaGroups,
    int SlotsServed,
    long? Keys,
    string? Error);

/// <summary>One shard group in <c>cairn admin groups</c>.</summary>
/// <param name="Group">The group: its id when the shard map has one, or its index in <c>CLUSTER SHARDS</c>.</param>
/// <param name="Slots">Its slot ranges, compressed: <c>0-2730,8192-10922</c>.</param>
/// <param name="SlotCount">How many slots it owns.</param>
/// <param name="Leader">Its leader's short id, or null when it has none.</param>
/// <param name="LeaderId">Its leader's full id, or null.</param>
/// <param name="Replicas">Its replicas' short ids.</param>
/// <param name="ReplicasDown">The replicas the seed does not see online (<c>health</c> other than <c>online</c>).</param>
internal sealed record GroupReport(string Group, string Slots, int SlotCount, string? Leader, string? LeaderId, IReadOnlyList<string> Replicas, IReadOnlyList<string> ReplicasDown);

/// <summary>One slot range in <c>cairn admin slots</c>.</summary>
/// <param name="Start">The first slot.</param>
/// <param name="End">The last slot (inclusive).</param>
/// <param name="Count">How many slots.</param>
/// <param name="Group">The owning group, or null when no group owns the range.</param>
/// <param name="Leader">The owning group's leader (short id), or null.</param>
internal sealed record SlotRangeReport(int Start, int End, int Count, string? Group, string? Leader);

/// <summary>One symbol of the slot map.</summary>
/// <param name="Symbol">The character.</param>
/// <param name="Meaning">What it stands for.</param>
internal sealed record SlotMapLegend(string Symbol, string Meaning);

/// <summary>What <c>cairn admin slots</c> shows: the ranges, and the map of all slots by leader.</summary>
/// <param name="Ranges">Every range of 0–16383 in order, owned or not.</param>
/// <param name="SlotsPerCell">How many slots one map character stands for.</param>
/// <param name="Map">The map's rows.</param>
/// <param name="Legend">What the map's characters mean.</param>
internal sealed record SlotsReport(IReadOnlyList<SlotRangeReport> Ranges, int SlotsPerCell, IReadOnlyList<string> Map, IReadOnlyList<SlotMapLegend> Legend);

/// <summary>Turns a <see cref="ClusterSnapshot"/> into what each <c>cairn admin</c> command shows.</summary>
internal static class AdminReport
{
    /// <summary>The cluster's overview and its problems.</summary>
    public static StatusReport Status(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var warnings = new List<string>();
        var state = snapshot.Info.TryGetValue("cluster_state", out var s) ? s : "unknown";
        if (state != "ok")
        {
            warnings.Add($"{snapshot.Seed} reports cluster_state:{state}.");
        }

        foreach (var shard in snapshot.Shards.Where(s => s.Master is null))
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"group {shard.Name} has no leader: its {SlotRange.Total(shard.Slots)} slots ({SlotRange.Format(shard.Slots)}) are not served."));
        }

        foreach (var node in snapshot.Nodes)
        {
            if (snapshot.Probes.TryGetValue(node.Id, out var probe) && !probe.Reachable)
            {
                warnings.Add($"node {NodeIds.Short(node.Id)} ({node.Address}) is unreachable: {probe.Error}");
            }
        }

        var covered = Covered(snapshot);
        var gaps = SlotRange.Gaps(covered);
        if (gaps.Count > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{SlotRange.Total(gaps)} slots are not covered: {SlotRange.Format(gaps)}."));
        }

        return new StatusReport(
            snapshot.Seed,
            state,
            snapshot.Probes.Values.Count(p => p.Reachable),
            snapshot.Nodes.Count,
            snapshot.Shards.Count,
            snapshot.Shards.Count(s => s.Master is not null),
            SlotRange.Total(snapshot.Shards.SelectMany(s => s.Slots)),
            SlotRange.Total(covered),
            snapshot.Probes.Values.Sum(p => p.Keys ?? 0),
            warnings);
    }

    /// <summary>Every node the seed lists, in its order.</summary>
    public static IReadOnlyList<NodeReport> Nodes(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return
        [
            .. snapshot.Nodes.Select(node =>
            {
                var led = snapshot.Shards.Where(s => s.Master?.Id == node.Id).ToList();
                var replicaOf = snapshot.Shards.Where(s => s.Replicas.Any(r => r.Id == node.Id)).Select(s => s.Name).ToList();
                var probe = snapshot.Probes.TryGetValue(node.Id, out var p) ? p : new NodeProbe(false, null, "not probed");
                return new NodeReport(
                    NodeIds.ToNumber(node.Id),
                    node.Id,
                    node.Address,
                    node.BusPort,
                    probe.Reachable,
                    [.. led.Select(s => s.Name)],
                    replicaOf,
                    SlotRange.Total(led.SelectMany(s => s.Slots)),
                    probe.Keys,
                    probe.Error);
            }),
        ];
    }

    /// <summary>Every shard group, in <c>CLUSTER SHARDS</c> order.</summary>
    public static IReadOnlyList<GroupReport> Groups(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return
        [
            .. snapshot.Shards.Select(shard => new GroupReport(
                shard.Name,
                SlotRange.Format(shard.Slots),
                SlotRange.Total(shard.Slots),
                shard.Master is { } master ? NodeIds.Short(master.Id) : null,
                shard.Master?.Id,
                [.. shard.Replicas.Select(r => NodeIds.Short(r.Id))],
                [.. shard.Replicas.Where(r => r.Health != "online").Select(r => NodeIds.Short(r.Id))])),
        ];
    }

    /// <summary>Every range of 0–16383 in slot order, and the slot map.</summary>
    public static SlotsReport Slots(ClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var ranges = new List<SlotRangeReport>();
        foreach (var shard in snapshot.Shards)
        {
            var leader = shard.Master is { } master ? NodeIds.Short(master.Id) : null;
            ranges.AddRange(SlotRange.Merge(shard.Slots).Select(r => new SlotRangeReport(r.Start, r.End, r.Count, shard.Name, leader)));
        }

        ranges.AddRange(SlotRange.Gaps(snapshot.Shards.SelectMany(s => s.Slots)).Select(r => new SlotRangeReport(r.Start, r.End, r.Count, null, null)));
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        var map = SlotMap.Draw(snapshot);
        return new SlotsReport(ranges, SlotMap.SlotsPerCell, map.Rows, map.Legend);
    }

    private static IEnumerable<SlotRange> Covered(ClusterSnapshot snapshot) =>
        snapshot.Shards.Where(s => s.Master is not null).SelectMany(s => s.Slots);
}
