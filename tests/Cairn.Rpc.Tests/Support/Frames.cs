using System.Buffers.Binary;
using Cairn.Rpc.Framing;
using Cairn.Rpc.Protocol;
using Google.Protobuf;

namespace Cairn.Rpc.Tests.Support;

/// <summary>Builds frames as bytes on the wire, valid or deliberately broken.</summary>
internal static class Frames
{
    public static byte[] Valid(FrameType type, ulong id, IMessage? message, byte[]? payload = null)
    {
        var frame = OutgoingFrame.Create(type, id, message, payload ?? [], int.MaxValue, int.MaxValue);
        return [.. frame.HeaderAndMessage, .. frame.Payload.Span];
    }

    public static byte[] Request(ulong id, string method, byte[]? payload = null) =>
        Valid(FrameType.Request, id, new RequestHeader { Method = method, TimeoutMs = 5000 }, payload);

    /// <summary>A frame with a correct checksum around message bytes that need not be valid protobuf.</summary>
    public static byte[] WithRawMessage(FrameType type, ulong id, byte[] message)
    {
        var bytes = new byte[FrameHeader.Size + message.Length];
        FrameHeader.WritePrefix(bytes, type, id, message.Length, 0);
        message.CopyTo(bytes, FrameHeader.Size);
        var crc = Cairn.Core.Crc32C.Append(Cairn.Core.Crc32C.Compute(bytes.AsSpan(0, FrameHeader.ChecksummedPrefix)), message);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(FrameHeader.ChecksummedPrefix), crc);
        return bytes;
    }

    /// <summary>A frame whose header claims <paramref name="payloadLength"/> bytes of payload, with none following.</summary>
    public static byte[] HeaderOnly(FrameType type, int messageLength, uint payloadLength)
    {
        var header = new byte[FrameHeader.Size];
        FrameHeader.WritePrefix(header, type, 1, messageLength, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), payloadLength);
        return header;
    }
}
