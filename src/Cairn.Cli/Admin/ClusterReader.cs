using Cairn.Client.Resp;

namespace Cairn.Cli.Admin;

/// <summary>What one node answered to <c>INFO keyspace</c>, or why it did not.</summary>
/// <param name="Reachable">Whether the node answered.</param>
/// <param name="Keys">Its <c>db0</c> key count (the keys of the groups it leads), or null when it did not answer.</param>
/// <param name="Error">Why it did not answer, or null.</param>
internal sealed record NodeProbe(bool Reachable, long? Keys, string? Error);

/// <summary>The cluster as one seed describes it, with what each of its nodes answered.</summary>
/// <param name="Seed">The seed that answered, <c>host:port</c>.</param>
/// <param name="Info">The seed's <c>CLUSTER INFO</c> fields.</param>
/// <param name="Shards">The seed's <c>CLUSTER SHARDS</c>.</param>
/// <param name="Nodes">The seed's <c>CLUSTER NODES</c>.</param>
/// <param name="Probes">What each node answered, by node id.</param>
internal sealed record ClusterSnapshot(
    string Seed,
    IReadOnlyDictionary<string, string> Info,
    IReadOnlyList<ShardEntry> Shards,
    IReadOnlyList<ClusterNodeLine> Nodes,
    IReadOnlyDictionary<string, NodeProbe> Probes);

/// <summary>
/// Reads a cluster through Redis Cluster commands: <c>CLUSTER INFO</c>, <c>CLUSTER SHARDS</c> and <c>CLUSTER
/// NODES</c> from the first seed that answers, then <c>INFO keyspace</c> from every node listed, all at once. Every
/// connection and every reply waits at most the timeout.
/// </summary>
internal static class ClusterReader
{
    /// <summary>The default wait for a connection or a reply.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The largest bulk reply accepted: cluster texts are small, so 16 MiB is plenty.</summary>
    private const long MaxReplyBytes = 16L * 1024 * 1024;

    /// <summary>Reads the cluster.</summary>
    /// <exception cref="IOException">No seed answered, or the one that did refused the cluster commands.</exception>
    /// <exception cref="FormatException">A reply was not in the format of Redis Cluster.</exception>
    public static async Task<ClusterSnapshot> ReadAsync(IReadOnlyList<string> seeds, string? password, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        var failures = new List<string>();
        foreach (var seed in seeds)
        {
            var (host, port) = RespClientOptions.ParseAddress(seed);
            await using var client = Connect(host, port, password, timeout);
            RespReply[] replies;
            try
            {
                replies = await client.PipelineAsync(
                    [new RespCommand("CLUSTER").Add("INFO"), new RespCommand("CLUSTER").Add("SHARDS"), new RespCommand("CLUSTER").Add("NODES")],
                    progress: null,
                    cancellationToken);
            }
            catch (RespConnectionException e)
            {
                failures.Add(e.Message);
                continue;
            }

            foreach (var reply in replies)
            {
                if (reply.IsError)
                {
                    throw new IOException($"the node at {client.Address} refused the cluster commands: {reply.Text}");
                }
            }

            var info = InfoFields.Parse(replies[0].AsString() ?? string.Empty);
            var shards = ClusterShardsReply.Parse(replies[1]);
            var nodes = ClusterNodesReply.Parse(replies[2].AsString() ?? string.Empty);
            var probes = await Task.WhenAll(nodes.Select(n => ProbeAsync(n, password, timeout, cancellationToken)));
            return new ClusterSnapshot(
                client.Address,
                info,
                shards,
                nodes,
                nodes.Select((n, i) => (n.Id, Probe: probes[i])).ToDictionary(p => p.Id, p => p.Probe, StringComparer.Ordinal));
        }

        throw new IOException(failures.Count == 1
            ? failures[0]
            : $"no seed answered: {string.Join("; ", failures)}");
    }

    private static async Task<NodeProbe> ProbeAsync(ClusterNodeLine node, string? password, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var client = Connect(node.Host, node.Port, password, timeout);
        try
        {
            var reply = await client.ExecuteAsync(new RespCommand("INFO").Add("keyspace"), cancellationToken);
            return new NodeProbe(true, InfoFields.Db0Keys(reply.AsString() ?? string.Empty), null);
        }
        catch (Exception e) when (e is RespConnectionException or RespServerException or FormatException)
        {
            return new NodeProbe(false, null, e.Message);
        }
    }

    private static RespClient Connect(string host, int port, string? password, TimeSpan timeout) => new(new RespClientOptions
    {
        Host = host,
        Port = port,
        Password = password,
        ConnectTimeout = timeout,
        IoTimeout = timeout,
        MaxConnections = 1,
        MaxReplyBulkLength = MaxReplyBytes,
    });
}
