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
public sealed class ClusterDatastore : RespDatastoreBase
{
    private readonly ClusterRespClient _client;
    private readonly bool _ownsClient;

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

    /// <inheritdoc/>
    protected override Task<RespReply> SendAsync(byte[] key, RespCommand command, CancellationToken cancellationToken) =>
        _client.ExecuteAsync(key, command, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Every node's entries, merged in key order, each key once.</remarks>
    protected override async IAsyncEnumerable<QueryEntry> ScanAsync(byte[] prefix, bool withValues, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _client.EnsureLoadedAsync(cancellationToken);
        var nodes = _client.Nodes;
        var streams = nodes.Select(node => ScanServerAsync((command, ct) => _client.ExecuteOnNodeAsync(node, command, ct), prefix, withValues, pageSize, cancellationToken).GetAsyncEnumerator(cancellationToken)).ToArray();
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

    /// <inheritdoc/>
    protected override IDatastoreBatch CreateBatch() => new RespDatastoreBatch(SendBatchAsync);

    /// <inheritdoc/>
    protected override async Task SyncAllAsync(CancellationToken cancellationToken)
    {
        await _client.EnsureLoadedAsync(cancellationToken);
        await Task.WhenAll(_client.Nodes.Select(node => _client.ExecuteOnNodeAsync(node, new RespCommand("CAIRN.SYNC"), cancellationToken)));
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeClientAsync()
    {
        if (_ownsClient)
        {
            await _client.DisposeAsync();
        }
    }
}
