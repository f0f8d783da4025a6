namespace Cairn.Raft;

/// <summary>The settings of one Raft node. <see cref="Validate"/> refuses nonsense before a node is built.</summary>
public sealed record RaftConfig
{
    /// <summary>The largest group this core accepts; a bound, not a recommendation.</summary>
    public const int MaxPeers = 15;

    /// <summary>This node's id; never 0 (0 means "none").</summary>
    public ulong Id { get; init; }

    /// <summary>
    /// The group's bootstrap voters: the membership before index 1, the same on every node of the group. The
    /// membership in force comes from the log after that (see <see cref="RawNode.ConfState"/>) or from a snapshot.
    /// A node added later is created with the same bootstrap voters, which need not include it: it is not a member,
    /// and never campaigns, until the leader's log or snapshot makes it one.
    /// </summary>
    public IReadOnlyList<ulong> Peers { get; init; } = [];

    /// <summary>
    /// The last index the host's state machine has applied (what it restored, plus what it applied since), so a
    /// restarted node does not hand out entries again from index 1. At least the stored snapshot's index is assumed.
    /// </summary>
    public ulong Applied { get; init; }

    /// <summary>Whether a follower refuses proposals instead of forwarding them to the leader it knows.</summary>
    public bool DisableProposalForwarding { get; init; }

    /// <summary>How the leader confirms its leadership for <see cref="RawNode.ReadIndex"/>.</summary>
    public ReadOnlyOption ReadOnlyOption { get; init; } = ReadOnlyOption.Safe;

    /// <summary>Ticks a follower waits without hearing from a leader before it campaigns (randomized in [n, 2n)).</summary>
    public int ElectionTick { get; init; } = 10;

    /// <summary>Ticks between a leader's heartbeats; must be less than <see cref="ElectionTick"/>.</summary>
    public int HeartbeatTick { get; init; } = 1;

    /// <summary>Whether a node first checks it could win before raising its term, so a rejoining node cannot disrupt a leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>Whether a leader steps down when it has not heard from a quorum within an election timeout.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>How many append messages may be in flight to one follower in the replicate state.</summary>
    public int MaxInflightMessages { get; init; } = 64;

    /// <summary>The most entry bytes one append message carries (at least one entry is always sent).</summary>
    public long MaxBytesPerAppend { get; init; } = 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> if the settings cannot work.</summary>
    public void Validate()
    {
        if (Id == 0)
        {
            throw new ArgumentException("The node id must not be 0: 0 means 'no node'.");
        }

        if (Peers.Count == 0 || Peers.Count > MaxPeers)
        {
            throw new ArgumentException($"A group has 1 to {MaxPeers} voters, not {Peers.Count}.");
        }

        if (Peers.Contains(0UL))
        {
            throw new ArgumentException("A peer id must not be 0.");
        }

        if (Peers.Distinct().Count() != Peers.Count)
        {
            throw new ArgumentException("Peer ids must be distinct.");
        }

        if (ReadOnlyOption == ReadOnlyOption.LeaseBased && !CheckQuorum)
        {
            throw new ArgumentException("Lease-based reads need check-quorum: without it a deposed leader would not know its lease ended.");
        }

        if (HeartbeatTick <= 0)
        {
            throw new ArgumentException("The heartbeat tick must be positive.");
        }

        if (ElectionTick <= HeartbeatTick || ElectionTick > 1_000_000)
        {
            throw new ArgumentException("The election tick must be greater than the heartbeat tick (and at most 1,000,000).");
        }

        if (MaxInflightMessages is <= 0 or > 65_536)
        {
            throw new ArgumentException("Max inflight messages must be in [1, 65536].");
        }

        if (MaxBytesPerAppend is <= 0 or > 256L * 1024 * 1024)
        {
            throw new ArgumentException("Max bytes per append must be in [1, 256 MiB].");
        }
    }
}
