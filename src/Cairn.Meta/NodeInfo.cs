namespace Cairn.Meta;

/// <summary>A node as the control group records it.</summary>
/// <param name="Id">The node's id; never 0.</param>
/// <param name="RaftAddress">Where peers reach its internal RPC (host:port).</param>
/// <param name="ClientAddress">Where clients reach it (host:port), as <c>CLUSTER SLOTS</c> reports it.</param>
/// <param name="Roles">Its roles.</param>
/// <param name="FailureDomain">Its rack or zone; replicas of one group spread over domains when they can.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="LastSeenMs">The latest heartbeat time (Unix ms, the proposer's clock); 0 before the first.</param>
public sealed record NodeInfo(
    ulong Id,
    string RaftAddress,
    string ClientAddress,
    NodeRoles Roles,
    string FailureDomain,
    NodeState State,
    long LastSeenMs)
{
    /// <summary>Whether the node may take new replicas: up and a KV node.</summary>
    public bool IsPlacementTarget => State == NodeState.Up && (Roles & NodeRoles.Kv) != 0;
}
