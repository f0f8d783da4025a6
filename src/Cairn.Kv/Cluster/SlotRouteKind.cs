namespace Cairn.Kv.Cluster;

/// <summary>What a node does with a command for a slot (Redis Cluster's redirections).</summary>
public enum SlotRouteKind
{
    /// <summary>This node serves the slot: run the command here.</summary>
    Local,

    /// <summary>Another node owns the slot: reply <c>-MOVED slot host:port</c>.</summary>
    Moved,

    /// <summary>The slot is migrating and this key may already be at the target: reply <c>-ASK slot host:port</c>.</summary>
    Ask,

    /// <summary>The slot is in the final step of a migration: reply <c>-TRYAGAIN</c>, the client retries shortly.</summary>
    TryAgain,

    /// <summary>No live quorum serves the slot: reply <c>-CLUSTERDOWN</c>.</summary>
    Down,
}
