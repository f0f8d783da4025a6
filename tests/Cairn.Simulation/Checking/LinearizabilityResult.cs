namespace Cairn.Simulation.Checking;

/// <summary>The verdict on a history.</summary>
/// <param name="IsLinearizable">Whether some order of the operations respects real time and the register model.</param>
/// <param name="Inconclusive">The search ran out of its step budget before it could decide (counted as passing, and said so).</param>
/// <param name="Explanation">For a failure: the key and the operations that could not be placed.</param>
public sealed record LinearizabilityResult(bool IsLinearizable, bool Inconclusive, string Explanation)
{
    public static LinearizabilityResult Linearizable { get; } = new(true, false, "linearizable");
}
