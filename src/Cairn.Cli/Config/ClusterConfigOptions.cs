namespace Cairn.Cli.Config;

/// <summary>What <see cref="ClusterConfigGenerator"/> is asked to write: <c>cairn config cluster</c>'s options.</summary>
public sealed record ClusterConfigOptions
{
    /// <summary>The default host nodes listen on and are reached at.</summary>
    public const string DefaultHost = "127.0.0.1";

    /// <summary>The default RESP port of node 0.</summary>
    public const int DefaultBasePort = 7000;

    /// <summary>How far above a node's RESP port its Raft port is (Redis's cluster-bus convention).</summary>
    public const int RaftPortOffset = 10_000;

    /// <summary>The most nodes one generated cluster can have.</summary>
    public const int MaxNodes = 1000;

    /// <summary>How many nodes (1..<see cref="MaxNodes"/>).</summary>
    public required int Nodes { get; init; }

    /// <summary>The directory the files are written to (created when missing).</summary>
    public required string OutDir { get; init; }

    /// <summary>The host every node listens on and is reached at.</summary>
    public string Host { get; init; } = DefaultHost;

    /// <summary>Node i serves RESP on <c>BasePort + i</c> and Raft on <c>BasePort + 10000 + i</c>.</summary>
    public int BasePort { get; init; } = DefaultBasePort;

    /// <summary>Replicas per KV shard group, or null for min(3, <see cref="Nodes"/>).</summary>
    public int? Replication { get; init; }

    /// <summary>KV shard groups the cluster starts with, or null for two per node (at most 1024).</summary>
    public int? ShardGroups { get; init; }

    /// <summary>Whether to overwrite the config files of a cluster already in <see cref="OutDir"/>.</summary>
    public bool Force { get; init; }

    /// <summary>The RESP port of node <paramref name="index"/>.</summary>
    public int RespPort(int index) => BasePort + index;

    /// <summary>The Raft port of node <paramref name="index"/>.</summary>
    public int RaftPort(int index) => BasePort + RaftPortOffset + index;

    /// <summary>What is wrong with these options, or null when nothing is.</summary>
    public string? Check()
    {
        if (Nodes is < 1 or > MaxNodes)
        {
            return $"--nodes must be between 1 and {MaxNodes}, not {Nodes}.";
        }

        if (string.IsNullOrWhiteSpace(OutDir))
        {
            return "--out must name a directory.";
        }

        if (!ConfigFile.IsHost(Host))
        {
            return $"--host '{Host}' is not a host name or IP address.";
        }

        if (BasePort < 1)
        {
            return $"--base-port must be 1 or more, not {BasePort}.";
        }

        var lastRaftPort = (long)BasePort + RaftPortOffset + Nodes - 1;
        if (lastRaftPort > 65535)
        {
            return $"--base-port {BasePort} with {Nodes} nodes needs ports up to {lastRaftPort} (Raft ports are RESP ports + {RaftPortOffset}); the last port is 65535, so use a base port of at most {65535 - RaftPortOffset - Nodes + 1}.";
        }

        if (Replication is { } r && (r < 1 || r > Nodes))
        {
            return $"--replication must be between 1 and the number of nodes ({Nodes}), not {r}.";
        }

        if (ShardGroups is { } g && g is < 1 or > NodeConfig.MaxShardGroups)
        {
            return $"--shard-groups must be between 1 and {NodeConfig.MaxShardGroups}, not {g}.";
        }

        return null;
    }
}
