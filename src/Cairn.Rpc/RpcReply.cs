using Google.Protobuf;

namespace Cairn.Rpc;

/// <summary>What a handler answers: an optional protobuf message and optional raw payload.</summary>
/// <param name="Body">The message, or null for none.</param>
/// <param name="Payload">Bulk bytes sent beside the message, not copied into protobuf.</param>
public sealed record RpcReply(IMessage? Body = null, ReadOnlyMemory<byte> Payload = default)
{
    /// <summary>An answer with nothing in it: the call succeeded.</summary>
    public static RpcReply Empty { get; } = new();
}
