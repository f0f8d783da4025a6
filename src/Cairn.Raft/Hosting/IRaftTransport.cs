namespace Cairn.Raft.Hosting;

/// <summary>
/// Carries a <see cref="RaftHost"/>'s messages to other nodes. The host calls <see cref="Send"/> from its loop
/// thread with every message of a round for one node together, so an implementation can write them as one frame;
/// it must not block for long (queue, and drop when the peer is unreachable: Raft retries).
/// </summary>
public interface IRaftTransport
{
    /// <summary>Sends <paramref name="messages"/> (of any groups) to node <paramref name="to"/>, best effort.</summary>
    void Send(ulong to, IReadOnlyList<GroupMessage> messages);

    /// <summary>
    /// Streams a snapshot to node <paramref name="to"/> in the background: <paramref name="message"/> (a
    /// <see cref="MessageType.Snapshot"/> naming it) with the snapshot file's bytes from <paramref name="data"/> beside
    /// it, for the receiving host's <see cref="RaftHost.ReceiveSnapshotAsync(GroupMessage, Stream, CancellationToken)"/>. Calls <paramref name="completed"/> once,
    /// from any thread: true when the receiver stored and verified the bytes, false when the transfer failed. Owns and
    /// disposes <paramref name="data"/>. Must not block the caller.
    /// </summary>
    /// <remarks>A transport that cannot stream reports failure, and the leader keeps probing.</remarks>
    void SendSnapshot(ulong to, GroupMessage message, Stream data, Action<bool> completed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(completed);
        data.Dispose();
        completed(false);
    }
}
