namespace Cairn.Raft.Hosting;

/// <summary>
/// A proposal was appended but lost to a leader change: another command committed at its index. It did not and
/// will not take effect; proposing it again is safe.
/// </summary>
public sealed class ProposalDroppedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ProposalDroppedException()
        : base("The proposal was lost to a leader change and did not take effect; propose it again.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ProposalDroppedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public ProposalDroppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
