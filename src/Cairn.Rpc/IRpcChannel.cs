using Cairn.Core;
using Google.Protobuf;

namespace Cairn.Rpc;

/// <summary>
/// A way to call one remote node: either a connection this node dials (<see cref="RpcPeer"/>) or one the remote
/// node dialed to this node's server (<see cref="RpcServer.TryGetChannel"/>). Both are the same kind of connection,
/// which is how two nodes share one TCP connection per pair: only one of them dials, and the other calls back over
/// the accepted connection.
/// </summary>
public interface IRpcChannel
{
    /// <summary>The remote node's id, proven in the handshake (null before the first connection).</summary>
    string? RemoteNodeId { get; }

    /// <summary>Whether the connection is up now.</summary>
    bool IsConnected { get; }

    /// <summary>Calls <paramref name="method"/> and waits for its answer.</summary>
    /// <exception cref="RpcException">The call failed; <see cref="RpcException.Status"/> says how.</exception>
    /// <exception cref="LimitExceededException">The message or payload is above this node's limits.</exception>
    Task<RpcResponse> CallAsync(string method, IMessage? request = null, ReadOnlyMemory<byte> payload = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a one-way message; messages arrive in the order sent while the connection lasts. The payload is written
    /// from the caller's memory after this returns, so it must not change afterwards.
    /// </summary>
    /// <exception cref="RpcException"><see cref="RpcStatus.ResourceExhausted"/> when the send queue is full; <see cref="RpcStatus.Unavailable"/> when the node cannot be reached.</exception>
    Task SendAsync(string method, IMessage? message = null, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default);

    /// <summary>Opens a stream of bulk bytes to <paramref name="method"/>'s stream handler.</summary>
    Task<RpcStreamWriter> OpenStreamAsync(string method, IMessage? header = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
