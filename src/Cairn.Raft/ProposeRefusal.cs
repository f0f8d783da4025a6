namespace Cairn.Raft;

/// <summary>Why <see cref="RawNode.Propose"/> or <see cref="RawNode.ProposeConfChange"/> did not append an entry.</summary>
public enum ProposeRefusal
{
    /// <summary>Not refused: the entry was appended.</summary>
    None = 0,

    /// <summary>This node is not the leader (and did not forward the proposal).</summary>
    NotLeader = 1,

    /// <summary>
    /// This node is not the leader and forwarded the proposal to <see cref="ProposeResult.LeaderId"/>, which may
    /// lose it or append it. Its outcome is unknown: a host that also retries it elsewhere must make commands
    /// idempotent (e.g. by request id), or set <see cref="RaftConfig.DisableProposalForwarding"/>.
    /// </summary>
    Forwarded = 2,

    /// <summary>An earlier membership change (or the new leader's first entry) is not committed yet: retry later.</summary>
    ConfChangePending = 3,

    /// <summary>The membership change does nothing or would leave the group without a voter.</summary>
    ConfChangeInvalid = 4,

    /// <summary>The leader is handing leadership over and accepts no proposals until that ends.</summary>
    TransferringLeadership = 5,
}
