using Google.Protobuf;

namespace Cairn.Rpc;

/// <summary>A successful call's answer as the caller receives it: the handler's message and payload.</summary>
public sealed class RpcResponse
{
    internal RpcResponse(string method, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> payload)
    {
        Method = method;
        Body = body;
        Payload = payload;
    }

    /// <summary>The method that answered.</summary>
    public string Method { get; }

    /// <summary>The handler's protobuf message, serialized (empty when it sent none).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The raw bytes the handler sent beside the message.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Parses <see cref="Body"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidProtocolBufferException">The body is not a valid <typeparamref name="T"/>.</exception>
    public T ParseBody<T>(MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        return parser.ParseFrom(Body.Span);
    }
}
