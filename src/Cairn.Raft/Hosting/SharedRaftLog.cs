using Cairn.Storage;
using Cairn.Storage.LogStore;

namespace Cairn.Raft.Hosting;

/// <summary>
/// The Raft logs of every group on a node in one engine, so that one fsync covers a round of appends from many
/// groups (the multi-raft group commit of design §2, after TiKV's raft-engine). It stores entries and hard states as
/// keys of a <see cref="LogStore"/>: CRC32C-framed atomic batches, recovery that cuts a torn tail and reports
/// corruption (which this log then refuses), and compaction come from the engine. The host stages a round's appends (<see cref="GroupLog.Append"/>,
/// <see cref="GroupLog.SetHardState"/>) and makes them durable together with <see cref="Commit"/>. Not thread-safe:
/// one host thread uses it.
/// </summary>
public sealed class SharedRaftLog : IDisposable
{
    private readonly IKvEngine _engine;
    private readonly Dictionary<ulong, GroupLog> _groups = [];
    private WriteBatch _staged = new();

    private SharedRaftLog(IKvEngine engine, string directory, long tailBytesPerGroup)
    {
        _engine = engine;
        Directory = directory;
        TailBytesPerGroup = tailBytesPerGroup;
    }

    /// <summary>The directory of the log's files.</summary>
    public string Directory { get; }

    /// <summary>How many bytes of recent entries each group keeps in memory for replication.</summary>
    public long TailBytesPerGroup { get; }

    /// <summary>How many rounds <see cref="Commit"/> has made durable (one fsync each).</summary>
    public long Commits { get; private set; }

    /// <summary>Opens (or creates) the shared log in <paramref name="directory"/>.</summary>
    /// <param name="directory">Where the log's segment files live.</param>
    /// <param name="engineOptions">Engine settings; the sync policy must make a write durable before it returns.</param>
    /// <param name="tailBytesPerGroup">Recent entry bytes each group keeps in memory. Default 4 MiB.</param>
    /// <exception cref="CorruptionException">The engine found damaged records: entries or hard states could be lost.</exception>
    public static SharedRaftLog Open(string directory, LogStoreOptions? engineOptions = null, long tailBytesPerGroup = 4L * 1024 * 1024)
    {
        var options = engineOptions ?? new LogStoreOptions();
        if (options.Sync is not (SyncPolicy.GroupCommit or SyncPolicy.Always))
        {
            throw new ArgumentException($"A Raft log must be durable before messages go out: sync must be GroupCommit or Always, not {options.Sync}.", nameof(engineOptions));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(tailBytesPerGroup, 0);
        var store = LogStore.Open(directory, options);
        if (store.Recovery.CorruptRegions > 0)
        {
            // The engine steps over a damaged record and opens; a Raft log must not. The record may hold entries or a
            // hard state this node acknowledged, and forgetting them can undo a committed write (ADR 0017).
            var regions = store.Recovery.CorruptRegions;
            store.Dispose();
            throw new CorruptionException(
                $"The Raft log in {directory} has {regions} damaged record(s) that were written in full (a seal or a later record follows "
                + "them), so they are not a torn tail. Refusing to open: they may hold entries or votes this node acknowledged.");
        }

        return new SharedRaftLog(store, directory, tailBytesPerGroup);
    }

    /// <summary>The ids of the groups that have stored anything, for a restarting host.</summary>
    public IReadOnlyList<ulong> StoredGroups()
    {
        var groups = new SortedSet<ulong>();
        foreach (var entry in _engine.ScanAll(KeyRange.Prefix("h"u8), keysOnly: true))
        {
            groups.Add(RaftLogKeys.GroupOf(entry.Key));
        }

        foreach (var entry in _engine.ScanAll(KeyRange.Prefix("c"u8), keysOnly: true))
        {
            groups.Add(RaftLogKeys.GroupOf(entry.Key));
        }

        // Groups with entries but no hard state yet: skip from one group's first entry key to the next group's.
        var end = new byte[] { (byte)'e' + 1 };
        var from = RaftLogKeys.Entry(0, 0);
        while (true)
        {
            var page = _engine.Scan(KeyRange.Between(from, end), after: null, limit: 1, keysOnly: true);
            if (page.Entries.Count == 0)
            {
                break;
            }

            var group = RaftLogKeys.GroupOf(page.Entries[0].Key);
            groups.Add(group);
            if (group == ulong.MaxValue)
            {
                break;
            }

            from = RaftLogKeys.Entry(group + 1, 0);
        }

        return [.. groups];
    }

    /// <summary>Opens one group's log, reading what it stored (nothing for a new group).</summary>
    /// <exception cref="CorruptionException">The stored log has a gap or a malformed record.</exception>
    public GroupLog OpenGroup(ulong groupId)
    {
        if (_groups.ContainsKey(groupId))
        {
            throw new InvalidOperationException($"Group {groupId} is already open.");
        }

        var hardState = _engine.Get(RaftLogKeys.HardState(groupId)) is { } hs ? RaftLogKeys.DecodeHardState(hs) : HardState.Empty;
        var (compactedIndex, compactedTerm) = _engine.Get(RaftLogKeys.Compacted(groupId)) is { } c ? RaftLogKeys.DecodePair(c) : (0UL, 0UL);
        var snapshot = _engine.Get(RaftLogKeys.Snapshot(groupId)) is { } s ? RaftLogKeys.DecodeSnapshot(groupId, s) : SnapshotMetadata.Empty;
        if (snapshot.Index > compactedIndex && snapshot.Index > hardState.Commit)
        {
            throw new CorruptionException($"Group {groupId}'s snapshot at {snapshot.Index} is beyond both its commit index {hardState.Commit} and its log's start.");
        }
        var entries = new List<Entry>();
        var expected = compactedIndex + 1;
        var start = RaftLogKeys.Entry(groupId, compactedIndex + 1);
        var end = RaftLogKeys.Entry(groupId, ulong.MaxValue);
        foreach (var stored in _engine.ScanAll(KeyRange.Between(start, end)))
        {
            var index = RaftLogKeys.IndexOfEntryKey(stored.Key);
            if (index != expected)
            {
                throw new CorruptionException($"The Raft log of group {groupId} has a gap: entry {index} follows {expected - 1}.");
            }

            entries.Add(RaftLogKeys.DecodeEntry(index, stored.Value!));
            expected++;
        }

        var lastIndex = compactedIndex + (ulong)entries.Count;
        if (hardState.Commit > lastIndex)
        {
            throw new CorruptionException($"Group {groupId}'s hard state commits {hardState.Commit} but its log ends at {lastIndex}.");
        }

        var log = new GroupLog(this, groupId, hardState, snapshot, compactedIndex, compactedTerm, entries);
        _groups.Add(groupId, log);
        return log;
    }

    /// <summary>
    /// Deletes everything stored of a group (its entries, hard state and snapshot record) and closes its log, durably
    /// and at once: for a replica the node no longer holds.
    /// </summary>
    public void DropGroup(ulong groupId)
    {
        _groups.Remove(groupId);

        // In an order a crash cannot turn into a log that fails to open: first the hard state (whose commit index
        // must not outrun the entries), then the entries from the last down (no gap appears), then the start.
        _engine.Write(new WriteBatch().Delete(RaftLogKeys.HardState(groupId)));
        var entries = _engine.ScanAll(KeyRange.Between(RaftLogKeys.Entry(groupId, 0), RaftLogKeys.Entry(groupId, ulong.MaxValue)), keysOnly: true).ToList();
        var batch = new WriteBatch();
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            batch.Delete(entries[i].Key);
            if (batch.Count >= 10_000)
            {
                _engine.Write(batch);
                batch = new WriteBatch();
            }
        }

        batch.Delete(RaftLogKeys.Compacted(groupId)).Delete(RaftLogKeys.Snapshot(groupId));
        _engine.Write(batch);
        _engine.Sync();
    }

    /// <summary>Whether anything is staged and not yet durable.</summary>
    public bool HasStaged => _staged.Count > 0;

    /// <summary>
    /// Makes everything staged since the last commit durable in one write and one fsync, atomically: after a crash
    /// either all of a round's appends and hard states are there or none are.
    /// </summary>
    public void Commit()
    {
        if (_staged.Count == 0)
        {
            return;
        }

        var batch = _staged;
        _staged = new WriteBatch();
        _engine.Write(batch);
        Commits++;
        foreach (var group in _groups.Values)
        {
            group.TrimTail();
        }
    }

    /// <summary>Flushes and closes the engine.</summary>
    public void Dispose() => _engine.Dispose();

    internal void Stage(ulong groupId, Entry entry) => _staged.Put(RaftLogKeys.Entry(groupId, entry.Index), RaftLogKeys.EncodeEntry(entry));

    internal void StagePut(byte[] key, byte[] value) => _staged.Put(key, value);

    internal void StageDelete(byte[] key) => _staged.Delete(key);

    internal Entry ReadEntry(ulong groupId, ulong index)
    {
        var value = _engine.Get(RaftLogKeys.Entry(groupId, index))
            ?? throw new CorruptionException($"Entry {index} of group {groupId} is missing from the Raft log.");
        return RaftLogKeys.DecodeEntry(index, value);
    }
}
