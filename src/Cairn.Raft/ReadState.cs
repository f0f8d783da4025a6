namespace Cairn.Raft;

/// <summary>
/// A linearizable read's answer (<see cref="RawNode.ReadIndex"/>): once this node has applied <see cref="Index"/>, the
/// host may serve the read identified by <see cref="Context"/> from its state machine.
/// </summary>
/// <param name="Index">The commit index the leader held when the read arrived, confirmed by a quorum afterwards.</param>
/// <param name="Context">The bytes the caller passed to <see cref="RawNode.ReadIndex"/>.</param>
public readonly record struct ReadState(ulong Index, ReadOnlyMemory<byte> Context);
