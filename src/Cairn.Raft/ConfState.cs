namespace Cairn.Raft;

/// <summary>
/// A group's membership: the voters (who elect and whose majority commits) and the learners (who only receive the
/// log). Immutable; ids are kept sorted and a node is in at most one of the two lists.
/// </summary>
public sealed class ConfState : IEquatable<ConfState>
{
    /// <summary>Builds a membership; ids are sorted, and must be non-zero, distinct and in only one list.</summary>
    /// <exception cref="ArgumentException">An id is 0, repeated, or both a voter and a learner.</exception>
    public ConfState(IEnumerable<ulong> voters, IEnumerable<ulong>? learners = null)
    {
        ArgumentNullException.ThrowIfNull(voters);
        var v = voters.Order().ToArray();
        var l = (learners ?? []).Order().ToArray();
        var all = v.Concat(l).ToArray();
        if (all.Contains(RawNode.None))
        {
            throw new ArgumentException("A member id must not be 0.");
        }

        if (all.Distinct().Count() != all.Length)
        {
            throw new ArgumentException($"Member ids must be distinct and in one list only: voters [{string.Join(", ", v)}], learners [{string.Join(", ", l)}].");
        }

        Voters = v;
        Learners = l;
    }

    /// <summary>The membership before any configuration is known: no one.</summary>
    public static ConfState Empty { get; } = new([]);

    /// <summary>The voters, in id order.</summary>
    public IReadOnlyList<ulong> Voters { get; }

    /// <summary>The learners, in id order.</summary>
    public IReadOnlyList<ulong> Learners { get; }

    /// <summary>Voters and learners, in that order.</summary>
    public IEnumerable<ulong> Members => Voters.Concat(Learners);

    /// <summary>How many voters make a majority.</summary>
    public int Quorum => (Voters.Count / 2) + 1;

    /// <summary>Whether <paramref name="id"/> is a voter.</summary>
    public bool IsVoter(ulong id) => Voters.Contains(id);

    /// <summary>Whether <paramref name="id"/> is a learner.</summary>
    public bool IsLearner(ulong id) => Learners.Contains(id);

    /// <summary>Whether <paramref name="id"/> is a voter or a learner.</summary>
    public bool Contains(ulong id) => IsVoter(id) || IsLearner(id);

    /// <summary>
    /// The membership after <paramref name="change"/>, or null when the change does nothing or would leave the group
    /// without a voter. A null result is what every node computes for the same entry, so it is applied as a no-op.
    /// </summary>
    public ConfState? TryApply(ConfChange change)
    {
        var id = change.NodeId;
        var voters = Voters.ToList();
        var learners = Learners.ToList();
        switch (change.Type)
        {
            case ConfChangeType.AddVoter when IsVoter(id):
            case ConfChangeType.AddLearner when IsLearner(id):
            case ConfChangeType.RemoveNode when !Contains(id):
                return null;
            case ConfChangeType.AddVoter:
                learners.Remove(id);
                voters.Add(id);
                break;
            case ConfChangeType.AddLearner:
                voters.Remove(id);
                learners.Add(id);
                break;
            case ConfChangeType.RemoveNode:
                voters.Remove(id);
                learners.Remove(id);
                break;
            default:
                return null;
        }

        return voters.Count == 0 ? null : new ConfState(voters, learners);
    }

    /// <inheritdoc/>
    public bool Equals(ConfState? other) =>
        other is not null && Voters.SequenceEqual(other.Voters) && Learners.SequenceEqual(other.Learners);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ConfState);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var id in Voters)
        {
            hash.Add(id);
        }

        hash.Add(-1);
        foreach (var id in Learners)
        {
            hash.Add(id);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => $"voters [{string.Join(", ", Voters)}], learners [{string.Join(", ", Learners)}]";
}
