using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Cairn.Core;
using Cairn.Storage.IO;

namespace Cairn.Storage.FlatFs;

/// <summary>
/// An engine that keeps one file per key in the go-ds-flatfs layout, so it opens an IPFS flatfs block store (such as
/// <c>~/.ipfs/blocks</c>) as it is, and serves as the baseline other engines are measured against.
/// </summary>
/// <remarks>
/// <para>
/// Layout: the store directory holds <c>SHARDING</c> (the shard function identifier and a newline), <c>_README</c>
/// for the IPFS default shard function, a <c>.temp</c> directory for temp files, and one directory per shard. A key
/// go-ds-flatfs accepts (<c>/</c> then <c>0-9 A-Z + - _ =</c>) lives at <c>{shard}/{key without slash}.data</c>,
/// exactly where go-ds-flatfs puts it. Any other key lives at <c>{shard}/.{lower-case base32 of the key}.kv</c>,
/// which cannot collide with a go-ds-flatfs name and which go-ds-flatfs skips. <c>CHECKPOINT</c> holds the applied
/// index of the last <see cref="Checkpoint"/>; <c>diskUsage.cache</c>, go-ds-flatfs's size cache, is left alone on
/// open and deleted by the first write, so go-ds-flatfs recomputes it instead of trusting a stale value.
/// </para>
/// <para>
/// Each write goes to a temp file in <c>.temp</c> that is renamed over the key's file, so a key's value is always
/// the old one or the new one, never a torn mix. Temp files a crash leaves behind (in <c>.temp</c>, and the
/// <c>put-*</c> files of older go-ds-flatfs versions inside shard directories) are never read and are deleted on
/// open.
/// </para>
/// <para>
/// On open the engine walks every shard directory once and keeps the sorted keys with their value sizes in memory,
/// so scans page in O(log n) per page and <see cref="GetStats"/> is immediate. The process that opens a store must
/// be the only one writing it.
/// </para>
/// </remarks>
public sealed class FlatFsEngine : IKvEngine
{
    private const int KeyLockCount = 64;

    private readonly string _tempDirectory;
    private readonly bool _sync;
    private readonly Lock _lock = new();
    private readonly Lock _checkpointLock = new();
    private readonly Lock[] _keyLocks;
    private readonly OrderedIndex<long> _index;
    private readonly ConcurrentDictionary<string, bool> _knownDirectories = new(StringComparer.Ordinal);
    private HashSet<string> _dirtyFiles = new(StringComparer.Ordinal);
    private HashSet<string> _dirtyDirectories = new(StringComparer.Ordinal);
    private long _keyBytes;
    private long _valueBytes;
    private ulong _checkpointIndex;
    private int _diskUsageCacheDropped;
    private bool _disposed;

    /// <summary>
    /// Opens the flatfs store in <paramref name="directory"/>, or creates one there (with <c>SHARDING</c> and
    /// <c>_README</c>) when the directory is missing or empty.
    /// </summary>
    /// <param name="directory">The store directory, e.g. <c>~/.ipfs/blocks</c>.</param>
    /// <param name="options">How to write; null for the defaults.</param>
    /// <exception cref="InvalidDataException">
    /// The directory is not empty but has no <c>SHARDING</c> file, or its shard function is malformed or unknown.
    /// </exception>
    public FlatFsEngine(string directory, FlatFsOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Options = options ?? new FlatFsOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(Options.MaxValueSize, nameof(options));
        ArgumentNullException.ThrowIfNull(Options.ShardFunction, nameof(options));
        _sync = Options.Sync;
        Directory = Path.GetFullPath(directory);
        _tempDirectory = Path.Combine(Directory, FlatFsLayout.TempDirectoryName);
        _keyLocks = new Lock[KeyLockCount];
        for (var i = 0; i < _keyLocks.Length; i++)
        {
            _keyLocks[i] = new Lock();
        }

        var shardingPath = Path.Combine(Directory, FlatFsLayout.ShardingFileName);
        var existed = System.IO.Directory.Exists(Directory);
        System.IO.Directory.CreateDirectory(Directory);
        if (!File.Exists(shardingPath))
        {
            if (!IsEmptyButForTemp(Directory))
            {
                throw new InvalidDataException(
                    $"'{Directory}' is not a flatfs store: it has no {FlatFsLayout.ShardingFileName} file and is not empty.");
            }

            Create(Options.ShardFunction, syncParent: !existed);
        }

        ShardFunction = ReadShardFunction(shardingPath);
        StaleTempFilesRemoved = ResetTempDirectory();
        var entries = Walk(out var staleInShards);
        StaleTempFilesRemoved += staleInShards;
        _index = OrderedIndex<long>.FromSorted(entries);
        foreach (var (key, size) in entries)
        {
            _keyBytes += key.Length;
            _valueBytes += size;
        }

        _checkpointIndex = ReadCheckpoint();
    }

    /// <summary>The store directory, as a full path.</summary>
    public string Directory { get; }

    /// <summary>The options the engine was opened with.</summary>
    public FlatFsOptions Options { get; }

    /// <summary>The shard function of the store, read from its <c>SHARDING</c> file.</summary>
    public FlatFsShardFunction ShardFunction { get; }

    /// <summary>How many temp files left by a crash were deleted when the store opened.</summary>
    public int StaleTempFilesRemoved { get; }

    /// <summary>
    /// The largest key, 156 bytes: the longest whose file name fits in 255 bytes whichever way it is encoded.
    /// IPFS block keys (base32 CIDs) are far shorter.
    /// </summary>
    public int MaxKeySize => FlatFsKeyCodec.MaxKeySize;

    /// <inheritdoc/>
    public int MaxValueSize => Options.MaxValueSize;

    /// <inheritdoc/>
    public ulong CheckpointIndex
    {
        get
        {
            lock (_lock)
            {
                return _checkpointIndex;
            }
        }
    }

    /// <summary>
    /// Where <paramref name="key"/>'s file lives, relative to <see cref="Directory"/> and with <c>/</c> as the
    /// separator, e.g. <c>SC/AFKREIA22FLID5AJ2KU7URG47MDLROZIH6YF2KALU2PWEFPVI37YLKRSCA.data</c>.
    /// </summary>
    /// <exception cref="LimitExceededException">The key's file name would be longer than 255 bytes.</exception>
    public string GetRelativePath(ReadOnlySpan<byte> key)
    {
        if (!FlatFsKeyCodec.TryEncode(key, out var shardInput, out var fileName))
        {
            throw new LimitExceededException("key", key.Length, MaxKeySize);
        }

        return ShardFunction.DirectoryOf(shardInput) + "/" + fileName;
    }

    /// <inheritdoc/>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposedLocked();
        return TryLocate(key, out _, out var path) ? ReadValue(path) : null;
    }

    /// <inheritdoc/>
    public long GetSize(ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return _index.TryGetValue(key, out var size) ? size : -1;
        }
    }

    /// <inheritdoc/>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KeyLimits.CheckPut(this, key, value);
        ThrowIfDisposedLocked();
        Locate(key, out var directory, out var path);
        PrepareDirectories([directory]);
        string? temp = WriteTemp(value);
        try
        {
            var keyCopy = key.ToArray();
            var keyLock = KeyLockOf(key);
            lock (keyLock)
            {
                File.Move(temp, path, overwrite: true);
                temp = null;
                lock (_lock)
                {
                    SetLocked(keyCopy, value.Length);
                    MarkDirtyLocked(path, directory);
                }
            }
        }
        finally
        {
            DeleteQuietly(temp);
        }

        Settle([directory]);
    }

    /// <inheritdoc/>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        KeyLimits.CheckKey(this, key);
        ThrowIfDisposedLocked();
        Locate(key, out var directory, out var path);
        lock (KeyLockOf(key))
        {
            lock (_lock)
            {
                if (!_index.TryGetValue(key, out _))
                {
                    return false;
                }
            }

            File.Delete(path);
            lock (_lock)
            {
                RemoveLocked(key);
                MarkDirtyLocked(null, directory);
            }
        }

        Settle([directory]);
        return true;
    }

    /// <summary>
    /// Applies <paramref name="batch"/> as nearly atomically as one file per key allows.
    /// </summary>
    /// <remarks>
    /// <para>
    /// What is atomic: the whole batch is checked first, and every new value is written to a temp file (and fsynced
    /// when <see cref="FlatFsOptions.Sync"/> is on) before any key changes, so a batch that fails its checks or
    /// fails to write a temp file (disk full, I/O error) changes nothing. Each single key changes atomically: a
    /// reader or a crash sees its old value or its new one, never a torn mix. Only the last operation on each key
    /// is applied, which gives the same result as applying them in order.
    /// </para>
    /// <para>
    /// What is not: the renames and deletes then happen one key at a time, in batch order, and the directories are
    /// fsynced after all of them. Concurrent readers and scans can observe a batch half applied, an I/O error in
    /// that phase leaves the keys before it applied and those after it not, and a crash before the directory fsyncs
    /// complete can keep any subset of the batch's keys changed. go-ds-flatfs batches have the same limits.
    /// </para>
    /// </remarks>
    public void Write(WriteBatch batch)
    {
        KeyLimits.CheckBatch(this, batch);
        ThrowIfDisposedLocked();

        // The last operation on each key wins; keep those, in batch order.
        var lastIndex = new Dictionary<byte[], int>(ByteKeyComparer.Instance);
        for (var i = 0; i < batch.Count; i++)
        {
            lastIndex[batch.Operations[i].Key] = i;
        }

        var steps = new List<FlatFsBatchStep>(lastIndex.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch.Operations[i];
            if (lastIndex[op.Key] == i)
            {
                Locate(op.Key, out var directory, out var path);
                steps.Add(new FlatFsBatchStep((byte[])op.Key.Clone(), op.Value, directory, path));
            }
        }

        if (steps.Count == 0)
        {
            return;
        }

        var touched = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            PrepareDirectories(steps.Where(s => s.Value is not null).Select(s => s.Directory).Distinct(StringComparer.Ordinal));
            foreach (var step in steps)
            {
                if (step.Value is not null)
                {
                    step.Temp = WriteTemp(step.Value);
                }
            }

            var keyLocks = steps.Select(s => KeyLockIndexOf(s.Key)).Distinct().Order().Select(i => _keyLocks[i]).ToList();
            foreach (var keyLock in keyLocks)
            {
                keyLock.Enter();
            }

            try
            {
                foreach (var step in steps)
                {
                    if (Apply(step))
                    {
                        touched.Add(step.Directory);
                    }
                }
            }
            finally
            {
                for (var i = keyLocks.Count - 1; i >= 0; i--)
                {
                    keyLocks[i].Exit();
                }
            }
        }
        finally
        {
            foreach (var step in steps)
            {
                DeleteQuietly(step.Temp);
            }
        }

        Settle(touched);
    }

    /// <inheritdoc/>
    /// <remarks>Runs <see cref="Write"/> synchronously: file system calls have no asynchronous fsync to await.</remarks>
    public ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(batch);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Keys come from the in-memory index in key order; values are read from their files after the index lock is
    /// released, so a key deleted in between is left out of the page (the cursor still moves past it).
    /// </remarks>
    public ScanPage Scan(KeyRange range, byte[]? after, int limit, bool keysOnly)
    {
        ArgumentNullException.ThrowIfNull(range);
        KeyLimits.CheckScan(limit);
        var found = new List<(byte[] Key, long Size)>(Math.Min(limit, 1024));
        bool more;
        lock (_lock)
        {
            ThrowIfDisposed();
            more = _index.CopyRange(range, after, limit, found);
        }

        var entries = new List<KvEntry>(found.Count);
        foreach (var (key, size) in found)
        {
            if (keysOnly)
            {
                entries.Add(new KvEntry((byte[])key.Clone(), null, (int)size));
                continue;
            }

            Locate(key, out _, out var path);
            var value = ReadValue(path);
            if (value is not null)
            {
                entries.Add(new KvEntry((byte[])key.Clone(), value, value.Length));
            }
        }

        return new ScanPage(entries, more && found.Count > 0 ? (byte[])found[^1].Key.Clone() : null);
    }

    /// <inheritdoc/>
    /// <remarks>Every write is handed to the operating system before it returns, so this only checks the engine is open.</remarks>
    public void Flush() => ThrowIfDisposedLocked();

    /// <inheritdoc/>
    /// <remarks>
    /// With <see cref="FlatFsOptions.Sync"/> on, writes are durable when they return and there is nothing to do.
    /// Otherwise this fsyncs every file written and then every directory changed since the last sync.
    /// </remarks>
    public void Sync()
    {
        HashSet<string> files, directories;
        lock (_lock)
        {
            ThrowIfDisposed();
            files = _dirtyFiles;
            directories = _dirtyDirectories;
            _dirtyFiles = new HashSet<string>(StringComparer.Ordinal);
            _dirtyDirectories = new HashSet<string>(StringComparer.Ordinal);
        }

        try
        {
            foreach (var file in files)
            {
                Fsync.SyncFile(file);
            }

            foreach (var directory in directories)
            {
                if (System.IO.Directory.Exists(directory))
                {
                    Fsync.SyncDirectory(directory);
                }
            }
        }
        catch
        {
            // Keep the work for the next attempt: a failed sync must not make anything look durable.
            lock (_lock)
            {
                _dirtyFiles.UnionWith(files);
                _dirtyDirectories.UnionWith(directories);
            }

            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Syncs every write, then replaces the <c>CHECKPOINT</c> file atomically: temp file, fsync, rename, fsync of
    /// the store directory.
    /// </remarks>
    public void Checkpoint(ulong appliedIndex)
    {
        lock (_checkpointLock)
        {
            Sync();
            var text = appliedIndex.ToString(CultureInfo.InvariantCulture) + "\n";
            ReplaceFileDurably(FlatFsLayout.CheckpointFileName, Encoding.ASCII.GetBytes(text));
            lock (_lock)
            {
                _checkpointIndex = appliedIndex;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <see cref="EngineStats.StoredBytes"/> counts the bytes of the value files (not the file system's block
    /// rounding); <see cref="EngineStats.Files"/> counts value files, one per key.
    /// </remarks>
    public EngineStats GetStats()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return new EngineStats
            {
                Engine = "flatfs",
                Keys = _index.Count,
                LiveBytes = _keyBytes + _valueBytes,
                StoredBytes = _valueBytes,
                Files = _index.Count,
                IndexBytes = _keyBytes + (_index.Count * 40L),
                CheckpointIndex = _checkpointIndex,
            };
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Does not sync: with <see cref="FlatFsOptions.Sync"/> off, call <see cref="Sync"/> or
    /// <see cref="Checkpoint"/> first for durability.
    /// </remarks>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _index.Clear();
            _dirtyFiles.Clear();
            _dirtyDirectories.Clear();
        }
    }

    private static bool IsEmptyButForTemp(string directory) =>
        !System.IO.Directory.EnumerateFileSystemEntries(directory)
            .Any(e => Path.GetFileName(e) != FlatFsLayout.TempDirectoryName);

    private static byte[]? ReadValue(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static void DeleteQuietly(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A temp file that cannot be removed now is removed on the next open.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Create(FlatFsShardFunction shardFunction, bool syncParent)
    {
        System.IO.Directory.CreateDirectory(_tempDirectory);
        ReplaceFileDurably(FlatFsLayout.ShardingFileName, Encoding.ASCII.GetBytes(shardFunction + "\n"));
        if (shardFunction == FlatFsShardFunction.Default)
        {
            ReplaceFileDurably(FlatFsLayout.ReadmeFileName, Encoding.ASCII.GetBytes(FlatFsLayout.Readme), readOnly: true);
        }

        var parent = Path.GetDirectoryName(Directory);
        if (syncParent && parent is not null)
        {
            Fsync.SyncDirectory(parent);
        }
    }

    private FlatFsShardFunction ReadShardFunction(string shardingPath)
    {
        var text = File.ReadAllText(shardingPath, Encoding.UTF8);
        try
        {
            return FlatFsShardFunction.Parse(text);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException(
                $"flatfs store '{Directory}' has an unusable {FlatFsLayout.ShardingFileName} file: {e.Message}.", e);
        }
    }

    /// <summary>Deletes and recreates <c>.temp</c>, as go-ds-flatfs does on open.</summary>
    /// <returns>How many stale temp files it held.</returns>
    private int ResetTempDirectory()
    {
        var stale = 0;
        if (System.IO.Directory.Exists(_tempDirectory))
        {
            stale = System.IO.Directory.EnumerateFiles(_tempDirectory, "*", SearchOption.AllDirectories).Count();
            System.IO.Directory.Delete(_tempDirectory, recursive: true);
        }

        System.IO.Directory.CreateDirectory(_tempDirectory);
        return stale;
    }

    /// <summary>
    /// Lists every key in the shard directories, sorted, deleting the stale <c>put-*</c> temp files of older
    /// go-ds-flatfs versions on the way. Files in the wrong shard directory for their name are left out, because
    /// <see cref="Get"/> could never find them.
    /// </summary>
    private List<(byte[] Key, long Size)> Walk(out int staleRemoved)
    {
        staleRemoved = 0;
        var entries = new List<(byte[] Key, long Size)>();
        foreach (var shard in new DirectoryInfo(Directory).EnumerateDirectories())
        {
            if (shard.Name.StartsWith('.'))
            {
                continue;
            }

            _knownDirectories[shard.FullName] = true;
            foreach (var file in shard.EnumerateFiles())
            {
                if (file.Name.StartsWith(FlatFsLayout.LegacyTempFilePrefix, StringComparison.Ordinal))
                {
                    file.Delete();
                    staleRemoved++;
                    continue;
                }

                if (FlatFsKeyCodec.TryDecode(file.Name, out var key, out var shardInput)
                    && ShardFunction.DirectoryOf(shardInput) == shard.Name)
                {
                    entries.Add((key, file.Length));
                }
            }
        }

        entries.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return entries;
    }

    private ulong ReadCheckpoint()
    {
        var path = Path.Combine(Directory, FlatFsLayout.CheckpointFileName);
        if (!File.Exists(path))
        {
            return 0;
        }

        var text = File.ReadAllText(path, Encoding.ASCII).Trim();
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            throw new CorruptionException($"'{path}' does not hold an applied index: '{text}'.");
        }

        return index;
    }

    /// <summary>Writes <paramref name="contents"/> to a temp file, fsyncs it, renames it to <paramref name="name"/> in the store directory and fsyncs the directory.</summary>
    private void ReplaceFileDurably(string name, byte[] contents, bool readOnly = false)
    {
        string? temp = WriteTemp(contents, sync: true);
        try
        {
            if (readOnly && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            File.Move(temp, Path.Combine(Directory, name), overwrite: true);
            temp = null;
        }
        finally
        {
            DeleteQuietly(temp);
        }

        Fsync.SyncDirectory(Directory);
    }

    private string WriteTemp(ReadOnlySpan<byte> value) => WriteTemp(value, _sync);

    private string WriteTemp(ReadOnlySpan<byte> value, bool sync)
    {
        var path = Path.Combine(_tempDirectory, FlatFsLayout.TempFilePrefix + Guid.NewGuid().ToString("N"));
        try
        {
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
            RandomAccess.Write(handle, value, 0);
            if (sync)
            {
                Fsync.SyncFile(handle);
            }
        }
        catch
        {
            DeleteQuietly(path);
            throw;
        }

        return path;
    }

    /// <summary>
    /// Creates the shard directories that do not exist yet; a new one is made durable in the store directory at
    /// once when syncing, or at the next <see cref="Sync"/> otherwise.
    /// </summary>
    private void PrepareDirectories(IEnumerable<string> directories)
    {
        var created = false;
        foreach (var directory in directories)
        {
            if (_knownDirectories.ContainsKey(directory))
            {
                continue;
            }

            created |= !System.IO.Directory.Exists(directory);
            System.IO.Directory.CreateDirectory(directory);
            _knownDirectories[directory] = true;
        }

        if (!created)
        {
            return;
        }

        if (_sync)
        {
            Fsync.SyncDirectory(Directory);
        }
        else
        {
            lock (_lock)
            {
                _dirtyDirectories.Add(Directory);
            }
        }
    }

    /// <summary>Applies one step of a batch; the caller holds the step's key lock.</summary>
    /// <returns>Whether the step changed the step's directory.</returns>
    private bool Apply(FlatFsBatchStep step)
    {
        if (step.Temp is not null)
        {
            File.Move(step.Temp, step.Path, overwrite: true);
            step.Temp = null;
            lock (_lock)
            {
                SetLocked(step.Key, step.Value!.Length);
                MarkDirtyLocked(step.Path, step.Directory);
            }

            return true;
        }

        lock (_lock)
        {
            if (!_index.TryGetValue(step.Key, out _))
            {
                return false;
            }
        }

        File.Delete(step.Path);
        lock (_lock)
        {
            RemoveLocked(step.Key);
            MarkDirtyLocked(null, step.Directory);
        }

        return true;
    }

    /// <summary>After keys changed: fsyncs their directories when syncing, and drops go-ds-flatfs's stale size cache.</summary>
    private void Settle(IEnumerable<string> directories)
    {
        if (_sync)
        {
            foreach (var directory in directories)
            {
                Fsync.SyncDirectory(directory);
            }
        }

        if (Interlocked.Exchange(ref _diskUsageCacheDropped, 1) == 0)
        {
            File.Delete(Path.Combine(Directory, FlatFsLayout.DiskUsageCacheFileName));
        }
    }

    private void MarkDirtyLocked(string? file, string directory)
    {
        if (_sync)
        {
            return;
        }

        if (file is not null)
        {
            _dirtyFiles.Add(file);
        }

        _dirtyDirectories.Add(directory);
    }

    private void SetLocked(byte[] key, long size)
    {
        if (_index.Set(key, size, out var previous))
        {
            _valueBytes -= previous;
        }
        else
        {
            _keyBytes += key.Length;
        }

        _valueBytes += size;
    }

    private void RemoveLocked(ReadOnlySpan<byte> key)
    {
        if (_index.Remove(key, out var size))
        {
            _keyBytes -= key.Length;
            _valueBytes -= size;
        }
    }

    private bool TryLocate(ReadOnlySpan<byte> key, out string directory, out string path)
    {
        if (!FlatFsKeyCodec.TryEncode(key, out var shardInput, out var fileName))
        {
            directory = path = string.Empty;
            return false;
        }

        directory = Path.Combine(Directory, ShardFunction.DirectoryOf(shardInput));
        path = Path.Combine(directory, fileName);
        return true;
    }

    private void Locate(ReadOnlySpan<byte> key, out string directory, out string path)
    {
        if (!TryLocate(key, out directory, out path))
        {
            throw new LimitExceededException("key", key.Length, MaxKeySize);
        }
    }

    private Lock KeyLockOf(ReadOnlySpan<byte> key) => _keyLocks[KeyLockIndexOf(key)];

    private static int KeyLockIndexOf(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return (int)((uint)hash.ToHashCode() % KeyLockCount);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void ThrowIfDisposedLocked()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
        }
    }
}
