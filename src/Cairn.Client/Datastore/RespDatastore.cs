using System.Runtime.CompilerServices;
using Cairn.Client.Resp;

namespace Cairn.Client.Datastore;

/// <summary>
/// An <see cref="IDatastore"/> over the network: a Cairn server's Redis protocol, with the <c>CAIRN.*</c> commands
/// that carry the contract without loss. A key is stored under the UTF-8 bytes of its string, exactly as
/// <see cref="LocalDatastore"/> stores it, so a datastore served by <c>cairn server</c> reads the same either way.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Get is GET, Has is EXISTS, GetSize is <c>CAIRN.GETSIZE</c> (-1 when absent), Put is SET, Delete is DEL,
/// Sync is <c>CAIRN.SYNC</c>. The server acknowledges a write only once it is durable under its sync policy;
/// Sync also covers a server that runs without one.</item>
/// <item>Queries page through <c>CAIRN.SCANPREFIX</c> with the query's strict prefix (<c>prefix + "/"</c>) pushed
/// down, ask for values only when the query needs them, and apply filters, orders, offset and limit with
/// <see cref="QueryPipeline"/>; the scan is in UTF-8 byte order, the order of <see cref="OrderByKey"/>, so key-ordered
/// queries stream. Its cursors are stateless, so a long query survives a reconnect.</item>
/// <item>Batches are sent at commit as one pipeline of MSET and DEL commands, in the order of their operations; a
/// batch is not a transaction (the contract allows that): a failure part-way leaves the operations before it
/// applied.</item>
/// </list>
/// </remarks>
public sealed class RespDatastore : IDatastore
{
    private const int PageSize = 256;

    private readonly RespClient _client;
    private readonly bool _ownsClient;
    private volatile bool _disposed;

    /// <summary>Creates the datastore over <paramref name="client"/>.</summary>
    /// <param name="client">The connection to the server.</param>
    /// <param name="ownsClient">Dispose the client when the datastore is disposed.</param>
    public RespDatastore(RespClient client, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _ownsClient = ownsClient;
    }

    /// <summary>Creates the datastore with a client of its own, connecting with <paramref name="options"/>.</summary>
    public RespDatastore(RespClientOptions options)
        : this(new RespClient(options), ownsClient: true)
    {
    }

    /// <summary>The client the datastore sends its commands with.</summary>
    public RespClient Client => _client;

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await _client.ExecuteAsync(new RespCommand("GET").Add(bytes), cancellationToken);
        return reply.AsBytes() ?? throw new DatastoreNotFoundException(key);
    }

    /// <inheritdoc/>
    public async Task<bool> HasAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await _client.ExecuteAsync(new RespCommand("EXISTS").Add(bytes), cancellationToken);
        return reply.AsInteger() > 0;
    }

    /// <inheritdoc/>
    public async Task<int> GetSizeAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await _client.ExecuteAsync(new RespCommand("CAIRN.GETSIZE").Add(bytes), cancellationToken);
        var size = reply.AsInteger();
        return size >= 0 ? checked((int)size) : throw new DatastoreNotFoundException(key);
    }

    /// <inheritdoc/>
    /// <exception cref="RespServerException">The server refused the write (a key or value over its limits).</exception>
    public async Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        await _client.ExecuteAsync(new RespCommand("SET").Add(bytes).Add(value), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        await _client.ExecuteAsync(new RespCommand("DEL").Add(bytes), cancellationToken);
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
        return Task.FromResult<IDatastoreBatch>(new RespDatastoreBatch(this));
    }

    /// <inheritdoc/>
    /// <remarks>The server syncs everything, whatever the prefix.</remarks>
    public async Task SyncAsync(Key prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        await _client.ExecuteAsync(new RespCommand("CAIRN.SYNC"), cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_ownsClient)
            {
                await _client.DisposeAsync();
            }
        }
    }

    /// <summary>Sends a committed batch's commands as pipelines; throws the first error reply after all are read.</summary>
    internal async Task SendBatchAsync(IReadOnlyList<RespCommand> commands, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        RespServerException? failure = null;
        const int MaxCommandsPerPipeline = 128;
        const long MaxBytesPerPipeline = 16L * 1024 * 1024;
        var at = 0;
        while (at < commands.Count)
        {
            var chunk = new List<RespCommand>();
            long bytes = 0;
            while (at < commands.Count && chunk.Count < MaxCommandsPerPipeline && (chunk.Count == 0 || bytes + commands[at].PayloadBytes <= MaxBytesPerPipeline))
            {
                bytes += commands[at].PayloadBytes;
                chunk.Add(commands[at++]);
            }

            var replies = await _client.PipelineAsync(chunk, progress: null, cancellationToken);
            failure ??= replies.Where(r => r.IsError).Select(r => new RespServerException(r.Text ?? string.Empty)).FirstOrDefault();
        }

        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>Every entry under <paramref name="prefix"/> in key order, page by page.</summary>
    private async IAsyncEnumerable<QueryEntry> ScanAsync(byte[] prefix, bool withValues, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
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

            var reply = (await _client.ExecuteAsync(command, cancellationToken)).AsArray();
            var page = ScanPrefixReply.Parse(reply, withValues);
            foreach (var entry in page.Entries)
            {
                yield return new QueryEntry(DatastoreKeyBytes.Decode(entry.Key), entry.Value, entry.Size);
            }

            cursor = page.Cursor;
            pageSize = PageSize;
        }
        while (cursor != "0");
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
