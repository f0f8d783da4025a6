using System.Collections.Concurrent;

namespace Cairn.Client.Resp;

/// <summary>
/// A small async client for RESP servers (Cairn, Redis): RESP2 requests and replies over a bounded pool of TCP
/// connections (<see cref="RespClientOptions.MaxConnections"/>), each used by one request or pipeline at a time.
/// Connections are opened on demand, authenticated with AUTH when a password is configured, and closed when a
/// request on them fails. Safe for concurrent use.
/// </summary>
public sealed class RespClient : IAsyncDisposable
{
    private readonly ConcurrentBag<RespConnection> _idle = [];
    private readonly SemaphoreSlim _slots;
    private volatile bool _disposed;

    /// <summary>Creates a client; nothing connects until the first request.</summary>
    public RespClient(RespClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1);
        Options = options;
        _slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
    }

    /// <summary>The options the client was created with.</summary>
    public RespClientOptions Options { get; }

    /// <summary>The server's address, <c>host:port</c>.</summary>
    public string Address => $"{Options.Host}:{Options.Port}";

    /// <summary>Sends <paramref name="command"/> and returns its reply.</summary>
    /// <exception cref="RespServerException">The server replied with an error.</exception>
    /// <exception cref="RespConnectionException">The server cannot be reached or the connection failed.</exception>
    public Task<RespReply> ExecuteAsync(RespCommand command, CancellationToken cancellationToken = default) =>
        ExecuteAsync(command, progress: null, cancellationToken);

    /// <summary>Sends <paramref name="command"/>, reporting the request bytes sent so far, and returns its reply.</summary>
    /// <exception cref="RespServerException">The server replied with an error.</exception>
    /// <exception cref="RespConnectionException">The server cannot be reached or the connection failed.</exception>
    public async Task<RespReply> ExecuteAsync(RespCommand command, IProgress<long>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var replies = await PipelineAsync([command], progress, cancellationToken);
        return replies[0].ThrowIfError();
    }

    /// <summary>
    /// Sends <paramref name="commands"/> in one round trip on one connection and returns their replies in order.
    /// Error replies are returned, not thrown; the commands are not a transaction.
    /// </summary>
    /// <exception cref="RespConnectionException">The server cannot be reached or the connection failed.</exception>
    public async Task<RespReply[]> PipelineAsync(IReadOnlyList<RespCommand> commands, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count == 0)
        {
            return [];
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken);
        RespConnection? connection = null;
        try
        {
            connection = await RentAsync(cancellationToken);
            return await connection.ExecuteAsync(commands, progress, cancellationToken);
        }
        finally
        {
            if (connection is not null)
            {
                if (connection.Broken || _disposed)
                {
                    await connection.DisposeAsync();
                }
                else
                {
                    _idle.Add(connection);
                }
            }

            _slots.Release();
        }
    }

    /// <summary>Closes every connection. Requests under way fail.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            await connection.DisposeAsync();
        }
    }

    private async Task<RespConnection> RentAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryTake(out var connection))
        {
            if (!connection.Broken)
            {
                return connection;
            }

            await connection.DisposeAsync();
        }

        return await RespConnection.ConnectAsync(Options, cancellationToken);
    }
}
