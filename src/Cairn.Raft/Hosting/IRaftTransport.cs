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
}
