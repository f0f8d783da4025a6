using Cairn.Rpc.Connection;
using Google.Protobuf;

namespace Cairn.Rpc.Mesh;

/// <summary>
/// The channel to one other member of an <see cref="RpcMesh"/>, over whichever connection the pair shares now. It
/// never waits for a connection: with none open, every call, message and stream fails at once with
/// <see cref="RpcStatus.Unavailable"/> and a reason, so a caller forwarding work learns in microseconds, not at its
/// deadline, and one-way traffic (Raft's) is dropped rather than piling up behind a dead peer.
/// </summary>
internal abstract class MeshMember(string nodeId, RpcOptions options) : IRpcChannel, IAsyncDisposable
{
    private int _disposed;

    /// <summary>The member's node id.</summary>
    public string NodeId { get; } = nodeId;

    /// <summary>Whether this node dials the member (true) or waits for the member to dial it (false).</summary>
    public abstract bool Dials { get; }

    string? IRpcChannel.RemoteNodeId => NodeId;

    public bool IsConnected => Current is { IsOpen: true };

    protected RpcOptions Options { get; } = options;

    /// <summary>The pair's connection now, open or not, or null.</summary>
    protected abstract RpcConnection? Current { get; }

    public async Task<RpcResponse> CallAsync(string method, IMessage? request = null, ReadOnlyMemory<byte> payload = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        return await Open(method).CallAsync(method, request, payload, timeout ?? Options.DefaultTimeout, cancellationToken);
    }

    public Task SendAsync(string method, IMessage? message = null, ReadOnlyMemory<byte> payload = default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        try
        {
            Open(method).SendOneWay(method, message, payload);
            return Task.CompletedTask;
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException or Cairn.Core.LimitExceededException)
        {
            return Task.FromException(e);
        }
    }

    public Task<RpcStreamWriter> OpenStreamAsync(string method, IMessage? header = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        try
        {
            return Task.FromResult(Open(method).OpenStream(method, header, timeout ?? Timeout.InfiniteTimeSpan));
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException or Cairn.Core.LimitExceededException)
        {
            return Task.FromException<RpcStreamWriter>(e);
        }
    }

    /// <summary>Begins keeping the connection up, where this node is the one that dials.</summary>
    public abstract void Start();

    /// <summary>
    /// Closes the pair's connection now (fault injection). A member this node dials is not redialed for
    /// <paramref name="holdOff"/>; one that dials this node may redial at once, which this side cannot prevent.
    /// </summary>
    public abstract void Disconnect(string reason, TimeSpan holdOff);

    /// <summary>Stops this member's channel; later sends throw <see cref="ObjectDisposedException"/>. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await DisposeCoreAsync();
        }
    }

    /// <summary>Releases what this side owns of the connection.</summary>
    protected abstract ValueTask DisposeCoreAsync();

    /// <summary>Why there is no open connection, for the caller's error (what was tried, what to expect).</summary>
    protected abstract string WhyNoConnection();

    private RpcConnection Open(string method)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Current is { IsOpen: true } connection
            ? connection
            : throw new RpcException(RpcStatus.Unavailable, $"'{method}' to node '{NodeId}' not sent: {WhyNoConnection()}");
    }
}
