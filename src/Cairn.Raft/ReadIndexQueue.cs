using System.Buffers.Binary;

namespace Cairn.Raft;

/// <summary>
/// A leader's linearizable reads waiting for a quorum to confirm its leadership (etcd's readOnly). Each read is a
/// round: the leader notes its commit index, sends a heartbeat carrying the round number, and once a quorum of
/// voters answers that heartbeat, every read of that round and of earlier rounds is confirmed — an answer proves the
/// voter still followed this leader after the read arrived, so no newer leader could have committed anything then.
/// </summary>
internal sealed class ReadIndexQueue
{
    private readonly List<PendingRead> _pending = [];
    private ulong _lastRound;

    public int Count => _pending.Count;

    /// <summary>Queues a read at <paramref name="index"/> for <paramref name="from"/>; returns the heartbeat context of its round.</summary>
    public ReadOnlyMemory<byte> Add(ulong index, ReadOnlyMemory<byte> context, ulong from, ulong self)
    {
        var round = ++_lastRound;
        var read = new PendingRead(round, index, context, from);
        read.Acks.Add(self);
        _pending.Add(read);
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, round);
        return bytes;
    }

    /// <summary>
    /// Counts <paramref name="voter"/>'s answer to the heartbeat of the round in <paramref name="heartbeatContext"/>;
    /// returns the reads now confirmed (that round's and every earlier one), in order, or an empty list.
    /// </summary>
    public IReadOnlyList<PendingRead> Ack(ReadOnlySpan<byte> heartbeatContext, ulong voter, ConfState membership)
    {
        if (heartbeatContext.Length != 8 || !membership.IsVoter(voter))
        {
            return [];
        }

        var round = BinaryPrimitives.ReadUInt64LittleEndian(heartbeatContext);
        var at = _pending.FindIndex(r => r.Round == round);
        if (at < 0)
        {
            return [];
        }

        var read = _pending[at];
        read.Acks.Add(voter);
        if (read.Acks.Count(membership.IsVoter) < membership.Quorum)
        {
            return [];
        }

        var confirmed = _pending.GetRange(0, at + 1);
        _pending.RemoveRange(0, at + 1);
        return confirmed;
    }

    /// <summary>Confirms every queued read at once: a single-voter group needs no round.</summary>
    public IReadOnlyList<PendingRead> TakeAll()
    {
        var all = _pending.ToList();
        _pending.Clear();
        return all;
    }

    /// <summary>Leadership ended: the reads are dropped, and their callers retry.</summary>
    public void Clear() => _pending.Clear();

    internal sealed record PendingRead(ulong Round, ulong Index, ReadOnlyMemory<byte> Context, ulong From)
    {
        public HashSet<ulong> Acks { get; } = [];
    }
}
