using System.Text.Json.Serialization;

namespace Cairn.Cli.Config;

/// <summary>One node of the initial cluster as every node config lists it: its id, where it is reached, what it does.</summary>
/// <remarks>Optional properties have setters, not init: the source-generated reader sets init properties even when a file leaves them out, which would replace their defaults with null or 0.</remarks>
public sealed record ClusterMember
{
    /// <summary>The node's id (1.., distinct across the cluster; 0 is reserved).</summary>
    public required ulong NodeId { get; init; }

    /// <summary>The host name or IP address other nodes and clients connect to.</summary>
    public required string Host { get; init; }

    /// <summary>The port the node serves RESP on.</summary>
    public required int RespPort { get; init; }

    /// <summary>The port the node serves Raft and other node-to-node RPC on.</summary>
    public required int RaftPort { get; init; }

    /// <summary>The node's roles (<see cref="RoleNames"/>).</summary>
    public IReadOnlyList<string> Roles { get; set; } = RoleNames.All;

    /// <summary>The RESP address clients use, <c>host:port</c> (IPv6 hosts in brackets).</summary>
    [JsonIgnore]
    public string RespAddress => ConfigFile.FormatAddress(Host, RespPort);

    /// <summary>The Raft/RPC address other nodes use, <c>host:port</c> (IPv6 hosts in brackets).</summary>
    [JsonIgnore]
    public string RaftAddress => ConfigFile.FormatAddress(Host, RaftPort);
}
