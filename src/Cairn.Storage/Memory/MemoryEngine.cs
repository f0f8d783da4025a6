using Cairn.Core;

namespace Cairn.Storage.Memory;

/// <summary>
/// A sorted, in-memory engine for tests and simulations. Nothing survives disposal; <see cref="Sync"/> and
/// <see cref="Checkpoint"/> only record what a durable engine would.
/// </summary>
public sealed class MemoryEngine : IKvEngine
{
    private readonly Lock _lock = new();
    private readonly OrderedIndex<byte[]> _index = new();
    private long _liveBytes;
    private ulong _checkpointIndex;
    private bool _disposed;

    /// <summary>Creates an empty engine with the default limits.</summary>
    public MemoryEngine(int maxKeySize = Limits.MaxKeySize, int maxValueSize = Limits.MaxValueSize)
    {
        MaxKeySize = maxKeySize;
        MaxValueSize = maxValueSize;
    }

    /// <inheritdoc/>
    public int MaxKeySize { get; }

    /// <inheritdoc/>
    public int MaxValueSize { get; }

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

    /// <inheritdoc/>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return _index.TryGetValue(key, out var value) ? (byte[])value.Clone() : null;
        }
    }

    /// <inheritdoc/>
    public long GetSize(ReadOnlySpan<byte> key)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return _index.TryGetValue(key, out var value) ? value.Length : -1;
        }
    }

    /// <inheritdoc/>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KeyLimits.CheckPut(this, key, value);
        lock (_lock)
        {
            ThrowIfDisposed();
            SetLocked(key.ToArray(), value.ToArray());
        }
    }

    /// <inheritdoc/>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        KeyLimits.CheckKey(this, key);
        lock (_lock)
        {
            ThrowIfDisposed();
            return RemoveLocked(key);
        }
    }

    /// <inheritdoc/>
    public void Write(WriteBatch batch)
    {
        KeyLimits.CheckBatch(this, batch);
        lock (_lock)
        {
            ThrowIfDisposed();
            foreach (var op in batch.Operations)
            {
                if (op.Value is null)
                {
                    RemoveLocked(op.Key);
                }
                else
                {
                    // The batch owns its arrays but may be cleared and reused: keep copies.
                    SetLocked((byte[])op.Key.Clone(), (byte[])op.Value.Clone());
                }
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(batch);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ScanPage Scan(KeyRange range, byte[]? after, int limit, bool keysOnly)
    {
        ArgumentNullException.ThrowIfNull(range);
        KeyLimits.CheckScan(limit);
        var found = new List<(byte[] Key, byte[] Value)>(Math.Min(limit, 1024));
        bool more;
        lock (_lock)
        {
            ThrowIfDisposed();
            more = _index.CopyRange(range, after, limit, found);
        }

        var entries = new KvEntry[found.Count];
        for (var i = 0; i < found.Count; i++)
        {
            var (key, value) = found[i];
            entries[i] = new KvEntry((byte[])key.Clone(), keysOnly ? null : (byte[])value.Clone(), value.Length);
        }

        return new ScanPage(entries, more && entries.Length > 0 ? entries[^1].Key : null);
    }

    /// <inheritdoc/>
    public void Flush() => ThrowIfDisposedLocked();

    /// <inheritdoc/>
    public void Sync() => ThrowIfDisposedLocked();

    /// <inheritdoc/>
    public void Checkpoint(ulong appliedIndex)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            _checkpointIndex = appliedIndex;
        }
    }

    /// <inheritdoc/>
    public EngineStats GetStats()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            return new EngineStats
            {
                Engine = "memory",
                Keys = _index.Count,
                LiveBytes = _liveBytes,
                StoredBytes = _liveBytes,
                CheckpointIndex = _checkpointIndex,
            };
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _index.Clear();
        }
    }

    private void SetLocked(byte[] key, byte[] value)
    {
        _liveBytes += key.Length + value.Length;
        if (_index.Set(key, value, out var previous))
        {
            _liveBytes -= key.Length + previous.Length;
        }
    }

    private bool RemoveLocked(ReadOnlySpan<byte> key)
    {
        if (_index.Remove(key, out var removed))
        {
            _liveBytes -= key.Length + removed.Length;
            return true;
        }

        return false;
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
