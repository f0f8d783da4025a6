using Cairn.Storage;

namespace Cairn.Client.Datastore;

/// <summary>
/// An <see cref="IDatastore"/> over a local <see cref="IKvEngine"/>. A key is stored under the UTF-8 bytes of its
/// string; the engine must hold nothing else.
/// </summary>
/// <remarks>
/// <para>
/// Queries push the prefix down to the engine as a range scan of <c>prefix + "/"</c> (every key for the root), read
/// no values for keys-only queries whose filters and orders look only at keys, and stream page by page when there
/// are no orders or the first order is <see cref="OrderByKey"/>. Any other order materialises the filtered results
/// and sorts them, as go-datastore's naive query does.
/// </para>
/// <para>
/// The engine scans in unsigned byte order of the UTF-8 keys, which is Unicode code point order and exactly Go's
/// <c>strings.Compare</c> that go-datastore's <c>OrderByKey</c> uses, so the scan order is the query's key order.
/// It is not <see cref="Key.Less"/>'s namespace order (<c>/a-b</c> scans before <c>/a/b</c> because '-' is below
/// '/'), and not .NET's UTF-16 ordinal order (which puts supplementary characters before U+E000-U+FFFF); neither
/// is what go-datastore queries use.
/// </para>
/// <para>Batches are written as one <see cref="WriteBatch"/>, so they are atomic here, which the contract allows.</para>
/// </remarks>
public sealed class LocalDatastore : IDatastore
{
    private const int PageSize = 256;

    private readonly IKvEngine _engine;
    private readonly bool _ownsEngine;
    private volatile bool _disposed;

    /// <summary>Creates the datastore over <paramref name="engine"/>.</summary>
    /// <param name="engine">The engine that stores the keys.</param>
    /// <param name="ownsEngine">Dispose the engine when the datastore is disposed.</param>
    public LocalDatastore(IKvEngine engine, bool ownsEngine = false)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _ownsEngine = ownsEngine;
    }

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        return Task.FromResult(_engine.Get(bytes) ?? throw new DatastoreNotFoundException(key));
    }

    /// <inheritdoc/>
    public Task<bool> HasAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        return Task.FromResult(_engine.GetSize(bytes) >= 0);
    }

    /// <inheritdoc/>
    public Task<int> GetSizeAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var size = _engine.GetSize(bytes);
        return size >= 0 ? Task.FromResult(checked((int)size)) : throw new DatastoreNotFoundException(key);
    }

    /// <inheritdoc/>
    /// <exception cref="Cairn.Core.LimitExceededException">The key or value is over the engine's limit.</exception>
    public Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        _engine.Put(bytes, value.Span);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task DeleteAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        _engine.Delete(bytes);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<QueryEntry> QueryAsync(Query query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfDisposed();
        var prefix = QueryPipeline.StrictPrefix(query.Prefix);
        var range = prefix is null ? KeyRange.All : KeyRange.Prefix(DatastoreKeyBytes.Encode(prefix));
        var keysOnly = !QueryPipeline.NeedsValues(query);

        // A small limit over a stream needs only a small first page.
        var pageSize = query.Limit > 0 && query.Filters.Count == 0 && !QueryPipeline.NeedsSort(query, sourceSortedByKey: true)
            ? (int)Math.Clamp((long)query.Offset + query.Limit, 1, PageSize)
            : PageSize;
        var source = Scan(range, keysOnly, pageSize, cancellationToken).ToAsyncEnumerable();
        return QueryPipeline.ApplyAsync(query, source, prefixApplied: true, sourceSortedByKey: true, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IDatastoreBatch> BatchAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return Task.FromResult<IDatastoreBatch>(new LocalDatastoreBatch(this));
    }

    /// <inheritdoc/>
    /// <remarks>The engine syncs everything, whatever the prefix.</remarks>
    public Task SyncAsync(Key prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        _engine.Sync();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_ownsEngine)
            {
                _engine.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Writes <paramref name="batch"/> to the engine.</summary>
    internal ValueTask WriteAsync(WriteBatch batch, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return _engine.WriteAsync(batch, cancellationToken);
    }

    private IEnumerable<QueryEntry> Scan(KeyRange range, bool keysOnly, int pageSize, CancellationToken cancellationToken)
    {
        byte[]? after = null;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfDisposed();
            var page = _engine.Scan(range, after, pageSize, keysOnly);
            foreach (var entry in page.Entries)
            {
                yield return new QueryEntry(DatastoreKeyBytes.Decode(entry.Key), entry.Value, entry.Size);
            }

            after = page.Next;
            pageSize = PageSize;
        }
        while (after is not null);
    }

    private byte[] Begin(Key key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return DatastoreKeyBytes.Encode(key);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
