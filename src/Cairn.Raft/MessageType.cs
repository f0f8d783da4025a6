namespace Cairn.Raft;

/// <summary>The kinds of message Raft nodes exchange.</summary>
public enum MessageType
{
    /// <summary>A candidate asks for a vote in its new term.</summary>
    Vote = 0,

    /// <summary>The answer to <see cref="Vote"/>.</summary>
    VoteResponse = 1,

    /// <summary>A pre-candidate asks whether it could win an election at the next term, without changing anyone's term.</summary>
    PreVote = 2,

    /// <summary>The answer to <see cref="PreVote"/>.</summary>
    PreVoteResponse = 3,

    /// <summary>The leader sends entries following (<see cref="Message.Index"/>, <see cref="Message.LogTerm"/>).</summary>
    Append = 4,

    /// <summary>The answer to <see cref="Append"/>: the follower's new last index, or a rejection with a hint.</summary>
    AppendResponse = 5,

    /// <summary>The leader asserts its leadership and carries a commit index the follower can safely apply.</summary>
    Heartbeat = 6,

    /// <summary>The answer to <see cref="Heartbeat"/>.</summary>
    HeartbeatResponse = 7,

    /// <summary>
    /// The leader tells a follower to install the snapshot <see cref="Message.Snapshot"/> describes. The message carries
    /// only metadata: the host streams the snapshot's bytes beside it and steps the message in once they have arrived
    /// (see docs/decisions/0011-raft-snapshots-and-reads.md). Answered with <see cref="AppendResponse"/>.
    /// </summary>
    Snapshot = 8,

    /// <summary>A follower forwards a proposal (<see cref="Message.Entries"/>) to its leader.</summary>
    Propose = 9,

    /// <summary>A follower forwards a linearizable read (<see cref="Message.Context"/>) to its leader.</summary>
    ReadIndex = 10,

    /// <summary>The leader's answer to <see cref="ReadIndex"/>: the read may be served once <see cref="Message.Index"/> is applied.</summary>
    ReadIndexResponse = 11,

    /// <summary>The leader tells the target of a leadership transfer to campaign now, skipping pre-vote.</summary>
    TimeoutNow = 12,
}
