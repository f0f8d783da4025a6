using System.Collections.Immutable;

namespace Cairn.Meta;

/// <summary>A KV shard group: a Raft group that owns some slots.</summary>
/// <param name="Id">The group's id (also its Raft group id); never 0.</param>
/// <param name="Voters">The voting replicas' node ids, ascending; never empty.</param>
/// <param name="Learners">The catching-up replicas' node ids, ascending; at most one (one change at a time).</param>
/// <param name="LeaderHint">The last reported leader (a voter), or 0 when unknown. A hint: it may be stale.</param>
/// <param name="LeaderTerm">The Raft term of <paramref name="LeaderHint"/>; older reports are ignored.</param>
/// <param name="ConfVersion">Bumped by every replica change, so a reader can tell two placements apart.</param>
public sealed record ShardGroup(
    ulong Id,
    ImmutableArray<ulong> Voters,
    ImmutableArray<ulong> Learners,
    ulong LeaderHint,
    ulong LeaderTerm,
    ulong ConfVersion)
{
    /// <summary>Whether <paramref name="nodeId"/> holds a replica (voter or learner) of this group.</summary>
    public bool HasReplica(ulong nodeId) => Voters.Contains(nodeId) || Learners.Contains(nodeId);

    /// <summary>Voters and learners together.</summary>
    public int ReplicaCount => Voters.Length + Learners.Length;

    /// <summary>Equal when every field is, comparing the replica lists element by element.</summary>
    public bool Equals(ShardGroup? other) =>
        other is not null
        && Id == other.Id
        && Voters.SequenceEqual(other.Voters)
        && Learners.SequenceEqual(other.Learners)
        && LeaderHint == other.LeaderHint
        && LeaderTerm == other.LeaderTerm
        && ConfVersion == other.ConfVersion;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Id, Voters.Length, Learners.Length, LeaderHint, LeaderTerm, ConfVersion);
}
