using Cairn.Raft.Hosting.Protocol;
using Google.Protobuf;

namespace Cairn.Raft.Hosting;

/// <summary>Turns a host round's messages for one peer into a <see cref="RaftBatch"/> and back.</summary>
public static class RaftMessageCodec
{
    /// <summary>The largest message type value this build understands; newer ones are refused, not misread.</summary>
    private const uint MaxMessageType = (uint)MessageType.TimeoutNow;

    /// <summary>Encodes messages of any groups.</summary>
    public static RaftBatch Encode(IReadOnlyList<GroupMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var batch = new RaftBatch();
        foreach (var (group, m, hibernate) in messages)
        {
            var wire = new RaftMessage
            {
                Group = group,
                Type = (uint)m.Type,
                From = m.From,
                To = m.To,
                Term = m.Term,
                LogTerm = m.LogTerm,
                Index = m.Index,
                Commit = m.Commit,
                Reject = m.Reject,
                RejectHint = m.RejectHint,
                LeaderTransfer = m.LeaderTransfer,
                Hibernate = hibernate,
            };
            if (!m.Context.IsEmpty)
            {
                wire.Context = ByteString.CopyFrom(m.Context.Span);
            }

            if (m.Snapshot is { } snapshot)
            {
                var meta = new RaftSnapshotMeta { Index = snapshot.Index, Term = snapshot.Term };
                meta.Voters.AddRange(snapshot.ConfState.Voters);
                meta.Learners.AddRange(snapshot.ConfState.Learners);
                wire.Snapshot = meta;
            }

            foreach (var entry in m.Entries)
            {
                wire.Entries.Add(new RaftEntry { Term = entry.Term, Index = entry.Index, Type = (uint)entry.Type, Data = ByteString.CopyFrom(entry.Data.Span) });
            }

            batch.Messages.Add(wire);
        }

        return batch;
    }

    /// <summary>Decodes a batch; a message of an unknown type or entry kind is refused with the reason.</summary>
    /// <exception cref="FormatException">The batch holds something this build cannot read.</exception>
    public static List<GroupMessage> Decode(RaftBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var messages = new List<GroupMessage>(batch.Messages.Count);
        foreach (var wire in batch.Messages)
        {
            if (wire.Type > MaxMessageType)
            {
                throw new FormatException($"Unknown Raft message type {wire.Type}.");
            }

            var entries = new Entry[wire.Entries.Count];
            for (var i = 0; i < entries.Length; i++)
            {
                var e = wire.Entries[i];
                if (e.Type > (uint)EntryType.ConfChange)
                {
                    throw new FormatException($"Unknown Raft entry type {e.Type}.");
                }

                entries[i] = new Entry(e.Term, e.Index, (EntryType)e.Type, e.Data.Memory);
            }

            messages.Add(new GroupMessage(wire.Group, new Message
            {
                Type = (MessageType)wire.Type,
                From = wire.From,
                To = wire.To,
                Term = wire.Term,
                LogTerm = wire.LogTerm,
                Index = wire.Index,
                Entries = entries,
                Commit = wire.Commit,
                Reject = wire.Reject,
                RejectHint = wire.RejectHint,
                LeaderTransfer = wire.LeaderTransfer,
                Context = wire.Context.Memory,
                Snapshot = wire.Snapshot is { } s ? new SnapshotMetadata(s.Index, s.Term, new ConfState(s.Voters, s.Learners)) : null,
            }, wire.Hibernate));
        }

        return messages;
    }
}
