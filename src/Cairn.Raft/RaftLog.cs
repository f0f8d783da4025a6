namespace Cairn.Raft;

/// <summary>
/// A node's view of the replicated log: the stable entries in <see cref="IRaftStorage"/> followed by the
/// <see cref="UnstableLog"/> tail, with the commit and applied indexes. Invariant: applied ≤ committed ≤ last index.
/// </summary>
internal sealed class RaftLog
{
    private readonly IRaftStorage _storage;
    private readonly UnstableLog _unstable;

    public RaftLog(IRaftStorage storage)
    {
        _storage = storage;
        _unstable = new UnstableLog(storage.LastIndex + 1);
        Committed = storage.HardState.Commit;
        if (Committed > storage.LastIndex)
        {
            throw new InvalidOperationException($"Stored commit {Committed} is beyond the stored last index {storage.LastIndex}.");
        }
    }

    public ulong Committed { get; private set; }

    public ulong Applied { get; private set; }

    public IReadOnlyList<Entry> UnstableEntries => _unstable.Entries;

    public ulong LastIndex => _unstable.TryLastIndex(out var index) ? index : _storage.LastIndex;

    public ulong LastTerm => Term(LastIndex);

    public bool TryTerm(ulong index, out ulong term)
    {
        if (_unstable.TryTerm(index, out term))
        {
            return true;
        }

        // Stable entries at or after the unstable offset are shadowed (being replaced).
        if (index < _unstable.Offset && index <= _storage.LastIndex)
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

            Append(entries.Skip((int)(conflict - index - 1)).ToList());
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
            var ours = Term(index);
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
        return LastIndex;
    }

    /// <summary>Entries from <paramref name="low"/> to the end, at most <paramref name="maxBytes"/> of them (always at least one).</summary>
    public IReadOnlyList<Entry> EntriesFrom(ulong low, long maxBytes)
    {
        var last = LastIndex;
        if (low == 0 || low > last + 1)
        {
            throw new InvalidOperationException($"Cannot read entries from {low} (last index {last}).");
        }

        var result = new List<Entry>();
        long bytes = 0;
        var stableEnd = Math.Min(_unstable.Offset, _storage.LastIndex + 1);
        IEnumerable<Entry> source = low < stableEnd
            ? _storage.Entries(low, stableEnd).Concat(_unstable.Slice(_unstable.Offset, last + 1))
            : _unstable.Slice(low, last + 1);
        foreach (var entry in source)
        {
            bytes += entry.Size;
            if (result.Count > 0 && bytes > maxBytes)
            {
                break;
            }

            result.Add(entry);
        }

        return result;
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

    public bool HasNextCommittedEntries => Committed > Applied;

    public IReadOnlyList<Entry> NextCommittedEntries() =>
        Committed > Applied ? EntriesFrom(Applied + 1, long.MaxValue).Take((int)(Committed - Applied)).ToList() : [];

    public void AppliedTo(ulong index)
    {
        if (index < Applied || index > Committed)
        {
            throw new InvalidOperationException($"Applied index {index} is outside [{Applied}, {Committed}].");
        }

        Applied = index;
    }

    public void StableTo(ulong index, ulong term) => _unstable.StableTo(index, term);
}
