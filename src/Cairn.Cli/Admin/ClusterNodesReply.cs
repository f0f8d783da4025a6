using System.Globalization;

namespace Cairn.Cli.Admin;

/// <summary>One line of <c>CLUSTER NODES</c>.</summary>
/// <param name="Id">The 40-hex-digit node id.</param>
/// <param name="Host">The node's client (RESP) host.</param>
/// <param name="Port">The node's client (RESP) port.</param>
/// <param name="BusPort">The port after <c>@</c>: Redis's cluster bus, Cairn's internal (Raft/RPC) port.</param>
/// <param name="Flags">The flags, such as <c>myself</c> and <c>master</c>.</param>
/// <param name="MasterId">The id of the node's master, or null (<c>-</c>).</param>
/// <param name="Connected">Whether the answering node's link to it is up (<c>connected</c>).</param>
/// <param name="Slots">The slots it serves, as written.</param>
internal sealed record ClusterNodeLine(
    string Id,
    string Host,
    int Port,
    int BusPort,
    IReadOnlyList<string> Flags,
    string? MasterId,
    bool Connected,
    IReadOnlyList<SlotRange> Slots)
{
    /// <summary>The node's client address, <c>host:port</c>.</summary>
    public string Address => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Whether this is the node that answered.</summary>
    public bool Myself => Flags.Contains("myself");
}

/// <summary>Parses the text of <c>CLUSTER NODES</c> (Redis 7's format).</summary>
internal static class ClusterNodesReply
{
    /// <summary>
    /// Parses every line: <c>&lt;id&gt; &lt;ip:port@cport[,hostname]&gt; &lt;flags&gt; &lt;master&gt; &lt;ping&gt;
    /// &lt;pong&gt; &lt;epoch&gt; &lt;link&gt; &lt;slot&gt; …</c>. Migrating and importing markers (<c>[…]</c>) are skipped.
    /// </summary>
    /// <exception cref="FormatException">A line is not in that format.</exception>
    public static IReadOnlyList<ClusterNodeLine> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nodes = new List<ClusterNodeLine>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length > 0)
            {
                nodes.Add(ParseLine(line));
            }
        }

        return nodes;
    }

    private static ClusterNodeLine ParseLine(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 8)
        {
            throw Bad(line, "fewer than 8 fields");
        }

        var (host, port, busPort) = ParseAddress(fields[1], line);
        var slots = new List<SlotRange>();
        for (var i = 8; i < fields.Length; i++)
        {
            if (fields[i].StartsWith('['))
            {
                continue; // [slot->-id] or [slot-<-id]: a slot on the move, still served by this node
            }

            slots.Add(ParseRange(fields[i], line));
        }

        return new ClusterNodeLine(
            fields[0],
            host,
            port,
            busPort,
            fields[2].Split(',', StringSplitOptions.RemoveEmptyEntries),
            fields[3] == "-" ? null : fields[3],
            fields[7] == "connected",
            slots);
    }

    private static (string Host, int Port, int BusPort) ParseAddress(string field, string line)
    {
        var address = field.Split(',', 2)[0]; // ip:port@cport[,hostname]
        var at = address.LastIndexOf('@');
        var hostPort = at < 0 ? address : address[..at];
        var colon = hostPort.LastIndexOf(':');
        if (colon < 0 || !TryInt(hostPort[(colon + 1)..], out var port) || (at >= 0 && !TryInt(address[(at + 1)..], out _)))
        {
            throw Bad(line, $"'{field}' is not ip:port@cport");
        }

        var busPort = at < 0 ? 0 : int.Parse(address[(at + 1)..], CultureInfo.InvariantCulture);
        return (hostPort[..colon].Trim('[', ']'), port, busPort);
    }

    private static SlotRange ParseRange(string field, string line)
    {
        var dash = field.IndexOf('-', StringComparison.Ordinal);
        var ok = dash < 0
            ? TryInt(field, out var start) & TryInt(field, out var end)
            : TryInt(field[..dash], out start) & TryInt(field[(dash + 1)..], out end);
        if (!ok || start < 0 || end < start || end >= SlotRange.SlotCount)
        {
            throw Bad(line, $"'{field}' is not a slot or slot range");
        }

        return new SlotRange(start, end);
    }

    private static bool TryInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static FormatException Bad(string line, string why) =>
        new($"CLUSTER NODES line '{(line.Length > 120 ? line[..120] + "…" : line)}': {why}.");
}
