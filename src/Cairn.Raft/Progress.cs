namespace Cairn.Raft;

/// <summary>A leader's view of one follower's log (after etcd-io/raft's tracker.Progress).</summary>
internal sealed class Progress
{
    public Progress(ulong next, int maxInflight)
    {
        Next = next;
        Inflights = new Inflights(maxInflight);
    }

    /// <summary>The highest index known to match the leader's log.</summary>
    public ulong Match { get; private set; }

    /// <summary>The next index to send. Invariant: Match &lt; Next.</summary>
    public ulong Next { get; private set; }

    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>In the probe state: an append is outstanding, so wait for its answer or a heartbeat response.</summary>
    public bool ProbeSent { get; set; }

    /// <summary>Whether the follower answered since the last check-quorum round.</summary>
    public bool RecentActive { get; set; }

    public Inflights Inflights { get; }

    /// <summary>In the snapshot state: the index of the snapshot sent, which the follower must install first.</summary>
    public ulong PendingSnapshot { get; private set; }

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.Full,
        _ => true,
    };

    public void BecomeProbe()
    {
        // After a snapshot the follower holds at least the snapshot (if it installed it): probe right after it.
        Next = State == ProgressState.Snapshot ? Math.Max(Match + 1, PendingSnapshot + 1) : Match + 1;
        State = ProgressState.Probe;
        PendingSnapshot = 0;
        ProbeSent = false;
        Inflights.Reset();
    }

    /// <summary>The follower needs compacted entries: a snapshot at <paramref name="index"/> was sent; wait for it.</summary>
    public void BecomeSnapshot(ulong index)
    {
        State = ProgressState.Snapshot;
        PendingSnapshot = index;
        Next = index + 1;
        ProbeSent = false;
        Inflights.Reset();
    }

    /// <summary>The host could not deliver the snapshot: forget it, so the next probe decides afresh.</summary>
    public void SnapshotFailed() => PendingSnapshot = 0;

    public void BecomeReplicate()
    {
        State = ProgressState.Replicate;
        Next = Match + 1;
        PendingSnapshot = 0;
        ProbeSent = false;
        Inflights.Reset();
    }

    /// <summary>The follower acknowledged <paramref name="index"/>; returns whether Match moved.</summary>
    public bool MaybeUpdate(ulong index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            ProbeSent = false;
            updated = true;
        }

        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>
    /// The follower rejected an append that followed <paramref name="rejected"/>; <paramref name="matchHint"/> is
    /// where the logs may match. Returns false for a stale rejection, which must be ignored.
    /// </summary>
    public bool MaybeDecrTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Snapshot)
        {
            return false; // an answer to an append sent before the snapshot
        }

        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }

            Next = Match + 1;
            return true;
        }

        if (Next - 1 != rejected)
        {
            return false;
        }

        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>An append ending at <paramref name="lastIndex"/> with <paramref name="count"/> entries was sent.</summary>
    public void SentEntries(int count, ulong lastIndex)
    {
        if (State == ProgressState.Replicate)
        {
            if (count > 0)
            {
                Next = lastIndex + 1;
                Inflights.Add(lastIndex);
            }
        }
        else
        {
            ProbeSent = true;
        }
    }

    /// <summary>The leader's own progress: it holds its whole log.</summary>
    public void SetSelf(ulong lastIndex)
    {
        Match = lastIndex;
        Next = lastIndex + 1;
        State = ProgressState.Replicate;
        RecentActive = true;
    }
}
