using Google.Protobuf;

namespace Cairn.Rpc.Connection;

/// <summary>
/// Calls back over a connection another node dialed to this one. It never redials: when the connection is gone the
/// dialing node owns reconnecting, and calls fail with <see cref="RpcStatus.Unavailable"/> until it has.
/// </summary>
internal sealed class AcceptedChannel(RpcConnection connection, RpcOptions options) : IRpcChannel
{
    public string? RemoteNodeId => connection.RemoteNodeId;

    public bool IsConnected => connection.IsOpen;

    public Task<RpcResponse> CallAsync(string method, IMessage? request = null, ReadOnlyMemory<byte> payload = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        return connection.CallAsync(method, request, payload, timeout ?? options.DefaultTimeout, cancellationToken);
    }

    public Task SendAsync(string method, IMessage? message = null, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        connection.SendOneWay(method, message, payload);
        return Task.CompletedTask;
    }

    public Task<RpcStreamWriter> OpenStreamAsync(string method, IMessage? header = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        return Task.FromResult(connection.OpenStream(method, header, timeout ?? Timeout.InfiniteTimeSpan));
    }
}
