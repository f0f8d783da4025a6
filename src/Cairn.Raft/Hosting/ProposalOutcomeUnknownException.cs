namespace Cairn.Raft.Hosting;

/// <summary>
/// A proposal was appended, then this node replaced its log with a leader's snapshot that covers the proposal's
/// index: the command may or may not have taken effect. Read before retrying anything that is not idempotent.
/// </summary>
public sealed class ProposalOutcomeUnknownException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ProposalOutcomeUnknownException()
        : base("The proposal's index was covered by a snapshot from a new leader: it may or may not have taken effect.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ProposalOutcomeUnknownException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public ProposalOutcomeUnknownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
