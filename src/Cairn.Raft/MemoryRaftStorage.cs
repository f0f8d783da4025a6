namespace Cairn.Raft;

/// <summary>
/// The entries, hard state and snapshot metadata a host has persisted, kept in memory. A durable store implements the
/// same contract: <see cref="Append"/> may replace an uncommitted suffix, never a committed entry.
/// </summary>
public sealed class MemoryRaftStorage : IRaftStorage
{
    // _entries[0] is a sentinel at the compaction point (index 0, term 0 before any snapshot), so every stored index
    // has a predecessor to match against; _entries[i] holds index Offset + i.
    private readonly List<Entry> _entries = [new Entry(0, 0, EntryType.Normal, ReadOnlyMemory<byte>.Empty)];

    /// <summary>The persisted hard state.</summary>
    public HardState HardState { get; private set; }

    /// <summary>The newest snapshot recorded or installed (<see cref="SnapshotMetadata.Empty"/> when none).</summary>
    public SnapshotMetadata Snapshot { get; private set; } = SnapshotMetadata.Empty;

    /// <summary>The index of the first stored entry: one past the compaction point.</summary>
    public ulong FirstIndex => Offset + 1;

    /// <summary>The index of the last persisted entry (the compaction point when no entry is stored).</summary>
    public ulong LastIndex => _entries[^1].Index;

    private ulong Offset => _entries[0].Index;

    /// <summary>The term of the entry at <paramref name="index"/>; the compaction point (index 0 at first) answers too.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is beyond <see cref="LastIndex"/> or compacted.</exception>
    public ulong Term(ulong index)
    {
        if (index < Offset || index > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is outside the stored [{Offset}, {LastIndex}].");
        }

        return _entries[(int)(index - Offset)].Term;
    }

    /// <summary>The entries in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public IReadOnlyList<Entry> Entries(ulong low, ulong high)
    {
        if (low < FirstIndex || low > high || high > LastIndex + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(low), $"[{low}, {high}) is outside [{FirstIndex}, {LastIndex + 1}).");
        }

        return _entries.GetRange((int)(low - Offset), (int)(high - low));
    }

    /// <summary>Persists a hard state, after the entries it commits. Terms and commit indexes never go backwards.</summary>
    public void SetHardState(HardState state)
    {
        RaftLogRules.CheckHardState(HardState, state, LastIndex);

        HardState = state;
    }

    /// <summary>
    /// Appends entries with consecutive indexes, first dropping any stored entries at or after the first new index.
    /// </summary>
    /// <exception cref="InvalidOperationException">The entries leave a gap, are not consecutive, or would change a committed entry.</exception>
    public void Append(IReadOnlyList<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        RaftLogRules.CheckAppend(entries, Offset, LastIndex, HardState.Commit, Term);
        var first = entries[0].Index;
        var keep = (int)(first - Offset);
        _entries.RemoveRange(keep, _entries.Count - keep);
        _entries.AddRange(entries);
    }

    /// <summary>Installs a leader's snapshot: records it and discards every entry; the commit index moves up to it.</summary>
    public void ApplySnapshot(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.IsEmpty || snapshot.Index <= Snapshot.Index || snapshot.Index < HardState.Commit)
        {
            throw new InvalidOperationException($"Snapshot at {snapshot.Index} is not newer than the stored snapshot ({Snapshot.Index}) and commit ({HardState.Commit}).");
        }

        Snapshot = snapshot;
        _entries.Clear();
        _entries.Add(new Entry(snapshot.Term, snapshot.Index, EntryType.Normal, ReadOnlyMemory<byte>.Empty));
        HardState = HardState with { Commit = snapshot.Index };
    }

    /// <summary>Records a snapshot of this node's own state machine; entries stay until <see cref="CompactTo"/>.</summary>
    public void CreateSnapshot(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Index <= Snapshot.Index || snapshot.Index > HardState.Commit || Term(snapshot.Index) != snapshot.Term)
        {
            throw new InvalidOperationException(
                $"Snapshot at {snapshot.Index}/{snapshot.Term} must be newer than {Snapshot.Index}, committed (commit {HardState.Commit}) and match the stored entry.");
        }

        Snapshot = snapshot;
    }

    /// <summary>Drops the entries below <paramref name="index"/>, which may be at most one past the snapshot.</summary>
    /// <returns>The new <see cref="FirstIndex"/>.</returns>
    public ulong CompactTo(ulong index)
    {
        if (index > Snapshot.Index + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Compacting to {index} would drop entries no snapshot covers (snapshot at {Snapshot.Index}).");
        }

        if (index <= FirstIndex)
        {
            return FirstIndex;
        }

        // The entry before the new first index becomes the sentinel, keeping its index and term.
        var drop = (int)(index - 1 - Offset);
        var sentinel = _entries[drop];
        _entries.RemoveRange(0, drop);
        _entries[0] = sentinel with { Data = ReadOnlyMemory<byte>.Empty };
        return FirstIndex;
    }
}
