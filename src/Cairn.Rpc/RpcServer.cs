using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Cairn.Rpc.Connection;
using Cairn.Rpc.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cairn.Rpc;

/// <summary>
/// Accepts connections from other nodes on a plain <see cref="Socket"/> listener and serves the methods of an
/// <see cref="RpcRouter"/> on them. Each connection must pass TLS (if configured) and the cluster-secret handshake
/// before any frame is dispatched; one that breaks the protocol is closed with a logged reason, and the others
/// carry on.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private static readonly TimeSpan AcceptRetryMin = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan AcceptRetryMax = TimeSpan.FromSeconds(1);

    private readonly RpcOptions _options;
    private readonly RpcRouter _router;
    private readonly ILogger _logger;
    private readonly TlsChannel? _tls;
    private readonly ConcurrentDictionary<RpcConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, RpcConnection> _byNode = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private int _handshaking;
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>Creates a server; <see cref="Start"/> begins listening.</summary>
    /// <param name="options">This node's id, the cluster secret, limits and TLS.</param>
    /// <param name="router">The methods served.</param>
    /// <param name="logger">Where connection events and protocol violations go.</param>
    public RpcServer(RpcOptions options, RpcRouter router, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(router);
        options.Validate();
        if (options.Tls is { HasServerCertificate: false })
        {
            throw new ArgumentException("RpcOptions.Tls is set but names no server certificate (ServerCertificate or CertificatePath).", nameof(options));
        }

        _options = options;
        _router = router;
        _logger = logger ?? NullLogger.Instance;
        _tls = options.Tls is null ? null : new TlsChannel(options.Tls);
    }

    /// <summary>The bound address, once started (useful with port 0).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;

    /// <summary>How many authenticated connections are open.</summary>
    public int ConnectionCount => _connections.Count;

    internal IEnumerable<RpcConnection> Connections => _connections.Keys;

    /// <summary>
    /// A channel for calling <paramref name="nodeId"/> back over the connection it dialed to this server, so the two
    /// nodes share one connection. False when that node has no open connection here; then dial it, or wait for it.
    /// </summary>
    public bool TryGetChannel(string nodeId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IRpcChannel? channel)
    {
        if (_byNode.TryGetValue(nodeId, out var connection) && connection.IsOpen)
        {
            channel = new AcceptedChannel(connection, _options);
            return true;
        }

        channel = null;
        return false;
    }

    /// <summary>Binds <paramref name="endPoint"/> and starts accepting.</summary>
    /// <exception cref="SocketException">The address is in use or cannot be bound.</exception>
    public void Start(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (_listener is not null)
        {
            throw new InvalidOperationException("the server is already started");
        }

        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted node must rebind its port while old connections sit in TIME_WAIT.
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener));
    }

    /// <summary>Stops accepting, closes every connection (calls in flight fail on the other side), and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener?.Dispose();
        await _acceptLoop;
        await Task.WhenAll(_connections.Keys.Select(c => c.CloseAsync("the server is shutting down")));
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        var delay = AcceptRetryMin;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token);
                delay = AcceptRetryMin;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors or a transient error: back off (doubling) rather than spin, and keep
                // serving the connections already open.
                RpcLog.AcceptFailed(_logger, e.Message, (long)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, AcceptRetryMax.Ticks));
                continue;
            }

            if (_connections.Count + Volatile.Read(ref _handshaking) >= _options.MaxConnections)
            {
                RpcLog.ConnectionRefused(_logger, socket.RemoteEndPoint?.ToString() ?? "peer", $"the limit of {_options.MaxConnections} connections is reached");
                socket.Dispose();
                continue;
            }

            _ = Task.Run(() => AcceptConnectionAsync(socket));
        }
    }

    private async Task AcceptConnectionAsync(Socket socket)
    {
        Interlocked.Increment(ref _handshaking);
        RpcConnection? connection;
        try
        {
            connection = await ConnectionFactory.AcceptAsync(socket, _options, _tls, _router, _logger, _stopping.Token);
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
        }

        if (connection is null)
        {
            return;
        }

        _connections[connection] = 0;
        // The newest connection from a node wins: an older one is a leftover the node has given up on.
        _byNode[connection.RemoteNodeId] = connection;
        if (_stopping.IsCancellationRequested)
        {
            await connection.CloseAsync("the server is shutting down");
        }

        await connection.Closed;
        _connections.TryRemove(connection, out _);
        _byNode.TryRemove(new KeyValuePair<string, RpcConnection>(connection.RemoteNodeId, connection));
    }
}
