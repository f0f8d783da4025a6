using Cairn.Client.Resp;

namespace Cairn.Cli.Admin;

/// <summary>One node of a shard in <c>CLUSTER SHARDS</c>.</summary>
/// <param name="Id">The 40-hex-digit node id.</param>
/// <param name="Ip">The node's address.</param>
/// <param name="Port">The node's client (RESP) port.</param>
/// <param name="Role"><c>master</c> (a Cairn group's Raft leader) or <c>replica</c>.</param>
/// <param name="Health"><c>online</c>, <c>failed</c> or <c>loading</c>, as the answering node sees it.</param>
internal sealed record ShardNode(string Id, string Ip, int Port, string Role, string Health)
{
    /// <summary>Whether the node is the shard's master (the group's leader).</summary>
    public bool IsMaster => string.Equals(Role, "master", StringComparison.OrdinalIgnoreCase);
}

/// <summary>One shard of <c>CLUSTER SHARDS</c>: a Cairn shard group.</summary>
/// <param name="Index">The shard's position in the reply, from 0.</param>
/// <param name="Id">The shard's id when the reply carries one (<c>id</c> next to <c>slots</c>), or null.</param>
/// <param name="Slots">The slot ranges the shard owns.</param>
/// <param name="Nodes">Its nodes, master first as Redis lists them.</param>
internal sealed record ShardEntry(int Index, string? Id, IReadOnlyList<SlotRange> Slots, IReadOnlyList<ShardNode> Nodes)
{
    /// <summary>The shard's master (the group's leader), or null when it has none.</summary>
    public ShardNode? Master => Nodes.FirstOrDefault(n => n.IsMaster);

    /// <summary>The shard's replicas.</summary>
    public IEnumerable<ShardNode> Replicas => Nodes.Where(n => !n.IsMaster);

    /// <summary>How the shard is named: its id, or its index.</summary>
    public string Name => Id ?? Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Parses the reply of <c>CLUSTER SHARDS</c> (Redis 7): an array of maps <c>{slots: [start, end, …], nodes: [{id,
/// port, ip, endpoint, role, replication-offset, health, …}, …]}</c>. RESP2 sends each map as a flat array of keys
/// and values, RESP3's maps arrive flattened the same way; unknown keys are ignored.
/// </summary>
internal static class ClusterShardsReply
{
    /// <summary>Parses the reply.</summary>
    /// <exception cref="FormatException">The reply is not in that shape.</exception>
    public static IReadOnlyList<ShardEntry> Parse(RespReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var shards = new List<ShardEntry>();
        var items = Array(reply, "the reply");
        for (var index = 0; index < items.Count; index++)
        {
            string? id = null;
            var slots = new List<SlotRange>();
            var nodes = new List<ShardNode>();
            foreach (var (key, value) in Map(items[index], $"shard {index}"))
            {
                switch (key)
                {
                    case "id":
                        id = Text(value, $"shard {index} id");
                        break;
                    case "slots":
                        var bounds = Array(value, $"shard {index} slots");
                        if (bounds.Count % 2 != 0)
                        {
                            throw new FormatException($"CLUSTER SHARDS: shard {index} has an odd number of slot bounds.");
                        }

                        for (var i = 0; i < bounds.Count; i += 2)
                        {
                            var start = Integer(bounds[i], $"shard {index} slots");
                            var end = Integer(bounds[i + 1], $"shard {index} slots");
                            if (start < 0 || end < start || end >= SlotRange.SlotCount)
                            {
                                throw new FormatException($"CLUSTER SHARDS: shard {index} has the slot range {start}-{end}.");
                            }

                            slots.Add(new SlotRange((int)start, (int)end));
                        }

                        break;
                    case "nodes":
                        foreach (var node in Array(value, $"shard {index} nodes"))
                        {
                            nodes.Add(ParseNode(node, index));
                        }

                        break;
                }
            }

            shards.Add(new ShardEntry(index, id, slots, nodes));
        }

        return shards;
    }

    private static ShardNode ParseNode(RespReply reply, int shard)
    {
        string? id = null, ip = null, endpoint = null, role = null, health = null;
        long port = 0;
        var what = $"shard {shard} node";
        foreach (var (key, value) in Map(reply, what))
        {
            switch (key)
            {
                case "id": id = Text(value, what + " id"); break;
                case "ip": ip = Text(value, what + " ip"); break;
                case "endpoint": endpoint = Text(value, what + " endpoint"); break;
                case "role": role = Text(value, what + " role"); break;
                case "health": health = Text(value, what + " health"); break;
                case "port": port = Integer(value, what + " port"); break;
            }
        }

        if (id is null || role is null || port is < 1 or > 65535)
        {
            throw new FormatException($"CLUSTER SHARDS: a node of shard {shard} lacks its id, role or port.");
        }

        return new ShardNode(id, ip ?? endpoint ?? "?", (int)port, role, health ?? "unknown");
    }

    private static IEnumerable<(string Key, RespReply Value)> Map(RespReply reply, string what)
    {
        var items = Array(reply, what);
        if (items.Count % 2 != 0)
        {
            throw new FormatException($"CLUSTER SHARDS: {what} is not a map of keys and values.");
        }

        for (var i = 0; i < items.Count; i += 2)
        {
            yield return (Text(items[i], what + " key"), items[i + 1]);
        }
    }

    private static IReadOnlyList<RespReply> Array(RespReply reply, string what) => reply.Kind == RespReplyKind.Array
        ? reply.Items!
        : throw new FormatException($"CLUSTER SHARDS: {what} is not an array but {reply.Kind}.");

    private static string Text(RespReply reply, string what) => reply.Kind is RespReplyKind.BulkString or RespReplyKind.SimpleString
        ? reply.AsString()!
        : throw new FormatException($"CLUSTER SHARDS: {what} is not a string but {reply.Kind}.");

    private static long Integer(RespReply reply, string what) => reply.Kind == RespReplyKind.Integer
        ? reply.Integer
        : reply.Kind is RespReplyKind.BulkString or RespReplyKind.SimpleString && long.TryParse(reply.AsString(), out var value)
            ? value
            : throw new FormatException($"CLUSTER SHARDS: {what} is not an integer but {reply.Kind}.");
}
