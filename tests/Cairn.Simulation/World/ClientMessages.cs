using Cairn.Simulation.Kv;

namespace Cairn.Simulation.World;

/// <summary>A client's request to a node.</summary>
public sealed record ClientRequest(int Client, KvCommand Command);

/// <summary>A node's answer: the result, or "not the leader" with the leader it knows of (0 for none).</summary>
public sealed record ClientReply(int Seq, bool NotLeader, ulong LeaderHint, KvResult Result);
