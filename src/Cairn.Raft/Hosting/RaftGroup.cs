using Cairn.Raft.Storage;

namespace Cairn.Raft.Hosting;

/// <summary>One group inside a <see cref="RaftHost"/>: its core, log, state machine and waiting proposals.</summary>
internal sealed class RaftGroup(ulong id, RawNode node, GroupLog log, IGroupStateMachine machine, SnapshotStore snapshots)
{
    // The loop thread writes the group's own snapshots and a transport thread receives a leader's, into one store:
    // the two never run at once, so their files cannot collide.
    private readonly Lock _snapshotLock = new();
    private bool _receiving;
    private bool _writing;

    public ulong Id { get; } = id;

    public RawNode Node { get; } = node;

    public GroupLog Log { get; } = log;

    public IGroupStateMachine Machine { get; } = machine;

    /// <summary>The group's voters and learners as this node knows them (hibernation notices go to them).</summary>
    public IReadOnlyList<ulong> Members { get; private set; } = [];

    /// <summary>Takes the membership from the core, after a change is applied or a snapshot installed.</summary>
    public void UpdateMembers() => Members = [.. Node.ConfState.Members];

    /// <summary>Proposals appended by this node as leader, by index, until an entry at that index is applied.</summary>
    public Dictionary<ulong, (ulong Term, TaskCompletionSource<byte[]?> Done)> Pending { get; } = [];

    public ulong Applied { get; set; }

    /// <summary>Proposals gathered in the current round, proposed together at its end.</summary>
    public List<RaftHost.Input.Propose>? Proposals { get; set; }

    /// <summary>Whether the group stopped ticking because it is idle (leader) or its leader said so (follower).</summary>
    public bool Hibernating { get; private set; }

    /// <summary>Ticks since the group last did anything (led by this node).</summary>
    public int IdleTicks { get; set; }

    /// <summary>Stops ticking until <see cref="Wake"/>.</summary>
    public void Hibernate()
    {
        Hibernating = true;
        IdleTicks = 0;
    }

    /// <summary>Anything arrived for the group: tick it again.</summary>
    public void Wake()
    {
        Hibernating = false;
        IdleTicks = 0;
    }

    public RaftGroupStatus Status => new(
        Id, Node.Role, Node.Term, Node.LeaderId, Node.CommitIndex, Applied, Node.LastIndex, Hibernating, Log.FirstIndex, Log.Snapshot.IsEmpty ? null : Log.Snapshot, Node.ConfState,
        Node.Role == RaftRole.Leader ? Node.MatchIndexes() : null);

    /// <summary>Applies committed entries and answers the proposals they carry.</summary>
    public void Apply(IReadOnlyList<Entry> committed)
    {
        foreach (var entry in committed)
        {
            if (entry.Index <= Applied)
            {
                continue;
            }

            byte[]? result = null;
            Exception? failure = null;
            if (entry.Type == EntryType.Normal && !entry.Data.IsEmpty)
            {
                try
                {
                    result = Machine.Apply(entry.Index, entry.Data);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
                {
                    // A command the state machine refuses is refused the same way on every replica: report it.
                    failure = e;
                }
            }

            Applied = entry.Index;
            if (Pending.Remove(entry.Index, out var pending))
            {
                if (pending.Term != entry.Term)
                {
                    pending.Done.TrySetException(new ProposalDroppedException());
                }
                else if (failure is not null)
                {
                    pending.Done.TrySetException(failure);
                }
                else
                {
                    pending.Done.TrySetResult(result);
                }
            }
        }
    }

    /// <summary>The snapshot being written in the background, or null.</summary>
    public Task? SnapshotWrite { get; set; }

    /// <summary>Callers of <see cref="RaftHost.SnapshotAsync"/> waiting for <see cref="SnapshotWrite"/> to be recorded.</summary>
    public List<TaskCompletionSource<SnapshotMetadata>> SnapshotWaiters { get; } = [];

    /// <summary>
    /// Writes a captured snapshot on the thread pool, unless one is arriving from a leader; null when it is. The store
    /// stays claimed until the write ends, so no leader's snapshot is received meanwhile.
    /// </summary>
    public Task? WriteSnapshotInBackground(SnapshotMetadata snapshot, Action<Stream> capture)
    {
        lock (_snapshotLock)
        {
            if (_receiving || _writing)
            {
                return null;
            }

            _writing = true;
        }

        return Task.Run(() =>
        {
            try
            {
                snapshots.Write(snapshot, capture);
            }
            finally
            {
                lock (_snapshotLock)
                {
                    _writing = false;
                }
            }
        });
    }

    /// <summary>Claims the store for a snapshot arriving from a leader; false while another arrives or one is written.</summary>
    public bool TryBeginReceive()
    {
        lock (_snapshotLock)
        {
            if (_receiving || _writing)
            {
                return false;
            }

            _receiving = true;
            return true;
        }
    }

    /// <summary>Starts writing an arriving snapshot (after <see cref="TryBeginReceive"/>).</summary>
    public SnapshotReceiver BeginReceive(SnapshotMetadata snapshot) => snapshots.BeginReceive(snapshot);

    /// <summary>Verifies and publishes an arrived snapshot.</summary>
    public void CompleteReceive(SnapshotReceiver receiver) => receiver.Complete();

    /// <summary>Releases the claim of <see cref="TryBeginReceive"/>.</summary>
    public void EndReceive()
    {
        lock (_snapshotLock)
        {
            _receiving = false;
        }
    }

    /// <summary>Opens a snapshot file to stream it to a follower.</summary>
    public Stream OpenSnapshot(SnapshotMetadata snapshot) => snapshots.OpenRead(snapshot);

    /// <summary>Deletes snapshot files older than <paramref name="keep"/>, which the log now names.</summary>
    public void DeleteSnapshotsOlderThan(SnapshotMetadata keep) => snapshots.DeleteOlderThan(keep);

    /// <summary>
    /// After the log installed a leader's snapshot durably: replaces the state machine with it. Proposals this node
    /// appended at indexes the snapshot covers may or may not be in it, so their callers learn exactly that.
    /// </summary>
    public void RestoreFrom(SnapshotMetadata snapshot)
    {
        snapshots.Restore(snapshot, Machine.RestoreSnapshot);
        Applied = snapshot.Index;
        foreach (var index in Pending.Keys.Where(i => i <= snapshot.Index).ToList())
        {
            Pending.Remove(index, out var pending);
            pending.Done.TrySetException(new ProposalOutcomeUnknownException());
        }

        UpdateMembers();
        snapshots.DeleteOlderThan(snapshot);
    }

    /// <summary>Reads waiting for their ReadIndex round, by context sequence number.</summary>
    public Dictionary<ulong, TaskCompletionSource<ulong>> Reads { get; } = [];

    /// <summary>Reads whose index is confirmed, waiting for this node to apply up to it.</summary>
    private List<(ulong Index, TaskCompletionSource<ulong> Done)> ConfirmedReads { get; } = [];

    /// <summary>Takes the core's confirmed read indexes and answers every read whose index is applied.</summary>
    public void ConfirmReads(IReadOnlyList<ReadState> states)
    {
        foreach (var state in states)
        {
            if (state.Context.Length == 8 && Reads.Remove(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(state.Context.Span), out var done))
            {
                ConfirmedReads.Add((state.Index, done));
            }
        }

        ConfirmedReads.RemoveAll(read =>
        {
            if (read.Index > Applied)
            {
                return false;
            }

            read.Done.TrySetResult(read.Index);
            return true;
        });
    }

    /// <summary>This node no longer leads: reads not yet confirmed will never be, so their callers must retry.</summary>
    public void FailReads()
    {
        foreach (var done in Reads.Values)
        {
            done.TrySetException(new NotLeaderException(Id, Node.LeaderId));
        }

        Reads.Clear();
    }

    /// <summary>Fails every waiting proposal, for a host that stops.</summary>
    public void FailPending(Exception reason)
    {
        foreach (var (_, pending) in Pending)
        {
            pending.Done.TrySetException(reason);
        }

        Pending.Clear();
        foreach (var done in Reads.Values)
        {
            done.TrySetException(reason);
        }

        Reads.Clear();
        ConfirmedReads.ForEach(read => read.Done.TrySetException(reason));
        ConfirmedReads.Clear();
        SnapshotWaiters.ForEach(waiter => waiter.TrySetException(reason));
        SnapshotWaiters.Clear();
    }
}
