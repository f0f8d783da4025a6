using Cairn.Rpc.Streams;

namespace Cairn.Rpc;

/// <summary>
/// An incoming stream as its handler receives it: the opening message (<see cref="RpcRequest.Body"/>) and the bulk
/// bytes that follow, read once, either as chunks or as a <see cref="Stream"/>.
/// </summary>
public sealed class RpcStreamRequest : RpcRequest
{
    private readonly IncomingStream _stream;

    internal RpcStreamRequest(string method, string remoteNodeId, ReadOnlyMemory<byte> body, IncomingStream stream)
        : base(method, remoteNodeId, body, ReadOnlyMemory<byte>.Empty)
    {
        _stream = stream;
    }

    /// <summary>
    /// The chunks in the order sent. A chunk stays valid after the next is read. Ends when the sender completes;
    /// throws <see cref="RpcException"/> (<see cref="RpcStatus.Aborted"/> or <see cref="RpcStatus.Unavailable"/>) when it aborts or the connection closes.
    /// </summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(CancellationToken cancellationToken = default) => _stream.ReadAllAsync(cancellationToken);

    /// <summary>The bytes as a read-only stream; use either this or <see cref="ReadChunksAsync"/>, once.</summary>
    public Stream AsStream() => new ChunkReadStream(_stream.ReadAllAsync(CancellationToken.None));

    internal IncomingStream Incoming => _stream;
}
