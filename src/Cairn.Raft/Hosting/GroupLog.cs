using Cairn.Storage;

namespace Cairn.Raft.Hosting;

/// <summary>
/// One group's log inside a <see cref="SharedRaftLog"/>. Appends and hard states are staged into the shared log's
/// next batch and visible here at once; they become durable when the host calls <see cref="SharedRaftLog.Commit"/>,
/// which it must do before sending the messages of the same <see cref="Ready"/>. Recent entries stay in memory so
/// replication never reads the disk; older ones are read back from the engine. Not thread-safe: one host thread.
/// </summary>
public sealed class GroupLog : IRaftStorage
{
    private readonly SharedRaftLog _shared;
    private readonly List<Entry> _tail = []; // entries _tailStart .. LastIndex
    private readonly List<(ulong FirstIndex, ulong Term)> _termRuns = []; // terms of every stored entry, run-length encoded
    private ulong _tailStart;
    private long _tailBytes;

    internal GroupLog(SharedRaftLog shared, ulong groupId, HardState hardState, SnapshotMetadata snapshot, ulong compactedIndex, ulong compactedTerm, List<Entry> entries)
    {
        _shared = shared;
        GroupId = groupId;
        HardState = hardState;
        Snapshot = snapshot;
        CompactedIndex = compactedIndex;
        CompactedTerm = compactedTerm;
        _tailStart = compactedIndex + 1;
        foreach (var entry in entries)
        {
            AddToMemory(entry);
        }

        LastIndex = compactedIndex + (ulong)entries.Count;
        TrimTail();
    }

    /// <summary>The group this log belongs to.</summary>
    public ulong GroupId { get; }

    /// <inheritdoc/>
    public HardState HardState { get; private set; }

    /// <inheritdoc/>
    public ulong LastIndex { get; private set; }

    /// <summary>The index of the last entry compacted away (0 when none); its term is still known.</summary>
    public ulong CompactedIndex { get; private set; }

    /// <summary>The term of the entry at <see cref="CompactedIndex"/>.</summary>
    public ulong CompactedTerm { get; private set; }

    /// <inheritdoc/>
    public ulong FirstIndex => CompactedIndex + 1;

    /// <inheritdoc/>
    public SnapshotMetadata Snapshot { get; private set; }

    /// <inheritdoc/>
    public ulong Term(ulong index)
    {
        if (index == CompactedIndex)
        {
            return CompactedTerm;
        }

        if (index < CompactedIndex || index > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Entry {index} is not stored: the log holds ({CompactedIndex}, {LastIndex}].");
        }

        // The last run starting at or before index.
        var lo = 0;
        var hi = _termRuns.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_termRuns[mid].FirstIndex <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _termRuns[lo].Term;
    }

    /// <inheritdoc/>
    public IReadOnlyList<Entry> Entries(ulong low, ulong high)
    {
        if (low <= CompactedIndex || low > high || high > LastIndex + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(low), $"[{low}, {high}) is outside ({CompactedIndex}, {LastIndex + 1}).");
        }

        if (low >= _tailStart)
        {
            return _tail.GetRange((int)(low - _tailStart), (int)(high - low));
        }

        var result = new List<Entry>((int)(high - low));
        for (var index = low; index < high && index < _tailStart; index++)
        {
            result.Add(_shared.ReadEntry(GroupId, index));
        }

        if (high > _tailStart)
        {
            result.AddRange(_tail.GetRange(0, (int)(high - _tailStart)));
        }

        return result;
    }

    /// <inheritdoc/>
    public void Append(IReadOnlyList<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        RaftLogRules.CheckAppend(entries, CompactedIndex, LastIndex, HardState.Commit, Term);
        var first = entries[0].Index;
        var oldLast = LastIndex;
        TruncateMemory(first);
        foreach (var entry in entries)
        {
            _shared.Stage(GroupId, entry);
            AddToMemory(entry);
        }

        LastIndex = entries[^1].Index;
        for (var index = LastIndex + 1; index <= oldLast; index++)
        {
            _shared.StageDelete(RaftLogKeys.Entry(GroupId, index)); // the rest of a replaced suffix
        }
    }

    /// <inheritdoc/>
    public void SetHardState(HardState state)
    {
        RaftLogRules.CheckHardState(HardState, state, LastIndex);

        HardState = state;
        _shared.StagePut(RaftLogKeys.HardState(GroupId), RaftLogKeys.EncodeHardState(state));
    }

    /// <summary>
    /// Drops the entries below <paramref name="index"/>, keeping the term of the last one dropped. Only entries a
    /// snapshot covers go (<see cref="CreateSnapshot"/> first): a lagging follower that needs one could otherwise never
    /// be brought up to date. Staged like an append.
    /// </summary>
    /// <returns>The new <see cref="FirstIndex"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Entries below <paramref name="index"/> are not all covered by the snapshot.</exception>
    public ulong CompactTo(ulong index)
    {
        if (index <= FirstIndex)
        {
            return FirstIndex;
        }

        if (index > Snapshot.Index + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Compacting group {GroupId} to {index} would drop entries no snapshot covers (snapshot at {Snapshot.Index}).");
        }

        var last = index - 1;
        var term = Term(last);
        for (var i = CompactedIndex + 1; i <= last; i++)
        {
            _shared.StageDelete(RaftLogKeys.Entry(GroupId, i));
        }

        _shared.StagePut(RaftLogKeys.Compacted(GroupId), RaftLogKeys.EncodePair(last, term));
        if (last >= _tailStart)
        {
            var drop = (int)(last - _tailStart + 1);
            for (var i = 0; i < drop; i++)
            {
                _tailBytes -= _tail[i].Data.Length;
            }

            _tail.RemoveRange(0, drop);
            _tailStart = last + 1;
        }

        while (_termRuns.Count > 1 && _termRuns[1].FirstIndex <= index)
        {
            _termRuns.RemoveAt(0);
        }

        CompactedIndex = last;
        CompactedTerm = term;
        return FirstIndex;
    }

    /// <inheritdoc/>
    /// <remarks>Staged like an append: the host writes the snapshot's file first, and the round's commit records it.</remarks>
    public void CreateSnapshot(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Index <= Snapshot.Index || snapshot.Index > HardState.Commit || snapshot.Index < CompactedIndex || Term(snapshot.Index) != snapshot.Term)
        {
            throw new InvalidOperationException(
                $"Group {GroupId}: a snapshot at {snapshot.Index}/{snapshot.Term} must be newer than {Snapshot.Index}, committed (commit {HardState.Commit}) and match a stored entry.");
        }

        _shared.StagePut(RaftLogKeys.Snapshot(GroupId), RaftLogKeys.EncodeSnapshot(snapshot));
        Snapshot = snapshot;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Staged in one batch with the entry deletions and the new hard state, so a crash leaves either the old log or
    /// the snapshot, never a mix. The snapshot's file must already be durable (received and verified).
    /// </remarks>
    public void ApplySnapshot(SnapshotMetadata snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.IsEmpty || snapshot.Index <= Snapshot.Index || snapshot.Index < HardState.Commit)
        {
            throw new InvalidOperationException($"Group {GroupId}: snapshot at {snapshot.Index} is not newer than the stored snapshot ({Snapshot.Index}) and commit ({HardState.Commit}).");
        }

        for (var i = CompactedIndex + 1; i <= LastIndex; i++)
        {
            _shared.StageDelete(RaftLogKeys.Entry(GroupId, i));
        }

        _shared.StagePut(RaftLogKeys.Snapshot(GroupId), RaftLogKeys.EncodeSnapshot(snapshot));
        _shared.StagePut(RaftLogKeys.Compacted(GroupId), RaftLogKeys.EncodePair(snapshot.Index, snapshot.Term));
        HardState = HardState with { Commit = Math.Max(HardState.Commit, snapshot.Index) };
        _shared.StagePut(RaftLogKeys.HardState(GroupId), RaftLogKeys.EncodeHardState(HardState));
        _tail.Clear();
        _tailBytes = 0;
        _termRuns.Clear();
        _tailStart = snapshot.Index + 1;
        LastIndex = snapshot.Index;
        CompactedIndex = snapshot.Index;
        CompactedTerm = snapshot.Term;
        Snapshot = snapshot;
    }

    /// <summary>After a commit: keeps the in-memory tail within its budget, dropping the oldest (now durable) entries.</summary>
    internal void TrimTail()
    {
        var budget = _shared.TailBytesPerGroup;
        var drop = 0;
        while (_tailBytes > budget && drop < _tail.Count - 1)
        {
            _tailBytes -= _tail[drop].Data.Length;
            drop++;
        }

        if (drop > 0)
        {
            _tail.RemoveRange(0, drop);
            _tailStart += (ulong)drop;
        }
    }

    private void AddToMemory(Entry entry)
    {
        _tail.Add(entry);
        _tailBytes += entry.Data.Length;
        if (_termRuns.Count == 0 || _termRuns[^1].Term != entry.Term)
        {
            _termRuns.Add((entry.Index, entry.Term));
        }
    }

    /// <summary>Forgets entries at and after <paramref name="first"/> (a conflicting suffix about to be replaced).</summary>
    private void TruncateMemory(ulong first)
    {
        if (first > LastIndex)
        {
            return;
        }

        if (first < _tailStart)
        {
            // The replaced suffix reaches below the in-memory tail, so all of the tail goes; what stays below
            // first is on disk, and the new tail starts at first.
            _tail.Clear();
            _tailBytes = 0;
            _tailStart = first;
        }
        else
        {
            var from = (int)(first - _tailStart);
            for (var i = from; i < _tail.Count; i++)
            {
                _tailBytes -= _tail[i].Data.Length;
            }

            _tail.RemoveRange(from, _tail.Count - from);
        }

        while (_termRuns.Count > 0 && _termRuns[^1].FirstIndex >= first)
        {
            _termRuns.RemoveAt(_termRuns.Count - 1);
        }

        LastIndex = first - 1;
    }
}
