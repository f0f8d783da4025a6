namespace Cairn.Raft.Hosting;

/// <summary>
/// What a <see cref="RaftHost"/> applies a group's committed commands to. Deterministic: every replica applies the
/// same commands in the same order and must reach the same state. Called on the host's loop thread.
/// </summary>
public interface IGroupStateMachine
{
    /// <summary>Applies the command committed at <paramref name="index"/>; the result goes back to its proposer.</summary>
    byte[]? Apply(ulong index, ReadOnlyMemory<byte> command);
}
