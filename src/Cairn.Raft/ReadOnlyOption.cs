namespace Cairn.Raft;

/// <summary>How a leader confirms it still leads before answering <see cref="RawNode.ReadIndex"/>.</summary>
public enum ReadOnlyOption
{
    /// <summary>A heartbeat round a quorum answers, after the read arrived. Needs no clock assumption.</summary>
    Safe = 0,

    /// <summary>
    /// The leader lease check-quorum maintains: answered at once, with no message. Sound only while clocks drift
    /// less than the election timeout allows (docs/decisions/0011-raft-snapshots-and-reads.md); requires
    /// <see cref="RaftConfig.CheckQuorum"/>.
    /// </summary>
    LeaseBased = 1,
}
