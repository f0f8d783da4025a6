namespace Cairn.Storage;

/// <summary>
/// A local, ordered key-value engine: the layer every Cairn service stores its state in. Keys are byte strings
/// ordered lexicographically; values are byte strings. Every engine passes the same conformance suite.
/// </summary>
/// <remarks>
/// Engines are safe for concurrent use. A write method returns once the write is as durable as the engine's
/// sync policy promises; a write is visible to readers as soon as it is applied, which may be before it is durable.
/// </remarks>
public interface IKvEngine : IDisposable
{
    /// <summary>The largest key this engine accepts, in bytes.</summary>
    int MaxKeySize { get; }

    /// <summary>The largest value this engine accepts, in bytes.</summary>
    int MaxValueSize { get; }

    /// <summary>The value of <paramref name="key"/>, or null when the key is absent.</summary>
    /// <exception cref="CorruptionException">The stored record failed its checksum; it is never returned.</exception>
    byte[]? Get(ReadOnlySpan<byte> key);

    /// <summary>The size of the value of <paramref name="key"/> in bytes, or -1 when the key is absent.</summary>
    long GetSize(ReadOnlySpan<byte> key);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>, replacing any earlier value.</summary>
    /// <exception cref="Cairn.Core.LimitExceededException">The key or value is over the engine's limit.</exception>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes <paramref name="key"/>. Removing an absent key succeeds.</summary>
    /// <returns>Whether the key was present.</returns>
    bool Delete(ReadOnlySpan<byte> key);

    /// <summary>Applies every operation of <paramref name="batch"/> atomically: after a crash, all or none are present.</summary>
    void Write(WriteBatch batch);

    /// <summary>
    /// Applies <paramref name="batch"/> atomically and completes when it is as durable as the sync policy
    /// promises, without blocking a thread on the wait where the engine can avoid it.
    /// </summary>
    ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets <paramref name="key"/> to <paramref name="value"/> and returns at once, before the write is durable;
    /// the write is visible to readers immediately. Pass the returned token to <see cref="WhenDurableAsync"/> to
    /// learn when it is durable. Servers use this to answer a whole pipeline of writes after one wait.
    /// </summary>
    /// <remarks>Engines whose writes are durable on return use this default: write now, token 0.</remarks>
    ulong PutDeferred(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Put(key, value);
        return 0;
    }

    /// <summary>Removes <paramref name="key"/> like <see cref="PutDeferred"/> puts: applied now, durable later.</summary>
    /// <param name="key">The key.</param>
    /// <param name="existed">Whether the key was present.</param>
    /// <returns>The token to wait on; 0 when nothing was written.</returns>
    ulong DeleteDeferred(ReadOnlySpan<byte> key, out bool existed)
    {
        existed = Delete(key);
        return 0;
    }

    /// <summary>Applies <paramref name="batch"/> atomically like <see cref="PutDeferred"/>: applied now, durable later.</summary>
    ulong WriteDeferred(WriteBatch batch)
    {
        Write(batch);
        return 0;
    }

    /// <summary>Completes when every deferred write up to <paramref name="token"/> is durable as the sync policy promises.</summary>
    ValueTask WhenDurableAsync(ulong token, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>
    /// Copies the value of <paramref name="key"/> into <paramref name="destination"/> without allocating.
    /// </summary>
    /// <returns>
    /// The value's length, or -1 when the key is absent. When the length is more than the destination holds,
    /// nothing is copied: call again with a destination of at least that length.
    /// </returns>
    int ReadInto(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var value = Get(key);
        if (value is null)
        {
            return -1;
        }

        if (value.Length <= destination.Length)
        {
            value.CopyTo(destination);
        }

        return value.Length;
    }

    /// <summary>
    /// One page of the keys in <paramref name="range"/>, in ascending key order, starting after
    /// <paramref name="after"/> (exclusive) or at the start of the range when it is null.
    /// </summary>
    /// <param name="range">The keys to visit.</param>
    /// <param name="after">The cursor: the last key of the previous page, or null for the first page.</param>
    /// <param name="limit">The most entries to return, 1 or more.</param>
    /// <param name="keysOnly">Leave <see cref="KvEntry.Value"/> null and read no values.</param>
    ScanPage Scan(KeyRange range, byte[]? after, int limit, bool keysOnly);

    /// <summary>Hands buffered writes to the operating system.</summary>
    void Flush();

    /// <summary>Makes every write that has returned durable (fsync).</summary>
    void Sync();

    /// <summary>
    /// Makes every write so far durable and records <paramref name="appliedIndex"/> with them, for state machines
    /// whose durability is a Raft log: after a crash they replay the log from <see cref="CheckpointIndex"/>.
    /// </summary>
    void Checkpoint(ulong appliedIndex);

    /// <summary>The applied index of the last <see cref="Checkpoint"/> that completed, 0 when there was none.</summary>
    ulong CheckpointIndex { get; }

    /// <summary>Counters that describe the engine's contents and health.</summary>
    EngineStats GetStats();
}
