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
}
