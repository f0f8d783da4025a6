namespace Cairn.Raft;

/// <summary>The role a node plays in its current term.</summary>
public enum RaftRole
{
    /// <summary>Follows a leader (possibly not known yet) and votes.</summary>
    Follower = 0,

    /// <summary>Asks peers whether it could win an election, without raising its term.</summary>
    PreCandidate = 1,

    /// <summary>Has raised its term and asks for votes.</summary>
    Candidate = 2,

    /// <summary>Accepts proposals and replicates the log.</summary>
    Leader = 3,
}
