using System.Buffers.Binary;
using System.Globalization;
using Cairn.Core;
using Cairn.Storage;
using Cairn.Storage.IO;

namespace Cairn.Raft.Storage;

/// <summary>
/// The durable log of one Raft group: entries in segment files (<c>&lt;first-index:D20&gt;.rlog</c>) of
/// CRC32C-framed records, and the hard state in its own small file replaced atomically.
/// </summary>
/// <remarks>
/// <para>
/// Each <see cref="Append"/> is one write and one fsync (a new segment, when needed, is created and its directory
/// fsynced first); when it returns, the entries are durable. The write ends with a seal naming the last entry it
/// holds, so everything before a seal is known to have been written in full (ADR 0017). Appending at or below the
/// last index first drops the conflicting suffix: later segments are deleted (newest first, then a directory
/// fsync), then the segment holding the first dropped entry is cut, sealed again and fsynced.
/// </para>
/// <para>
/// Opening verifies every frame of every segment and rebuilds an in-memory index (index → segment, offset, term),
/// so reads seek straight to their frames (and verify them again). A torn tail of the last segment — bytes after its
/// last valid seal or frame that do not verify, with nothing valid after them: what a crash in the middle of an
/// append leaves — is cut off, and the entries kept are sealed again. Anything else that does not verify (a bad
/// frame with a valid seal or frame after it, a bad frame in an earlier segment, a missing segment, indexes out of
/// order, a corrupt hard state, a commit index beyond the log) is refused with a <see cref="CorruptionException"/>
/// naming the file and offset: the log never guesses, and never drops an entry an append may have acknowledged.
/// </para>
/// <para>
/// Snapshot metadata (index, term, membership) lives in its own small file, replaced atomically. Installing a
/// leader's snapshot writes that file first — the commit point — then deletes the segments, then records the new
/// compaction point in the hard-state file; opening a log whose snapshot file is ahead of a log that does not hold the
/// snapshot's entry finishes such an interrupted install. The snapshot's bytes are the host's (<see cref="SnapshotStore"/>).
/// </para>
/// <para>Not thread-safe: one host loop owns the log.</para>
/// </remarks>
public sealed class DurableRaftLog : IRaftStorage, IDisposable
{
    private const string SegmentExtension = ".rlog";
    private const string StateFileName = "hardstate";
    private const string SnapshotFileName = "snapshot";
    private const string LockFileName = "LOCK";
    private const int SegmentNameDigits = 20;

    private readonly IFileSystem _fs;
    private readonly DurableRaftLogOptions _options;
    private readonly IDisposable _lock;
    private readonly List<Segment> _segments = [];

    // _slots[i] describes the entry at _compactedIndex + 1 + i.
    private readonly List<Slot> _slots = [];
    private ulong _compactedIndex;
    private ulong _compactedTerm;
    private bool _failed;
    private bool _disposed;

    private DurableRaftLog(IFileSystem fs, string directory, DurableRaftLogOptions options, IDisposable directoryLock)
    {
        _fs = fs;
        Directory = directory;
        _options = options;
        _lock = directoryLock;
    }

    /// <summary>The directory the log lives in.</summary>
    public string Directory { get; }

    /// <inheritdoc/>
    public HardState HardState { get; private set; }

    /// <inheritdoc/>
    public SnapshotMetadata Snapshot { get; private set; } = SnapshotMetadata.Empty;

    /// <summary>The index of the first stored entry: 1, or one past the point <see cref="CompactTo"/> dropped entries to.</summary>
    public ulong FirstIndex => _compactedIndex + 1;

    /// <inheritdoc/>
    public ulong LastIndex => _compactedIndex + (ulong)_slots.Count;

    /// <summary>How many segment files the log has.</summary>
    public int SegmentCount => _segments.Count;

    private string StatePath => Path.Combine(Directory, StateFileName);

    private string SnapshotPath => Path.Combine(Directory, SnapshotFileName);

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, recovering from a crash: see the remarks on
    /// <see cref="DurableRaftLog"/> for what is repaired and what is refused.
    /// </summary>
    /// <exception cref="CorruptionException">The log or its hard state does not verify and cannot be repaired safely.</exception>
    /// <exception cref="IOException">The directory is locked by another process, or an I/O error.</exception>
    public static DurableRaftLog Open(IFileSystem fileSystem, string directory, DurableRaftLogOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new DurableRaftLogOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SegmentSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxEntrySize, 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxEntrySize, Array.MaxLength - 1024, nameof(options));

        fileSystem.CreateDirectory(directory);
        var directoryLock = fileSystem.LockExclusive(Path.Combine(directory, LockFileName));
        var log = new DurableRaftLog(fileSystem, directory, options, directoryLock);
        try
        {
            log.Recover();
        }
        catch
        {
            log.Dispose();
            throw;
        }

        return log;
    }

    /// <inheritdoc/>
    public ulong Term(ulong index)
    {
        ThrowIfUnusable();
        if (index == _compactedIndex)
        {
            return _compactedTerm;
        }

        if (index < _compactedIndex || index > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is outside the stored [{_compactedIndex}, {LastIndex}].");
        }

        return _slots[SlotOf(index)].Term;
    }

    /// <inheritdoc/>
    /// <exception cref="CorruptionException">A frame read back does not verify.</exception>
    public IReadOnlyList<Entry> Entries(ulong low, ulong high)
    {
        ThrowIfUnusable();
        if (low <= _compactedIndex || low > high || high > LastIndex + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(low), $"[{low}, {high}) is outside [{FirstIndex}, {LastIndex + 1}).");
        }

        var result = new List<Entry>((int)(high - low));
        var index = low;
        while (index < high)
        {
            // One read for each run of entries in the same segment (with the seals between them).
            var start = _slots[SlotOf(index)];
            var end = index;
            long bytes = 0;
            while (end < high && _slots[SlotOf(end)].Segment == start.Segment && _slots[SlotOf(end)].Offset + _slots[SlotOf(end)].Size - start.Offset <= 16 * 1024 * 1024)
            {
                bytes = _slots[SlotOf(end)].Offset + _slots[SlotOf(end)].Size - start.Offset;
                end++;
            }

            if (end == index)
            {
                end = index + 1; // a single entry larger than the read budget
                bytes = start.Size;
            }

            var buffer = new byte[bytes];
            ReadExactly(start.Segment, start.Offset, buffer);
            for (var i = index; i < end; i++)
            {
                var slot = _slots[SlotOf(i)];
                if (!RaftLogFormat.TryReadFrame(buffer.AsSpan((int)(slot.Offset - start.Offset), slot.Size), _options.MaxEntrySize, out var entry, out _, out var error))
                {
                    throw new CorruptionException($"{slot.Segment.Path} at offset {slot.Offset}: {error} reading entry {i}.");
                }

                if (entry.Index != i || entry.Term != slot.Term)
                {
                    throw new CorruptionException(
                        $"{slot.Segment.Path} at offset {slot.Offset}: frame holds {entry.Term}/{entry.Index}, the index says {slot.Term}/{i}.");
                }

                result.Add(entry);
            }

            index = end;
        }

        return result;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">An entry is larger than <see cref="DurableRaftLogOptions.MaxEntrySize"/>, or the batch is too large for one write.</exception>
    /// <exception cref="IOException">The write failed; the log refuses further use until reopened.</exception>
    public void Append(IReadOnlyList<Entry> entries)
    {
        ThrowIfUnusable();
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        RaftLogRules.CheckAppend(entries, _compactedIndex, LastIndex, HardState.Commit, Term);
        var first = entries[0].Index;
        long total = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Data.Length > _options.MaxEntrySize)
            {
                throw new ArgumentException($"Entry {entry.Index} is {entry.Data.Length} bytes, over the limit of {_options.MaxEntrySize}.", nameof(entries));
            }

            total += RaftLogFormat.FrameSize(entry.Data.Length);
        }

        total += RaftLogFormat.SealSize;

        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"The batch is {total} bytes, too large for one write; append it in parts.", nameof(entries));
        }

        var buffer = new byte[total];
        var sizes = new int[entries.Count];
        var at = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            sizes[i] = RaftLogFormat.WriteFrame(buffer.AsSpan(at), entries[i]);
            at += sizes[i];
        }

        // The seal goes last in the same write, so the one fsync makes it durable with the frames it vouches for.
        RaftLogFormat.WriteSeal(buffer.AsSpan(at), entries[^1].Index);
        Verify(buffer, entries, sizes);

        try
        {
            if (first <= LastIndex)
            {
                TruncateFrom(first);
            }

            var segment = _segments.Count == 0 ? null : _segments[^1];
            if (segment is null || (segment.Length > 0 && segment.Length + total > _options.SegmentSize))
            {
                segment = CreateSegment(first);
            }

            segment.File.Write(segment.Length, buffer);
            segment.File.Sync();
            var offset = segment.Length;
            for (var i = 0; i < entries.Count; i++)
            {
                _slots.Add(new Slot(entries[i].Term, segment, offset, sizes[i]));
                offset += sizes[i];
            }

            segment.Length = offset + RaftLogFormat.SealSize;
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="IOException">The write failed; the log refuses further use until reopened.</exception>
    public void SetHardState(HardState state)
    {
        ThrowIfUnusable();
        RaftLogRules.CheckHardState(HardState, state, LastIndex);
        WriteState(state, _compactedIndex, _compactedTerm);
        HardState = state;
    }

    /// <summary>
    /// Drops every whole segment whose entries all lie below <paramref name="index"/> (the last segment is always
    /// kept), remembering the term of the last dropped entry so the entry after it can still be matched. It never
    /// drops an entry that is not committed, nor one no snapshot covers (<see cref="CreateSnapshot"/> first): a
    /// follower that needs it could otherwise never be brought up to date.
    /// </summary>
    /// <returns>The new <see cref="FirstIndex"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Entries below <paramref name="index"/> are not all committed and covered by the snapshot.</exception>
    public ulong CompactTo(ulong index)
    {
        ThrowIfUnusable();
        if (index > HardState.Commit + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Compacting to {index} would drop entries after the commit index {HardState.Commit}.");
        }

        if (index > Snapshot.Index + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Compacting to {index} would drop entries no snapshot covers (snapshot at {Snapshot.Index}).");
        }

        var drop = 0;
        while (drop + 1 < _segments.Count && _segments[drop + 1].FirstIndex <= index)
        {
            drop++;
        }

        if (drop == 0)
        {
            return FirstIndex;
        }

        var compactedIndex = _segments[drop].FirstIndex - 1;
        var compactedTerm = Term(compactedIndex);
        try
        {
            // The hard state file records the compaction point first; segments left below it by a crash are deleted on open.
            WriteState(HardState, compactedIndex, compactedTerm);
            _slots.RemoveRange(0, (int)(compactedIndex - _compactedIndex));
            _compactedIndex = compactedIndex;
            _compactedTerm = compactedTerm;
            var dropped = _segments.GetRange(0, drop);
            _segments.RemoveRange(0, drop);
            foreach (var segment in dropped)
            {
                segment.File.Dispose();
                _fs.Delete(segment.Path);
            }

            _fs.SyncDirectory(Directory);
        }
        catch
        {
            _failed = true;
            throw;
        }

        return FirstIndex;
    }

    /// <inheritdoc/>
    /// <exception cref="IOException">A write failed; the log refuses further use until reopened.</exception>
    public void ApplySnapshot(SnapshotMetadata snapshot)
    {
        ThrowIfUnusable();
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.IsEmpty || snapshot.Index <= Snapshot.Index || snapshot.Index < HardState.Commit)
        {
            throw new InvalidOperationException($"Snapshot at {snapshot.Index} is not newer than the stored snapshot ({Snapshot.Index}) and commit ({HardState.Commit}).");
        }

        try
        {
            WriteSnapshotFile(snapshot);
            DiscardAll(snapshot);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Entries stay until <see cref="CompactTo"/>, which drops whole segments only.</remarks>
    public void CreateSnapshot(SnapshotMetadata snapshot)
    {
        ThrowIfUnusable();
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Index <= Snapshot.Index || snapshot.Index > HardState.Commit || snapshot.Index < _compactedIndex || Term(snapshot.Index) != snapshot.Term)
        {
            throw new InvalidOperationException(
                $"Snapshot at {snapshot.Index}/{snapshot.Term} must be newer than {Snapshot.Index}, committed (commit {HardState.Commit}) and match a stored entry.");
        }

        try
        {
            WriteSnapshotFile(snapshot);
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Closes the log's files and releases its directory lock.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var segment in _segments)
        {
            segment.File.Dispose();
        }

        _lock.Dispose();
    }

    private int SlotOf(ulong index) => (int)(index - _compactedIndex - 1);

    private void WriteSnapshotFile(SnapshotMetadata snapshot)
    {
        var header = SnapshotFormat.EncodeHeader(snapshot);
        var bytes = new byte[header.Length + 4];
        header.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(header.Length), Crc32C.Compute(header));
        _fs.ReplaceAtomically(SnapshotPath, bytes);
        Snapshot = snapshot;
    }

    /// <summary>Drops every entry (newest segment first) and moves the compaction point to the installed snapshot.</summary>
    private void DiscardAll(SnapshotMetadata snapshot)
    {
        // One directory fsync per segment: a crash then leaves a prefix of the old log, which still opens.
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            _segments[i].File.Dispose();
            _fs.Delete(_segments[i].Path);
            _fs.SyncDirectory(Directory);
        }

        _segments.Clear();
        _slots.Clear();
        var state = HardState with { Commit = Math.Max(HardState.Commit, snapshot.Index) };
        WriteState(state, snapshot.Index, snapshot.Term);
        HardState = state;
        _compactedIndex = snapshot.Index;
        _compactedTerm = snapshot.Term;
    }

    private SnapshotMetadata ReadSnapshotFile()
    {
        using var file = _fs.Open(SnapshotPath, create: false);
        var length = file.Length;
        if (length < SnapshotFormat.FixedHeaderSize + 4 || length > SnapshotFormat.FixedHeaderSize + (8 * SnapshotFormat.MaxMembers) + 4)
        {
            throw new CorruptionException($"{SnapshotPath} at offset 0: the file is {length} bytes, not a snapshot record.");
        }

        var bytes = new byte[length];
        ReadExactly(SnapshotPath, file, bytes);
        var header = bytes.AsSpan(0, bytes.Length - 4);
        if (!SnapshotFormat.TryReadFixedHeader(header, out var rest, out var error)
            || SnapshotFormat.FixedHeaderSize + rest != header.Length
            || Crc32C.Compute(header) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(header.Length))
            || !SnapshotFormat.TryDecodeHeader(header, out var snapshot, out error))
        {
            throw new CorruptionException($"{SnapshotPath} at offset 0: {error ?? "CRC mismatch or bad length"}. Refusing to open: the snapshot the log starts from cannot be guessed.");
        }

        return snapshot;
    }

    private static void ReadExactly(string path, IStorageFile file, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = file.Read(done, buffer[done..]);
            if (read == 0)
            {
                throw new CorruptionException($"{path} at offset {done}: the file ends early.");
            }

            done += read;
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new InvalidOperationException($"An earlier write to the Raft log in {Directory} failed; reopen it to recover.");
        }
    }

    private void WriteState(HardState state, ulong compactedIndex, ulong compactedTerm)
    {
        try
        {
            _fs.ReplaceAtomically(StatePath, RaftLogFormat.EncodeState(state, compactedIndex, compactedTerm));
        }
        catch
        {
            _failed = true;
            throw;
        }
    }

    /// <summary>Checks the encoded batch decodes back to the entries and its seal, before it reaches the disk.</summary>
    private void Verify(byte[] buffer, IReadOnlyList<Entry> entries, int[] sizes)
    {
        var at = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (!RaftLogFormat.TryReadFrame(buffer.AsSpan(at, sizes[i]), _options.MaxEntrySize, out var decoded, out var size, out var error) ||
                size != sizes[i] || decoded.Index != entries[i].Index || decoded.Term != entries[i].Term || decoded.Type != entries[i].Type ||
                !decoded.Data.Span.SequenceEqual(entries[i].Data.Span))
            {
                throw new InvalidOperationException($"Entry {entries[i].Index} did not verify after encoding ({error ?? "contents differ"}); nothing was written.");
            }

            at += size;
        }

        if (at + RaftLogFormat.SealSize != buffer.Length || !RaftLogFormat.TryReadSeal(buffer.AsSpan(at), out var sealedIndex) || sealedIndex != entries[^1].Index)
        {
            throw new InvalidOperationException($"The seal after entry {entries[^1].Index} did not verify after encoding; nothing was written.");
        }
    }

    private Segment CreateSegment(ulong firstIndex)
    {
        var path = Path.Combine(Directory, SegmentName(firstIndex));
        var file = _fs.Open(path, create: true);
        var segment = new Segment(firstIndex, path, file);
        _segments.Add(segment);
        if (file.Length > 0)
        {
            file.Truncate(0); // a leftover no recovery kept
        }

        _fs.SyncDirectory(Directory);
        return segment;
    }

    /// <summary>Drops the entries from <paramref name="index"/> on: later segments first, then the cut.</summary>
    private void TruncateFrom(ulong index)
    {
        var slot = _slots[SlotOf(index)];
        var removed = false;
        for (var i = _segments.Count - 1; _segments[i] != slot.Segment; i--)
        {
            var segment = _segments[i];
            segment.File.Dispose();
            _fs.Delete(segment.Path);
            _segments.RemoveAt(i);
            removed = true;
        }

        if (removed)
        {
            _fs.SyncDirectory(Directory);
        }

        // The entries kept before the cut may have been acknowledged: seal them again (in the same fsync as the cut)
        // unless the cut falls just after a seal, so a bit flipped in the last of them later reads as corruption.
        var length = slot.Offset;
        slot.Segment.File.Truncate(length);
        if (length > 0 && !EndsWithSeal(index - 1, slot))
        {
            length += WriteSeal(slot.Segment.File, length, index - 1);
        }

        slot.Segment.File.Sync();
        slot.Segment.Length = length;
        _slots.RemoveRange(SlotOf(index), _slots.Count - SlotOf(index));
    }

    /// <summary>Writes (without syncing) a seal covering the entries up to <paramref name="lastIndex"/>; returns its size.</summary>
    private static int WriteSeal(IStorageFile file, long offset, ulong lastIndex)
    {
        Span<byte> seal = stackalloc byte[RaftLogFormat.SealSize];
        RaftLogFormat.WriteSeal(seal, lastIndex);
        file.Write(offset, seal);
        return RaftLogFormat.SealSize;
    }

    /// <summary>Whether a seal lies between the entry at <paramref name="index"/> and the next one, at <paramref name="next"/>.</summary>
    private bool EndsWithSeal(ulong index, Slot next)
    {
        // A gap between two frames of one segment is exactly a seal: appends write nothing else.
        if (index <= _compactedIndex)
        {
            return false;
        }

        var previous = _slots[SlotOf(index)];
        return previous.Segment == next.Segment && previous.Offset + previous.Size < next.Offset;
    }

    private static string SegmentName(ulong firstIndex) => firstIndex.ToString($"D{SegmentNameDigits}", CultureInfo.InvariantCulture) + SegmentExtension;

    private void Recover()
    {
        var names = _fs.ListFiles(Directory);
        foreach (var name in names.Where(n => n.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            _fs.Delete(Path.Combine(Directory, name)); // an interrupted hard-state replacement
        }

        if (_fs.FileExists(StatePath))
        {
            using var file = _fs.Open(StatePath, create: false);
            var length = file.Length;
            if (length != RaftLogFormat.StateSize)
            {
                throw new CorruptionException($"{StatePath} at offset 0: the file is {length} bytes, expected {RaftLogFormat.StateSize}. Refusing to open: the term and vote cannot be guessed.");
            }

            var bytes = new byte[RaftLogFormat.StateSize];
            var read = file.Read(0, bytes);
            if (!RaftLogFormat.TryDecodeState(bytes.AsSpan(0, read), out var state, out _compactedIndex, out _compactedTerm, out var error))
            {
                throw new CorruptionException($"{StatePath} at offset 0: {error}. Refusing to open: the term and vote cannot be guessed.");
            }

            HardState = state;
        }

        var segments = new List<(ulong First, string Name)>();
        foreach (var name in names.Where(n => n.EndsWith(SegmentExtension, StringComparison.Ordinal)))
        {
            var stem = name[..^SegmentExtension.Length];
            if (stem.Length != SegmentNameDigits || !ulong.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                throw new CorruptionException($"{Path.Combine(Directory, name)}: not a segment name (<first-index:D20>{SegmentExtension}).");
            }

            segments.Add((first, name));
        }

        segments.Sort((a, b) => a.First.CompareTo(b.First));

        // Segments wholly below the compaction point are leftovers of a CompactTo that crashed before deleting them.
        var leftovers = 0;
        while (leftovers + 1 < segments.Count && segments[leftovers + 1].First <= _compactedIndex + 1)
        {
            leftovers++;
        }

        if (leftovers > 0)
        {
            foreach (var (_, name) in segments.Take(leftovers))
            {
                _fs.Delete(Path.Combine(Directory, name));
            }

            _fs.SyncDirectory(Directory);
            segments.RemoveRange(0, leftovers);
        }

        var expected = _compactedIndex + 1;
        var previousTerm = _compactedTerm;
        for (var s = 0; s < segments.Count; s++)
        {
            var path = Path.Combine(Directory, segments[s].Name);
            if (segments[s].First != expected)
            {
                throw new CorruptionException($"{path} at offset 0: the segment starts at index {segments[s].First}, expected {expected} (entries are missing).");
            }

            var segment = new Segment(segments[s].First, path, _fs.Open(path, create: false));
            _segments.Add(segment);
            var length = segment.File.Length;
            if (length > Array.MaxLength)
            {
                throw new CorruptionException($"{path}: {length} bytes, larger than a segment can be.");
            }

            var data = new byte[length];
            ReadExactly(segment, 0, data);
            var last = s == segments.Count - 1;
            var position = 0;
            var sealedUpTo = 0; // where the last seal of this segment ends: everything before it was written in full
            while (position < data.Length)
            {
                var ok = RaftLogFormat.TryReadFrame(data.AsSpan(position), _options.MaxEntrySize, out var entry, out var size, out var error);
                if (ok && entry.Index == expected && entry.Term >= previousTerm)
                {
                    _slots.Add(new Slot(entry.Term, segment, position, size));
                    previousTerm = entry.Term;
                    expected++;
                    position += size;
                    continue;
                }

                if (ok)
                {
                    throw new CorruptionException(
                        $"{path} at offset {position}: frame holds entry {entry.Term}/{entry.Index}, expected index {expected} with a term of at least {previousTerm}.");
                }

                if (RaftLogFormat.TryReadSeal(data.AsSpan(position), out var sealedIndex))
                {
                    if (sealedIndex != expected - 1)
                    {
                        throw new CorruptionException($"{path} at offset {position}: a seal names entry {sealedIndex}, but the entry before it is {expected - 1}.");
                    }

                    position += RaftLogFormat.SealSize;
                    sealedUpTo = position;
                    continue;
                }

                if (!last)
                {
                    throw new CorruptionException($"{path} at offset {position}: {error}, with later segments after it; this is not a torn tail.");
                }

                if (FindValidRecordAfter(data, position + 1) is { } after)
                {
                    // Something written after these bytes reached the disk: they were written in full (a seal after
                    // them was even synced with them), so they are damaged, not torn. The entry may have been
                    // acknowledged; dropping it could lose a committed write.
                    throw new CorruptionException(
                        $"{path} at offset {position}: {error}, with a valid {after.Kind} at offset {after.Offset} after it; this is corruption of "
                        + "written entries, not a torn tail. Refusing to open: an entry here may have been acknowledged to a leader.");
                }

                // A torn tail: the crash interrupted the last append before its fsync returned. Cut it off.
                segment.File.Truncate(position);
                break;
            }

            if (last && (sealedUpTo < position || position < data.Length))
            {
                // Seal the entries kept after the last seal (a torn append's whole frames, or a log written before
                // seals existed), so from now on a bit flipped in them reads as corruption, not as a torn tail.
                if (sealedUpTo < position)
                {
                    position += WriteSeal(segment.File, position, expected - 1);
                }

                segment.File.Sync();
            }

            segment.Length = position;
        }

        if (_fs.FileExists(SnapshotPath))
        {
            Snapshot = ReadSnapshotFile();
            var holds = Snapshot.Index >= _compactedIndex && Snapshot.Index <= LastIndex && Term(Snapshot.Index) == Snapshot.Term;
            if (Snapshot.Index > _compactedIndex && !holds)
            {
                // The snapshot record is ahead of a log that lacks its entry: an install the crash interrupted.
                DiscardAll(Snapshot);
            }
        }

        if (HardState.Commit > LastIndex)
        {
            throw new CorruptionException($"{StatePath}: the hard state commits index {HardState.Commit}, but the log in {Directory} ends at {LastIndex}.");
        }
    }

    /// <summary>The first valid frame or seal starting at or after <paramref name="from"/>, if any.</summary>
    private (string Kind, int Offset)? FindValidRecordAfter(byte[] data, int from)
    {
        Span<byte> frameMagic = stackalloc byte[4];
        Span<byte> sealMagic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(frameMagic, RaftLogFormat.FrameMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(sealMagic, RaftLogFormat.SealMagic);
        for (var position = from; position < data.Length; position++)
        {
            var rest = data.AsSpan(position);
            var frame = rest.IndexOf(frameMagic);
            var seal = rest.IndexOf(sealMagic);
            if (frame < 0 && seal < 0)
            {
                return null;
            }

            if (seal < 0 || (frame >= 0 && frame < seal))
            {
                position += frame;
                if (RaftLogFormat.TryReadFrame(data.AsSpan(position), _options.MaxEntrySize, out _, out _, out _))
                {
                    return ("frame", position);
                }
            }
            else
            {
                position += seal;
                if (RaftLogFormat.TryReadSeal(data.AsSpan(position), out _))
                {
                    return ("seal", position);
                }
            }
        }

        return null;
    }

    private static void ReadExactly(Segment segment, long offset, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = segment.File.Read(offset + done, buffer[done..]);
            if (read == 0)
            {
                throw new CorruptionException($"{segment.Path} at offset {offset + done}: the file ends before the frame the index expects.");
            }

            done += read;
        }
    }

    private sealed class Segment(ulong firstIndex, string path, IStorageFile file)
    {
        public ulong FirstIndex => firstIndex;

        public string Path => path;

        public IStorageFile File => file;

        public long Length { get; set; }
    }

    private readonly record struct Slot(ulong Term, Segment Segment, long Offset, int Size);
}
