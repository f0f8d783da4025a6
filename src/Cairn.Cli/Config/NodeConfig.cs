using System.Net;
using System.Text.Json;
using Cairn.Rpc;

namespace Cairn.Cli.Config;

/// <summary>
/// One node's config file (<c>node-&lt;i&gt;.json</c>), which <c>cairn node --config FILE</c> starts from: who the
/// node is, where it listens, where it keeps its data, and the initial cluster it belongs to. Read it with
/// <see cref="Load"/>, which validates it and fills in every default.
/// </summary>
/// <remarks>Optional properties have setters, not init: the source-generated reader sets init properties even when a file leaves them out, which would replace their defaults with null or 0.</remarks>
public sealed record NodeConfig
{
    /// <summary>The default Raft tick length in milliseconds.</summary>
    public const int DefaultTickMs = 100;

    /// <summary>The most KV shard groups a cluster can start with.</summary>
    public const int MaxShardGroups = 1024;

    /// <summary>The longest Raft tick <see cref="TickMs"/> accepts, in milliseconds.</summary>
    public const int MaxTickMs = 10_000;

    /// <summary>The cluster's id; every node file of a cluster, and its client file, carry the same one.</summary>
    public required string ClusterId { get; init; }

    /// <summary>This node's id (1..; 0 is reserved).</summary>
    public required ulong NodeId { get; init; }

    /// <summary>This node's roles (<see cref="RoleNames"/>); both by default.</summary>
    public IReadOnlyList<string> Roles { get; set; } = RoleNames.All;

    /// <summary>
    /// Where this node keeps its data. In the file a relative path is relative to the file's directory;
    /// <see cref="Load"/> returns it absolute.
    /// </summary>
    public required string DataDir { get; init; }

    /// <summary>The host name or IP address other nodes and clients connect to.</summary>
    public required string Host { get; init; }

    /// <summary>The port this node serves RESP on.</summary>
    public required int RespPort { get; init; }

    /// <summary>The port this node serves Raft and other node-to-node RPC on.</summary>
    public required int RaftPort { get; init; }

    /// <summary>
    /// The IP address to listen on. Null in a file means <see cref="Host"/> when that is an IP address, otherwise
    /// 0.0.0.0; <see cref="Load"/> fills it in.
    /// </summary>
    public string? BindAddress { get; set; }

    /// <summary>
    /// The secret every node of the cluster shares to authenticate node-to-node connections: hex, at least
    /// <see cref="RpcOptions.MinClusterSecretBytes"/> bytes (generated files hold 32 random bytes).
    /// </summary>
    public required string ClusterSecret { get; init; }

    /// <summary>
    /// Replicas of each KV shard group (1..the number of kv members). Null in a file means min(3, kv members);
    /// <see cref="Load"/> fills it in.
    /// </summary>
    public int? Replication { get; set; }

    /// <summary>
    /// How many KV shard groups the cluster starts with (1..<see cref="MaxShardGroups"/>). Null in a file means two
    /// per member, at least 1, at most <see cref="MaxShardGroups"/>; <see cref="Load"/> fills it in.
    /// </summary>
    public int? ShardGroups { get; set; }

    /// <summary>Write durability (<see cref="SyncModes"/>); <see cref="SyncModes.Group"/> by default.</summary>
    public string Sync { get; set; } = SyncModes.Group;

    /// <summary>The Raft tick length in milliseconds (1..<see cref="MaxTickMs"/>).</summary>
    public int TickMs { get; set; } = DefaultTickMs;

    /// <summary>Every node of the initial cluster, this one included.</summary>
    public required IReadOnlyList<ClusterMember> Members { get; init; }

    /// <summary>
    /// For a node entering a running cluster later: the <c>host:port</c> RPC address of a member to join through.
    /// Null in generated files. A joining node need not be listed in <see cref="Members"/>.
    /// </summary>
    public string? Join { get; set; }

    /// <summary>Reads, validates and completes the node config file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid node config; the message names the file and field.</exception>
    public static NodeConfig Load(string path)
    {
        var config = ConfigFile.Read(path, ConfigJsonContext.Default.NodeConfig);
        return config.Validate(path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Serializes the config as the indented camelCase JSON of a node file.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ConfigJsonContext.Default.NodeConfig);

    /// <summary>The cluster secret's bytes (<see cref="ClusterSecret"/> decoded from hex).</summary>
    public byte[] GetClusterSecretBytes() => Convert.FromHexString(ClusterSecret);

    /// <summary>This node's entry in <see cref="Members"/>, or null for a joining node that is not listed.</summary>
    public ClusterMember? GetSelf() => Members.FirstOrDefault(m => m.NodeId == NodeId);

    /// <summary>
    /// Checks every field and returns the config with its defaults filled in and <see cref="DataDir"/> made absolute
    /// against <paramref name="baseDirectory"/>.
    /// </summary>
    /// <param name="source">What to name in errors (the file's path).</param>
    /// <param name="baseDirectory">The directory a relative <see cref="DataDir"/> is relative to.</param>
    /// <exception cref="InvalidDataException">A field is invalid; the message starts with <paramref name="source"/> and names the field.</exception>
    public NodeConfig Validate(string source, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        void Fail(string message) => throw new InvalidDataException($"{source}: {message}");

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            Fail("clusterId is empty.");
        }

        if (NodeId == 0)
        {
            Fail("nodeId 0 is reserved; node ids start at 1.");
        }

        CheckRoles(Roles, "roles", Fail);
        if (string.IsNullOrWhiteSpace(DataDir))
        {
            Fail("dataDir is empty.");
        }

        if (!ConfigFile.IsHost(Host))
        {
            Fail($"host '{Host}' is not a host name or IP address.");
        }

        CheckPort(RespPort, "respPort", Fail);
        CheckPort(RaftPort, "raftPort", Fail);
        if (RespPort == RaftPort)
        {
            Fail($"respPort and raftPort are both {RespPort}.");
        }

        if (BindAddress is not null && !IPAddress.TryParse(BindAddress, out _))
        {
            Fail($"bindAddress '{BindAddress}' is not an IP address.");
        }

        CheckSecret(Fail);
        CheckMembers(Fail);

        var kvMembers = Members.Count(m => m.Roles.Contains(RoleNames.Kv));
        if (Replication is { } replication && (replication < 1 || (Members.Count > 0 && replication > kvMembers)))
        {
            Fail($"replication {replication} must be between 1 and the number of kv members ({kvMembers}).");
        }

        if (ShardGroups is { } groups && groups is < 1 or > MaxShardGroups)
        {
            Fail($"shardGroups {groups} must be between 1 and {MaxShardGroups}.");
        }

        if (!SyncModes.IsKnown(Sync))
        {
            Fail($"sync '{Sync}' is not {SyncModes.Always}, {SyncModes.Group} or {SyncModes.Periodic}.");
        }

        if (TickMs is < 1 or > MaxTickMs)
        {
            Fail($"tickMs {TickMs} must be between 1 and {MaxTickMs}.");
        }

        if (Join is not null && !ConfigFile.TryParseAddress(Join, out _, out _))
        {
            Fail($"join '{Join}' is not a host:port address.");
        }

        return this with
        {
            DataDir = Path.GetFullPath(DataDir, Path.GetFullPath(baseDirectory)),
            BindAddress = BindAddress ?? (IPAddress.TryParse(Host, out _) ? Host : IPAddress.Any.ToString()),
            Replication = Replication ?? Math.Max(1, Math.Min(3, kvMembers)),
            ShardGroups = ShardGroups ?? DefaultShardGroups(Members.Count),
        };
    }

    /// <summary>The default number of KV shard groups for a cluster of <paramref name="members"/> nodes: two each, 1..<see cref="MaxShardGroups"/>.</summary>
    public static int DefaultShardGroups(int members) => Math.Clamp(members * 2, 1, MaxShardGroups);

    private static void CheckPort(int port, string field, Action<string> fail)
    {
        if (!ConfigFile.IsPort(port))
        {
            fail($"{field} {port} is not a port (1..65535).");
        }
    }

    private static void CheckRoles(IReadOnlyList<string> roles, string field, Action<string> fail)
    {
        if (roles.Count == 0)
        {
            fail($"{field} is empty; give one or more of {string.Join(", ", RoleNames.All)}.");
        }

        foreach (var role in roles)
        {
            if (!RoleNames.IsKnown(role))
            {
                fail($"{field}: '{role}' is not a role ({string.Join(", ", RoleNames.All)}).");
            }
        }

        if (roles.Distinct(StringComparer.Ordinal).Count() != roles.Count)
        {
            fail($"{field} lists a role twice.");
        }
    }

    private void CheckSecret(Action<string> fail)
    {
        if (string.IsNullOrEmpty(ClusterSecret) || ClusterSecret.Length % 2 != 0 || !ClusterSecret.All(char.IsAsciiHexDigit))
        {
            fail("clusterSecret is not hex (two hex digits per byte).");
        }

        if (ClusterSecret.Length / 2 < RpcOptions.MinClusterSecretBytes)
        {
            fail($"clusterSecret is {ClusterSecret.Length / 2} bytes; it must be at least {RpcOptions.MinClusterSecretBytes} random bytes.");
        }
    }

    private void CheckMembers(Action<string> fail)
    {
        if (Members.Count == 0 && Join is null)
        {
            fail("members is empty; list every node of the initial cluster, this one included.");
        }

        var ids = new HashSet<ulong>();
        var endpoints = new Dictionary<(string Host, int Port), string>();
        for (var i = 0; i < Members.Count; i++)
        {
            var member = Members[i];
            var field = $"members[{i}]";
            if (member is null)
            {
                fail($"{field} is null.");
                return;
            }

            if (member.NodeId == 0)
            {
                fail($"{field}.nodeId 0 is reserved; node ids start at 1.");
            }

            if (!ids.Add(member.NodeId))
            {
                fail($"{field}.nodeId {member.NodeId} is listed twice.");
            }

            if (!ConfigFile.IsHost(member.Host))
            {
                fail($"{field}.host '{member.Host}' is not a host name or IP address.");
            }

            CheckPort(member.RespPort, field + ".respPort", fail);
            CheckPort(member.RaftPort, field + ".raftPort", fail);
            CheckRoles(member.Roles, field + ".roles", fail);
            foreach (var (port, name) in new[] { (member.RespPort, "respPort"), (member.RaftPort, "raftPort") })
            {
                // Nodes on different hosts may use the same ports; two listeners on one host may not.
                if (!endpoints.TryAdd((member.Host.ToLowerInvariant(), port), $"{field}.{name}"))
                {
                    fail($"{field}.{name} {port} on {member.Host} is already {endpoints[(member.Host.ToLowerInvariant(), port)]}.");
                }
            }
        }

        if (Members.Count > 0 && !Members.Any(m => m.Roles.Contains(RoleNames.Meta)))
        {
            fail("members has no meta node; the cluster needs one or more.");
        }

        if (Members.Count > 0 && !Members.Any(m => m.Roles.Contains(RoleNames.Kv)))
        {
            fail("members has no kv node; the cluster needs one or more.");
        }

        var self = GetSelf();
        if (self is null)
        {
            if (Join is null)
            {
                fail($"nodeId {NodeId} is not listed in members (a node of the initial cluster lists itself; only a node with join set may not).");
            }

            return;
        }

        if (!string.Equals(self.Host, Host, StringComparison.OrdinalIgnoreCase) || self.RespPort != RespPort || self.RaftPort != RaftPort)
        {
            fail($"this node's members entry ({self.RespAddress}, raft {self.RaftAddress}) does not match host, respPort and raftPort ({ConfigFile.FormatAddress(Host, RespPort)}, raft {ConfigFile.FormatAddress(Host, RaftPort)}).");
        }

        if (!self.Roles.Order(StringComparer.Ordinal).SequenceEqual(Roles.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            fail($"this node's members entry has roles [{string.Join(", ", self.Roles)}], but roles is [{string.Join(", ", Roles)}].");
        }
    }
}
