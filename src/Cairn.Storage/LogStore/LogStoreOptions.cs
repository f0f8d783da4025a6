using Cairn.Core;
using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>How a <see cref="LogStore"/> writes, syncs and compacts.</summary>
public sealed record LogStoreOptions
{
    /// <summary>When writes become durable. Default: <see cref="SyncPolicy.GroupCommit"/>.</summary>
    public SyncPolicy Sync { get; init; } = SyncPolicy.GroupCommit;

    /// <summary>How long writes may stay unsynced under <see cref="SyncPolicy.Periodic"/>. Default 1 s; 10 ms to 1 min.</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes of deferred writes (<see cref="IKvEngine.PutDeferred"/> and its kin) gathered in memory and handed to the
    /// operating system in one write when someone waits for them, reads them, or the buffer fills. Frames larger
    /// than this are written directly. Default 256 KiB; 0 writes every frame directly; at most 16 MiB.
    /// </summary>
    public int WriteBufferBytes { get; init; } = 256 * 1024;

    /// <summary>The size at which the active segment closes and a new one starts. Default 128 MiB; at most 2 GiB.</summary>
    public long SegmentSize { get; init; } = 128L * 1024 * 1024;

    /// <summary>The largest key accepted. Default <see cref="Limits.MaxKeySize"/>.</summary>
    public int MaxKeySize { get; init; } = Limits.MaxKeySize;

    /// <summary>The largest value accepted. Default <see cref="Limits.MaxValueSize"/>.</summary>
    public int MaxValueSize { get; init; } = Limits.MaxValueSize;

    /// <summary>A closed segment is compacted when at least this fraction of it is garbage. Default 0.5.</summary>
    public double CompactionGarbageRatio { get; init; } = 0.5;

    /// <summary>Whether a background thread compacts segments as garbage builds up. Default true.</summary>
    public bool BackgroundCompaction { get; init; } = true;

    /// <summary>How often the background compactor looks for work besides when a segment closes. Default 30 s.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bytes of memory for recently read small values (at most 4 KiB each), which spares them a read from disk.
    /// Default 64 MiB; 0 turns the cache off.
    /// </summary>
    public long ReadCacheBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Whether opening a missing directory creates an empty store. Default true.</summary>
    public bool CreateIfMissing { get; init; } = true;

    /// <summary>The file system to use; tests put a fault-injecting one here. Default: the machine's.</summary>
    public IFileSystem FileSystem { get; init; } = LocalFileSystem.Instance;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentSize, 4096, nameof(SegmentSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SegmentSize, int.MaxValue, nameof(SegmentSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeySize, 1, nameof(MaxKeySize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxKeySize, Limits.MaxKeySize, nameof(MaxKeySize));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxValueSize, nameof(MaxValueSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxValueSize, Limits.MaxBatchSize, nameof(MaxValueSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(CompactionGarbageRatio, 0.0, nameof(CompactionGarbageRatio));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CompactionGarbageRatio, 1.0, nameof(CompactionGarbageRatio));
        ArgumentOutOfRangeException.ThrowIfLessThan(SyncInterval, TimeSpan.FromMilliseconds(10), nameof(SyncInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SyncInterval, TimeSpan.FromMinutes(1), nameof(SyncInterval));
        ArgumentOutOfRangeException.ThrowIfNegative(WriteBufferBytes, nameof(WriteBufferBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WriteBufferBytes, 16 * 1024 * 1024, nameof(WriteBufferBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(ReadCacheBytes, nameof(ReadCacheBytes));
        ArgumentNullException.ThrowIfNull(FileSystem, nameof(FileSystem));
    }
}
