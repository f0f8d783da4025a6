namespace Cairn.Core;

/// <summary>
/// The default limits of design §10, in one place. Every component enforces its limit with an error that names
/// it; configuration may lower or raise the defaults.
/// </summary>
public static class Limits
{
    /// <summary>Largest key, in bytes (64 KiB).</summary>
    public const int MaxKeySize = 64 * 1024;

    /// <summary>Largest value in the KV service and the storage engines, in bytes (16 MiB).</summary>
    public const int MaxValueSize = 16 * 1024 * 1024;

    /// <summary>Largest atomic write batch a storage engine accepts, in bytes of keys and values (64 MiB).</summary>
    public const int MaxBatchSize = 64 * 1024 * 1024;

    /// <summary>Most operations in one atomic write batch.</summary>
    public const int MaxBatchCount = 1_000_000;

    /// <summary>Most elements in one RESP array.</summary>
    public const int MaxRespArrayLength = 1_000_000;

    /// <summary>Largest internal RPC frame, in bytes (64 MiB).</summary>
    public const int MaxRpcFrameSize = 64 * 1024 * 1024;

    /// <summary>Largest path component in the file system, in bytes.</summary>
    public const int MaxPathComponentSize = 255;

    /// <summary>Largest path in the file system, in bytes.</summary>
    public const int MaxPathSize = 4096;

    /// <summary>Most client connections one node accepts.</summary>
    public const int MaxConnectionsPerNode = 10_000;
}
