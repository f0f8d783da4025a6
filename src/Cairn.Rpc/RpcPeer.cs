using System.Diagnostics;
using System.Net;
using Cairn.Core;
using Cairn.Rpc.Connection;
using Cairn.Rpc.Tls;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cairn.Rpc;

/// <summary>
/// This node's side of the one connection to another node. It dials on first use and again whenever the connection
/// is lost, with exponential backoff and jitter between failed attempts; a call waits for the connection within its
/// own deadline. Calls in flight when a connection drops fail with <see cref="RpcStatus.Unavailable"/> and are not
/// retried: only the caller knows whether a call is safe to repeat.
/// </summary>
public sealed class RpcPeer : IRpcChannel, IAsyncDisposable
{
    private readonly RpcOptions _options;
    private readonly ILogger _logger;
    private readonly RpcRouter? _router;
    private readonly string? _expectedNodeId;
    private readonly TlsChannel? _tls;
    private readonly ReconnectBackoff _backoff;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private RpcConnection? _connection;
    private long _nextAttemptTimestamp;
    private string? _lastFailure;

    /// <summary>Creates the peer; nothing is dialed until the first call or <see cref="ConnectAsync"/>.</summary>
    /// <param name="remote">The peer's RPC address.</param>
    /// <param name="options">This node's id, the cluster secret, limits and TLS.</param>
    /// <param name="logger">Where connection events go.</param>
    /// <param name="jitter">The randomness of reconnect delays; inject a seeded one for reproducible runs.</param>
    /// <param name="expectedNodeId">When set, a peer that proves a different node id is refused (a stale address).</param>
    /// <param name="router">Handlers for calls the peer makes back over this connection.</param>
    public RpcPeer(EndPoint remote, RpcOptions options, ILogger? logger = null, Random? jitter = null, string? expectedNodeId = null, RpcRouter? router = null)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Tls is { HasClientTrust: false })
        {
            throw new ArgumentException("RpcOptions.Tls is set but names no trust anchor for servers (CaCertificate, CaCertificatePath or ServerCertificateSha256).", nameof(options));
        }

        RemoteEndPoint = remote;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _router = router;
        _expectedNodeId = expectedNodeId;
        _tls = options.Tls is null ? null : new TlsChannel(options.Tls);
        _backoff = new ReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay, jitter ?? Random.Shared);
    }

    /// <summary>The address dialed.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>The peer's node id, once a handshake has succeeded.</summary>
    public string? RemoteNodeId => _connection?.RemoteNodeId;

    /// <summary>Whether a connection is up now.</summary>
    public bool IsConnected => _connection is { IsOpen: true };

    internal RpcConnection? Connection => _connection;

    /// <summary>Why the last connect attempt failed, or null after a success.</summary>
    internal string? LastFailure => _lastFailure;

    /// <summary>
    /// Closes the current connection and dials no sooner than <paramref name="holdOff"/> from now (fault injection:
    /// a partition). Calls in flight fail with <see cref="RpcStatus.Unavailable"/>.
    /// </summary>
    internal void Drop(string reason, TimeSpan holdOff)
    {
        // The hold-off is in place before the connection closes, so whoever redials on its close sees it.
        var until = Stopwatch.GetTimestamp() + (long)(holdOff.TotalSeconds * Stopwatch.Frequency);
        if (until > Volatile.Read(ref _nextAttemptTimestamp))
        {
            Volatile.Write(ref _nextAttemptTimestamp, until);
        }

        if (_connection is { } connection)
        {
            _ = connection.CloseAsync(reason);
        }
    }

    /// <summary>Connects now, if not connected, retrying with backoff until <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="RpcException"><see cref="RpcStatus.Unauthenticated"/> when the handshake fails (not retried).</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default) => await GetConnectionAsync(cancellationToken);

    /// <summary>Calls <paramref name="method"/> and waits for its answer.</summary>
    /// <param name="method">The method's name.</param>
    /// <param name="request">The request message, or null for none.</param>
    /// <param name="payload">Bulk bytes sent beside the message, not copied into protobuf; keep them unchanged until the call completes.</param>
    /// <param name="timeout">The deadline, counted from now and covering any reconnect; default <see cref="RpcOptions.DefaultTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the call; the server's handler is told.</param>
    /// <exception cref="RpcException">The call failed; <see cref="RpcException.Status"/> says how.</exception>
    /// <exception cref="LimitExceededException">The message or payload is above this node's limits.</exception>
    public async Task<RpcResponse> CallAsync(string method, IMessage? request = null, ReadOnlyMemory<byte> payload = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var budget = timeout ?? _options.DefaultTimeout;
        var started = Stopwatch.GetTimestamp();
        var connection = await ConnectWithinAsync(method, budget, cancellationToken);
        var left = budget - Stopwatch.GetElapsedTime(started);
        if (left <= TimeSpan.Zero)
        {
            throw new RpcException(RpcStatus.DeadlineExceeded, $"call '{method}' to {RemoteEndPoint} ran out of time while connecting");
        }

        return await connection.CallAsync(method, request, payload, left, cancellationToken);
    }

    /// <summary>Calls <paramref name="method"/> and parses the answer as <typeparamref name="TResponse"/>.</summary>
    /// <exception cref="RpcException">The call failed; <see cref="RpcException.Status"/> says how.</exception>
    public async Task<TResponse> CallAsync<TResponse>(string method, IMessage request, MessageParser<TResponse> parser, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(parser);
        var response = await CallAsync(method, request, ReadOnlyMemory<byte>.Empty, timeout, cancellationToken);
        return response.ParseBody(parser);
    }

    /// <summary>
    /// Sends a one-way message: returns once it is queued for sending, with no answer and no delivery guarantee.
    /// Messages to one peer arrive in the order sent while the connection lasts. The payload is written from the
    /// caller's memory after this returns, so it must not change afterwards.
    /// </summary>
    /// <exception cref="RpcException"><see cref="RpcStatus.ResourceExhausted"/> when the send queue is full; <see cref="RpcStatus.Unavailable"/> when the peer cannot be reached.</exception>
    public async Task SendAsync(string method, IMessage? message = null, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var connection = await ConnectWithinAsync(method, _options.DefaultTimeout, cancellationToken);
        connection.SendOneWay(method, message, payload);
    }

    /// <summary>Opens a stream of bulk bytes to <paramref name="method"/>'s stream handler.</summary>
    /// <param name="method">The method's name.</param>
    /// <param name="header">The message the handler receives first, or null.</param>
    /// <param name="timeout">The deadline for the whole stream including its answer; default none (streams run as long as data flows).</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    public async Task<RpcStreamWriter> OpenStreamAsync(string method, IMessage? header = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        var connection = await ConnectWithinAsync(method, timeout ?? _options.DefaultTimeout, cancellationToken);
        return connection.OpenStream(method, header, timeout ?? Timeout.InfiniteTimeSpan);
    }

    /// <summary>Closes the connection; calls in flight fail with <see cref="RpcStatus.Unavailable"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_connection is { } connection)
        {
            await connection.CloseAsync("the dialing node closed the peer");
        }
    }

    private async Task<RpcConnection> ConnectWithinAsync(string method, TimeSpan budget, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(budget);
        try
        {
            return await GetConnectionAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_disposed.IsCancellationRequested)
        {
            throw new RpcException(
                RpcStatus.Unavailable,
                $"cannot reach {RemoteEndPoint} for '{method}' within {budget.TotalMilliseconds:0} ms: {_lastFailure ?? "still connecting"}");
        }
    }

    private async Task<RpcConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open)
        {
            return open;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var token = linked.Token;
        await _connectLock.WaitAsync(token);
        try
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
                if (_connection is { IsOpen: true } current)
                {
                    return current;
                }

                // A loop, not one wait: Drop may push the next attempt further out while this one sleeps.
                TimeSpan wait;
                while ((wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Volatile.Read(ref _nextAttemptTimestamp))) > TimeSpan.Zero)
                {
                    await Task.Delay(wait, token);
                }

                try
                {
                    var connection = await ConnectionFactory.DialAsync(RemoteEndPoint, _options, _tls, _router, _expectedNodeId, _logger, token);
                    _backoff.Succeeded();
                    _lastFailure = null;
                    _connection = connection;
                    return connection;
                }
                catch (RpcException e)
                {
                    _lastFailure = e.Message;
                    var delay = _backoff.Failed();
                    Volatile.Write(ref _nextAttemptTimestamp, Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency));
                    RpcLog.ConnectFailed(_logger, RemoteEndPoint.ToString() ?? "peer", e.Message, (long)delay.TotalMilliseconds);
                    if (e.Status == RpcStatus.Unauthenticated)
                    {
                        // Retrying cannot fix a wrong secret or certificate: report it now.
                        throw;
                    }
                }
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
