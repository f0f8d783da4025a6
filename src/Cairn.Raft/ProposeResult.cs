namespace Cairn.Raft;

/// <summary>The outcome of <see cref="RawNode.Propose"/>.</summary>
/// <param name="Accepted">Whether this node is leader and appended the entry. Accepted is not committed.</param>
/// <param name="Index">The index of the appended entry, or 0 when not accepted.</param>
/// <param name="Term">The term of the appended entry, or 0 when not accepted.</param>
/// <param name="LeaderId">The leader this node knows of (itself when accepted), or 0 if it knows none.</param>
public readonly record struct ProposeResult(bool Accepted, ulong Index, ulong Term, ulong LeaderId)
{
    /// <summary>Why the proposal was not appended (<see cref="ProposeRefusal.None"/> when accepted).</summary>
    public ProposeRefusal Refusal { get; init; }

    /// <summary>The proposal was refused because this node is not the leader.</summary>
    /// <param name="leaderId">The leader this node knows of, or 0.</param>
    public static ProposeResult NotLeader(ulong leaderId) => new(false, 0, 0, leaderId) { Refusal = ProposeRefusal.NotLeader };

    /// <summary>The leader refused the proposal, for <paramref name="refusal"/>.</summary>
    internal static ProposeResult Refused(ulong leaderId, ProposeRefusal refusal) => new(false, 0, 0, leaderId) { Refusal = refusal };
}
