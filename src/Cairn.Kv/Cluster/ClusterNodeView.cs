namespace Cairn.Kv.Cluster;

/// <summary>One node as the <c>CLUSTER</c> commands show it.</summary>
/// <param name="Id">The node's name in Redis's form: 40 lowercase hex characters.</param>
/// <param name="Host">The host clients reach its RESP port at.</param>
/// <param name="Port">Its RESP port.</param>
/// <param name="BusPort">Its internal (Raft/RPC) port, shown where Redis shows the cluster bus port.</param>
/// <param name="Myself">Whether it is the node answering.</param>
/// <param name="Connected">Whether it is up as far as the cluster knows.</param>
/// <param name="ConfigEpoch">The epoch shown for it in <c>CLUSTER NODES</c>.</param>
public sealed record ClusterNodeView(string Id, string Host, int Port, int BusPort, bool Myself, bool Connected, ulong ConfigEpoch);
