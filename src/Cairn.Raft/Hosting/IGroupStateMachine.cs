namespace Cairn.Raft.Hosting;

/// <summary>
/// What a <see cref="RaftHost"/> applies a group's committed commands to. Deterministic: every replica applies the
/// same commands in the same order and must reach the same state. Called on the host's loop thread.
/// </summary>
public interface IGroupStateMachine
{
    /// <summary>Applies the command committed at <paramref name="index"/>; the result goes back to its proposer.</summary>
    byte[]? Apply(ulong index, ReadOnlyMemory<byte> command);

    /// <summary>
    /// Writes the whole state, as of the last command applied, to <paramref name="destination"/>. The host keeps it
    /// as the group's snapshot (so its log can be compacted) and streams it to followers too far behind.
    /// </summary>
    void WriteSnapshot(Stream destination);

    /// <summary>
    /// Captures the state as of the last command applied, on the host's loop thread, and returns what writes it: the
    /// host calls that on another thread, while it applies further commands, so it must not read the live state. The
    /// default serializes the whole state into memory now; a state machine with a cheap point-in-time view (an
    /// immutable state, a storage snapshot) should override it and write from that view instead.
    /// </summary>
    Action<Stream> CaptureSnapshot()
    {
        var captured = new MemoryStream();
        WriteSnapshot(captured);
        return destination => destination.Write(captured.GetBuffer().AsSpan(0, (int)captured.Length));
    }

    /// <summary>
    /// Replaces the whole state with what <see cref="WriteSnapshot"/> wrote to <paramref name="source"/> (on any
    /// replica). The bytes were verified against their checksum before this is called.
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a snapshot of this kind of state machine.</exception>
    void RestoreSnapshot(Stream source);
}
