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
public sealed class RespDatastore : RespDatastoreBase
{
    private readonly RespClient _client;
    private readonly bool _ownsClient;

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

    /// <inheritdoc/>
    protected override Task<RespReply> SendAsync(byte[] key, RespCommand command, CancellationToken cancellationToken) =>
        _client.ExecuteAsync(command, cancellationToken);

    /// <inheritdoc/>
    protected override async IAsyncEnumerable<QueryEntry> ScanAsync(byte[] prefix, bool withValues, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in ScanServerAsync(_client.ExecuteAsync, prefix, withValues, pageSize, cancellationToken))
        {
            yield return new QueryEntry(DatastoreKeyBytes.Decode(entry.Key), entry.Value, entry.Size);
        }
    }

    /// <inheritdoc/>
    protected override IDatastoreBatch CreateBatch() =>
        new RespDatastoreBatch((operations, cancellationToken) => SendBatchAsync(RespDatastoreBatch.ToCommands(operations), cancellationToken));

    /// <inheritdoc/>
    protected override Task SyncAllAsync(CancellationToken cancellationToken) => _client.ExecuteAsync(new RespCommand("CAIRN.SYNC"), cancellationToken);

    /// <inheritdoc/>
    protected override async ValueTask DisposeClientAsync()
    {
        if (_ownsClient)
        {
            await _client.DisposeAsync();
        }
    }
}
