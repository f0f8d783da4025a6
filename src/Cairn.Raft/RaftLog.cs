namespace Cairn.Raft;

/// <summary>
/// A node's view of the replicated log: the stable entries in <see cref="IRaftStorage"/> followed by the
/// <see cref="UnstableLog"/> tail, with the commit and applied indexes. Invariant: applied ≤ committed ≤ last index.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;
    private readonly UnstableLog _unstable;

    public RaftLog(IRaftStorage storage, ConfState? bootstrap = null, ulong applied = 0)
    {
        _storage = storage;
        _unstable = new UnstableLog(storage.LastIndex + 1);
        var snapshot = storage.Snapshot;
        Committed = Math.Max(storage.HardState.Commit, snapshot.Index);
        if (Committed > storage.LastIndex)
        {
            throw new InvalidOperationException($"Stored commit {Committed} is beyond the stored last index {storage.LastIndex}.");
        }

        // A restarted host's state machine already holds what it applied (at least the snapshot it restored).
        Applied = Math.Max(applied, snapshot.Index);
        if (Applied > Committed)
        {
            throw new ArgumentException($"The applied index {Applied} is beyond the commit index {Committed}.", nameof(applied));
        }

        if (Applied + 1 < storage.FirstIndex)
        {
            throw new ArgumentException(
                $"Entries from the applied index {Applied} on are compacted (the log starts at {storage.FirstIndex}): restore the state machine from the snapshot first.",
                nameof(applied));
        }

        Membership = snapshot.IsEmpty ? new MembershipLog(0, bootstrap ?? ConfState.Empty) : new MembershipLog(snapshot.Index, snapshot.ConfState);
        var from = Math.Max(storage.FirstIndex, Membership.CurrentIndex + 1);
        if (from <= storage.LastIndex)
        {
            foreach (var entry in storage.Entries(from, storage.LastIndex + 1))
            {
                Membership.Add(entry);
            }
        }
    }

    public ulong Committed { get; private set; }

    public ulong Applied { get; private set; }

    /// <summary>The memberships this log defines; the newest is in force.</summary>
    public MembershipLog Membership { get; }

    /// <summary>A leader's snapshot this node installed and the host has not persisted yet.</summary>
    public SnapshotMetadata? PendingSnapshot { get; private set; }

    /// <summary>The newest snapshot: the pending one, else the stored one.</summary>
    public SnapshotMetadata Snapshot => PendingSnapshot ?? _storage.Snapshot;

    /// <summary>The first index whose entry this log can still produce; earlier ones are in a snapshot.</summary>
    public ulong FirstIndex => PendingSnapshot is { } pending ? pending.Index + 1 : _storage.FirstIndex;

    public IReadOnlyList<Entry> UnstableEntries => _unstable.Entries;

    public ulong LastIndex =>
        _unstable.TryLastIndex(out var index) ? index : PendingSnapshot is { } pending ? pending.Index : _storage.LastIndex;

    public ulong LastTerm => Term(LastIndex);

    public bool TryTerm(ulong index, out ulong term)
    {
        if (_unstable.TryTerm(index, out term))
        {
            return true;
        }

        if (PendingSnapshot is { } pending)
        {
            // An installed snapshot shadows all of stable storage until the host persists it.
            term = index == pending.Index ? pending.Term : 0;
            return index == pending.Index;
        }

        // Stable entries at or after the unstable offset are shadowed (being replaced); compacted ones are gone.
        if (index < _unstable.Offset && index <= _storage.LastIndex && index + 1 >= _storage.FirstIndex)
        {
            term = _storage.Term(index);
            return true;
        }

        term = 0;
        return false;
    }

    /// <summary>The term at <paramref name="index"/>, which must be in [0, last index].</summary>
    public ulong Term(ulong index) =>
        TryTerm(index, out var term) ? term : throw new InvalidOperationException($"No entry at {index} (last index {LastIndex}).");

    public bool MatchTerm(ulong index, ulong term) => TryTerm(index, out var ours) && ours == term;

    /// <summary>Whether a candidate whose log ends at (<paramref name="lastIndex"/>, <paramref name="lastTerm"/>) is at least as up to date as ours (§5.4.1).</summary>
    public bool IsUpToDate(ulong lastIndex, ulong lastTerm) =>
        lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    /// <summary>
    /// Appends a leader's entries if our log holds (<paramref name="index"/>, <paramref name="logTerm"/>), truncating
    /// any conflicting suffix, and advances the commit to what the leader vouches for. Returns the last new index.
    /// </summary>
    public bool TryAppend(ulong index, ulong logTerm, ulong leaderCommit, IReadOnlyList<Entry> entries, out ulong lastNewIndex)
    {
        lastNewIndex = 0;
        if (!MatchTerm(index, logTerm))
        {
            return false;
        }

        lastNewIndex = index + (ulong)entries.Count;
        var conflict = FindConflict(entries);
        if (conflict != 0)
        {
            if (conflict <= Committed)
            {
                throw new InvalidOperationException($"Entry {conflict} conflicts with the committed prefix (commit {Committed}).");
            }

            var from = (int)(conflict - index - 1);
            var tail = new Entry[entries.Count - from];
            for (var i = 0; i < tail.Length; i++)
            {
                tail[i] = entries[from + i];
            }

            Append(tail);
        }

        CommitTo(Math.Min(leaderCommit, lastNewIndex));
        return true;
    }

    /// <summary>The index of the first entry whose term differs from ours or which we lack; 0 if all match.</summary>
    private ulong FindConflict(IReadOnlyList<Entry> entries)
    {
        foreach (var entry in entries)
        {
            if (!MatchTerm(entry.Index, entry.Term))
            {
                return entry.Index;
            }
        }

        return 0;
    }

    /// <summary>
    /// Fast backup: the largest index ≤ <paramref name="index"/> whose term is ≤ <paramref name="term"/>, with that term.
    /// Entries above it cannot match a log whose entry at <paramref name="index"/> has term <paramref name="term"/>.
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        if (index > LastIndex)
        {
            return (index, 0);
        }

        for (; index > 0; index--)
        {
            if (!TryTerm(index, out var ours))
            {
                return (index, 0); // compacted: the leader probes from here and finds a snapshot is needed
            }

            if (ours <= term)
            {
                return (index, ours);
            }
        }

        return (0, 0);
    }

    /// <summary>Appends entries (which may replace an uncommitted suffix); returns the new last index.</summary>
    public ulong Append(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
        {
            return LastIndex;
        }

        var after = entries[0].Index - 1;
        if (after < Committed)
        {
            throw new InvalidOperationException($"Appending after {after} would overwrite committed entries (commit {Committed}).");
        }

        if (after > LastIndex)
        {
            throw new InvalidOperationException($"Appending after {after} would leave a gap (last index {LastIndex}).");
        }

        _unstable.TruncateAndAppend(entries);
        Membership.Appended(entries);
        return LastIndex;
    }

    /// <summary>Entries from <paramref name="low"/> to the end, at most <paramref name="maxBytes"/> of them (always at least one).</summary>
    public IReadOnlyList<Entry> EntriesFrom(ulong low, long maxBytes) => Entries(low, LastIndex + 1, maxBytes);

    /// <summary>The entries in [<paramref name="low"/>, <paramref name="high"/>), cut after <paramref name="maxBytes"/> (at least one).</summary>
    public IReadOnlyList<Entry> Entries(ulong low, ulong high, long maxBytes)
    {
        var last = LastIndex;
        if (low < FirstIndex || low > high || high > last + 1)
        {
            throw new InvalidOperationException($"Cannot read entries [{low}, {high}) (log holds [{FirstIndex}, {last}]).");
        }

        var result = new List<Entry>((int)Math.Min(high - low, 256));
        long bytes = 0;
        var stableEnd = PendingSnapshot is null ? Math.Min(Math.Min(_unstable.Offset, _storage.LastIndex + 1), high) : 0;

        // Stable entries are read in growing pages, so a size-bounded read does not load the whole stored range.
        var index = low;
        var page = 16UL;
        while (index < stableEnd)
        {
            var end = Math.Min(stableEnd, index + page);
            foreach (var entry in _storage.Entries(index, end))
            {
                if (!Add(entry))
                {
                    return result;
                }
            }

            index = end;
            page = Math.Min(page * 2, 4096);
        }

        for (; index < high; index++)
        {
            if (!Add(_unstable.At(index)))
            {
                break;
            }
        }

        return result;

        bool Add(Entry entry)
        {
            bytes += entry.Size;
            if (result.Count > 0 && bytes > maxBytes)
            {
                return false;
            }

            result.Add(entry);
            return true;
        }
    }

    public void CommitTo(ulong index)
    {
        if (index <= Committed)
        {
            return; // The commit index never goes backwards.
        }

        if (index > LastIndex)
        {
            throw new InvalidOperationException($"Cannot commit {index}: the last index is {LastIndex}.");
        }

        Committed = index;
    }

    /// <summary>Commits <paramref name="index"/> only if its entry is of <paramref name="term"/>, the leader's term (§5.4.2).</summary>
    public bool MaybeCommit(ulong index, ulong term)
    {
        if (index > Committed && Term(index) == term)
        {
            CommitTo(index);
            return true;
        }

        return false;
    }

    // Nothing is applied while an installed snapshot waits to be persisted: the state machine restores it first.
    public bool HasNextCommittedEntries => PendingSnapshot is null && Committed > Applied;

    public IReadOnlyList<Entry> NextCommittedEntries() =>
        HasNextCommittedEntries ? Entries(Applied + 1, Committed + 1, long.MaxValue) : [];

    public void AppliedTo(ulong index)
    {
        if (index < Applied || index > Committed)
        {
            throw new InvalidOperationException($"Applied index {index} is outside [{Applied}, {Committed}].");
        }

        Applied = index;
    }

    public void StableTo(ulong index, ulong term) => _unstable.StableTo(index, term);

    /// <summary>
    /// Replaces the log with a leader's snapshot this log does not match: everything before it is dropped, the commit
    /// index moves to it, and its membership becomes the base. The host persists it from the next Ready.
    /// </summary>
    public void Restore(SnapshotMetadata snapshot)
    {
        if (snapshot.Index <= Committed)
        {
            throw new InvalidOperationException($"Snapshot at {snapshot.Index} is not beyond the commit index {Committed}.");
        }

        PendingSnapshot = snapshot;
        _unstable.Restore(snapshot.Index + 1);
        Committed = snapshot.Index;
        Membership.Reset(snapshot.Index, snapshot.ConfState);
    }

    /// <summary>The host persisted the snapshot at <paramref name="index"/> and restored the state machine from it.</summary>
    public void SnapshotStableTo(ulong index)
    {
        if (PendingSnapshot is { } pending && pending.Index == index)
        {
            PendingSnapshot = null;
        }

        Applied = Math.Max(Applied, index);
    }
}
