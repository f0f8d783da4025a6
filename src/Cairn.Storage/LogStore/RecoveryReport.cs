namespace Cairn.Storage.LogStore;

/// <summary>What opening a <see cref="LogStore"/> found and did.</summary>
public sealed record RecoveryReport
{
    /// <summary>Segments whose index entries came from their hint file, without reading data.</summary>
    public int SegmentsFromHints { get; init; }

    /// <summary>Segments read record by record because they had no valid hint file.</summary>
    public int SegmentsScanned { get; init; }

    /// <summary>Bytes of segment data read to rebuild the index (0 when every segment had a hint).</summary>
    public long SegmentBytesScanned { get; init; }

    /// <summary>Bytes of hint files read.</summary>
    public long HintBytesRead { get; init; }

    /// <summary>Bytes of torn tail cut off (writes that a crash interrupted before any fsync covered them).</summary>
    public long TruncatedBytes { get; init; }

    /// <summary>Runs of corrupt bytes stepped over inside segments; their records are lost and never served.</summary>
    public int CorruptRegions { get; init; }

    /// <summary>Segment files set aside (renamed *.corrupt) because their header was unreadable.</summary>
    public int SegmentsSetAside { get; init; }

    /// <summary>How long opening took.</summary>
    public TimeSpan Elapsed { get; init; }
}
