using System.Globalization;
using System.Text;
using Cairn.Core;
using Cairn.Kv.Cluster;
using Cairn.Kv.Resp;

namespace Cairn.Kv.Commands;

/// <summary>
/// Redis Cluster's commands: <c>CLUSTER</c> (the read-only subcommands clients and redis-cli use), and the
/// connection flags <c>READONLY</c>, <c>READWRITE</c> and <c>ASKING</c>. Replies follow Redis 7's formats. Without
/// a router (standalone mode) each answers as a Redis without cluster support does.
/// </summary>
internal static class ClusterCommands
{
    private const string Disabled = "ERR This instance has cluster support disabled";

    public static IEnumerable<CommandSpec> All { get; } =
    [
        new("CLUSTER", -2, CommandFlags.Long, 0, 0, 0, Cluster, "A container for Redis Cluster commands."),
        new("READONLY", 1, CommandFlags.Fast, 0, 0, 0, ReadOnly, "Enables read-only queries for a connection to a Redis Cluster replica node."),
        new("READWRITE", 1, CommandFlags.Fast, 0, 0, 0, ReadWrite, "Enables read-write queries for a connection to a Redis Cluster replica node."),
        new("ASKING", 1, CommandFlags.Fast, 0, 0, 0, Asking, "Signals that a cluster client is following an -ASK redirect."),
    ];

    /// <summary>The subcommands, with their arity counted from <c>CLUSTER</c> as Redis counts it.</summary>
    private static readonly (string Name, int Arity, CommandHandler Handler)[] Subcommands =
    [
        ("COUNTKEYSINSLOT", 3, CountKeysInSlot),
        ("GETKEYSINSLOT", 4, GetKeysInSlot),
        ("HELP", 2, Help),
        ("INFO", 2, Info),
        ("KEYSLOT", 3, KeySlot),
        ("MYID", 2, MyId),
        ("NODES", 2, Nodes),
        ("SHARDS", 2, Shards),
        ("SLOTS", 2, Slots),
    ];

    private static readonly string[] HelpLines =
    [
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "COUNTKEYSINSLOT <slot>",
        "    Return the number of keys in <slot>.",
        "GETKEYSINSLOT <slot> <count>",
        "    Return key names stored by current node in a slot.",
        "INFO",
        "    Return information about the cluster.",
        "KEYSLOT <key>",
        "    Return the hash slot for <key>.",
        "MYID",
        "    Return the node id.",
        "NODES",
        "    Return cluster configuration seen by node. Output format:",
        "    <id> <ip:port@bus-port[,hostname]> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
        "SHARDS",
        "    Return information about slot range mappings and the nodes associated with them.",
        "SLOTS",
        "    Return information about slots range mappings. Each range is made of:",
        "    start, end, master and replicas IP addresses, ports and ids",
        "HELP",
        "    Print this help.",
    ];

    private static IClusterRouter? Router(CommandContext c) => c.Client.Server.Options.Cluster;

    private static void ReadOnly(CommandContext c)
    {
        if (Router(c) is null)
        {
            c.Error(Disabled);
            return;
        }

        c.Client.ReadOnlyRouting = true;
        c.Ok();
    }

    private static void ReadWrite(CommandContext c)
    {
        if (Router(c) is null)
        {
            c.Error(Disabled);
            return;
        }

        c.Client.ReadOnlyRouting = false;
        c.Ok();
    }

    private static void Asking(CommandContext c)
    {
        if (Router(c) is null)
        {
            c.Error(Disabled);
            return;
        }

        c.Client.Asking = true; // the connection cleared it before this command ran; it now covers the next one
        c.Ok();
    }

    private static void Cluster(CommandContext c)
    {
        // As Redis 7: an unknown subcommand or a wrong arity is refused before the cluster-disabled check.
        var asked = c.ArgString(1);
        foreach (var (name, arity, handler) in Subcommands)
        {
            if (!string.Equals(asked, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (c.Count != arity)
            {
                c.Error($"ERR wrong number of arguments for 'cluster|{name.ToLowerInvariant()}' command");
            }
            else if (Router(c) is null)
            {
                c.Error(Disabled);
            }
            else
            {
                handler(c);
            }

            return;
        }

        c.Error($"ERR unknown subcommand '{Truncated(asked)}'. Try CLUSTER HELP.");
    }

    private static string Truncated(string text) => text.Length > 128 ? text[..128] : text;

    private static void Help(CommandContext c)
    {
        RespWriter.ArrayHeader(c.Reply, HelpLines.Length);
        foreach (var line in HelpLines)
        {
            RespWriter.SimpleString(c.Reply, line);
        }
    }

    private static void KeySlot(CommandContext c) => c.Integer(HashSlot.Of(c.Arg(2)));

    private static void MyId(CommandContext c) => RespWriter.Bulk(c.Reply, Router(c)!.Topology().MyId);

    private static void CountKeysInSlot(CommandContext c)
    {
        var slot = c.ArgInt64(2);
        if (slot is < 0 or >= HashSlot.Count)
        {
            c.Error("ERR Invalid slot");
            return;
        }

        c.Integer(c.Backend.CountKeysInSlot((int)slot));
    }

    private static void GetKeysInSlot(CommandContext c)
    {
        var slot = c.ArgInt64(2);
        var count = c.ArgInt64(3);
        if (slot is < 0 or >= HashSlot.Count || count < 0)
        {
            c.Error("ERR Invalid slot or number of keys");
            return;
        }

        var keys = c.Backend.KeysInSlot((int)slot, (int)Math.Min(count, int.MaxValue));
        RespWriter.ArrayHeader(c.Reply, keys.Count);
        foreach (var key in keys)
        {
            c.Bulk(key);
        }
    }

    private static void Info(CommandContext c) => RespWriter.Verbatim(c.Reply, c.Protocol, InfoText(Router(c)!.Topology()));

    private static void Nodes(CommandContext c) => RespWriter.Verbatim(c.Reply, c.Protocol, NodesText(Router(c)!.Topology()));

    /// <summary>
    /// <c>CLUSTER INFO</c>'s text, field for field as Redis 7 writes it. A slot counts as ok when its group has a
    /// leader, and as failed when it has none; Cairn has no gossip, so no slot is ever "possibly failed" and no bus
    /// messages are counted.
    /// </summary>
    internal static string InfoText(ClusterTopology topology)
    {
        long assigned = 0, ok = 0;
        var masters = new HashSet<string>();
        foreach (var shard in topology.Shards)
        {
            var slots = 0;
            foreach (var (start, end) in shard.Slots)
            {
                slots += end - start + 1;
            }

            assigned += slots;
            ok += shard.LeaderId is null ? 0 : slots;
            if (slots > 0 && shard.LeaderId is { } leader)
            {
                masters.Add(leader);
            }
        }

        // Redis's cluster_size counts masters serving slots; here a master is a node leading a group with slots.
        var size = masters.Count;

        var myEpoch = 0UL;
        foreach (var node in topology.Nodes)
        {
            if (node.Id == topology.MyId)
            {
                myEpoch = node.ConfigEpoch;
            }
        }

        var text = new StringBuilder();
        void Line(string key, object value) => text.Append(CultureInfo.InvariantCulture, $"{key}:{value}\r\n");
        Line("cluster_state", topology.StateOk ? "ok" : "fail");
        Line("cluster_slots_assigned", assigned);
        Line("cluster_slots_ok", ok);
        Line("cluster_slots_pfail", 0);
        Line("cluster_slots_fail", assigned - ok);
        Line("cluster_known_nodes", topology.Nodes.Count);
        Line("cluster_size", size);
        Line("cluster_current_epoch", topology.CurrentEpoch);
        Line("cluster_my_epoch", myEpoch);
        Line("cluster_stats_messages_sent", 0);
        Line("cluster_stats_messages_received", 0);
        Line("total_cluster_links_buffer_limit_exceeded", 0);
        return text.ToString();
    }

    /// <summary>
    /// <c>CLUSTER NODES</c>'s text as Redis 7 writes it, one line per node ending in <c>\n</c>:
    /// <c>&lt;id&gt; &lt;ip:port@cport&gt; &lt;flags&gt; &lt;master&gt; &lt;ping-sent&gt; &lt;pong-recv&gt;
    /// &lt;config-epoch&gt; &lt;link-state&gt; &lt;slot&gt; …</c>. A node may lead several groups, so every node is a
    /// master, holding the merged slot ranges of the groups it leads (none when it leads none); a group's migrating
    /// (<c>[slot-&gt;-id]</c>) and importing (<c>[slot-&lt;-id]</c>) slots follow on its leader's line. Ping and pong
    /// times are 0: Cairn does not gossip.
    /// </summary>
    internal static string NodesText(ClusterTopology topology)
    {
        var text = new StringBuilder();
        var ranges = new List<(int Start, int End)>();
        var open = new List<(int Slot, string Text)>();
        foreach (var node in topology.Nodes)
        {
            ranges.Clear();
            open.Clear();
            foreach (var shard in topology.Shards)
            {
                if (shard.LeaderId != node.Id)
                {
                    continue;
                }

                ranges.AddRange(shard.Slots);
                foreach (var (slot, target) in shard.Migrating)
                {
                    open.Add((slot, string.Create(CultureInfo.InvariantCulture, $"[{slot}->-{target}]")));
                }

                foreach (var (slot, source) in shard.Importing)
                {
                    open.Add((slot, string.Create(CultureInfo.InvariantCulture, $"[{slot}-<-{source}]")));
                }
            }

            text.Append(CultureInfo.InvariantCulture, $"{node.Id} {node.Host}:{node.Port}@{node.BusPort} ");
            text.Append(node.Myself ? "myself,master" : "master");
            text.Append(CultureInfo.InvariantCulture, $" - 0 0 {node.ConfigEpoch} {(node.Connected ? "connected" : "disconnected")}");
            ranges.Sort();
            for (var i = 0; i < ranges.Count; i++)
            {
                var (start, end) = ranges[i];
                while (i + 1 < ranges.Count && ranges[i + 1].Start <= end + 1)
                {
                    end = Math.Max(end, ranges[++i].End); // adjacent ranges of two groups read as one, as Redis shows a node's slots
                }

                text.Append(' ').Append(start);
                if (end != start)
                {
                    text.Append('-').Append(end);
                }
            }

            open.Sort((a, b) => a.Slot.CompareTo(b.Slot));
            foreach (var (_, marker) in open)
            {
                text.Append(' ').Append(marker);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// <c>CLUSTER SLOTS</c>: for each slot range of a group with a leader, <c>[start, end, leader, replicas…]</c>;
    /// each node is <c>[ip, port, id, {}]</c> (Redis 7's form with no extra networking metadata). Replicas that are
    /// down are left out, as Redis leaves out failed replicas.
    /// </summary>
    private static void Slots(CommandContext c)
    {
        var topology = Router(c)!.Topology();
        var nodes = ById(topology);
        var entries = new List<(int Start, int End, ClusterNodeView Leader, List<ClusterNodeView> Replicas)>();
        foreach (var shard in topology.Shards)
        {
            if (shard.LeaderId is null || !nodes.TryGetValue(shard.LeaderId, out var leader))
            {
                continue; // no master: Redis lists only served slots
            }

            var replicas = new List<ClusterNodeView>();
            foreach (var id in shard.ReplicaIds)
            {
                if (nodes.TryGetValue(id, out var replica) && replica.Connected)
                {
                    replicas.Add(replica);
                }
            }

            foreach (var (start, end) in shard.Slots)
            {
                entries.Add((start, end, leader, replicas));
            }
        }

        RespWriter.ArrayHeader(c.Reply, entries.Count);
        foreach (var (start, end, leader, replicas) in entries)
        {
            RespWriter.ArrayHeader(c.Reply, 2 + 1 + replicas.Count);
            c.Integer(start);
            c.Integer(end);
            WriteSlotsNode(c, leader);
            foreach (var replica in replicas)
            {
                WriteSlotsNode(c, replica);
            }
        }
    }

    private static void WriteSlotsNode(CommandContext c, ClusterNodeView node)
    {
        RespWriter.ArrayHeader(c.Reply, 4);
        RespWriter.Bulk(c.Reply, node.Host);
        c.Integer(node.Port);
        RespWriter.Bulk(c.Reply, node.Id);
        RespWriter.MapHeader(c.Reply, c.Protocol, 0);
    }

    /// <summary>
    /// <c>CLUSTER SHARDS</c>: one map per group, <c>{slots: [start, end, …], nodes: [{id, port, ip, endpoint, role,
    /// replication-offset, health}, …]}</c>, leader first, as Redis 7 writes it. Replication offsets are 0: Raft
    /// indexes are not Redis replication offsets.
    /// </summary>
    private static void Shards(CommandContext c)
    {
        var topology = Router(c)!.Topology();
        var nodes = ById(topology);
        RespWriter.ArrayHeader(c.Reply, topology.Shards.Count);
        var members = new List<(ClusterNodeView Node, bool Leader)>();
        foreach (var shard in topology.Shards)
        {
            members.Clear();
            if (shard.LeaderId is not null && nodes.TryGetValue(shard.LeaderId, out var leader))
            {
                members.Add((leader, true));
            }

            foreach (var id in shard.ReplicaIds)
            {
                if (nodes.TryGetValue(id, out var replica))
                {
                    members.Add((replica, false));
                }
            }

            // Redis's two fields, then the shard group's id (which `cairn admin move-slots` takes): clients read fields by name.
            RespWriter.MapHeader(c.Reply, c.Protocol, 3);
            RespWriter.Bulk(c.Reply, "slots"u8);
            RespWriter.ArrayHeader(c.Reply, shard.Slots.Count * 2);
            foreach (var (start, end) in shard.Slots)
            {
                c.Integer(start);
                c.Integer(end);
            }

            RespWriter.Bulk(c.Reply, "nodes"u8);
            RespWriter.ArrayHeader(c.Reply, members.Count);
            foreach (var (node, isLeader) in members)
            {
                RespWriter.MapHeader(c.Reply, c.Protocol, 7);
                RespWriter.Bulk(c.Reply, "id"u8);
                RespWriter.Bulk(c.Reply, node.Id);
                RespWriter.Bulk(c.Reply, "port"u8);
                c.Integer(node.Port);
                RespWriter.Bulk(c.Reply, "ip"u8);
                RespWriter.Bulk(c.Reply, node.Host);
                RespWriter.Bulk(c.Reply, "endpoint"u8);
                RespWriter.Bulk(c.Reply, node.Host);
                RespWriter.Bulk(c.Reply, "role"u8);
                RespWriter.Bulk(c.Reply, isLeader ? "master"u8 : "replica"u8);
                RespWriter.Bulk(c.Reply, "replication-offset"u8);
                c.Integer(0);
                RespWriter.Bulk(c.Reply, "health"u8);
                RespWriter.Bulk(c.Reply, node.Connected ? "online"u8 : "fail"u8);
            }

            RespWriter.Bulk(c.Reply, "id"u8);
            RespWriter.Bulk(c.Reply, shard.GroupId.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static Dictionary<string, ClusterNodeView> ById(ClusterTopology topology)
    {
        var nodes = new Dictionary<string, ClusterNodeView>(topology.Nodes.Count, StringComparer.Ordinal);
        foreach (var node in topology.Nodes)
        {
            nodes[node.Id] = node;
        }

        return nodes;
    }
}
