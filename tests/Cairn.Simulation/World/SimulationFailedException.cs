namespace Cairn.Simulation.World;

/// <summary>A seed failed: the message names the seed, how to replay it, and the last events before the failure.</summary>
public sealed class SimulationFailedException : Exception
{
    public SimulationFailedException()
    {
    }

    public SimulationFailedException(string message)
        : base(message)
    {
    }

    public SimulationFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
