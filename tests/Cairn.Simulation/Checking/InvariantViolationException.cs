namespace Cairn.Simulation.Checking;

/// <summary>A safety property of Raft, the state machine or the history does not hold: the run failed.</summary>
public sealed class InvariantViolationException : Exception
{
    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
