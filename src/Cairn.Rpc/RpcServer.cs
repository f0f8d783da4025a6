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
    private readonly Dictionary<string, RpcConnection> _byNode = new(StringComparer.Ordinal); // under _byNodeLock
    private readonly Lock _byNodeLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _handshaking;
    private long _accepted;
    private RpcMesh? _mesh;
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

    /// <summary>
    /// How many connections this server has accepted (past the handshake) since it started: with a steady
    /// <see cref="ConnectionCount"/>, a growing total means connections are being lost and redialed.
    /// </summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    internal IEnumerable<RpcConnection> Connections => _connections.Keys;

    internal RpcOptions Options => _options;

    internal RpcRouter Router => _router;

    internal ILogger Logger => _logger;

    /// <summary>
    /// A channel for calling <paramref name="nodeId"/> back over the connection it dialed to this server, so the two
    /// nodes share one connection. False when that node has no open connection here; then dial it, or wait for it.
    /// </summary>
    public bool TryGetChannel(string nodeId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IRpcChannel? channel)
    {
        if (TryGetConnection(nodeId, out var connection))
        {
            channel = new AcceptedChannel(connection, _options);
            return true;
        }

        channel = null;
        return false;
    }

    /// <summary>The open connection <paramref name="nodeId"/> dialed to this server, if any (its newest).</summary>
    internal bool TryGetConnection(string nodeId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RpcConnection? connection)
    {
        lock (_byNodeLock)
        {
            if (_byNode.TryGetValue(nodeId, out connection) && connection.IsOpen)
            {
                return true;
            }
        }

        connection = null;
        return false;
    }

    /// <summary>Makes <paramref name="mesh"/> this server's mesh: its members' connections are one per node.</summary>
    internal void Attach(RpcMesh mesh)
    {
        if (Interlocked.CompareExchange(ref _mesh, mesh, null) is not null)
        {
            throw new InvalidOperationException("this server already belongs to an RpcMesh; a node has one mesh");
        }
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
        Interlocked.Increment(ref _accepted);
        var nodeId = connection.RemoteNodeId;
        RpcConnection? previous;
        lock (_byNodeLock)
        {
            // The newest connection from a node wins: an older one is a leftover the node has given up on.
            _byNode.TryGetValue(nodeId, out previous);
            _byNode[nodeId] = connection;
        }

        var mesh = Volatile.Read(ref _mesh);
        if (mesh is not null && mesh.IsMember(nodeId))
        {
            if (mesh.Dials(nodeId))
            {
                RpcLog.DialedFromWrongSide(_logger, nodeId, connection.PeerName);
            }
            else if (previous is { IsOpen: true })
            {
                // A member keeps one connection to us, so an older one is dead on its side (it restarted, or lost the
                // connection before we noticed): close it now rather than let keepalive find out in seconds. Only
                // members: clients such as the load tool may share one id across many connections.
                RpcLog.Replaced(_logger, nodeId, previous.PeerName, connection.PeerName);
                RpcMetrics.ConnectionsReplaced.Add(1);
                _ = previous.CloseAsync($"replaced by a newer connection from node '{nodeId}' ({connection.PeerName})");
            }
        }

        if (_stopping.IsCancellationRequested)
        {
            await connection.CloseAsync("the server is shutting down");
        }

        await connection.Closed;
        _connections.TryRemove(connection, out _);
        lock (_byNodeLock)
        {
            if (_byNode.TryGetValue(nodeId, out var current) && current == connection)
            {
                _byNode.Remove(nodeId);
            }
        }
    }
}
