namespace Cairn.Storage.LogStore;

/// <summary>What one compaction did.</summary>
/// <param name="SegmentsCompacted">Segments rewritten and removed.</param>
/// <param name="BytesBefore">Bytes those segments took.</param>
/// <param name="BytesAfter">Bytes their live records take in the new segments.</param>
public sealed record CompactionResult(int SegmentsCompacted, long BytesBefore, long BytesAfter)
{
    /// <summary>Disk bytes given back.</summary>
    public long ReclaimedBytes => BytesBefore - BytesAfter;
}
