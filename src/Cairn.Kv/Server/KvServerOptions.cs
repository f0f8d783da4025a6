using Cairn.Core;
using Cairn.Kv.Cluster;
using Cairn.Kv.Resp;

namespace Cairn.Kv.Server;

/// <summary>How the Redis-protocol front end listens, authenticates and limits its clients.</summary>
public sealed record KvServerOptions
{
    /// <summary>The address to listen on. Default 127.0.0.1: reachable from this machine only, until configured.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>The TCP port. Default 6379, Redis's. 0 picks a free port.</summary>
    public int Port { get; init; } = 6379;

    /// <summary>The password of the default user (Redis's <c>requirepass</c>); null for none.</summary>
    public string? RequirePass { get; init; }

    /// <summary>Named users and their passwords (AUTH user pass).</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>Most clients connected at once. Default <see cref="Cairn.Core.Limits.MaxConnectionsPerNode"/>.</summary>
    public int MaxClients { get; init; } = Cairn.Core.Limits.MaxConnectionsPerNode;

    /// <summary>Request size limits.</summary>
    public RespLimits Limits { get; init; } = new();

    /// <summary>Whether FLUSHDB and FLUSHALL are allowed. Default true, as in Redis.</summary>
    public bool AllowFlush { get; init; } = true;

    /// <summary>
    /// Most reply bytes held for one client before its requests stop being read: a client that does not read its
    /// replies cannot make the server buffer without bound. Default 1 MiB (a single larger reply still goes out).
    /// </summary>
    public int MaxPendingReplyBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Cluster mode: where each hash slot is served and what the cluster looks like. When set, keyed commands for
    /// slots not served here are answered with Redis Cluster's redirections (<c>-MOVED</c>, <c>-ASK</c>, …) and the
    /// <c>CLUSTER</c> commands describe the cluster. Null (the default): a standalone server with one keyspace.
    /// </summary>
    public IClusterRouter? Cluster { get; init; }

    /// <summary>
    /// The operator commands behind <c>CAIRN.ADMIN</c> (a cluster node's: drain, remove…), given the arguments after
    /// the command name and returning the text to show; null on a server that has none. It may block: the command
    /// runs off the socket threads. Throws <see cref="ArgumentException"/> or <see cref="InvalidOperationException"/>
    /// with the message the client sees.
    /// </summary>
    public Func<IReadOnlyList<string>, string>? Admin { get; init; }

    /// <summary>Whether authentication is required before other commands.</summary>
    public bool RequiresAuth => RequirePass is not null || Users.Count > 0;
}
