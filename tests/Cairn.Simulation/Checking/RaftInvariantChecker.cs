using Cairn.Raft;
using Cairn.Simulation.World;

namespace Cairn.Simulation.Checking;

/// <summary>
/// Raft's safety properties, checked after every event through each node's <see cref="LogMirror"/> (what its storage
/// holds) and its <see cref="RawNode"/>:
/// <list type="bullet">
/// <item>election safety: at most one leader per term, ever;</item>
/// <item>log matching: two logs with an entry of the same index and term are identical up to it;</item>
/// <item>leader completeness: a leader of term T, when it takes office, holds every entry committed in a term
/// before T (an entry's commit term is bounded by the term of the node that first reported it committed: a
/// candidate whose votes were delayed may take office in term T after a leader of T+1 committed more, legally);</item>
/// <item>state machine safety: a committed index never changes its entry (every node's committed prefix agrees).</item>
/// </list>
/// </summary>
public sealed class RaftInvariantChecker
{
    private readonly Dictionary<ulong, ulong> _leaderOfTerm = [];
    private readonly List<ulong> _committedPrefixes = [0];

    // For each committed index: the term of the node that first reported it committed, an upper bound on the
    // term in which it was committed.
    private readonly List<ulong> _committedSeenInTerm = [0];

    /// <summary>The highest index any node has known to be committed.</summary>
    public ulong CommittedIndex => (ulong)_committedPrefixes.Count - 1;

    public int TermsWithLeader => _leaderOfTerm.Count;

    public ulong CommittedPrefixAt(ulong index) => _committedPrefixes[(int)index];

    public bool LedTerm(ulong term, out ulong leader) => _leaderOfTerm.TryGetValue(term, out leader);

    /// <summary>Log matching for entries <paramref name="node"/> just persisted, against every other running node.</summary>
    public void OnAppended(SimNode node, ulong first, ulong last, IEnumerable<SimNode> nodes)
    {
        foreach (var other in nodes)
        {
            if (other == node || other.Status != NodeStatus.Up)
            {
                continue;
            }

            var top = Math.Min(last, other.Mirror.LastIndex);
            for (var index = first; index <= top; index++)
            {
                if (other.Mirror.TermAt(index) == node.Mirror.TermAt(index) && other.Mirror.PrefixAt(index) != node.Mirror.PrefixAt(index))
                {
                    throw new InvariantViolationException(
                        $"log matching: nodes {node.Id} and {other.Id} both hold an entry of term {node.Mirror.TermAt(index)} at index {index}, but their logs differ before it");
                }
            }
        }
    }

    /// <summary>Checks a node's role and commit index after it handled an event.</summary>
    public void AfterEvent(SimNode node)
    {
        var raft = node.Raft;
        if (raft is null || node.Status != NodeStatus.Up)
        {
            return;
        }

        if (raft.Role == RaftRole.Leader)
        {
            if (_leaderOfTerm.TryGetValue(raft.Term, out var other))
            {
                if (other != node.Id)
                {
                    throw new InvariantViolationException($"election safety: nodes {other} and {node.Id} both led term {raft.Term}");
                }
            }
            else
            {
                _leaderOfTerm[raft.Term] = node.Id;
                var committed = CommittedIndex;
                while (committed > 0 && _committedSeenInTerm[(int)committed] >= raft.Term)
                {
                    committed--;
                }

                if (node.Mirror.LastIndex < committed || node.Mirror.PrefixAt(committed) != _committedPrefixes[(int)committed])
                {
                    throw new InvariantViolationException(
                        $"leader completeness: node {node.Id} became leader of term {raft.Term} without the log committed before its term, up to index {committed} (its log ends at {node.Mirror.LastIndex})");
                }
            }
        }

        var commit = raft.CommitIndex;
        if (commit > node.Mirror.LastIndex)
        {
            throw new InvariantViolationException($"node {node.Id} commits index {commit} beyond its persisted log (last index {node.Mirror.LastIndex})");
        }

        var known = Math.Min(commit, CommittedIndex);
        if (node.Mirror.PrefixAt(known) != _committedPrefixes[(int)known])
        {
            throw new InvariantViolationException($"state machine safety: node {node.Id}'s committed log up to index {known} differs from what was committed before");
        }

        for (var index = CommittedIndex + 1; index <= commit; index++)
        {
            _committedPrefixes.Add(node.Mirror.PrefixAt(index));
            _committedSeenInTerm.Add(raft.Term);
        }
    }
}
