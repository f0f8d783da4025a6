namespace Cairn.Raft;

/// <summary>One entry of the replicated log.</summary>
/// <param name="Term">The leader's term when the entry was created.</param>
/// <param name="Index">The entry's position in the log, starting at 1.</param>
/// <param name="Type">What the entry carries.</param>
/// <param name="Data">The command bytes; empty for a leader's no-op.</param>
public readonly record struct Entry(ulong Term, ulong Index, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>The bytes the entry counts for when an append message is bounded by size.</summary>
    internal long Size => Data.Length + 24;
}
