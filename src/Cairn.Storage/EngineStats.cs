namespace Cairn.Storage;

/// <summary>What an engine holds and how healthy it is.</summary>
public sealed record EngineStats
{
    /// <summary>The engine's kind, e.g. "logstore".</summary>
    public required string Engine { get; init; }

    /// <summary>Live keys.</summary>
    public long Keys { get; init; }

    /// <summary>Bytes the live keys and values take in the engine's own format (the LogStore counts record headers too).</summary>
    public long LiveBytes { get; init; }

    /// <summary>Bytes the engine occupies on disk (or in memory for the memory engine).</summary>
    public long StoredBytes { get; init; }

    /// <summary>Data files (segments, or one per key for FlatFs).</summary>
    public long Files { get; init; }

    /// <summary>Records found corrupt (failed checksum) since the store opened; never served.</summary>
    public long CorruptRecords { get; init; }

    /// <summary>Bytes cut from a torn tail when the store opened.</summary>
    public long TruncatedBytes { get; init; }

    /// <summary>Compactions completed since the store opened.</summary>
    public long Compactions { get; init; }

    /// <summary>Disk bytes compaction gave back since the store opened.</summary>
    public long ReclaimedBytes { get; init; }

    /// <summary>Bytes of memory the in-memory index is estimated to use, keys included.</summary>
    public long IndexBytes { get; init; }

    /// <summary>The applied index of the last checkpoint.</summary>
    public ulong CheckpointIndex { get; init; }
}
