using Cairn.Core;
using Google.Protobuf;

namespace Cairn.Rpc.Framing;

/// <summary>
/// A frame ready to send: header and message serialized together (small), payload kept by reference so bulk bytes
/// are written to the socket from the caller's buffer without another copy.
/// </summary>
internal sealed class OutgoingFrame
{
    private OutgoingFrame(FrameType type, byte[] headerAndMessage, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        HeaderAndMessage = headerAndMessage;
        Payload = payload;
    }

    public FrameType Type { get; }

    public byte[] HeaderAndMessage { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public long Length => HeaderAndMessage.Length + (long)Payload.Length;

    /// <summary>
    /// Serializes a frame. Sizes are checked against this side's limits here, in the caller, so an oversized message
    /// fails the one call that made it instead of poisoning the connection.
    /// </summary>
    /// <exception cref="LimitExceededException">The message or payload is above the limit.</exception>
    public static OutgoingFrame Create(FrameType type, ulong id, IMessage? message, ReadOnlyMemory<byte> payload, int maxMessageBytes, int maxPayloadBytes)
    {
        var messageLength = message?.CalculateSize() ?? 0;
        LimitExceededException.ThrowIfAbove("RPC message", messageLength, maxMessageBytes);
        LimitExceededException.ThrowIfAbove("RPC payload", payload.Length, maxPayloadBytes);

        var bytes = new byte[FrameHeader.Size + messageLength];
        FrameHeader.WritePrefix(bytes, type, id, messageLength, payload.Length);
        message?.WriteTo(bytes.AsSpan(FrameHeader.Size));

        var crc = Crc32C.Compute(bytes.AsSpan(0, FrameHeader.ChecksummedPrefix));
        crc = Crc32C.Append(crc, bytes.AsSpan(FrameHeader.Size));
        crc = Crc32C.Append(crc, payload.Span);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(FrameHeader.ChecksummedPrefix), crc);
        return new OutgoingFrame(type, bytes, payload);
    }
}
