namespace Cairn.Simulation.Checking;

/// <summary>
/// Replicas converge, and operations take effect exactly once. Every node that has applied index i has the same
/// state hash there: the first node to apply an index records its hash; every later application (other nodes, or
/// the same node replaying after a restart) must match it.
/// </summary>
public sealed class ConvergenceChecker
{
    private readonly List<ulong> _hashAt = [0];
    private readonly Dictionary<long, ulong> _tookEffectAt = [];

    public ulong HighestApplied => (ulong)_hashAt.Count - 1;

    public ulong HashAt(ulong index) => _hashAt[(int)index];

    /// <summary>The log index at which an operation took effect, or null if it never did.</summary>
    public ulong? TookEffectAt(long opId) => _tookEffectAt.TryGetValue(opId, out var index) ? index : null;

    /// <summary>
    /// Exactly once: a client operation takes effect at one log index only, however many times retries put it in
    /// the log (a node replaying its log after a restart takes effect at the same index again, which is fine).
    /// </summary>
    public void OnTookEffect(ulong node, long opId, ulong index)
    {
        if (_tookEffectAt.TryAdd(opId, index) || _tookEffectAt[opId] == index)
        {
            return;
        }

        throw new InvariantViolationException(
            $"exactly once: operation c{opId >> 32}#{(int)opId} took effect at index {index} on node {node}, and before at index {_tookEffectAt[opId]}");
    }

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
