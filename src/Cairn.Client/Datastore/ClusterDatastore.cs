using System.Runtime.CompilerServices;
using Cairn.Client.Resp;
using Cairn.Core;

namespace Cairn.Client.Datastore;

/// <summary>
/// An <see cref="IDatastore"/> over a Cairn cluster (or any Redis-Cluster-compatible one with the <c>CAIRN.*</c>
/// commands): the cluster counterpart of <see cref="RespDatastore"/>, with the same commands and the same key bytes
/// (the UTF-8 bytes of the key string), each sent by a <see cref="ClusterRespClient"/> to the node serving the key's
/// slot.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Get, Has, GetSize, Put and Delete go to the node of the key's slot, following <c>-MOVED</c> and
/// <c>-ASK</c>.</item>
/// <item>Queries run <c>CAIRN.SCANPREFIX</c>, with the strict prefix pushed down and values asked for only when the
/// query needs them, on every node of the cluster (a node scans the shard groups it leads, in key order), merge the
/// nodes' ordered streams by key (a key two nodes return while a group changes leader is returned once), and apply
/// filters, orders, offset and limit once with <see cref="QueryPipeline"/>; key-ordered queries stream.</item>
/// <item>Batches are split by slot at commit: each slot's operations keep their order and become MSET and DEL
/// commands of that slot, sent as one pipeline per node. A batch is not a transaction.</item>
/// <item>Sync sends <c>CAIRN.SYNC</c> to every node.</item>
/// </list>
/// </remarks>
public sealed class ClusterDatastore : IDatastore
{
    private const int PageSize = 256;

    private readonly ClusterRespClient _client;
    private readonly bool _ownsClient;
    private volatile bool _disposed;

    /// <summary>Creates the datastore over <paramref name="client"/>.</summary>
    /// <param name="client">The cluster client.</param>
    /// <param name="ownsClient">Dispose the client when the datastore is disposed.</param>
    public ClusterDatastore(ClusterRespClient client, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _ownsClient = ownsClient;
    }

    /// <summary>Creates the datastore with a cluster client of its own, connecting with <paramref name="options"/>.</summary>
    public ClusterDatastore(ClusterRespClientOptions options)
        : this(new ClusterRespClient(options), ownsClient: true)
    {
    }

    /// <summary>The client the datastore sends its commands with.</summary>
    public ClusterRespClient Client => _client;

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await _client.ExecuteAsync(bytes, new RespCommand("GET").Add(bytes), cancellationToken);
        return reply.AsBytes() ?? throw new DatastoreNotFoundException(key);
    }

    /// <inheritdoc/>
    public async Task<bool> HasAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await _client.ExecuteAsync(bytes, new RespCommand("EXISTS").Add(bytes), cancellationToken);
        return reply.AsInteger() > 0;
    }

    /// <inheritdoc/>
    public async Task<int> GetSizeAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        var reply = await _client.ExecuteAsync(bytes, new RespCommand("CAIRN.GETSIZE").Add(bytes), cancellationToken);
        var size = reply.AsInteger();
        return size >= 0 ? checked((int)size) : throw new DatastoreNotFoundException(key);
    }

    /// <inheritdoc/>
    /// <exception cref="RespServerException">The server refused the write (a key or value over its limits).</exception>
    public async Task PutAsync(Key key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        await _client.ExecuteAsync(bytes, new RespCommand("SET").Add(bytes).Add(value), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(Key key, CancellationToken cancellationToken = default)
    {
        var bytes = Begin(key, cancellationToken);
        await _client.ExecuteAsync(bytes, new RespCommand("DEL").Add(bytes), cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<QueryEntry> QueryAsync(Query query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfDisposed();
        var prefix = QueryPipeline.StrictPrefix(query.Prefix);
        var prefixBytes = prefix is null ? [] : DatastoreKeyBytes.Encode(prefix);
        var withValues = QueryPipeline.NeedsValues(query);

        // A small limit over a stream needs only a small first page from each node.
        var pageSize = query.Limit > 0 && query.Filters.Count == 0 && !QueryPipeline.NeedsSort(query, sourceSortedByKey: true)
            ? (int)Math.Clamp((long)query.Offset + query.Limit, 1, PageSize)
            : PageSize;
        var source = MergedScanAsync(prefixBytes, withValues, pageSize, cancellationToken);
        return QueryPipeline.ApplyAsync(query, source, prefixApplied: true, sourceSortedByKey: true, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IDatastoreBatch> BatchAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        return Task.FromResult<IDatastoreBatch>(new ClusterDatastoreBatch(this));
    }

    /// <inheritdoc/>
    /// <remarks>Every node syncs everything, whatever the prefix.</remarks>
    public async Task SyncAsync(Key prefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        await _client.EnsureLoadedAsync(cancellationToken);
        await Task.WhenAll(_client.Nodes.Select(node => _client.ExecuteOnNodeAsync(node, new RespCommand("CAIRN.SYNC"), cancellationToken)));
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

    /// <summary>
    /// Sends a committed batch's operations: split by slot (each slot's in order), made into MSET and DEL commands,
    /// sent as one pipeline per node; throws the first error reply after all are read.
    /// </summary>
    internal async Task SendBatchAsync(IReadOnlyList<(byte[] Key, byte[]? Value)> operations, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var bySlot = new Dictionary<int, List<(byte[] Key, byte[]? Value)>>();
        foreach (var operation in operations)
        {
            var slot = HashSlot.Of(operation.Key);
            if (!bySlot.TryGetValue(slot, out var list))
            {
                bySlot[slot] = list = [];
            }

            list.Add(operation);
        }

        var commands = new List<(int Slot, RespCommand Command)>();
        foreach (var (slot, list) in bySlot)
        {
            commands.AddRange(RespDatastoreBatch.ToCommands(list).Select(c => (slot, c)));
        }

        var replies = await _client.PipelineAsync(commands, cancellationToken);
        if (replies.FirstOrDefault(r => r.IsError) is { } failure)
        {
            throw new RespServerException(failure.Text ?? string.Empty);
        }
    }

    /// <summary>Every entry under <paramref name="prefix"/> on every node, merged in key order, each key once.</summary>
    private async IAsyncEnumerable<QueryEntry> MergedScanAsync(byte[] prefix, bool withValues, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _client.EnsureLoadedAsync(cancellationToken);
        var nodes = _client.Nodes;
        var streams = nodes.Select(node => ScanNodeAsync(node, prefix, withValues, pageSize, cancellationToken).GetAsyncEnumerator(cancellationToken)).ToArray();
        try
        {
            // Each node's first page is read at once; then the node with the smallest key moves on.
            var queue = new PriorityQueue<int, byte[]>(Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)));
            var started = await Task.WhenAll(streams.Select(s => s.MoveNextAsync().AsTask()));
            for (var i = 0; i < streams.Length; i++)
            {
                if (started[i])
                {
                    queue.Enqueue(i, streams[i].Current.Key);
                }
            }

            byte[]? last = null;
            while (queue.TryDequeue(out var i, out var key))
            {
                var entry = streams[i].Current;
                if (last is null || !key.AsSpan().SequenceEqual(last))
                {
                    last = key;
                    yield return new QueryEntry(DatastoreKeyBytes.Decode(entry.Key), entry.Value, entry.Size);
                }

                if (await streams[i].MoveNextAsync())
                {
                    queue.Enqueue(i, streams[i].Current.Key);
                }
            }
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>The entries under <paramref name="prefix"/> that one node's groups hold, in key order, page by page.</summary>
    private async IAsyncEnumerable<ScanPrefixEntry> ScanNodeAsync(string node, byte[] prefix, bool withValues, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
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

            var reply = (await _client.ExecuteOnNodeAsync(node, command, cancellationToken)).AsArray();
            var page = ScanPrefixReply.Parse(reply, withValues);
            foreach (var entry in page.Entries)
            {
                yield return entry;
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
