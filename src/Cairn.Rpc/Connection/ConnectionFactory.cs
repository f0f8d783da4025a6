using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Cairn.Rpc.Framing;
using Cairn.Rpc.Handshake;
using Cairn.Rpc.Tls;
using Microsoft.Extensions.Logging;

namespace Cairn.Rpc.Connection;

/// <summary>Turns a socket into an authenticated <see cref="RpcConnection"/>: TCP, then TLS if configured, then the cluster handshake.</summary>
internal static class ConnectionFactory
{
    /// <summary>Dials <paramref name="endPoint"/>.</summary>
    /// <exception cref="RpcException"><see cref="RpcStatus.Unavailable"/> when it cannot connect, <see cref="RpcStatus.Unauthenticated"/> when the handshake fails.</exception>
    public static async Task<RpcConnection> DialAsync(EndPoint endPoint, RpcOptions options, TlsChannel? tls, RpcRouter? router, string? expectedNodeId, ILogger logger, CancellationToken cancellationToken)
    {
        var peerName = endPoint.ToString() ?? "peer";
        // A host name (DnsEndPoint) may resolve to IPv4 or IPv6: a dual-mode socket connects to either.
        var socket = endPoint.AddressFamily == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        Stream? stream = null;
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(options.ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(endPoint, connectTimeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new RpcException(RpcStatus.Unavailable, $"connecting to {peerName} timed out after {options.ConnectTimeout.TotalMilliseconds:0} ms");
                }
            }

            stream = new NetworkStream(socket, ownsSocket: true);
            using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            handshakeTimeout.CancelAfter(options.HandshakeTimeout);
            string remoteNodeId;
            try
            {
                if (tls is not null)
                {
                    stream = await tls.AuthenticateAsClientAsync(stream, handshakeTimeout.Token);
                }

                remoteNodeId = await ClusterHandshake.DialAsync(stream, options, peerName, handshakeTimeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RpcException(RpcStatus.Unavailable, $"the handshake with {peerName} did not finish within {options.HandshakeTimeout.TotalMilliseconds:0} ms");
            }
            catch (AuthenticationException e)
            {
                throw new RpcException(RpcStatus.Unauthenticated, $"TLS with {peerName} failed: {e.Message} (is its certificate issued by the configured CA, or the pinned one?)", e);
            }
            catch (FrameFormatException e)
            {
                throw new RpcException(RpcStatus.Unavailable, $"the handshake with {peerName} failed: {e.Message}");
            }
            catch (IOException e) when (tls is not null)
            {
                throw new RpcException(RpcStatus.Unavailable, $"the TLS handshake with {peerName} failed: {e.Message} (is TLS on at that node?)", e);
            }

            if (expectedNodeId is not null && expectedNodeId != remoteNodeId)
            {
                throw new RpcException(RpcStatus.Unauthenticated, $"dialed node '{expectedNodeId}' at {peerName} but reached node '{remoteNodeId}'; the address book is stale");
            }

            var connection = new RpcConnection(stream, peerName, remoteNodeId, options, router, logger);
            connection.Start();
            RpcLog.Dialed(logger, peerName, remoteNodeId);
            RpcMetrics.ConnectionsOpened.Add(1, new KeyValuePair<string, object?>("side", "dialed"));
            return connection;
        }
        catch (Exception e)
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            if (e is SocketException or IOException)
            {
                throw new RpcException(RpcStatus.Unavailable, $"cannot reach {peerName}: {e.Message}", e);
            }

            throw;
        }
    }

    /// <summary>Runs the acceptor's side on an accepted socket; returns null (after logging why) when the peer fails it.</summary>
    public static async Task<RpcConnection?> AcceptAsync(Socket socket, RpcOptions options, TlsChannel? tls, RpcRouter router, ILogger logger, CancellationToken cancellationToken)
    {
        var peerName = socket.RemoteEndPoint?.ToString() ?? "peer";
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshakeTimeout.CancelAfter(options.HandshakeTimeout);
        string? failure;
        try
        {
            if (tls is not null)
            {
                stream = await tls.AuthenticateAsServerAsync(stream, handshakeTimeout.Token);
            }

            var remoteNodeId = await ClusterHandshake.AcceptAsync(stream, options, handshakeTimeout.Token);
            var connection = new RpcConnection(stream, peerName, remoteNodeId, options, router, logger);
            connection.Start();
            RpcLog.Accepted(logger, peerName, remoteNodeId);
            RpcMetrics.ConnectionsOpened.Add(1, new KeyValuePair<string, object?>("side", "accepted"));
            return connection;
        }
        catch (HandshakeException e)
        {
            failure = e.Message;
        }
        catch (FrameFormatException e)
        {
            failure = $"malformed handshake: {e.Message}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            failure = $"no handshake within {options.HandshakeTimeout.TotalMilliseconds:0} ms";
        }
        catch (Exception e)
        {
            // TLS failures, resets, and anything unforeseen: this connection is refused, the server keeps running.
            failure = $"{e.GetType().Name}: {e.Message}";
        }

        RpcLog.HandshakeFailed(logger, peerName, failure);
        RpcMetrics.HandshakeFailures.Add(1);
        await stream.DisposeAsync();
        return null;
    }
}
