namespace Cairn.Rpc;

/// <summary>Answers a call. The token fires at the caller's deadline, when the caller cancels, or when the connection closes.</summary>
/// <remarks>Throw <see cref="RpcException"/> to send the caller a status and message of your choice.</remarks>
public delegate ValueTask<RpcReply> RpcCallHandler(RpcRequest request, CancellationToken cancellationToken);

/// <summary>
/// Receives a one-way message. One-way handlers run in arrival order on the connection's receive loop, so messages
/// from one peer are handled in the order sent (Raft relies on this); hand slow work off to a queue.
/// </summary>
public delegate ValueTask RpcOneWayHandler(RpcRequest message, CancellationToken cancellationToken);

/// <summary>Consumes a stream of bulk bytes and answers once; the token fires when the connection closes or at the deadline.</summary>
public delegate ValueTask<RpcReply> RpcStreamHandler(RpcStreamRequest stream, CancellationToken cancellationToken);
