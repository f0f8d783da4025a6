namespace Cairn.Cli.Commands;

/// <summary>
/// The settings of <c>cairn server</c>, bound from (lowest to highest precedence) the embedded defaults, a JSON
/// file (<c>--config</c>), <c>CAIRN_*</c> environment variables (<c>CAIRN_PORT</c>, <c>CAIRN_DATADIR</c>,
/// <c>CAIRN_USERS__ALICE</c> …) and command-line flags.
/// </summary>
public sealed class ServerSettings
{
    /// <summary>Where data lives. Default <c>./cairn-data</c>.</summary>
    public string DataDir { get; set; } = "cairn-data";

    /// <summary>The address RESP listens on. Default 127.0.0.1.</summary>
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>The RESP port; unset means 6379, or the next free port if 6379 is taken.</summary>
    public int? Port { get; set; }

    /// <summary>The default user's password; unset means no authentication.</summary>
    public string? RequirePass { get; set; }

    /// <summary>Named users and their passwords.</summary>
    public Dictionary<string, string> Users { get; set; } = [];

    /// <summary>Most clients at once.</summary>
    public int MaxClients { get; set; } = Cairn.Core.Limits.MaxConnectionsPerNode;

    /// <summary>Whether FLUSHDB/FLUSHALL are allowed.</summary>
    public bool EnableFlush { get; set; } = true;

    /// <summary>The durability of acknowledged writes: "groupcommit" (default), "always", "periodic"
    /// (alias "everysec": fsync once a second, like Redis's appendfsync everysec), or "none" (unsafe).</summary>
    public string Sync { get; set; } = "groupcommit";

    /// <summary>
    /// Where short requests run: "inline" on the socket engine's I/O threads (no thread-pool hop per request; long
    /// requests still move to the pool), or "pool" on the thread pool. See docs/decisions/0008.
    /// </summary>
    public string IoMode { get; set; } = "pool";
}
