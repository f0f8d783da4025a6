using System.Runtime.CompilerServices;
using Cairn.Client.Resp;

namespace Cairn.Client.Datastore;

/// <summary>
/// What <see cref="RespDatastore"/> (one server) and <see cref="ClusterDatastore"/> (a cluster) share: the mapping of
/// the <see cref="IDatastore"/> contract onto Cairn's Redis-protocol commands. A key is stored under the UTF-8 bytes
/// of its string. Get is GET, Has is EXISTS, GetSize is <c>CAIRN.GETSIZE</c> (-1 when absent), Put is SET, Delete is
/// DEL; queries page through <c>CAIRN.SCANPREFIX</c> with the strict prefix pushed down, values asked for only when
/// the query needs them, and filters, orders, offset and limit applied once with <see cref="QueryPipeline"/>. A
/// subclass says where a key's command goes, how the whole keyspace is scanned in key order, how a batch is sent
/// and how everything is synced.
/// </summary>
public abstract class RespDatastoreBase : IDatastore
{
    /// <summary>Keys per <c>CAIRN.SCANPREFIX</c> page after the first.</summary>
    protected const int PageSize = 256;

    private volatile bool _disposed;

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await SendAsync(bytes, new RespCommand("GET").Add(bytes), cancellationToken);
        return reply.AsBytes() ?? throw new DatastoreNotFoundException(key);
    }

    /// <inheritdoc/>
    public async Task<bool> HasAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await SendAsync(bytes, new RespCommand("EXISTS").Add(bytes), cancellationToken);
        return reply.AsInteger() > 0;
    }

    /// <inheritdoc/>
    public async Task<int> GetSizeAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await SendAsync(bytes, new RespCommand("CAIRN.GETSIZE").Add(bytes), cancellationToken);
        var size = reply.AsInteger();
        return size >= 0 ? checked((int)size) : throw new DatastoreNotFoundException(key);
    }

    /// <inheritdoc/>
    /// <exception cref="RespServerException">The server refused the write (a key or value over its limits).</exception>
    public async Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        await SendAsync(bytes, new RespCommand("SET").Add(bytes).Add(value), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        await SendAsync(bytes, new RespCommand("DEL").Add(bytes), cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<QueryEntry> QueryAsync(Query query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfDisposed();
        var prefix = QueryPipeline.StrictPrefix(query.Prefix);
        var prefixBytes = prefix is null ? [] : DatastoreKeyBytes.Encode(prefix);
        var withValues = QueryPipeline.NeedsValues(query);

        // A small limit over a stream needs only a small first page.
        var pageSize = query.Limit > 0 && query.Filters.Count == 0 && !QueryPipeline.NeedsSort(query, sourceSortedByKey: true)
            ? (int)Math.Clamp((long)query.Offset + query.Limit, 1, PageSize)
            : PageSize;
        var source = ScanAsync(prefixBytes, withValues, pageSize, cancellationToken);
        return QueryPipeline.ApplyAsync(query, source, prefixApplied: true, sourceSortedByKey: true, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IDatastoreBatch> BatchAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return Task.FromResult(CreateBatch());
    }

    /// <inheritdoc/>
    /// <remarks>The server (every node) syncs everything, whatever the prefix.</remarks>
    public async Task SyncAsync(Key prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        await SyncAllAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await DisposeClientAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Sends a command about <paramref name="key"/> to where that key is served, and returns the reply.</summary>
    protected abstract Task<RespReply> SendAsync(byte[] key, RespCommand command, CancellationToken cancellationToken);

    /// <summary>Every entry whose key starts with <paramref name="prefix"/>, in ascending key order, each once.</summary>
    protected abstract IAsyncEnumerable<QueryEntry> ScanAsync(byte[] prefix, bool withValues, int pageSize, CancellationToken cancellationToken);

    /// <summary>A new batch whose commit sends its operations.</summary>
    protected abstract IDatastoreBatch CreateBatch();

    /// <summary>Sends <c>CAIRN.SYNC</c> wherever data is kept.</summary>
    protected abstract Task SyncAllAsync(CancellationToken cancellationToken);

    /// <summary>Disposes the client, if the datastore owns it; called once.</summary>
    protected abstract ValueTask DisposeClientAsync();

    /// <summary>The pages of <c>CAIRN.SCANPREFIX</c> one server answers, entry by entry, in key order.</summary>
    /// <param name="execute">Sends a command to that server.</param>
    /// <param name="prefix">The key bytes every entry starts with.</param>
    /// <param name="withValues">Whether to fetch values too.</param>
    /// <param name="pageSize">The first page's size (later pages are <see cref="PageSize"/>).</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    protected async IAsyncEnumerable<ScanPrefixEntry> ScanServerAsync(
        Func<RespCommand, CancellationToken, Task<RespReply>> execute,
        byte[] prefix,
        bool withValues,
        int pageSize,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(execute);
        var cursor = "0";
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfDisposed();
            var command = new RespCommand("CAIRN.SCANPREFIX").Add(prefix).Add(cursor).Add("COUNT").Add(pageSize);
            if (withValues)
            {
                command.Add("VALUES");
            }

            var page = ScanPrefixReply.Parse((await execute(command, cancellationToken)).AsArray(), withValues);
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            cursor = page.Cursor;
            pageSize = PageSize;
        }
        while (cursor != "0");
    }

    /// <summary>Throws once the datastore is disposed.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private byte[] Begin(Key key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return DatastoreKeyBytes.Encode(key);
    }
}
