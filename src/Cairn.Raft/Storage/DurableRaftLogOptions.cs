using Cairn.Core;

namespace Cairn.Raft.Storage;

/// <summary>How a <see cref="DurableRaftLog"/> lays out its files.</summary>
public sealed record DurableRaftLogOptions
{
    /// <summary>
    /// The size at which the log starts a new segment file (64 MiB by default). One append always goes into one
    /// segment, so a segment may end a little past this size.
    /// </summary>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>The largest entry payload accepted, in bytes (<see cref="Limits.MaxRpcFrameSize"/> by default).</summary>
    public int MaxEntrySize { get; init; } = Limits.MaxRpcFrameSize;
}
