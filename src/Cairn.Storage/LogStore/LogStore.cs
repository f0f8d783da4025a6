using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using Cairn.Core;
using Cairn.Storage.IO;

namespace Cairn.Storage.LogStore;

/// <summary>
/// Cairn's default engine: append-only segment files of checksummed records, an in-memory ordered index of where
/// each key's latest value lies, hint files that let a restart skip the data, and background compaction that
/// rewrites segments full of overwritten or deleted records.
/// </summary>
/// <remarks>
/// <para>Writes append one frame per batch to the active segment under a write lock, then wait for durability as
/// <see cref="LogStoreOptions.Sync"/> says. The index is updated before the write is durable, so a reader may see
/// a write whose writer has not yet been acknowledged; an acknowledged write is always durable.</para>
/// <para>Every operation carries a sequence number. On open, the highest sequence number of a key wins, which
/// keeps compaction (which copies old records into new segments) from reordering history.</para>
/// </remarks>
public sealed class LogStore : IKvEngine
{
    private const string LockFileName = "LOCK";
    private const int SmallReadSize = 4096;

    private readonly string _directory;
    private readonly LogStoreOptions _options;
    private readonly IFileSystem _fs;
    private readonly IDisposable _directoryLock;
    private readonly Lock _writeLock = new();
    private readonly Lock _indexLock = new();
    private readonly Lock _compactionLock = new();
    private readonly OrderedIndex<Location> _index;
    private readonly Dictionary<uint, Segment> _segments = [];
    private readonly List<Task> _hintWrites = [];
    private readonly GroupCommitter? _committer;
    private readonly PeriodicSyncer? _periodic;
    private readonly CheckpointFile _checkpoint;
    private readonly Thread? _compactor;
    private readonly AutoResetEvent _compactionSignal = new(false);
    private readonly RecordCache _cache;
    private Segment? _active; // created by the first write, so opening a store to read it writes nothing
    private uint _nextSegmentId;
    private ulong _lastSeq;
    private ulong _writtenSeq; // the last sequence number handed to the operating system
    private byte[]? _pending; // deferred frames not yet written, which belong at _active.FlushedLength
    private int _pendingLength;
    private long _keyBytes;
    private long _corruptRecords;
    private long _compactions;
    private long _reclaimedBytes;
    private Exception? _writeFailure;
    private volatile bool _disposed;

    private LogStore(string directory, LogStoreOptions options, IDisposable directoryLock, RecoveredState state)
    {
        _directory = directory;
        _options = options;
        _fs = options.FileSystem;
        _directoryLock = directoryLock;
        _index = state.Index;
        _keyBytes = state.KeyBytes;
        _lastSeq = _writtenSeq = state.LastSeq;
        _corruptRecords = state.Report.CorruptRegions;
        foreach (var segment in state.Segments)
        {
            _segments.Add(segment.Id, segment);
        }

        Recovery = state.Report;
        _cache = new RecordCache(options.ReadCacheBytes, maxValueSize: 4096);
        _checkpoint = new CheckpointFile(_fs, directory);
        _nextSegmentId = state.NextSegmentId;
        if (options.Sync == SyncPolicy.GroupCommit)
        {
            _committer = new GroupCommitter(SyncWritten, "cairn-logstore-commit");
        }
        else if (options.Sync == SyncPolicy.Periodic)
        {
            _periodic = new PeriodicSyncer(SyncWritten, () => Volatile.Read(ref _lastSeq), RecordSyncFailure, options.SyncInterval, "cairn-logstore-sync");
        }

        if (options.BackgroundCompaction)
        {
            _compactor = new Thread(CompactInBackground) { IsBackground = true, Name = "cairn-logstore-compact" };
            _compactor.Start();
        }
    }

    /// <inheritdoc/>
    public int MaxKeySize => _options.MaxKeySize;

    /// <inheritdoc/>
    public int MaxValueSize => _options.MaxValueSize;

    /// <summary>What opening the store found: how the index was rebuilt and what was repaired.</summary>
    public RecoveryReport Recovery { get; }

    /// <inheritdoc/>
    public ulong CheckpointIndex => _checkpoint.Index;

    /// <summary>The directory the store lives in.</summary>
    public string Directory => _directory;

    /// <summary>
    /// Opens the store in <paramref name="directory"/>, creating it when missing (unless the options say not to),
    /// and rebuilds the index from hint files, scanning only segments without one.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No store exists there and creation is off.</exception>
    /// <exception cref="IOException">Another process has the store open.</exception>
    public static LogStore Open(string directory, LogStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new LogStoreOptions();
        options.Validate();
        var fs = options.FileSystem;
        if (!fs.DirectoryExists(directory))
        {
            if (!options.CreateIfMissing)
            {
                throw new DirectoryNotFoundException($"No store at {directory}.");
            }

            fs.CreateDirectory(directory);
        }

        var directoryLock = fs.LockExclusive(Path.Combine(directory, LockFileName));
        try
        {
            var state = LogStoreRecovery.Recover(fs, directory);
            return new LogStore(directory, options, directoryLock, state);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        Location location;
        lock (_indexLock)
        {
            if (!_index.TryGetValue(key, out location))
            {
                return null;
            }

            var acquired = location.Segment.TryAcquire();
            Debug.Assert(acquired, "a segment the index points at is never released");
        }

        try
        {
            var value = new byte[location.ValueLength];
            ReadThroughCache(location, key, value);
            return value;
        }
        finally
        {
            location.Segment.Release(DeleteSegmentFiles);
        }
    }

    /// <inheritdoc/>
    public long GetSize(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        lock (_indexLock)
        {
            return _index.TryGetValue(key, out var location) ? location.ValueLength : -1;
        }
    }

    /// <inheritdoc/>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => WaitDurable(PutCore(key, value, deferred: false));

    /// <inheritdoc/>
    public ulong PutDeferred(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => PutCore(key, value, deferred: true);

    private ulong PutCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool deferred)
    {
        KeyLimits.CheckPut(this, key, value);
        var size = RecordFormat.FrameHeaderSize + RecordFormat.OpSize(key.Length, value.Length) + RecordFormat.SealSize;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            RecordFormat.WriteOp(buffer.AsSpan(RecordFormat.FrameHeaderSize), RecordFormat.KindPut, key, value);
            return AppendOne(buffer.AsSpan(0, size), RecordFormat.KindPut, key, value.Length, deferred);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        WaitDurable(DeleteCore(key, deferred: false, out var existed));
        return existed;
    }

    /// <inheritdoc/>
    public ulong DeleteDeferred(ReadOnlySpan<byte> key, out bool existed) => DeleteCore(key, deferred: true, out existed);

    private ulong DeleteCore(ReadOnlySpan<byte> key, bool deferred, out bool existed)
    {
        KeyLimits.CheckKey(this, key);
        existed = GetSize(key) >= 0;
        if (!existed)
        {
            return 0; // nothing to delete: no tombstone needed
        }

        var size = RecordFormat.FrameHeaderSize + RecordFormat.OpSize(key.Length, 0) + RecordFormat.SealSize;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            RecordFormat.WriteOp(buffer.AsSpan(RecordFormat.FrameHeaderSize), RecordFormat.KindDelete, key, default);
            return AppendOne(buffer.AsSpan(0, size), RecordFormat.KindDelete, key, 0, deferred);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public void Write(WriteBatch batch) => WaitDurable(AppendBatch(batch, deferred: false));

    /// <inheritdoc/>
    public ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return WhenDurableAsync(WriteDeferred(batch), cancellationToken);
    }

    /// <inheritdoc/>
    public ulong WriteDeferred(WriteBatch batch) => AppendBatch(batch, deferred: true);

    /// <inheritdoc/>
    public ValueTask WhenDurableAsync(ulong token, CancellationToken cancellationToken = default)
    {
        if (token == 0)
        {
            return ValueTask.CompletedTask;
        }

        if (_committer is not null)
        {
            return _committer.WaitAsync(token); // the committer writes what is buffered before it syncs
        }

        WaitDurable(token);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public int ReadInto(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        ThrowIfDisposed();
        Location location;
        lock (_indexLock)
        {
            if (!_index.TryGetValue(key, out location))
            {
                return -1;
            }

            if (location.ValueLength > destination.Length)
            {
                return (int)location.ValueLength;
            }

            var acquired = location.Segment.TryAcquire();
            Debug.Assert(acquired, "a segment the index points at is never released");
        }

        try
        {
            ReadThroughCache(location, key, destination[..(int)location.ValueLength]);
            return (int)location.ValueLength;
        }
        finally
        {
            location.Segment.Release(DeleteSegmentFiles);
        }
    }

    /// <inheritdoc/>
    public ScanPage Scan(KeyRange range, byte[]? after, int limit, bool keysOnly)
    {
        ArgumentNullException.ThrowIfNull(range);
        KeyLimits.CheckScan(limit);
        ThrowIfDisposed();
        var found = new List<(byte[] Key, Location Location)>(Math.Min(limit, 1024));
        bool more;
        lock (_indexLock)
        {
            more = _index.CopyRange(range, after, limit, found);
        }

        var entries = new List<KvEntry>(found.Count);
        foreach (var (key, location) in found)
        {
            if (keysOnly)
            {
                entries.Add(new KvEntry((byte[])key.Clone(), null, (int)location.ValueLength));
                continue;
            }

            // The key may have moved (compaction) or changed since the index was read: read it afresh.
            var value = location.Segment.TryAcquire() ? ReadAndRelease(location, key) : Get(key);
            if (value is not null)
            {
                entries.Add(new KvEntry((byte[])key.Clone(), value, value.Length));
            }
        }

        return new ScanPage(entries, more && found.Count > 0 ? (byte[])found[^1].Key.Clone() : null);
    }

    /// <inheritdoc/>
    public void Flush()
    {
        ThrowIfDisposed();
        lock (_writeLock)
        {
            ThrowIfWriteFailed();
            FlushPendingLocked();
        }
    }

    /// <inheritdoc/>
    public void Sync()
    {
        ThrowIfDisposed();
        lock (_writeLock)
        {
            ThrowIfWriteFailed();
            FlushPendingLocked();
            _active?.File.Sync(); // older segments were synced when they closed
        }
    }

    /// <inheritdoc/>
    public void Checkpoint(ulong appliedIndex)
    {
        Sync();
        _checkpoint.Write(appliedIndex);
    }

    /// <summary>
    /// Rewrites every closed segment whose garbage ratio is at least <paramref name="minGarbageRatio"/> (default:
    /// the configured ratio; 0 compacts every closed segment), keeping only live records, and deletes the old files.
    /// Runs alongside reads and writes.
    /// </summary>
    public CompactionResult Compact(double? minGarbageRatio = null)
    {
        ThrowIfDisposed();
        lock (_compactionLock)
        {
            var result = new LogStoreCompactor(this).Run(minGarbageRatio ?? _options.CompactionGarbageRatio);
            Interlocked.Add(ref _reclaimedBytes, result.ReclaimedBytes);
            if (result.SegmentsCompacted > 0)
            {
                Interlocked.Increment(ref _compactions);
            }

            return result;
        }
    }

    /// <inheritdoc/>
    public EngineStats GetStats()
    {
        ThrowIfDisposed();
        long keys, liveBytes = 0, storedBytes = 0, files, indexBytes;
        lock (_indexLock)
        {
            keys = _index.Count;
            foreach (var segment in _segments.Values)
            {
                liveBytes += segment.LiveBytes;
                storedBytes += segment.Length;
            }

            files = _segments.Count;

            // Per key: the key array (24 bytes of header and length, data padded to 8: about 4 bytes on average).
            // Per leaf: the leaf object and its two slot arrays (a reference and a 16-byte location per slot).
            indexBytes = (keys * (24 + 4)) + _keyBytes +
                (_index.LeafCount * (32L + 48 + (OrderedIndex<Location>.LeafCapacity * (8 + 16))));
        }

        return new EngineStats
        {
            Engine = "logstore",
            Keys = keys,
            LiveBytes = liveBytes,
            StoredBytes = storedBytes,
            Files = files,
            CorruptRecords = Interlocked.Read(ref _corruptRecords),
            TruncatedBytes = Recovery.TruncatedBytes,
            Compactions = Interlocked.Read(ref _compactions),
            ReclaimedBytes = Interlocked.Read(ref _reclaimedBytes),
            IndexBytes = indexBytes,
            CheckpointIndex = _checkpoint.Index,
        };
    }

    /// <summary>Syncs and closes the store; the active segment gets its hint file so the next open is fast.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        lock (_writeLock)
        {
            _disposed = true; // no append is in progress past this point, and none starts
        }

        _compactionSignal.Set();
        _compactor?.Join();
        _committer?.Dispose();
        _periodic?.Dispose();
        lock (_writeLock)
        {
            if (_writeFailure is null && _active is not null)
            {
                try
                {
                    CloseActive(writeHintNow: true);
                }
                catch (IOException)
                {
                    // The next open scans the segment instead of reading its hint: slower, equally correct.
                }
            }
        }

        Task.WaitAll([.. _hintWrites]);
        lock (_indexLock)
        {
            foreach (var segment in _segments.Values)
            {
                segment.Release();
            }

            _segments.Clear();
            _index.Clear();
        }

        _compactionSignal.Dispose();
        _directoryLock.Dispose();
    }

    internal IFileSystem FileSystem => _fs;

    internal LogStoreOptions Options => _options;

    internal Lock IndexLock => _indexLock;

    internal OrderedIndex<Location> Index => _index;

    /// <summary>Closed segments in id order, taken under the index lock.</summary>
    internal List<Segment> ClosedSegments()
    {
        lock (_indexLock)
        {
            return [.. _segments.Values.Where(s => s.IsClosed).OrderBy(s => s.Id)];
        }
    }

    /// <summary>The smallest sequence number held by any segment other than <paramref name="excluded"/>.</summary>
    internal ulong MinSeqExcept(IReadOnlyCollection<Segment> excluded)
    {
        lock (_indexLock)
        {
            var min = ulong.MaxValue;
            foreach (var segment in _segments.Values)
            {
                if (!excluded.Contains(segment) && segment.MinSeq < min)
                {
                    min = segment.MinSeq;
                }
            }

            return min;
        }
    }

    /// <summary>Creates a new segment file for compaction output (not active, not yet listed).</summary>
    internal Segment CreateCompactionSegment()
    {
        lock (_writeLock)
        {
            return CreateSegmentFile(_nextSegmentId++);
        }
    }

    /// <summary>Lists a finished compaction output and removes the segments it replaced.</summary>
    internal void SwapSegments(Segment? output, IReadOnlyList<Segment> replaced)
    {
        lock (_indexLock)
        {
            if (output is not null)
            {
                _segments.Add(output.Id, output);
            }

            foreach (var segment in replaced)
            {
                Debug.Assert(segment.LiveBytes == 0 || segment.HasCorruption, "a replaced segment holds no live record");
                _segments.Remove(segment.Id);
            }
        }

        foreach (var segment in replaced)
        {
            segment.Retire(DeleteSegmentFiles);
        }

        _fs.SyncDirectory(_directory);
    }

    /// <summary>Abandons a compaction output that will not be used.</summary>
    internal void DiscardSegment(Segment segment)
    {
        segment.Retire(DeleteSegmentFiles);
    }

    internal void CountCorruption() => Interlocked.Increment(ref _corruptRecords);

    /// <summary>Reads and verifies the record at <paramref name="location"/>; the caller holds a reference to its segment.</summary>
    internal static byte[] ReadValue(Location location, ReadOnlySpan<byte> key)
    {
        var value = new byte[location.ValueLength];
        ReadValue(location, key, value);
        return value;
    }

    /// <summary>
    /// Reads the value at <paramref name="location"/> into <paramref name="value"/> (exactly its length) and
    /// verifies the record's checksum and key; the caller holds a reference to its segment.
    /// </summary>
    internal static void ReadValue(Location location, ReadOnlySpan<byte> key, Span<byte> value)
    {
        Debug.Assert(value.Length == location.ValueLength, "the destination is exactly the value's length");
        var opSize = location.OpSize(key.Length);
        var headerAndKey = RecordFormat.OpHeaderSize + key.Length;
        var file = location.Segment.File;
        var rented = ArrayPool<byte>.Shared.Rent(opSize <= SmallReadSize ? opSize : headerAndKey);
        try
        {
            uint crc;
            if (opSize <= SmallReadSize)
            {
                // One read for small records.
                var op = rented.AsSpan(0, opSize);
                if (file.Read(location.Offset, op) != opSize)
                {
                    throw Corrupt(location, "the record is cut short");
                }

                op[headerAndKey..].CopyTo(value);
                crc = Crc32C.Compute(op[4..]);
            }
            else
            {
                // Large values are read straight into the destination, with no second copy.
                var head = rented.AsSpan(0, headerAndKey);
                if (file.Read(location.Offset, head) != headerAndKey || file.Read(location.Offset + headerAndKey, value) != value.Length)
                {
                    throw Corrupt(location, "the record is cut short");
                }

                crc = Crc32C.Append(Crc32C.Compute(head[4..]), value);
            }

            var header = rented.AsSpan(0, headerAndKey);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != crc)
            {
                value.Clear();
                throw Corrupt(location, "checksum mismatch");
            }

            if (header[4] != RecordFormat.KindPut ||
                BinaryPrimitives.ReadUInt32LittleEndian(header[5..]) != (uint)key.Length ||
                BinaryPrimitives.ReadUInt32LittleEndian(header[9..]) != location.ValueLength ||
                !header[RecordFormat.OpHeaderSize..].SequenceEqual(key))
            {
                value.Clear();
                throw Corrupt(location, "the record is not the one the index expects");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Reads a value from the cache, or from disk (verified) and then into the cache.</summary>
    private void ReadThroughCache(Location location, ReadOnlySpan<byte> key, Span<byte> value)
    {
        if (_cache.Enabled && _cache.TryCopy(location, value))
        {
            return;
        }

        EnsureFlushed(location, key.Length);
        ReadValue(location, key, value);
        _cache.Add(location, value);
    }

    private static CorruptionException Corrupt(Location location, string why) =>
        new($"Corrupt record in {location.Segment.File.Path} at offset {location.Offset}: {why}. The value is not returned.");

    private byte[]? ReadAndRelease(Location location, byte[] key)
    {
        try
        {
            EnsureFlushed(location, key.Length);
            return ReadValue(location, key);
        }
        catch (CorruptionException)
        {
            CountCorruption();
            throw;
        }
        finally
        {
            location.Segment.Release(DeleteSegmentFiles);
        }
    }

    private ulong AppendBatch(WriteBatch batch, bool deferred)
    {
        KeyLimits.CheckBatch(this, batch);
        if (batch.Count == 0)
        {
            return 0;
        }

        long size = RecordFormat.FrameHeaderSize + RecordFormat.SealSize;
        foreach (var op in batch.Operations)
        {
            size += RecordFormat.OpSize(op.Key.Length, op.Value?.Length ?? 0);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)size);
        try
        {
            var ops = new PendingOp[batch.Count];
            var at = RecordFormat.FrameHeaderSize;
            for (var i = 0; i < ops.Length; i++)
            {
                var op = batch.Operations[i];
                var kind = op.IsDelete ? RecordFormat.KindDelete : RecordFormat.KindPut;
                ops[i] = new PendingOp(kind, (byte[])op.Key.Clone(), at, op.Value?.Length ?? 0);
                at += RecordFormat.WriteOp(buffer.AsSpan(at), kind, op.Key, op.Value);
            }

            return Append(buffer.AsSpan(0, (int)size), ops, deferred);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Appends one frame whose operations are already encoded after the reserved header (with room for a seal after
    /// them), updates the index, and returns the sequence number of its last operation; the caller then waits for
    /// durability.
    /// </summary>
    private ulong Append(Span<byte> record, PendingOp[] ops, bool deferred)
    {
        lock (_writeLock)
        {
            var (active, offset, firstSeq) = WriteFrameLocked(record, ops.Length, deferred);
            lock (_indexLock)
            {
                for (var i = 0; i < ops.Length; i++)
                {
                    var op = ops[i];
                    var location = new Location(active, (uint)(offset + op.FrameOffset), (uint)op.ValueLength);
                    ApplyLocked(op.Kind, op.Key, location);
                    NoteHintLocked(active, op.Kind, firstSeq + (ulong)i, location, op.Key);
                }
            }

            return _lastSeq;
        }
    }

    /// <summary>
    /// <see cref="Append"/> for a frame of one operation. Overwriting or deleting a key that is present allocates
    /// nothing: the index's own key array serves the hint entry too.
    /// </summary>
    private ulong AppendOne(Span<byte> record, byte kind, ReadOnlySpan<byte> key, int valueLength, bool deferred)
    {
        lock (_writeLock)
        {
            var (active, offset, seq) = WriteFrameLocked(record, 1, deferred);
            var location = new Location(active, (uint)(offset + RecordFormat.FrameHeaderSize), (uint)valueLength);
            lock (_indexLock)
            {
                byte[] storedKey;
                if (kind == RecordFormat.KindPut && _index.TryUpdate(key, location, out var previous, out storedKey))
                {
                    previous.Segment.LiveBytes -= previous.OpSize(key.Length);
                    location.Segment.LiveBytes += location.OpSize(key.Length);
                }
                else
                {
                    storedKey = key.ToArray();
                    ApplyLocked(kind, storedKey, location);
                }

                NoteHintLocked(active, kind, seq, location, storedKey);
            }

            return _lastSeq;
        }
    }

    /// <summary>
    /// Writes a frame at the end of the active segment (opening or rotating it as needed) and assigns its sequence
    /// numbers. A <paramref name="deferred"/> frame that fits goes to the write buffer, to be written with others
    /// when someone waits for it; any other frame is written now, after what is buffered. Every write to the file
    /// ends with a seal in the same write (ADR 0017): <paramref name="record"/> is the frame followed by
    /// <see cref="RecordFormat.SealSize"/> bytes of room for it. Runs under the write lock.
    /// </summary>
    private (Segment Active, long Offset, ulong FirstSeq) WriteFrameLocked(Span<byte> record, int opCount, bool deferred)
    {
        var frame = record[..^RecordFormat.SealSize];
        ThrowIfDisposed();
        ThrowIfWriteFailed();
        if (_active is not null && _active.Length > RecordFormat.SegmentHeaderSize && _active.Length + record.Length > _options.SegmentSize)
        {
            RotateActive();
        }

        var active = _active ??= CreateSegment();
        var firstSeq = _lastSeq + 1;
        RecordFormat.WriteFrameHeader(frame, frame.Length - RecordFormat.FrameHeaderSize, opCount, firstSeq);
        if (deferred && record.Length <= _options.WriteBufferBytes)
        {
            if (_pendingLength + record.Length > _options.WriteBufferBytes) // room for the seal the flush adds
            {
                FlushPendingLocked();
            }

            // Only now: a flush ends with a seal, which moves the end of the segment.
            var offset = active.Length;
            _pending ??= new byte[_options.WriteBufferBytes];
            frame.CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += frame.Length;
            active.Length = offset + frame.Length;
            _lastSeq = firstSeq + (ulong)opCount - 1;
            return (active, offset, firstSeq);
        }

        FlushPendingLocked();
        var at = active.Length; // after the flush's seal
        try
        {
            RecordFormat.WriteSeal(record[frame.Length..], at + frame.Length);
            active.File.Write(at, record);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The tail may hold part of the frame; cut it off so the next frame starts clean. If even that
            // fails, stop taking writes: the file's state is unknown.
            try
            {
                active.File.Truncate(at);
            }
            catch (IOException truncateError)
            {
                _writeFailure = truncateError;
            }

            throw new IOException($"Write to {active.File.Path} failed: {e.Message}", e);
        }

        active.Length = at + record.Length;
        active.FlushedLength = active.Length;
        _lastSeq = firstSeq + (ulong)opCount - 1;
        _writtenSeq = _lastSeq;
        return (active, at, firstSeq);
    }

    /// <summary>
    /// Hands the buffered frames to the operating system in one write, ending with a seal (the buffer always keeps
    /// room for it). A failure stops the store taking writes:
    /// the buffered frames are already in the index, and other writers' frames among them cannot be taken back.
    /// Runs under the write lock.
    /// </summary>
    private void FlushPendingLocked()
    {
        if (_pendingLength == 0)
        {
            return;
        }

        var active = _active!;
        var at = active.FlushedLength;
        RecordFormat.WriteSeal(_pending.AsSpan(_pendingLength), at + _pendingLength);
        try
        {
            active.File.Write(at, _pending.AsSpan(0, _pendingLength + RecordFormat.SealSize));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                active.File.Truncate(at); // a partial frame must not sit in front of the next store's appends
            }
            catch (IOException)
            {
                // Recovery cuts a torn tail off at the next open anyway.
            }

            _writeFailure ??= e;
            throw new IOException($"Write to {active.File.Path} failed: {e.Message}. Buffered writes were lost, so the store takes no more writes; reopen it.", e);
        }

        active.Length += RecordFormat.SealSize; // the buffered frames were the tail, so the seal follows them
        active.FlushedLength = active.Length;
        _pendingLength = 0;
        _writtenSeq = _lastSeq;
    }

    /// <summary>Makes sure a read at <paramref name="location"/> finds its record in the file, not only in the write buffer.</summary>
    private void EnsureFlushed(Location location, int keyLength)
    {
        var end = location.Offset + location.OpSize(keyLength);
        if (end <= location.Segment.FlushedLength)
        {
            return;
        }

        lock (_writeLock)
        {
            if (end > location.Segment.FlushedLength)
            {
                FlushPendingLocked();
            }
        }
    }

    /// <summary>Makes sure <paramref name="seq"/> has been handed to the operating system (it survives the process dying).</summary>
    private void EnsureWritten(ulong seq)
    {
        if (Volatile.Read(ref _writtenSeq) >= seq)
        {
            return;
        }

        lock (_writeLock)
        {
            if (_writtenSeq < seq)
            {
                ThrowIfWriteFailed();
                FlushPendingLocked();
            }
        }
    }

    private static void NoteHintLocked(Segment active, byte kind, ulong seq, Location location, byte[] key)
    {
        active.PendingHints!.Add(new HintEntry(kind, seq, location.Offset, location.ValueLength, key));
        if (seq < active.MinSeq)
        {
            active.MinSeq = seq;
        }
    }

    private void ApplyLocked(byte kind, byte[] key, Location location)
    {
        if (kind == RecordFormat.KindPut)
        {
            if (_index.Set(key, location, out var previous))
            {
                previous.Segment.LiveBytes -= previous.OpSize(key.Length);
            }
            else
            {
                _keyBytes += key.Length;
            }

            location.Segment.LiveBytes += location.OpSize(key.Length);
        }
        else if (_index.Remove(key, out var removed))
        {
            removed.Segment.LiveBytes -= removed.OpSize(key.Length);
            _keyBytes -= key.Length;
        }
    }

    private void WaitDurable(ulong seq)
    {
        if (seq == 0)
        {
            return;
        }

        if (_committer is not null)
        {
            _committer.Wait(seq);
        }
        else if (_options.Sync == SyncPolicy.Always)
        {
            // Outside the write lock: any fsync that starts after the append covers it, so concurrent writers'
            // fsyncs overlap (the kernel merges them) instead of queueing on the lock one by one.
            SyncWritten();
        }
        else
        {
            EnsureWritten(seq); // Periodic and None: acknowledged once the kernel has it
        }
    }

    /// <summary>
    /// Makes everything written so far durable by syncing the active segment (rotation already synced the older
    /// ones) and returns the last sequence number covered. The group committer's sync, and Always's.
    /// </summary>
    private ulong SyncWritten()
    {
        Segment segment;
        ulong seq;
        lock (_writeLock)
        {
            ThrowIfWriteFailed(); // after a failed sync nothing pending can be called durable
            FlushPendingLocked();
            seq = _writtenSeq;
            if (_active is null)
            {
                return seq; // nothing written since the last segment closed, and closing synced it
            }

            segment = _active;
            if (!segment.TryAcquire())
            {
                return seq; // closed by rotation, which synced it
            }
        }

        try
        {
            segment.File.Sync();
            return seq;
        }
        finally
        {
            segment.Release(DeleteSegmentFiles);
        }
    }

    /// <summary>A periodic fsync failed: nothing since the last good one can be called durable, so writes stop.</summary>
    private void RecordSyncFailure(Exception failure)
    {
        lock (_writeLock)
        {
            _writeFailure ??= failure;
        }
    }

    /// <summary>Closes the active segment (synced, so its hint never names lost data); the next write starts a new one.</summary>
    private void RotateActive()
    {
        CloseActive(writeHintNow: false);
        _compactionSignal.Set();
    }

    private void CloseActive(bool writeHintNow)
    {
        var closing = _active!;
        FlushPendingLocked(); // records its own failure
        try
        {
            closing.File.Sync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The segment's unsynced writes may be gone: nothing written since its last sync may be acknowledged.
            _writeFailure ??= e;
            throw;
        }

        _active = null; // only once synced: the committer reads "no active segment" as "everything is durable"
        var hints = closing.PendingHints!;
        lock (_indexLock)
        {
            closing.IsClosed = true;
            closing.PendingHints = null;
        }

        if (writeHintNow)
        {
            HintFile.Write(_fs, _directory, closing.Id, hints);
        }
        else
        {
            _hintWrites.RemoveAll(t => t.IsCompleted);
            _hintWrites.Add(Task.Run(() =>
            {
                try
                {
                    HintFile.Write(_fs, _directory, closing.Id, hints);
                }
                catch (IOException)
                {
                    // Without a hint the next open scans this segment: slower, equally correct.
                }
            }));
        }
    }

    private Segment CreateSegment()
    {
        var segment = CreateSegmentFile(_nextSegmentId++);
        lock (_indexLock)
        {
            _segments.Add(segment.Id, segment);
        }

        return segment;
    }

    private Segment CreateSegmentFile(uint id)
    {
        var path = Path.Combine(_directory, Segment.FileName(id));
        var file = _fs.Open(path, create: true);
        try
        {
            Span<byte> header = stackalloc byte[RecordFormat.SegmentHeaderSize];
            RecordFormat.WriteSegmentHeader(header, id);
            file.Truncate(0);
            file.Write(0, header);
            file.Sync();
            _fs.SyncDirectory(_directory);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return new Segment(id, file, RecordFormat.SegmentHeaderSize);
    }

    private void DeleteSegmentFiles(Segment segment)
    {
        try
        {
            _fs.Delete(Path.Combine(_directory, Segment.HintFileName(segment.Id)));
            _fs.Delete(Path.Combine(_directory, Segment.FileName(segment.Id)));
        }
        catch (IOException)
        {
            // A leftover file is harmless: its records carry the same sequence numbers as their copies.
        }
    }

    private void CompactInBackground()
    {
        while (!_disposed)
        {
            _compactionSignal.WaitOne(_options.CompactionInterval);
            if (_disposed)
            {
                return;
            }

            try
            {
                Compact();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Try again on the next signal; the old segments stay until a compaction succeeds.
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void ThrowIfWriteFailed()
    {
        if (_writeFailure is not null)
        {
            throw new IOException("An earlier write failed and left this store unable to take writes; reopen it.", _writeFailure);
        }
    }

    /// <summary>An operation of a frame being appended.</summary>
    private readonly record struct PendingOp(byte Kind, byte[] Key, int FrameOffset, int ValueLength);
}
