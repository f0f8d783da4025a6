using Cairn.Storage;
using Cairn.Storage.LogStore;

namespace Cairn.Cli.Output;

/// <summary>What <c>cairn store stats</c> reports about a LogStore, as a table or as JSON.</summary>
/// <param name="Path">The store directory.</param>
/// <param name="Keys">Live keys.</param>
/// <param name="LiveBytes">Bytes of live keys and values.</param>
/// <param name="StoredBytes">Bytes of segment files on disk.</param>
/// <param name="GarbageRatio">The fraction of stored bytes that is not live data (0 to 1).</param>
/// <param name="Segments">Segment files.</param>
/// <param name="IndexBytes">Estimated memory of the in-memory index.</param>
/// <param name="IndexBytesPerKey">Index memory per live key (0 when empty).</param>
/// <param name="CorruptRecords">Records found corrupt since the store opened.</param>
/// <param name="TruncatedBytes">Torn-tail bytes cut off when the store opened.</param>
/// <param name="CheckpointIndex">The applied index of the last checkpoint.</param>
/// <param name="Recovery">What opening the store found and did.</param>
public sealed record StoreStatsReport(
    string Path,
    long Keys,
    long LiveBytes,
    long StoredBytes,
    double GarbageRatio,
    long Segments,
    long IndexBytes,
    double IndexBytesPerKey,
    long CorruptRecords,
    long TruncatedBytes,
    ulong CheckpointIndex,
    RecoverySummary Recovery)
{
    /// <summary>Builds the report from a store's statistics and recovery report.</summary>
    public static StoreStatsReport From(string path, EngineStats stats, RecoveryReport recovery)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(recovery);
        var garbage = stats.StoredBytes <= 0 ? 0.0 : Math.Clamp(1.0 - ((double)stats.LiveBytes / stats.StoredBytes), 0.0, 1.0);
        var perKey = stats.Keys <= 0 ? 0.0 : (double)stats.IndexBytes / stats.Keys;
        return new StoreStatsReport(
            path,
            stats.Keys,
            stats.LiveBytes,
            stats.StoredBytes,
            Math.Round(garbage, 4),
            stats.Files,
            stats.IndexBytes,
            Math.Round(perKey, 1),
            stats.CorruptRecords,
            stats.TruncatedBytes,
            stats.CheckpointIndex,
            RecoverySummary.From(recovery));
    }
}

/// <summary>The recovery part of <see cref="StoreStatsReport"/>.</summary>
/// <param name="SegmentsFromHints">Segments indexed from their hint file.</param>
/// <param name="SegmentsScanned">Segments read record by record.</param>
/// <param name="SegmentBytesScanned">Bytes of segment data read.</param>
/// <param name="HintBytesRead">Bytes of hint files read.</param>
/// <param name="TruncatedBytes">Torn-tail bytes cut off.</param>
/// <param name="CorruptRegions">Runs of corrupt bytes stepped over.</param>
/// <param name="SegmentsSetAside">Segment files renamed *.corrupt.</param>
/// <param name="OpenMilliseconds">How long opening took.</param>
public sealed record RecoverySummary(
    int SegmentsFromHints,
    int SegmentsScanned,
    long SegmentBytesScanned,
    long HintBytesRead,
    long TruncatedBytes,
    int CorruptRegions,
    int SegmentsSetAside,
    double OpenMilliseconds)
{
    /// <summary>Copies <paramref name="report"/>.</summary>
    public static RecoverySummary From(RecoveryReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new RecoverySummary(
            report.SegmentsFromHints,
            report.SegmentsScanned,
            report.SegmentBytesScanned,
            report.HintBytesRead,
            report.TruncatedBytes,
            report.CorruptRegions,
            report.SegmentsSetAside,
            Math.Round(report.Elapsed.TotalMilliseconds, 3));
    }
}
