using Cairn.Core;

namespace Cairn.Storage.FlatFs;

/// <summary>How a <see cref="FlatFsEngine"/> writes and what it creates.</summary>
public sealed record FlatFsOptions
{
    /// <summary>
    /// Whether every write is fsynced before it returns: the value file, then its directory. When false, writes
    /// are only handed to the operating system and <see cref="FlatFsEngine.Sync"/> makes them durable.
    /// </summary>
    public bool Sync { get; init; } = true;

    /// <summary>The largest value the engine accepts, in bytes.</summary>
    public int MaxValueSize { get; init; } = Limits.MaxValueSize;

    /// <summary>
    /// The shard function a new store is created with. An existing store always uses the one in its
    /// <c>SHARDING</c> file.
    /// </summary>
    public FlatFsShardFunction ShardFunction { get; init; } = FlatFsShardFunction.Default;
}
