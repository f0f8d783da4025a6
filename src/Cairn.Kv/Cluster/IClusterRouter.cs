namespace Cairn.Kv.Cluster;

/// <summary>
/// What the RESP front end asks in cluster mode: where a slot is served, and what the cluster looks like for the
/// <c>CLUSTER</c> commands. Implemented by the node over its cached copy of the control group's state and the
/// leadership of its local shard groups. Thread-safe and cheap: it is asked once per keyed command.
/// </summary>
public interface IClusterRouter
{
    /// <summary>Where a command touching <paramref name="slot"/> must run.</summary>
    /// <param name="slot">The key's hash slot, 0..16383.</param>
    /// <param name="write">Whether the command writes.</param>
    /// <param name="readOnlyConnection">The connection sent <c>READONLY</c>: reads may be served by any replica.</param>
    /// <param name="asking">The command follows <c>ASKING</c>: a slot being imported here is served here.</param>
    SlotRoute Route(int slot, bool write, bool readOnlyConnection, bool asking);

    /// <summary>The cluster as this node knows it now.</summary>
    ClusterTopology Topology();
}
