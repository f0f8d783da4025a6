using Google.Protobuf;

namespace Cairn.Rpc;

/// <summary>A call or one-way message as a handler receives it: the method, who sent it, its message and payload.</summary>
public class RpcRequest
{
    internal RpcRequest(string method, string remoteNodeId, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> payload)
    {
        Method = method;
        RemoteNodeId = remoteNodeId;
        Body = body;
        Payload = payload;
    }

    /// <summary>The method called.</summary>
    public string Method { get; }

    /// <summary>The calling node's id, as proven in the handshake.</summary>
    public string RemoteNodeId { get; }

    /// <summary>The caller's protobuf message, serialized (empty when it sent none).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The raw bytes sent beside the message (empty when none).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Parses <see cref="Body"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="RpcException">The body is not a valid <typeparamref name="T"/> (<see cref="RpcStatus.InvalidArgument"/>, reported to the caller).</exception>
    public T ParseBody<T>(MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        try
        {
            return parser.ParseFrom(Body.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(RpcStatus.InvalidArgument, $"the body of '{Method}' is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }
}
