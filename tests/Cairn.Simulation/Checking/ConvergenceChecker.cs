namespace Cairn.Simulation.Checking;

/// <summary>
/// Replicas converge: every node that has applied index i has the same state hash there. The first node to apply
/// an index records its hash; every later application (other nodes, or the same node replaying after a restart)
/// must match it.
/// </summary>
public sealed class ConvergenceChecker
{
    private readonly List<ulong> _hashAt = [0];

    public ulong HighestApplied => (ulong)_hashAt.Count - 1;

    public ulong HashAt(ulong index) => _hashAt[(int)index];

    public void OnApplied(ulong node, ulong index, ulong stateHash)
    {
        if (index < (ulong)_hashAt.Count)
        {
            if (_hashAt[(int)index] != stateHash)
            {
                throw new InvariantViolationException(
                    $"replicas diverged: node {node} has state hash {stateHash:x16} at applied index {index}, another node had {_hashAt[(int)index]:x16}");
            }

            return;
        }

        if (index != (ulong)_hashAt.Count)
        {
            throw new InvariantViolationException($"node {node} applied index {index} before index {_hashAt.Count} was applied anywhere");
        }

        _hashAt.Add(stateHash);
    }
}
