namespace Cairn.Raft;

/// <summary>The state a node must persist before it sends any message: losing it could break election safety.</summary>
/// <param name="Term">The latest term the node has seen.</param>
/// <param name="Vote">The node it voted for in <paramref name="Term"/>, or 0 for none.</param>
/// <param name="Commit">The highest log index known to be committed.</param>
public readonly record struct HardState(ulong Term, ulong Vote, ulong Commit)
{
    /// <summary>The state of a node that has never run.</summary>
    public static HardState Empty => default;
}
